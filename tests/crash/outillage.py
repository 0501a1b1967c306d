"""What the crash and outage tests need: the gateway as a real process that can be SIGKILLed
and restarted, a deduping push receiver that can fail and come back, and a view of the base."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
import yaml
from sqlalchemy.pool import NullPool

from passerelle.secrets_deploiement import charger_secrets
from passerelle.signature.base import MessageHttp
from passerelle.signature.verification import verifier_requete

RACINE = Path(__file__).resolve().parents[2]

# Short technical delays so that a run takes seconds: the lease of a delivery claimed by the
# killed process runs out after 2 s, retries come back within a second.
ENVIRONNEMENT_RAPIDE = {
    "PASSERELLE_LIVRAISON_INTERVALLE": "0.05",
    "PASSERELLE_LIVRAISON_BAIL": "2",
    "PASSERELLE_LIVRAISON_DELAI_BASE": "0.2",
    "PASSERELLE_LIVRAISON_DELAI_MAX": "1",
    "PASSERELLE_LIVRAISON_TENTATIVES_MAX": "1000",
    "PASSERELLE_LOT_TRANCHE": "200",
}


def port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def attendre(condition: Callable[[], bool], delai: float, quoi: str, pas: float = 0.05) -> None:
    """Bounded polling: no fixed sleep, a precise failure."""
    limite = time.monotonic() + delai
    while time.monotonic() < limite:
        if condition():
            return
        time.sleep(pas)
    raise AssertionError(f"délai de {delai} s dépassé: {quoi}")


def pousser_vers(config: Path, code: str, url: str) -> None:
    chemin = config / "annuaire" / "organismes.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    for organisme in contenu["organismes"]:
        if organisme["code"] == code:
            organisme["connecteur"] = {"type": "http", "url": url, "timeout": 5, "concurrence": 32}
    chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True))


class RecepteurDedoublonnant:
    """A caisse's push endpoint: checks the gateway's signature, keeps each message id once,
    counts every delivery; ``en_panne`` answers 503 (the caisse is in maintenance)."""

    def __init__(self, config: Path) -> None:
        secrets = charger_secrets(config / "developpement" / "secrets.yaml", developpement=True)
        self._publique = secrets.cle_signature.public_key()
        self._verrou = threading.Lock()
        self.messages: dict[str, dict[str, Any]] = {}
        self.livraisons: Counter[str] = Counter()
        self.refus: list[str] = []
        self.en_panne = False
        self.reponses_503 = 0

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        corps = b""
        while True:
            evenement = await receive()
            corps += evenement.get("body", b"")
            if not evenement.get("more_body"):
                break
        if self.en_panne:
            with self._verrou:
                self.reponses_503 += 1
            await _repondre(send, 503, {"code": "maintenance"})
            return
        entetes = {n.decode("latin-1").lower(): v.decode("latin-1") for n, v in scope["headers"]}
        try:
            verifier_requete(MessageHttp(scope["method"], scope["raw_path"].decode().split("?")[0],
                                         scope["query_string"].decode(), entetes),
                             corps, lambda _keyid: self._publique, int(time.time()))
        except Exception as exc:  # noqa: BLE001 — any refusal is counted and fails the test
            with self._verrou:
                self.refus.append(getattr(exc, "code", repr(exc)))
            await _repondre(send, 401, {"code": "signature"})
            return
        message = json.loads(corps)
        with self._verrou:
            self.livraisons[message["id"]] += 1
            premier = message["id"] not in self.messages
            self.messages.setdefault(message["id"], message)
        await _repondre(send, 201 if premier else 409, {"accuse": "AR-" + message["id"][:8]})


async def _repondre(send, statut: int, corps: dict) -> None:  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": statut, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(corps).encode()})


class ServeurSurPort:
    """uvicorn in a thread on a fixed port, that can be stopped (connection refused) and restarted."""

    def __init__(self, application: Any, port: int) -> None:
        self.application, self.port = application, port
        self._serveur: uvicorn.Server | None = None
        self._fil: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def demarrer(self) -> None:
        self._serveur = uvicorn.Server(uvicorn.Config(self.application, host="127.0.0.1", port=self.port,
                                                      log_level="warning", lifespan="off"))
        self._fil = threading.Thread(target=self._serveur.run, daemon=True)
        self._fil.start()
        attendre(lambda: bool(self._serveur and self._serveur.started), 10, "démarrage du récepteur")

    def arreter(self) -> None:
        if self._serveur is not None and self._fil is not None:
            self._serveur.should_exit = True
            self._fil.join(timeout=10)
            self._serveur = self._fil = None


class PasserelleProcessus:
    """``passerelle serve --developpement`` as a child process on a given base and config."""

    def __init__(self, url_base: str, config: Path, dossier: Path, env: dict[str, str] | None = None) -> None:
        self.url_base, self.config, self.dossier = url_base, config, dossier
        self.port = port_libre()
        self.env = {**os.environ, **ENVIRONNEMENT_RAPIDE, **(env or {})}
        self.processus: subprocess.Popen[bytes] | None = None
        self.demarrages = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def demarrer(self) -> None:
        self.demarrages += 1
        journal = (self.dossier / f"passerelle-{self.demarrages}.log").open("wb")
        self.processus = subprocess.Popen(
            [sys.executable, "-m", "passerelle.cli", "serve", "--developpement", "--port", str(self.port),
             "--base", self.url_base, "--config", str(self.config)],
            stdout=journal, stderr=subprocess.STDOUT, cwd=RACINE, env=self.env,
        )
        journal.close()

        def prete() -> bool:
            assert self.processus is not None
            if self.processus.poll() is not None:
                raise AssertionError("la passerelle s'est arrêtée: " + self.journal())
            try:
                return httpx.get(f"{self.url}/sante", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        attendre(prete, 60, "démarrage de la passerelle", pas=0.1)

    def journal(self) -> str:
        return (self.dossier / f"passerelle-{self.demarrages}.log").read_text("utf-8", "replace")[-3000:]

    def tuer(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was in flight is cut."""
        assert self.processus is not None
        self.processus.send_signal(signal.SIGKILL)
        self.processus.wait(10)

    def arreter(self) -> None:
        if self.processus is not None and self.processus.poll() is None:
            self.processus.terminate()
            try:
                self.processus.wait(15)
            except subprocess.TimeoutExpired:
                self.processus.kill()
                self.processus.wait()


class Base:
    """Reads of the gateway's base from the test process (no write lock taken)."""

    def __init__(self, url_base: str) -> None:
        self.moteur = sa.create_engine(url_base, poolclass=NullPool)

    def valeur(self, requete: str) -> Any:
        with self.moteur.connect() as c:
            return c.execute(sa.text(requete)).scalar()

    def lignes(self, requete: str) -> list[Any]:
        with self.moteur.connect() as c:
            return list(c.execute(sa.text(requete)).all())

    def fermer(self) -> None:
        self.moteur.dispose()
