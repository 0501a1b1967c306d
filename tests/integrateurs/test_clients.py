"""The reference clients of docs/clients/ — Java 17 (JDK alone), Node.js (standard modules) and
the shell recipe (curl + openssl) — each against a real gateway process, on SQLite and
PostgreSQL: send a flux (receipt verified against the JWKS), read the inbox (GET with a query),
acknowledge (POST without body), verify a kept receipt and refuse a tampered one.

A missing toolchain is said; under CI (CI=true) it fails, never skips (.ci/run installs
``default-jdk-headless`` and ``nodejs`` from Debian)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.catalogue.exemples import exemple
from passerelle.client import ClientPasserelle
from tests.catalogue.exemples import table_age_legal
from tests.integrateurs.conftest import RACINE, PasserelleProcessus, outil_manquant, port_libre

CLIENTS = RACINE / "docs" / "clients"
Lanceur = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def classes_java(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ClientPasserelle.java compiled by javac into a temporary folder (no Maven, no dependency)."""
    if shutil.which("javac") is None or shutil.which("java") is None:
        outil_manquant("JDK absent (javac, java)", "default-jdk-headless")
    sortie = tmp_path_factory.mktemp("classes-java")
    compilation = subprocess.run(["javac", "-Xlint:all", "-Werror", "-d", str(sortie), str(CLIENTS / "java" / "ClientPasserelle.java")],
                                 capture_output=True, text=True, timeout=300)
    assert compilation.returncode == 0, compilation.stderr
    version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    assert any(f'version "{v}' in version for v in ("17", "18", "19", "2")), version
    return sortie


def _lanceur(commande: list[str], passerelle: PasserelleProcessus) -> Lanceur:
    def lancer(*arguments: str, keyid: str = "caf-042-dev-2026", agent: str = "sophie.bernard",
               url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PASSERELLE_URL": url or passerelle.url, "PASSERELLE_KEYID": keyid,
               "PASSERELLE_CLE": str(passerelle.cle(keyid)), "PASSERELLE_AGENT": agent}
        return subprocess.run([*commande, *arguments], capture_output=True, text=True, timeout=120, env=env,
                              cwd=passerelle.dossier)

    return lancer


def _recu_python(passerelle: PasserelleProcessus) -> tuple[int, dict[str, str], bytes]:
    """A receipt obtained with the Python reference client: status, headers, body."""
    cle = lire_privee_pem(passerelle.cle("caf-042-dev-2026").read_bytes())
    with ClientPasserelle(passerelle.url, cle, "caf-042-dev-2026", "sophie.bernard") as client:
        corps = exemple("passage-retraite", datetime.now(timezone.utc).date(), table_age_legal())
        recu = client.envoyer("passage-retraite", corps)
    assert recu.statut == 202
    return recu.statut, recu.entetes, recu.corps


def _parcours(lancer: Lanceur, passerelle: PasserelleProcessus, verifier: Callable[[int, dict[str, str], bytes], list[str]]) -> None:
    corps = passerelle.dossier / "rdc.json"
    corps.write_text(json.dumps(exemple("rdc", datetime.now(timezone.utc).date(), table_age_legal()), ensure_ascii=False),
                     encoding="utf-8")
    envoi = lancer("envoyer", "rdc", str(corps))
    assert envoi.returncode == 0, envoi.stdout + envoi.stderr
    recu = json.loads(envoi.stdout)
    assert recu["statut"] == "recu" and recu["destinataire"] == "carsat-ra" and recu["emetteur"] == "caf-042"

    boite = lancer("boite", keyid="carsat-ra-dev-2026", agent="jean.petit")
    assert boite.returncode == 0, boite.stderr
    assert recu["id"] in [m["id"] for m in json.loads(boite.stdout)["messages"]]
    acquit = lancer("acquitter", recu["id"], keyid="carsat-ra-dev-2026", agent="jean.petit")
    assert acquit.returncode == 0, acquit.stderr
    assert json.loads(acquit.stdout)["statut"] == "acquitte" and json.loads(acquit.stdout)["deja_acquitte"] is False
    encore = lancer("acquitter", recu["id"], keyid="carsat-ra-dev-2026", agent="jean.petit")
    assert json.loads(encore.stdout)["deja_acquitte"] is True
    inconnu = lancer("acquitter", "00000000-0000-4000-8000-000000000000", keyid="carsat-ra-dev-2026", agent="jean.petit")
    assert inconnu.returncode == 1 and json.loads(inconnu.stdout)["code"] == "message_inconnu"
    refuse = lancer("envoyer", "rdc", str(corps), keyid="carsat-ra-dev-2026")  # a Carsat may not send rdc
    assert refuse.returncode == 1 and json.loads(refuse.stdout)["status"] == 403

    # The gateway saw the same thing.
    cle = lire_privee_pem(passerelle.cle("caf-042-dev-2026").read_bytes())
    with ClientPasserelle(passerelle.url, cle, "caf-042-dev-2026", "sophie.bernard") as client:
        assert client.message(recu["id"]).donnees["statut"] == "acquitte"

    # A kept receipt verifies; the same with one byte of its body changed does not.
    statut, entetes, octets = _recu_python(passerelle)
    bon = lancer(*verifier(statut, entetes, octets))
    assert bon.returncode == 0 and "passerelle-dev-2026" in bon.stdout + bon.stderr, bon.stdout + bon.stderr
    falsifie = octets.replace(b'"recu"', b'"RECU"')
    assert falsifie != octets
    mauvais = lancer(*verifier(statut, entetes, falsifie))
    assert mauvais.returncode == 9, mauvais.stdout + mauvais.stderr
    assert "NON VÉRIFIÉ" in mauvais.stderr or "Content-Digest ne correspond pas" in mauvais.stderr

    injoignable = lancer("boite", url=f"http://127.0.0.1:{port_libre()}")
    assert injoignable.returncode == 4 and "injoignable" in injoignable.stderr


def _verifier_par_arguments(dossier: Path) -> Callable[[int, dict[str, str], bytes], list[str]]:
    def arguments(statut: int, entetes: dict[str, str], corps: bytes) -> list[str]:
        fichier = dossier / f"recu-{len(list(dossier.glob('recu-*')))}.json"
        fichier.write_bytes(corps)
        return ["verifier", str(statut), entetes["signature-input"], entetes["signature"], entetes["content-digest"], str(fichier)]

    return arguments


def test_client_java(passerelle_processus: PasserelleProcessus, classes_java: Path) -> None:
    lancer = _lanceur(["java", "-cp", str(classes_java), "ClientPasserelle"], passerelle_processus)
    _parcours(lancer, passerelle_processus, _verifier_par_arguments(passerelle_processus.dossier))


def test_client_node(passerelle_processus: PasserelleProcessus) -> None:
    if shutil.which("node") is None:
        outil_manquant("Node.js absent (node)", "nodejs")
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    assert int(version.lstrip("v").split(".")[0]) >= 18, version
    lancer = _lanceur(["node", str(CLIENTS / "node" / "client-passerelle.mjs")], passerelle_processus)
    _parcours(lancer, passerelle_processus, _verifier_par_arguments(passerelle_processus.dossier))


def test_recette_shell(passerelle_processus: PasserelleProcessus) -> None:
    for outil, paquet in (("curl", "curl"), ("openssl", "openssl"), ("base64", "coreutils")):
        if shutil.which(outil) is None:
            outil_manquant(f"{outil} absent", paquet)
    dossier = passerelle_processus.dossier

    def arguments(statut: int, entetes: dict[str, str], corps: bytes) -> list[str]:
        rang = len(list(dossier.glob("entetes-*")))
        fichier_entetes, fichier_corps = dossier / f"entetes-{rang}.txt", dossier / f"corps-{rang}.json"
        fichier_entetes.write_text(f"HTTP/1.1 {statut} Accepted\r\n" + "".join(f"{k}: {v}\r\n" for k, v in entetes.items()) + "\r\n")
        fichier_corps.write_bytes(corps)
        return ["verifier", str(fichier_entetes), str(fichier_corps)]

    lancer = _lanceur(["sh", str(CLIENTS / "shell" / "passerelle.sh")], passerelle_processus)
    _parcours(lancer, passerelle_processus, arguments)

    # The JWKS → PEM conversion of the recipe gives the gateway's public key.
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from passerelle.client.client import cles_jwks
    import httpx

    cle = cles_jwks(httpx.get(f"{passerelle_processus.url}/.well-known/jwks.json").json())["passerelle-dev-2026"]
    pem = lancer("cle-pem", "passerelle-dev-2026")
    assert pem.returncode == 0 and pem.stdout == cle.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
