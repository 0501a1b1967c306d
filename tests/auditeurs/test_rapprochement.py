"""Annex 2: pairing the retirement side's access log with the gateway's robot accesses names the
CAF technician behind each line, and lists what pairs with nothing on either side."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from typer.testing import CliRunner

from passerelle.auditeurs.rapprochement import (
    AccesRobot,
    LigneAcces,
    apparier,
    rapprocher,
)
from passerelle.cli import app
from passerelle.stockage.tables import journal
from tests.auditeurs.outils import ajouter_robot, client_robot, nirs_de_test, rdc

ROBOT = "ad-caf042-07"
T0 = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def _texte(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _acces_robots(passerelle: Any) -> dict[str, Any]:
    """Three robot accesses for three technicians, one human access; the robot log of the Cnav."""
    a, b, c, d = nirs_de_test(passerelle.horloge().date())
    keyid, privee = ajouter_robot(passerelle, ROBOT)
    instants = {}
    for nir, technicien in ((a, "claire.morel@caf-042"), (b, "paul.henry@caf-042"), (c, "ines.faure@caf-042")):
        instants[nir] = passerelle.horloge()
        rdc(passerelle, client_robot(passerelle, keyid, privee, technicien), nir)
        passerelle.horloge.avancer(minutes=10)
    rdc(passerelle, passerelle.organisme("caf-042", agent="humain@caf-042"), d)  # not a robot: never paired
    lignes = [
        ("identifiant_accedant", "nir", "horodatage"),
        (ROBOT, a, _texte(instants[a] + timedelta(seconds=40))),  # paired: claire.morel
        (ROBOT, b, _texte(instants[b] + timedelta(seconds=500))),  # too far: both sides orphan
        ("autre-robot", c, _texte(instants[c])),  # another accessor: orphan
        (ROBOT, d, _texte(instants[a])),  # a NIR the robot never touched
        (ROBOT, "1234", _texte(instants[a])),  # unreadable NIR: rejected, with its line number
        (ROBOT, a, "hier soir"),  # unreadable time
    ]
    tampon = io.StringIO()
    csv.writer(tampon, delimiter=";").writerows(lignes)
    return {"nirs": (a, b, c, d), "instants": instants, "csv": tampon.getvalue().encode("utf-8")}


def test_rapprochement_nomme_le_technicien_et_liste_les_orphelins(passerelle) -> None:  # type: ignore[no-untyped-def]
    donnees = _acces_robots(passerelle)
    a, b, c, d = donnees["nirs"]
    services = passerelle.services
    with services.moteur.begin() as connexion:
        resultat = rapprocher(
            connexion, services.journal, donnees["csv"], tolerance=120, horodatage=services.horloge(), operateur="auditeur.cnav"
        )
    index = services.journal.index_nir
    [paire] = resultat.paires
    assert paire.ligne.numero == 2 and paire.acces.agent == "claire.morel@caf-042" and paire.acces.robot == ROBOT
    assert paire.ecart == 40 and paire.acces.nir_index == index(a)
    assert [(ligne.numero, ligne.nir_index) for ligne in resultat.lignes_seules] == [(3, index(b)), (4, index(c)), (5, index(d))]
    assert sorted((x.agent, x.nir_index) for x in resultat.acces_seuls) == sorted(
        [("paul.henry@caf-042", index(b)), ("ines.faure@caf-042", index(c))]
    )
    assert [(r.numero, r.raison[:4]) for r in resultat.rejetees] == [(6, "nir:"), (7, "horo")]
    with services.moteur.connect() as connexion:
        entree = json.loads(connexion.execute(sa.select(journal.c.entree).order_by(journal.c.index.desc()).limit(1)).scalar_one())
    assert entree["decision"] == "rapprochement" and entree["agent"] == "auditeur.cnav"
    assert entree["details"]["rapprochees"] == 1 and entree["details"]["lignes_sans_acces_passerelle"] == 3
    assert entree["details"]["acces_passerelle_sans_ligne"] == 2 and entree["details"]["lignes_rejetees"] == 2
    assert len(entree["details"]["fichier_sha256"]) == 64


def test_appariement_glouton_au_plus_proche_et_un_pour_un() -> None:
    def acces(index: int, secondes: int) -> AccesRobot:
        return AccesRobot(index, T0 + timedelta(seconds=secondes), ROBOT, f"tech{index}", "caf-042", "n" * 64, "accepte", "rdc")

    def ligne(numero: int, secondes: int, accedant: str = ROBOT) -> LigneAcces:
        return LigneAcces(numero, accedant, "n" * 64, T0 + timedelta(seconds=secondes))

    # Line 2 (t+50) is nearest to access 11 (t+60); line 3 (t+5) then takes access 10 (t+0).
    paires, lignes_seules, acces_seuls = apparier([ligne(2, 50), ligne(3, 5), ligne(4, 300)], [acces(10, 0), acces(11, 60)], 120)
    assert [(p.ligne.numero, p.acces.index) for p in paires] == [(2, 11), (3, 10)]
    assert [x.numero for x in lignes_seules] == [4] and acces_seuls == []
    # Each side is used once: two lines for one access leave the farther one alone.
    paires, lignes_seules, acces_seuls = apparier([ligne(2, 30), ligne(3, 10)], [acces(10, 0)], 120)
    assert [(p.ligne.numero, p.acces.index) for p in paires] == [(3, 10)] and [x.numero for x in lignes_seules] == [2]
    # Tolerance is inclusive; another accessor never pairs.
    assert len(apparier([ligne(2, 120)], [acces(10, 0)], 120)[0]) == 1
    assert apparier([ligne(2, 121)], [acces(10, 0)], 120)[0] == []
    assert apparier([ligne(2, 0, "autre")], [acces(10, 0)], 120)[0] == []


def test_cli_rapprocher_virgules_dates_francaises_et_json(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    donnees = _acces_robots(passerelle)
    a, *_ = donnees["nirs"]
    paris = donnees["instants"][a].astimezone(ZoneInfo("Europe/Paris")) + timedelta(seconds=30)
    fichier = tmp_path / "notariat-cnav.csv"
    fichier.write_text(f"\ufeffidentifiant_accedant,nir,horodatage\n{ROBOT},{a},{paris:%d/%m/%Y %H:%M:%S}\n", encoding="utf-8")
    options = ["--base", passerelle.services.reglages.base, "--config", str(passerelle.config), "--developpement"]
    runner = CliRunner()
    sortie = runner.invoke(app, ["journal", "rapprocher", str(fichier), "--tolerance", "60", "--format", "json", *options])
    assert sortie.exit_code == 0, sortie.output
    rapport = json.loads(sortie.stdout)
    assert rapport["resume"]["rapprochees"] == 1 and rapport["resume"]["tolerance_secondes"] == 60
    [ligne] = [x for x in rapport["lignes"] if x["statut"] == "rapproche"]
    assert ligne["technicien"] == "claire.morel@caf-042" and ligne["ecart_secondes"] == 30 and ligne["ligne"] == 2
    csv_sortie = tmp_path / "rapprochement.csv"
    sortie = runner.invoke(app, ["journal", "rapprocher", str(fichier), "--sortie", str(csv_sortie), *options])
    assert sortie.exit_code == 0, sortie.output
    lignes = list(csv.DictReader(io.StringIO(csv_sortie.read_text()), delimiter=";"))
    assert lignes[0]["statut"] == "rapproche" and lignes[0]["technicien"] == "claire.morel@caf-042"
    assert a not in csv_sortie.read_text() and a not in json.dumps(rapport)
    mauvais = tmp_path / "mauvais.csv"
    mauvais.write_text("qui;quand\nx;y\n", encoding="utf-8")
    refuse = runner.invoke(app, ["journal", "rapprocher", str(mauvais), *options])
    assert refuse.exit_code == 1 and "identifiant_accedant" in refuse.output
