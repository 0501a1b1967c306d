"""Every mistake a person can make on the command line is one French line on standard error
and its own exit code (docs/ligne-de-commande.md), never a traceback; every help page is French.

Most cases run in-process (typer's CliRunner, which goes through the same root ``main`` as the
installed command); the port and the real gateway run as processes."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from passerelle.cli import app
from passerelle.ligne_de_commande import Sortie
from tests.integrateurs.conftest import RACINE, PasserelleProcessus, port_libre

ANGLAIS = ("Usage", "Show this message", "[default", "required]", "env var", "Commands", "Error", "Missing",
           "Try '", "<str>", "<int>", "<path>", "TEXT", "INTEGER", "Aborted", "No such", "Invalid value")


def _invoquer(*arguments: str, env: dict[str, str] | None = None, entree: str | None = None) -> Any:
    return CliRunner().invoke(app, list(arguments), env=env, input=entree)


def _une_ligne(resultat: Any, code: Sortie, *fragments: str, bug: bool = False) -> str:
    """The command failed with ``code`` and said so in one French line containing ``fragments``."""
    sortie_erreur = resultat.stderr
    code_obtenu = resultat.exit_code if hasattr(resultat, "exit_code") else resultat.returncode
    assert code_obtenu == code, (code_obtenu, sortie_erreur, getattr(resultat, "exception", None))
    lignes = [l for l in sortie_erreur.strip().splitlines() if l.strip()]
    assert len(lignes) == 1, sortie_erreur
    assert "Traceback" not in sortie_erreur and (bug or "Error" not in sortie_erreur)
    for fragment in fragments:
        assert fragment in lignes[0], (fragment, lignes[0])
    return lignes[0]


# --- help ------------------------------------------------------------------------------------


def _commandes() -> list[list[str]]:
    groupe = typer.main.get_command(app)
    contexte = groupe.make_context("passerelle", [], resilient_parsing=True)
    chemins: list[list[str]] = []

    def parcourir(commande: Any, chemin: list[str]) -> None:
        chemins.append(chemin)
        if hasattr(commande, "list_commands"):
            for nom in commande.list_commands(contexte):
                parcourir(commande.get_command(contexte, nom), [*chemin, nom])

    parcourir(groupe, [])
    return chemins


def test_chaque_commande_et_chaque_option_ont_une_aide_en_francais() -> None:
    chemins = _commandes()
    assert len(chemins) > 30 and ["exemple"] in chemins and ["boite", "acquitter"] in chemins
    groupe = typer.main.get_command(app)
    contexte = groupe.make_context("passerelle", [], resilient_parsing=True)
    for chemin in chemins:
        commande = groupe
        for nom in chemin:
            commande = commande.get_command(contexte, nom)
        assert (commande.help or "").strip(), f"passerelle {' '.join(chemin)}: commande sans description"
        for parametre in commande.params:
            assert (parametre.help or "").strip(), f"passerelle {' '.join(chemin)}: {parametre.name} sans aide"
        resultat = _invoquer(*chemin, "--help")
        assert resultat.exit_code == 0, resultat.output
        page = resultat.stdout
        assert page.startswith("Utilisation : passerelle"), page
        assert "afficher cette aide et quitter" in page
        for mot in ANGLAIS:
            assert not re.search(rf"(?<![\w]){re.escape(mot)}(?![\w])", page), f"passerelle {' '.join(chemin)} --help: « {mot} »\n{page}"
        for parametre in commande.params:
            for option in getattr(parametre, "opts", []):
                if option.startswith("-"):
                    assert option in page


def test_aide_de_serve_et_d_envoyer() -> None:
    page = _invoquer("serve", "--help").stdout
    assert "--hote TEXTE" in page and "adresse d'écoute" in page and "--port ENTIER" in page
    page = _invoquer("envoyer", "--help").stdout
    assert "FLUX" in page and "le flux du message" in page and "[obligatoire]" in page
    assert "variable: PASSERELLE_URL" in page and "défaut: http://127.0.0.1:8000" in page
    assert _invoquer().stdout.startswith("Utilisation : passerelle")  # bare command: its help


# --- usage mistakes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["envoyer"], ["argument FLUX manquant", "passerelle envoyer --help"]),
        (["envoyer", "rdc", "x.json", "--agent", "a"], ["option --keyid obligatoire"]),
        (["envoyer", "rdc", "x.json", "--zut"], ["option inconnue: --zut"]),
        (["serve", "--port", "abc"], ["valeur invalide pour option --port", "nombre entier attendu"]),
        (["boite", "lire", "--keyid"], ["l'option --keyid attend une valeur"]),
        (["inconnue"], ["commande inconnue: inconnue", "passerelle --help"]),
        (["conventions", "lister", "--le", "01/01/2026"], ["date illisible", "AAAA-MM-JJ"]),
        (["exemple", "inconnu"], ["flux inconnu", "rdc"]),
        (["exemple", "cloture-rdc"], ["--en-reponse-a", "rdc"]),
        (["exemple", "avis-depot", "--lot", "3", "--en-reponse-a", "x"], ["pas de lot d'exemple"]),
        (["boite", "acquitter", "--keyid", "carsat-ra-dev-2026", "--agent", "a"], ["--depuis"]),
    ],
)
def test_erreur_d_usage(arguments: list[str], fragments: list[str]) -> None:
    _une_ligne(_invoquer(*arguments), Sortie.USAGE, *fragments)


# --- files -----------------------------------------------------------------------------------


def test_fichier_absent_ou_illisible(tmp_path: Path) -> None:
    cle = ["--keyid", "caf-042-dev-2026", "--agent", "a", "--config", str(RACINE / "config")]
    _une_ligne(_invoquer("envoyer", "rdc", str(tmp_path / "mon-rdc.json"), *cle), Sortie.FICHIER,
               "fichier introuvable", "passerelle exemple")
    _une_ligne(_invoquer("lots", "envoyer", "rdc", str(tmp_path / "lot.ndjson"), *cle), Sortie.FICHIER, "introuvable")
    _une_ligne(_invoquer("lots", "envoyer", "rdc", str(tmp_path), *cle), Sortie.FICHIER, "dossier")
    corps = tmp_path / "rdc.json"
    corps.write_text("{}")
    _une_ligne(_invoquer("envoyer", "rdc", str(corps), "--keyid", "inconnue", "--agent", "a"), Sortie.FICHIER,
               "clé privée introuvable", "--cle")
    pas_une_cle = tmp_path / "cle.pem"
    pas_une_cle.write_text("ceci n'est pas une clé")
    _une_ligne(_invoquer("envoyer", "rdc", str(corps), "--keyid", "k", "--cle", str(pas_une_cle), "--agent", "a"),
               Sortie.FICHIER, "clé privée illisible")
    _une_ligne(_invoquer("boite", "acquitter", "--depuis", str(corps), *cle), Sortie.FICHIER, "pas une page de boîte")
    existe = tmp_path / "secrets.yaml"
    existe.write_text("x")
    _une_ligne(_invoquer("secrets", "generer", str(existe), "--keyid", "x"), Sortie.FICHIER, "existe déjà")
    _une_ligne(_invoquer("journal", "verifier", str(tmp_path / "export-absent")), Sortie.FICHIER, "export-absent")


# --- the gateway is not there ----------------------------------------------------------------


@pytest.mark.parametrize(
    "commande",
    [
        ["envoyer", "rdc", "CORPS", "--keyid", "caf-042-dev-2026"],
        ["boite", "lire", "--keyid", "carsat-ra-dev-2026"],
        ["boite", "acquitter", "3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f", "--keyid", "carsat-ra-dev-2026"],
        ["lots", "envoyer", "rdc", "CORPS", "--keyid", "caf-042-dev-2026"],
    ],
)
def test_passerelle_injoignable(commande: list[str], tmp_path: Path) -> None:
    corps = tmp_path / "rdc.json"
    corps.write_text("{}")
    url = f"http://127.0.0.1:{port_libre()}"
    arguments = [str(corps) if a == "CORPS" else a for a in commande]
    _une_ligne(_invoquer(*arguments, "--agent", "a", "--url", url, "--config", str(RACINE / "config")),
               Sortie.INJOIGNABLE, "injoignable", url, "passerelle serve --developpement", "--url")


# --- settings, configuration, development material -------------------------------------------


@pytest.mark.parametrize(
    ("variable", "valeur", "fragment"),
    [
        ("PASSERELLE_PORT", "abc", "PASSERELLE_PORT='abc': nombre entier attendu"),
        ("PASSERELLE_FENETRE_SIGNATURE", "-1", "PASSERELLE_FENETRE_SIGNATURE='-1': au moins 1"),
        ("PASSERELLE_MODE", "essai", "PASSERELLE_MODE='essai': valeurs admises"),
        ("PASSERELLE_TRAVAUX_DE_FOND", "peut-etre", "booléen attendu"),
    ],
)
def test_reglage_invalide(variable: str, valeur: str, fragment: str, tmp_path: Path) -> None:
    resultat = _invoquer("serve", "--base", f"sqlite:///{tmp_path / 'p.db'}", env={variable: valeur})
    _une_ligne(resultat, Sortie.CONFIGURATION, "réglage invalide", fragment)
    # The same refusal from another command that builds the settings.
    _une_ligne(_invoquer("journal", "sequencer", env={variable: valeur}), Sortie.CONFIGURATION,
               fragment)


def test_configuration_invalide(config: Path, tmp_path: Path) -> None:
    (config / "annuaire" / "organismes.yaml").write_text("organismes: [ {code: caf-042, type: caf\n")
    base = ["--base", f"sqlite:///{tmp_path / 'p.db'}", "--config", str(config)]
    _une_ligne(_invoquer("serve", "--developpement", *base), Sortie.CONFIGURATION, "démarrage refusé")
    _une_ligne(_invoquer("cles", "lister", "--config", str(config)), Sortie.CONFIGURATION, "organismes.yaml")


def test_materiel_de_developpement_hors_mode_developpement(tmp_path: Path) -> None:
    base = ["--base", f"sqlite:///{tmp_path / 'p.db'}", "--config", str(RACINE / "config")]
    for commande in (["serve"], ["auditeurs", "creer", "a-durand", "--nom", "Anne Durand", "--tous"],
                     ["journal", "sequencer"], ["livraisons", "lister"]):
        ligne = _une_ligne(_invoquer(*commande, *base, env={"PASSERELLE_MODE": "production"}), Sortie.DEVELOPPEMENT,
                           "développement", "ajoutez --developpement")
        assert "docs" not in ligne or "--developpement" in ligne
    # With the flag, the same command as docs/auditeurs.md works on the example set-up.
    cree = _invoquer("auditeurs", "creer", "a-durand", "--nom", "Anne Durand", "--tous", "--developpement", "--json", *base)
    assert cree.exit_code == 0, cree.output
    assert json.loads(cree.stdout)["jeton"].startswith("a-durand.")


def test_base_injoignable(tmp_path: Path) -> None:
    resultat = _invoquer("auditeurs", "lister", "--base", f"postgresql+psycopg://postgres@127.0.0.1:{port_libre()}/x")
    _une_ligne(resultat, Sortie.BASE, "base de données injoignable", "--base")


def test_erreur_interne_une_ligne_et_trace_sur_demande(monkeypatch: pytest.MonkeyPatch) -> None:
    import passerelle.catalogue.commande as commande

    def casse(*_: Any, **__: Any) -> str:
        raise RuntimeError("boum")

    monkeypatch.setattr(commande, "ecrire_exemple", casse)
    _une_ligne(_invoquer("exemple", "rdc"), Sortie.INTERNE, "erreur interne inattendue", "--trace",
               "RuntimeError: boum", bug=True)
    avec_trace = _invoquer("exemple", "rdc", "--trace")
    assert avec_trace.exit_code == Sortie.INTERNE and "Traceback" in avec_trace.stderr


# --- the listening port ----------------------------------------------------------------------


def test_port_occupe_refuse_avant_en_ecoute(tmp_path: Path) -> None:
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        port = occupant.getsockname()[1]
        resultat = subprocess.run(
            [sys.executable, "-m", "passerelle.cli", "serve", "--developpement", "--port", str(port),
             "--base", f"sqlite:///{tmp_path / 'p.db'}", "--config", str(RACINE / "config")],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )
    ligne = _une_ligne(resultat, Sortie.ADRESSE_OCCUPEE, f"le port {port} est déjà occupé", "--port")
    assert "en écoute" not in resultat.stderr + resultat.stdout and "address already in use" not in ligne
    assert not (tmp_path / "p.db").exists()  # refused before anything was opened


# --- against a real gateway ------------------------------------------------------------------


def _client(passerelle: PasserelleProcessus, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passerelle.cli", *arguments, "--url", passerelle.url, "--config", str(passerelle.config)],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )


def test_lot_en_partie_refuse_sort_en_8_et_acquittement_d_une_page(passerelle_processus: PasserelleProcessus,
                                                                   tmp_path: Path) -> None:
    lot = tmp_path / "lot.ndjson"
    ecrit = subprocess.run([sys.executable, "-m", "passerelle.cli", "exemple", "rdc", "--lot", "3", "--format", "ndjson",
                            "--sortie", str(lot), "--config", str(passerelle_processus.config)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert ecrit.returncode == 0, ecrit.stderr
    lignes = lot.read_text().splitlines()
    lot.write_text("\n".join([*lignes, json.dumps(dict(json.loads(lignes[0]), nir_assure="123"))]) + "\n")
    envoi = _client(passerelle_processus, "lots", "envoyer", "rdc", str(lot), "--keyid", "caf-042-dev-2026",
                    "--agent", "batch.retraite", "--resultats", str(tmp_path / "r.ndjson"), cwd=tmp_path)
    assert envoi.returncode == Sortie.LOT_REFUSES, envoi.stdout + envoi.stderr
    resume = json.loads(envoi.stdout)
    assert (resume["acceptees"], resume["refusees"]) == (3, 1), resume
    assert "1 ligne(s) refusée(s)" in envoi.stderr and "Traceback" not in envoi.stderr

    page = tmp_path / "boite.json"
    lue = _client(passerelle_processus, "boite", "lire", "--keyid", "carsat-ra-dev-2026", "--agent", "jean.petit",
                  "--sortie", str(page), cwd=tmp_path)
    assert lue.returncode == 0, lue.stderr
    ids = [m["id"] for m in json.loads(page.read_text())["messages"]]
    assert len(ids) == 3 and "--depuis" in lue.stderr
    acquit = _client(passerelle_processus, "boite", "acquitter", "--depuis", str(page), "--keyid",
                     "carsat-ra-dev-2026", "--agent", "jean.petit", cwd=tmp_path)
    assert acquit.returncode == 0, acquit.stderr
    assert [a["id"] for a in json.loads(acquit.stdout)] == ids
    assert {a["statut"] for a in json.loads(acquit.stdout)} == {"acquitte"}
    vide = _client(passerelle_processus, "boite", "lire", "--keyid", "carsat-ra-dev-2026", "--agent", "jean.petit",
                   cwd=tmp_path)
    assert json.loads(vide.stdout)["messages"] == []
