"""Suspension on two replicas (issue 14, done means): two gateway instances on the same database
(a SQLite file, a PostgreSQL schema). Suspended through one, refused by the other within its
directory reload interval — measured on the injected test clock, never a real sleep; resumed,
both accept again; the notices reach both parties through the normal delivery; the journal
verifies offline. The operator's command line does the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from passerelle.cli import app as cli
from passerelle.stockage.tables import journal
from tests.catalogue.exemples import exemple_rdc
from tests.conftest import HorlogeTest, Passerelle
from tests.conventions.outils_suspension import (
    CNAF,
    CNAV,
    NATIONALE,
    avis,
    entrees,
    journal_verifie,
    refus,
    reprendre,
    suspendre,
)

INTERVALLE = 5.0  # seconds between two readings of the directory (and of the suspensions)


@pytest.fixture
def repliques(url_base: str, config: Path, horloge: HorlogeTest) -> Iterator[tuple[Passerelle, Passerelle]]:
    from fastapi.testclient import TestClient

    from passerelle.app import create_app
    from passerelle.reglages import Mode, Reglages
    from passerelle.services import construire_services

    ouvertes = []
    for _ in range(2):
        reglages = Reglages(mode=Mode.developpement, base=url_base, config=config, travaux_de_fond=False,
                            relecture_annuaire=INTERVALLE)
        services = construire_services(reglages, horloge=horloge)
        client = TestClient(create_app(services=services), raise_server_exceptions=False)
        client.__enter__()
        ouvertes.append(Passerelle(services=services, client=client, config=config, horloge=horloge))
    yield ouvertes[0], ouvertes[1]
    for p in ouvertes:
        p.client.__exit__(None, None, None)  # type: ignore[attr-defined]
        p.services.moteur.dispose()  # type: ignore[attr-defined]


def _rdc(p: Passerelle) -> Any:
    return p.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=p.horloge().date()))


def test_suspension_sur_deux_repliques(repliques, horloge, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = repliques
    assert _rdc(a).statut == 202 and _rdc(b).statut == 202  # both have read the (empty) suspensions

    r = suspendre(a, CNAF, motif="manquement à l'article 3.3")
    assert r.status_code == 200, r.text
    refuse = _rdc(a)  # the replica that suspended: at once
    assert refuse.statut == 403 and refuse.donnees["code"] == "convention_suspendue"

    horloge.avancer(seconds=INTERVALLE)  # the other one: within its reload interval
    refuse = _rdc(b)
    assert refuse.statut == 403 and refuse.donnees["code"] == "convention_suspendue"
    assert "suspendue depuis le 2026-11-23T10:00:00Z (art. 3.3) : manquement à l'article 3.3" in refuse.donnees["detail"]
    assert len(refus(b, "convention_suspendue")) == 2  # each refusal journaled

    deja = suspendre(b, CNAV, motif="second avis")  # the state is the database's, not a replica's
    assert deja.status_code == 409 and deja.json()["code"] == "convention_deja_suspendue"

    r = reprendre(b, CNAV)
    assert r.status_code == 200, r.text
    assert _rdc(b).statut == 202
    horloge.avancer(seconds=INTERVALLE)
    assert _rdc(a).statut == 202

    # The notices, delivered like any other message: each party reads them on either replica.
    for p, keyid in ((a, "caf-042-dev-2026"), (b, "carsat-ra-dev-2026"), (b, CNAF), (a, CNAV)):
        assert [n["evenement"] for n in avis(p, keyid)] == ["suspension", "reprise"], keyid
    assert [e["decision"] for e in entrees(a, "convention_suspendue", "convention_reprise")] == [
        "convention_suspendue", "convention_reprise"]
    rapport = journal_verifie(a, tmp_path / "export")
    assert rapport.ok, rapport.texte()
    with a.services.moteur.connect() as c:  # type: ignore[attr-defined]
        assert rapport.entrees == c.execute(sa.select(sa.func.count()).select_from(journal)).scalar_one()


def _cli(url_base: str, config: Path, horloge: HorlogeTest, *arguments: str, code: int = 0) -> str:
    from passerelle.cycle_cles import commandes

    options = ["--base", url_base, "--config", str(config)]
    if arguments[1] != "lister":
        options.append("--developpement")
    commandes.HORLOGE = horloge
    try:
        resultat = CliRunner().invoke(cli, [*arguments, *options], catch_exceptions=False)
    finally:
        commandes.HORLOGE = None
    assert resultat.exit_code == code, resultat.output
    return resultat.output


def test_l_exploitant_suspend_et_reprend_en_ligne_de_commande(url_base, config, horloge, passerelle) -> None:  # type: ignore[no-untyped-def]
    """The gateway runs (``passerelle``, reload interval one second) while the operator acts."""
    sortie = _cli(url_base, config, horloge, "conventions", "suspendre", "inexistante", "--motif", "x", code=2)
    assert "aucune convention 'inexistante'" in sortie and "cnaf-cnav-2019" in sortie
    sortie = _cli(url_base, config, horloge, "conventions", "suspendre", NATIONALE, "--motif", " ", code=2)
    assert "le motif est obligatoire" in sortie
    assert entrees(passerelle, "convention_suspendue") == []

    sortie = _cli(url_base, config, horloge, "conventions", "suspendre", NATIONALE, "--motif", "audit en cours",
                  "--par", "exploitant.a")
    assert f"convention {NATIONALE} suspendue" in sortie and "caf-042" in sortie
    sortie = _cli(url_base, config, horloge, "conventions", "suspendre", NATIONALE, "--motif", "encore", code=1)
    assert "déjà suspendue depuis le 2026-11-23T10:00:00Z par exploitant.a : audit en cours" in sortie
    assert len(entrees(passerelle, "convention_suspendue")) == 1  # nothing changed

    sortie = _cli(url_base, config, horloge, "conventions", "lister")
    assert "  SUSPENDUE depuis le 2026-11-23T10:00:00Z par exploitant.a (exploitant) : audit en cours" in sortie
    assert sortie.count("SUSPENDUE") == 1

    passerelle.horloge.avancer(seconds=passerelle.services.reglages.relecture_annuaire)
    refuse = _rdc(passerelle)
    assert refuse.statut == 403 and refuse.donnees["code"] == "convention_suspendue"
    [entree] = entrees(passerelle, "convention_suspendue")
    assert entree["agent"] == "exploitant.a" and "organisme" not in entree  # the operator, no organisme
    assert entree["details"] == {"motif": "audit en cours", "canal": "cli"}
    [notice] = avis(passerelle, "carsat-ra-dev-2026")
    assert notice["par"] == "exploitant.a" and "organisme" not in notice

    sortie = _cli(url_base, config, horloge, "conventions", "reprendre", NATIONALE, "--motif", "audit clos")
    assert f"convention {NATIONALE} reprise" in sortie
    sortie = _cli(url_base, config, horloge, "conventions", "reprendre", NATIONALE, "--motif", "audit clos", code=1)
    assert "n'est pas suspendue" in sortie
    assert "SUSPENDUE" not in _cli(url_base, config, horloge, "conventions", "lister")
    passerelle.horloge.avancer(seconds=passerelle.services.reglages.relecture_annuaire)
    assert _rdc(passerelle).statut == 202
