"""``passerelle exemple`` and docs/exemples/: a body for every flux of the register, valid on the
day asked — checked on many days by the validation rules, and end to end by the gateway (each
answer chained to its request), and the ready files of docs/exemples/ are exactly what the
commands of its LISEZMOI write."""

from __future__ import annotations

import json
import re
import shlex
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from passerelle.annuaire.chargement import charger_annuaire
from passerelle.catalogue.avpf import charger_motifs_avpf
from passerelle.catalogue.exemples import EXEMPLES, exemple
from passerelle.catalogue.validation import ContexteValidation, valider_message
from passerelle.cli import app
from tests.catalogue.exemples import catalogue, table_age_legal
from tests.integrateurs.conftest import RACINE

DOCS = RACINE / "docs" / "exemples"
JOURS = [date(2024, 1, 1) + timedelta(days=41 * i) for i in range(80)] + [
    date(2024, 2, 29), date(2026, 11, 23), date(2026, 12, 31), date(2027, 1, 1), date(2028, 2, 29),
    date.today(), date.today() + timedelta(days=365),
]
DEMANDES = [e for e in EXEMPLES.values() if not e.repond_a and not e.lecture_seule]
REPONSES = [e for e in EXEMPLES.values() if e.repond_a]


@cache
def _annuaire() -> Any:
    return charger_annuaire(RACINE / "config", developpement=True)


def _contexte(keyid: str, jour: date) -> ContexteValidation:
    annuaire = _annuaire()
    return ContexteValidation(
        emetteur=annuaire.organismes[annuaire.cles[keyid].organisme], aujourd_hui=jour,
        table_age_legal=table_age_legal(), motifs_avpf=charger_motifs_avpf(RACINE / "config" / "regles" / "motifs-avpf.yaml"),
    )


def test_un_exemple_pour_chaque_flux_du_registre() -> None:
    assert set(EXEMPLES) == set(catalogue()), "un flux du registre sans exemple (passerelle/catalogue/exemples.py)"
    for e in EXEMPLES.values():
        assert e.repond_a == (catalogue()[e.flux].repond_a[0] if catalogue()[e.flux].repond_a else None)
        assert e.lecture_seule or e.emetteur in _annuaire().cles


@pytest.mark.parametrize("flux", [e.flux for e in EXEMPLES.values()])
def test_exemple_valide_chaque_jour(flux: str) -> None:
    modele = EXEMPLES[flux]
    for jour in JOURS:
        corps = exemple(flux, jour, table_age_legal(), en_reponse_a="3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f")
        if modele.lecture_seule:
            catalogue()[flux].modele.model_validate(corps)
            continue
        octets = json.dumps(corps, ensure_ascii=False).encode()
        valide = valider_message(catalogue()[flux], octets, _contexte(modele.emetteur, jour))
        assert valide.flux == flux, jour


def test_lot_de_personnes_distinctes_valides() -> None:
    for jour in (date(2026, 12, 1), date.today()):
        for flux in ("rdc", "passage-retraite"):
            lignes = [exemple(flux, jour, table_age_legal(), rang=r) for r in range(1, 201)]
            assert len({l["nir_assure"] for l in lignes}) == 200
            for ligne in lignes:
                valider_message(catalogue()[flux], json.dumps(ligne).encode(), _contexte("caf-042-dev-2026", jour))


def test_chaque_demande_puis_sa_reponse_acceptees_par_la_passerelle(passerelle: Any) -> None:
    from passerelle.annuaire.cles import lire_privee_pem
    from passerelle.client import ClientPasserelle

    def client(keyid: str) -> ClientPasserelle:
        cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
        return ClientPasserelle("http://testserver", cle, keyid, "agent.essai", http=passerelle.client,
                                horloge=passerelle.horloge.timestamp)

    for decalage in (0, 400):  # the fixture's day, then more than a year later
        passerelle.horloge.avancer(days=decalage)
        jour = passerelle.horloge().date()
        ids = {}
        for modele in DEMANDES:
            recu = client(modele.emetteur).envoyer(modele.flux, exemple(modele.flux, jour, table_age_legal()))
            assert recu.statut == 202, (jour, modele.flux, recu.donnees)
            ids[modele.flux] = recu.donnees["id"]
        for modele in REPONSES:
            corps = exemple(modele.flux, jour, table_age_legal(), en_reponse_a=ids[modele.repond_a])
            recu = client(modele.emetteur).envoyer(modele.flux, corps)
            assert recu.statut == 202, (jour, modele.flux, recu.donnees)


def test_lots_d_exemple_entierement_acceptes(passerelle: Any) -> None:
    caf = passerelle.organisme("caf-042")
    jour = passerelle.horloge().date()
    for format_, type_contenu in (("ndjson", "application/x-ndjson"), ("csv", "text/csv")):
        resultat = CliRunner().invoke(app, ["exemple", "passage-retraite", "--lot", "25", "--format", format_,
                                            "--le", jour.isoformat(), "--config", str(passerelle.config)])
        assert resultat.exit_code == 0, resultat.output
        reponse = caf.envoyer_lot("passage-retraite", resultat.stdout.encode(), cle_lot=f"essai-{format_}",
                                  type_contenu=type_contenu)
        assert reponse.statut == 200, reponse.donnees
        assert reponse.donnees["resume"]["acceptees"] == 25 and reponse.donnees["resume"]["refusees"] == 0


def test_la_commande_dit_quoi_faire_ensuite() -> None:
    resultat = CliRunner().invoke(app, ["exemple", "rdc", "--le", "2026-12-01"])
    assert resultat.exit_code == 0
    assert json.loads(resultat.stdout)["date_naissance"]
    assert "passerelle envoyer rdc rdc.json --keyid caf-042-dev-2026" in resultat.stderr
    assert "<" not in resultat.stderr  # nothing the shell would read as a redirection


def _commandes_du_lisezmoi() -> list[list[str]]:
    texte = (DOCS / "LISEZMOI.md").read_text(encoding="utf-8")
    # The commands that wrote the files (not the "valid today" example above them).
    return [shlex.split(l)[1:] for l in re.findall(r"^\.venv/bin/passerelle exemple .*--sortie docs/exemples/.*$", texte, re.M)]


def test_docs_exemples_sont_ce_que_les_commandes_ecrivent(tmp_path: Path) -> None:
    commandes = _commandes_du_lisezmoi()
    assert len(commandes) >= 16 and all("--le" in c for c in commandes)
    ecrits = set()
    for arguments in commandes:
        i = arguments.index("--sortie")
        cible = Path(arguments[i + 1])
        arguments[i + 1] = str(tmp_path / cible.name)
        resultat = CliRunner().invoke(app, [*arguments, "--config", str(RACINE / "config")])
        assert resultat.exit_code == 0, resultat.output
        assert (tmp_path / cible.name).read_bytes() == (RACINE / cible).read_bytes(), f"{cible} à régénérer"
        ecrits.add(cible.name)
    presents = {p.name for p in DOCS.iterdir()} - {"LISEZMOI.md"}
    assert presents == ecrits
    assert {f"{flux}.json" for flux in EXEMPLES} <= ecrits
