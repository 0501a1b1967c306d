"""The gateway as a real process, driven by the reference client's CLI, as an integrator would:
`passerelle serve --developpement`, then `passerelle envoyer` and `passerelle boite ...`.
Also checks that the logs carry no personal data."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from tests.catalogue.exemples import exemple_rdc

RACINE = Path(__file__).resolve().parents[2]


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*arguments: str, config: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passerelle.cli", *arguments, "--url", url, "--config", str(config)],
        capture_output=True, text=True, timeout=60, cwd=RACINE,
    )


def test_serveur_reel_et_client_de_reference(config: Path, tmp_path: Path) -> None:
    port = _port_libre()
    url = f"http://127.0.0.1:{port}"
    journal_serveur = tmp_path / "serveur.log"
    with journal_serveur.open("w") as sortie:
        serveur = subprocess.Popen(
            [sys.executable, "-m", "passerelle.cli", "serve", "--developpement", "--port", str(port),
             "--base", f"sqlite:///{tmp_path / 'p.db'}", "--config", str(config)],
            stdout=sortie, stderr=subprocess.STDOUT, cwd=RACINE,
        )
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{url}/sante", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError("la passerelle n'a pas démarré: " + journal_serveur.read_text())

            donnees = exemple_rdc(aujourd_hui=date.today())
            fichier = tmp_path / "rdc.json"
            fichier.write_text(json.dumps(donnees))
            envoi = _cli("envoyer", "rdc", str(fichier), "--keyid", "caf-042-dev-2026", "--agent", "sophie.bernard", config=config, url=url)
            assert envoi.returncode == 0, envoi.stdout + envoi.stderr
            recu = json.loads(envoi.stdout)
            assert recu["statut"] == "recu" and recu["destinataire"] == "carsat-ra"

            boite = _cli("boite", "lire", "--keyid", "carsat-ra-dev-2026", "--agent", "jean.petit", config=config, url=url)
            assert boite.returncode == 0, boite.stderr
            assert [m["id"] for m in json.loads(boite.stdout)["messages"]] == [recu["id"]]
            acquit = _cli("boite", "acquitter", recu["id"], "--keyid", "carsat-ra-dev-2026", "--agent", "jean.petit", config=config, url=url)
            assert acquit.returncode == 0 and json.loads(acquit.stdout)["statut"] == "acquitte"

            mauvais = fichier.with_name("mauvais.json")
            mauvais.write_text(json.dumps(dict(donnees, nir_assure="123")))
            refus = _cli("envoyer", "rdc", str(mauvais), "--keyid", "caf-042-dev-2026", "--agent", "sophie.bernard", config=config, url=url)
            assert refus.returncode == 1 and json.loads(refus.stdout)["code"] == "nir_invalide"
        finally:
            serveur.terminate()
            serveur.wait(timeout=10)
    logs = journal_serveur.read_text()
    assert '"route": "/v1/flux/{flux}"' in logs and '"statut": 202' in logs
    for valeur in (donnees["nir_assure"], donnees["nom_assure"], donnees["email"]):
        assert valeur not in logs


def test_production_refuse_la_config_d_exemple(tmp_path: Path) -> None:
    resultat = subprocess.run(
        [sys.executable, "-m", "passerelle.cli", "serve", "--base", f"sqlite:///{tmp_path / 'p.db'}"],
        capture_output=True, text=True, timeout=60, cwd=RACINE, env={**os.environ, "PASSERELLE_MODE": "production"},
    )
    assert resultat.returncode == 6  # matériel de développement hors mode développement
    assert "développement" in resultat.stderr and "--developpement" in resultat.stderr
    assert "Traceback" not in resultat.stderr and len(resultat.stderr.strip().splitlines()) == 1
