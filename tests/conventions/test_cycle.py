"""The life of a convention, with dated examples: a notice keeps it in force six months, a
local agreement becomes void once a national convention covers its purpose, and the access
decision refuses with the code that says so."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from passerelle.annuaire.modeles import Organisme
from passerelle.cli import app
from passerelle.erreurs import RefusHabilitation
from passerelle.habilitations.conventions import Convention, ConventionsInvalides, verifier_avec_le_registre
from passerelle.habilitations.cycle import StatutEffectif, ajouter_mois, en_vigueur_le, resiliation_effective_le, statut_effectif
from passerelle.habilitations.decision import FaitsEchange, decider

CAF_042 = Organisme(code="caf-042", type="caf", nom="CAF de la Loire", departements=("42",))
CAF_069 = Organisme(code="caf-069", type="caf", nom="CAF du Rhône", departements=("69",))
CARSAT_RA = Organisme(code="carsat-ra", type="carsat", nom="Carsat Rhône-Alpes", departements=("42", "69"))
FINALITE = "aspa-rsa-65-ans"


def convention(id: str = "nationale", **champs: Any) -> Convention:
    donnees: dict[str, Any] = {
        "id": id,
        "intitule": id,
        "statut": "en_vigueur",
        "finalite": FINALITE,
        "debut": date(2019, 4, 18),
        "habilitations": [{"flux": ["consultation:statut-aspa"], "emetteurs": {"types": ["caf"]},
                           "destinataires": {"types": ["carsat"]}}],
    }
    donnees.update(champs)
    return Convention.model_validate(donnees)


def locale(id: str = "caf-042-carsat-ra", flux: str = "consultation:statut-aspa", **champs: Any) -> Convention:
    return convention(
        id, portee="locale", parties=["caf-042", "carsat-ra"], debut=date(2022, 3, 1),
        habilitations=[{"flux": [flux], "emetteurs": {"codes": ["caf-042"]}, "destinataires": {"codes": ["carsat-ra"]}}],
        **champs,
    )


def statut(c: Convention, toutes: tuple[Convention, ...], jour: date) -> StatutEffectif:
    return statut_effectif(c, toutes, jour).statut


# --- notice (art. 5.3) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preavis", "effet"),
    [(date(2026, 3, 15), date(2026, 9, 15)), (date(2026, 8, 31), date(2027, 2, 28)), (date(2027, 8, 31), date(2028, 2, 29))],
)
def test_effet_de_la_resiliation_six_mois_apres_le_preavis(preavis: date, effet: date) -> None:
    assert resiliation_effective_le(convention(preavis_le=preavis)) == effet
    assert ajouter_mois(preavis, 6) == effet


@pytest.mark.parametrize("statut_declare", ["en_vigueur", "resiliee"])
def test_preavis_en_vigueur_jusqu_a_six_mois_puis_resiliee(statut_declare: str) -> None:
    """Whether the file already says resiliee or not, the dates decide."""
    c = convention(statut=statut_declare, preavis_le=date(2026, 3, 15))
    etat = statut_effectif(c, (c,), date(2026, 9, 14))
    assert etat.statut is StatutEffectif.en_vigueur and "préavis" in etat.raison and "2026-09-15" in etat.raison
    etat = statut_effectif(c, (c,), date(2026, 9, 15))
    assert etat.statut is StatutEffectif.resiliee and "2026-03-15" in etat.raison
    assert en_vigueur_le(c, date(2026, 9, 14)) and not en_vigueur_le(c, date(2026, 9, 15))


def test_autres_statuts() -> None:
    c = convention(fin=date(2027, 1, 1))
    assert statut(c, (c,), date(2019, 4, 17)) is StatutEffectif.a_venir
    assert statut(c, (c,), date(2026, 12, 31)) is StatutEffectif.en_vigueur
    assert "jusqu'au 2026-12-31 inclus" in statut_effectif(c, (c,), date(2026, 1, 1)).raison
    assert statut(c, (c,), date(2027, 1, 1)) is StatutEffectif.echue
    assert statut(convention(statut="brouillon"), (), date(2026, 1, 1)) is StatutEffectif.brouillon
    assert statut(convention(statut="caduque"), (), date(2026, 1, 1)) is StatutEffectif.caduque
    # the earliest end wins: the notice runs out before the end date
    c = convention(fin=date(2027, 1, 1), preavis_le=date(2026, 1, 10))
    assert statut(c, (c,), date(2027, 6, 1)) is StatutEffectif.resiliee


# --- local agreements (art. 4.3) --------------------------------------------------------------


def test_accord_local_caduc_des_que_la_nationale_entre_en_vigueur() -> None:
    nationale = convention(debut=date(2026, 1, 1))
    accord = locale()
    toutes = (accord, nationale)
    assert statut(accord, toutes, date(2025, 12, 31)) is StatutEffectif.en_vigueur
    etat = statut_effectif(accord, toutes, date(2026, 1, 1))
    assert etat.statut is StatutEffectif.caduque
    assert "nationale" in etat.raison and "2026-01-01" in etat.raison and FINALITE in etat.raison
    # "de fait caducs" for good: terminating the national convention later revives nothing
    resiliee = convention(debut=date(2026, 1, 1), preavis_le=date(2026, 2, 1))
    assert statut(accord, (accord, resiliee), date(2027, 1, 1)) is StatutEffectif.caduque


def test_accord_local_reste_en_vigueur_sans_nationale_de_meme_finalite() -> None:
    accord = locale()
    autre_finalite = convention(finalite="droits-prepare-clca")
    projet = convention(statut="brouillon", id="projet")
    assert statut(accord, (accord, autre_finalite, projet), date(2026, 6, 1)) is StatutEffectif.en_vigueur
    # a national convention signed before the local one voids it from its start
    assert statut(accord, (accord, convention()), date(2022, 3, 1)) is StatutEffectif.caduque


def test_premiere_fin_l_emporte_pour_un_accord_local() -> None:
    accord = locale(preavis_le=date(2025, 6, 1))  # terminated on 2025-12-01
    toutes = (accord, convention(debut=date(2026, 1, 1)))
    assert statut(accord, toutes, date(2026, 2, 1)) is StatutEffectif.resiliee


# --- the decision ---------------------------------------------------------------------------


def _faits(emetteur: Organisme = CAF_042, jour: date = date(2026, 6, 1), flux: str = "consultation:statut-aspa") -> FaitsEchange:
    return FaitsEchange(emetteur=emetteur, destinataire=CARSAT_RA, flux=flux, jour=jour)


def test_decision_accord_local_puis_nationale() -> None:
    accord, nationale = locale(), convention(debut=date(2026, 1, 1))
    toutes = (accord, nationale)
    assert decider(_faits(jour=date(2025, 12, 31)), toutes).convention == accord.id
    assert decider(_faits(jour=date(2026, 1, 1)), toutes).convention == nationale.id
    with pytest.raises(RefusHabilitation) as refus:
        decider(_faits(emetteur=CAF_069, jour=date(2025, 12, 31)), toutes)
    assert refus.value.code == "convention_hors_vigueur" and "prend effet le 2026-01-01" in refus.value.detail


def test_decision_accord_local_caduc() -> None:
    """A local-only exchange of the same purpose: void once the national convention exists."""
    accord = locale(flux="consultation:periodes-carriere")
    toutes = (accord, convention(debut=date(2026, 1, 1)))
    faits = _faits(flux="consultation:periodes-carriere")
    assert decider(FaitsEchange(CAF_042, CARSAT_RA, faits.flux, date(2025, 12, 31)), toutes).convention == accord.id
    with pytest.raises(RefusHabilitation) as refus:
        decider(faits, toutes)
    assert refus.value.code == "convention_caduque" and refus.value.statut == 403
    assert "caduque depuis le 2026-01-01" in refus.value.detail


def test_decision_preavis() -> None:
    nationale = convention(preavis_le=date(2026, 3, 15))
    assert decider(_faits(jour=date(2026, 9, 14)), (nationale,)).convention == nationale.id
    with pytest.raises(RefusHabilitation) as refus:
        decider(_faits(jour=date(2026, 9, 15)), (nationale,))
    assert refus.value.code == "convention_hors_vigueur" and "résiliée" in refus.value.detail


# --- what a convention file may say ------------------------------------------------------------


@pytest.mark.parametrize(
    ("champs", "attendu"),
    [
        ({"statut": "resiliee"}, "preavis_le"),
        ({"preavis_le": date(2018, 1, 1)}, "avant début"),
        ({"parties": ["caf-042", "carsat-ra"]}, "convention locale"),
        ({"portee": "locale"}, "signataires"),
        ({"portee": "locale", "parties": ["caf-042", "carsat-ra"]}, "pas par types"),
        ({"portee": "locale", "parties": ["caf-042", "carsat-ra"], "habilitations": [
            {"flux": ["rdc"], "emetteurs": {"codes": ["caf-069"]}, "destinataires": {"codes": ["carsat-ra"]}}]}, "pas caf-069"),
    ],
)
def test_convention_mal_formee(champs: dict[str, Any], attendu: str) -> None:
    with pytest.raises(ValidationError, match=attendu):
        convention(**champs)


def test_registre_des_consultations_verifie_au_demarrage() -> None:
    c = convention()
    with pytest.raises(ConventionsInvalides, match="consultations.yaml"):
        verifier_avec_le_registre((c,), {}, {})
    from passerelle.consultations.registre import charger_consultations

    registre = charger_consultations(Path(__file__).resolve().parents[2] / "config" / "consultations.yaml")
    verifier_avec_le_registre((c,), {}, registre)
    assert set(registre) == {"periodes-carriere", "statut-aspa"}


def test_cli_lister(config: Path) -> None:
    sortie = CliRunner().invoke(app, ["conventions", "lister", "--config", str(config), "--le", "2025-12-31"])
    assert sortie.exit_code == 0, sortie.output
    texte = sortie.output
    [entete] = [ligne for ligne in texte.splitlines() if ligne.startswith("caf-042-carsat-ra-aspa — ")]
    assert entete.endswith("[locale entre caf-042, carsat-ra]")
    assert "le 2025-12-31 : à venir : signée, prend effet le 2026-01-01" in texte
    assert "retenue-demande: carsat, cnav, cgss → caf ; réponse sous 15 j, rappels 5 j, 1 j avant" in texte
    apres = CliRunner().invoke(app, ["conventions", "lister", "--config", str(config), "--le", "2026-01-01"]).output
    assert "le 2026-01-01 : caduque depuis le 2026-01-01 : la convention nationale cnaf-cnav-2019-aspa" in apres
    assert CliRunner().invoke(app, ["conventions", "lister", "--config", str(config), "--le", "01/01/2026"]).exit_code == 2  # usage
