"""Suspension on a breach (art. 3.3), the pure part: vectors for whether a convention is
suspended at an instant, the refusal the access decision then gives, who may suspend through
the API (a national caisse party to the convention) and who is told."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from passerelle.annuaire.modeles import Organisme
from passerelle.erreurs import RefusHabilitation
from passerelle.habilitations.decision import FaitsEchange, decider
from passerelle.habilitations.suspensions import (
    concernes,
    motif_valide,
    partie_nationale,
    suspension_en_vigueur,
    texte_instant,
)
from passerelle.stockage.suspensions import Suspension
from tests.conventions.test_cycle import CAF_042, CARSAT_RA, convention, locale

LE = datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc)
CNAF = Organisme(code="cnaf", type="cnaf", nom="Cnaf")
CNAV = Organisme(code="cnav", type="cnav-nationale", nom="Cnav")
CAF_030 = Organisme(code="caf-030", type="caf", nom="CAF du Gard")
CPAM_030 = Organisme(code="cpam-030", type="cpam", nom="CPAM du Gard")
ORGANISMES = {o.code: o for o in (CAF_042, CARSAT_RA, CNAF, CNAV, CAF_030, CPAM_030)}
FLUX = "consultation:statut-aspa"


def suspendue(id: str = "nationale", le: datetime = LE, motif: str = "audit CNIL en cours") -> Suspension:
    return Suspension(convention=id, suspendue_le=le, motif=motif, par="claire.martin", organisme="cnaf", journal_index=7)


def faits(**champs: object) -> FaitsEchange:
    return FaitsEchange(emetteur=CAF_042, destinataire=CARSAT_RA, flux=FLUX, jour=date(2026, 11, 23), **champs)  # type: ignore[arg-type]


def test_suspendue_a_partir_de_son_instant() -> None:
    s = suspendue()
    assert suspension_en_vigueur(None, "nationale", LE) is None
    assert suspension_en_vigueur({}, "nationale", LE) is None
    assert suspension_en_vigueur({"nationale": s}, "autre", LE) is None
    assert suspension_en_vigueur({"nationale": s}, "nationale", LE - timedelta(microseconds=1)) is None
    assert suspension_en_vigueur({"nationale": s}, "nationale", LE) is s
    assert suspension_en_vigueur({"nationale": s}, "nationale", LE + timedelta(days=400)) is s
    assert suspension_en_vigueur({"nationale": s}, "nationale") is s  # no instant: every one given is in force


def test_la_decision_refuse_une_convention_suspendue_avec_date_et_motif() -> None:
    c = convention()
    assert decider(faits(), (c,), {}).convention == "nationale"
    with pytest.raises(RefusHabilitation) as refus:
        decider(faits(), (c,), {"nationale": suspendue()})
    assert refus.value.code == "convention_suspendue" and refus.value.statut == 403
    assert refus.value.detail == (
        "la convention nationale couvre le flux consultation:statut-aspa de caf-042 vers carsat-ra mais est "
        "suspendue depuis le 2026-11-23T10:00:00Z (art. 3.3) : audit CNIL en cours"
    )
    # A suspension dated after the exchange's instant does not apply to it.
    assert decider(faits(instant=LE - timedelta(seconds=1)), (c,), {"nationale": suspendue()}).convention == "nationale"


def test_une_autre_convention_en_vigueur_non_suspendue_autorise_encore() -> None:
    nationale, accord = convention(), locale(finalite="autre-finalite")  # not voided by the national one (art. 4.3)
    assert decider(faits(), (nationale, accord), {"nationale": suspendue()}).convention == "caf-042-carsat-ra"
    with pytest.raises(RefusHabilitation) as refus:
        decider(faits(), (nationale, accord), {"nationale": suspendue(), "caf-042-carsat-ra": suspendue("caf-042-carsat-ra")})
    assert refus.value.code == "convention_suspendue"


def test_la_suspension_ne_masque_pas_un_echange_qu_elle_n_autoriserait_pas() -> None:
    """Only a convention that would allow the exchange gives convention_suspendue."""
    inverse = FaitsEchange(emetteur=CARSAT_RA, destinataire=CAF_042, flux=FLUX, jour=date(2026, 11, 23))
    with pytest.raises(RefusHabilitation) as refus:
        decider(inverse, (convention(),), {"nationale": suspendue()})
    assert refus.value.code == "sens_non_autorise"


@pytest.mark.parametrize(
    ("motif", "attendu"),
    [("audit en cours", "audit en cours"), ("  fuite\tde  données\n ", "fuite de données"), ("é" * 500, "é" * 500),
     ("", None), ("   ", None), ("x" * 501, None), ("a\x00b", None), ("a\ud800b", None), (None, None), (12, None)],
)
def test_motif(motif: object, attendu: str | None) -> None:
    assert motif_valide(motif) == attendu


def test_texte_instant_en_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert texte_instant(datetime(2026, 11, 23, 11, 30, 15, 999, tzinfo=paris)) == "2026-11-23T10:30:15Z"


def test_caisses_nationales_parties() -> None:
    nationale = convention(habilitations=[{"flux": [FLUX], "emetteurs": {"types": ["caf"]}, "destinataires": {"types": ["carsat"]}}])
    gard = convention("gard", portee="locale", parties=["caf-030", "cpam-030"], habilitations=[
        {"flux": [FLUX], "emetteurs": {"codes": ["cpam-030"]}, "destinataires": {"codes": ["caf-030"]}}])
    assert partie_nationale(nationale, CNAF, ORGANISMES) and partie_nationale(nationale, CNAV, ORGANISMES)
    assert partie_nationale(locale(), CNAF, ORGANISMES) and partie_nationale(locale(), CNAV, ORGANISMES)
    assert partie_nationale(gard, CNAF, ORGANISMES)  # the CAF of the Gard is of its network
    assert not partie_nationale(gard, CNAV, ORGANISMES)  # no retirement caisse in it
    assert not partie_nationale(nationale, CAF_042, ORGANISMES)  # a local caisse is no national one
    assert [o.code for o in concernes(locale(), ORGANISMES)] == ["caf-042", "carsat-ra", "cnaf", "cnav"]
    assert [o.code for o in concernes(gard, ORGANISMES)] == ["caf-030", "cnaf", "cpam-030"]
    assert [o.code for o in concernes(nationale, ORGANISMES)] == ["caf-030", "caf-042", "carsat-ra", "cnaf", "cnav"]
