"""A real gateway process for the integrators' tests: what a Java, Node or shell client, or the
README's commands, talk to. ``passerelle serve --developpement`` on a free port, on SQLite and on
PostgreSQL (the ``url_base`` fixture), with a private copy of ``config/`` and the system clock —
the clients sign with the system clock too, as they would in production."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

RACINE = Path(__file__).resolve().parents[2]
SOUS_CI = os.environ.get("CI", "").lower() == "true"


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outil_manquant(raison: str, paquet: str) -> None:
    """A missing toolchain is said, and fails under CI (CI=true, set by .ci/run): never a silent skip."""
    if SOUS_CI:
        pytest.fail(f"{raison} — exigé sous CI (CI=true): .ci/run installe le paquet Debian {paquet}")
    pytest.skip(f"{raison} (apt-get install {paquet})")


@dataclass
class PasserelleProcessus:
    url: str
    config: Path
    dossier: Path
    journal: Path

    def cle(self, keyid: str) -> Path:
        return self.config / "developpement" / "cles" / f"{keyid}.pem"


def demarrer(url_base: str, dossier: Path, *, config: Path | None = None) -> tuple[subprocess.Popen[bytes], PasserelleProcessus]:
    if config is None:
        config = dossier / "config"
        shutil.copytree(RACINE / "config", config)
    port = port_libre()
    url = f"http://127.0.0.1:{port}"
    journal = dossier / "serveur.log"
    with journal.open("wb") as sortie:
        processus = subprocess.Popen(
            [sys.executable, "-m", "passerelle.cli", "serve", "--developpement", "--port", str(port),
             "--base", url_base, "--config", str(config)],
            stdout=sortie, stderr=subprocess.STDOUT, cwd=dossier,
            env={**os.environ, "PASSERELLE_RELECTURE_ANNUAIRE": "0"},
        )
    limite = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/sante", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if processus.poll() is not None or time.monotonic() > limite:
            processus.kill()
            raise AssertionError("la passerelle n'a pas démarré: " + journal.read_text(errors="replace"))
        time.sleep(0.1)
    return processus, PasserelleProcessus(url=url, config=config, dossier=dossier, journal=journal)


def arreter(processus: subprocess.Popen[bytes]) -> None:
    processus.terminate()
    try:
        processus.wait(timeout=15)
    except subprocess.TimeoutExpired:
        processus.kill()
        processus.wait(timeout=5)


@pytest.fixture
def passerelle_processus(url_base: str, tmp_path: Path) -> Iterator[PasserelleProcessus]:
    processus, passerelle = demarrer(url_base, tmp_path)
    try:
        yield passerelle
    finally:
        arreter(processus)
