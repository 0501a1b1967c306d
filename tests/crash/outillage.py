"""What the crash and outage tests need: the gateway as a real process that can be SIGKILLed
and restarted, a deduping push receiver that can fail and come back, signed load that retries
like a careful integrator, a private PostgreSQL cluster that can be stopped, a TCP black hole,
and a view of the base."""

from __future__ import annotations

import functools
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
import yaml
from sqlalchemy.pool import NullPool

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client import ClientPasserelle
from passerelle.secrets_deploiement import charger_secrets
from passerelle.signature.base import MessageHttp
from passerelle.signature.verification import verifier_requete
from tests.catalogue.exemples import exemple_rdc, naissance_dans_fenetre, nir_fictif

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

    def __init__(self, url_base: str, config: Path, dossier: Path, env: dict[str, str] | None = None,
                 nom: str = "passerelle") -> None:
        self.url_base, self.config, self.dossier, self.nom = url_base, config, dossier, nom
        self.port = port_libre()
        self.env = {**os.environ, **ENVIRONNEMENT_RAPIDE, **(env or {})}
        self.processus: subprocess.Popen[bytes] | None = None
        self.demarrages = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def demarrer(self) -> None:
        self.demarrages += 1
        journal = (self.dossier / f"{self.nom}-{self.demarrages}.log").open("wb")
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
        return (self.dossier / f"{self.nom}-{self.demarrages}.log").read_text("utf-8", "replace")[-3000:]

    def tuer(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was in flight is cut."""
        assert self.processus is not None
        self.processus.send_signal(signal.SIGKILL)
        self.processus.wait(10)

    @property
    def pid(self) -> int:
        assert self.processus is not None
        return self.processus.pid

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


# --------------------------------------------------------------------------- signed load


def client(url: str, config: Path, code: str = "caf-042", agent: str = "test.crash", timeout: float = 30) -> ClientPasserelle:
    cle = lire_privee_pem((config / "developpement" / "cles" / f"{code}-dev-2026.pem").read_bytes())
    return ClientPasserelle(url, cle, f"{code}-dev-2026", agent, timeout=timeout)


@functools.cache
def _naissance(aujourd_hui: date) -> date:
    return naissance_dans_fenetre("rdc", aujourd_hui)


def rdc(numero: int, prefixe: str, code_caf: str = "042") -> dict:  # type: ignore[type-arg]
    """A valid rdc for today, a distinct fictional person per number; from caf-042 to carsat-ra,
    or from another CAF routed by its territory (caf-075: cnav-idf)."""
    naissance = _naissance(date.today())
    commune, ordre = divmod(numero, 999)
    nir = nir_fictif(naissance, commune=f"{100 + commune % 800:03d}", ordre=f"{ordre + 1:03d}")
    surcharges: dict[str, Any] = {} if code_caf == "042" else {"code_caf": code_caf, "destinataire": None}
    return exemple_rdc(naissance=naissance, nir_assure=nir, reference=f"{prefixe}-{numero}", **surcharges)


def lot(lignes: int, prefixe: str = "lot", debut: int = 0) -> bytes:
    return b"".join(json.dumps(rdc(i, prefixe), ensure_ascii=False).encode() + b"\n" for i in range(debut, debut + lignes))


@dataclass
class Issues:
    """What the clients saw, shared by the load threads: every answer that was not a 202."""

    verrou: threading.Lock = field(default_factory=threading.Lock)
    coupures: int = 0  # connection refused, reset or closed before an answer: retried
    blocages: int = 0  # no answer within the client's timeout: a hang (must stay 0)
    indisponibles: list[float] = field(default_factory=list)  # seconds each 503 base_indisponible took
    autres: list[tuple[int, str | None]] = field(default_factory=list)  # anything else: a failure
    reponses: list[tuple[float, float, int]] = field(default_factory=list)  # (start, end, status) of each answer

    def noter(self, debut: float, statut: int, code: str | None = None) -> None:
        fin = time.monotonic()
        with self.verrou:
            self.reponses.append((debut, fin, statut))
            if statut == 503 and code == "base_indisponible":
                self.indisponibles.append(fin - debut)

    def coupure(self, exc: Exception) -> None:
        with self.verrou:
            if isinstance(exc, httpx.TimeoutException):
                self.blocages += 1
            else:
                self.coupures += 1


class FluxUnitaire(threading.Thread):
    """Single messages, one after the other, each with its own Idempotency-Key, spread over the
    given replicas. When the gateway does not answer (killed, stopping) or answers 503 (its base
    is down), the same message is sent again with the same key, to the next replica, until it is
    accepted: a message whose 202 was lost is then answered from the idempotency record, never
    accepted twice — what FLUX.md asks of a careful integrator."""

    def __init__(self, urls: str | Sequence[str], config: Path, *, code: str = "caf-042", debut: int = 100_000,
                 prefixe: str = "unitaire", issues: Issues | None = None, timeout: float = 30) -> None:
        super().__init__(daemon=True)
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.clients = [client(url, config, code, timeout=timeout) for url in self.urls]
        self.code_caf, self.debut, self.prefixe = code.removeprefix("caf-"), debut, prefixe
        self.arret = threading.Event()
        self.acceptes: dict[int, str] = {}
        self.tentatives = 0
        self.issues = issues or Issues()

    @property
    def coupures(self) -> int:
        return self.issues.coupures

    @property
    def autres(self) -> list[tuple[int, str | None]]:
        return self.issues.autres

    @property
    def renvois(self) -> int:
        """Messages sent more than once (same key) before their 202."""
        return self.tentatives - len(self.acceptes)

    def run(self) -> None:
        tour = itertools.count()
        for numero in itertools.count(self.debut):
            if self.arret.is_set():
                return
            donnees = rdc(numero, self.prefixe, self.code_caf)
            while True:
                cible = self.clients[next(tour) % len(self.clients)]
                self.tentatives += 1
                debut = time.monotonic()
                try:
                    reponse = cible.envoyer("rdc", donnees, cle_idempotence=f"{self.prefixe}-{numero}")
                except httpx.TransportError as exc:
                    self.issues.coupure(exc)
                    self.arret.wait(0.05)
                    continue
                self.issues.noter(debut, reponse.statut, reponse.donnees.get("code"))
                if reponse.statut == 202:
                    self.acceptes[numero] = reponse.donnees["id"]
                    break
                if reponse.statut == 503 and reponse.donnees.get("code") == "base_indisponible":
                    self.arret.wait(0.1)
                    continue
                with self.issues.verrou:
                    self.issues.autres.append((reponse.statut, reponse.donnees.get("code")))
                break


def verifier_journal(url_base: str, config: Path, dossier: Path, temoins: Sequence[bytes] = ()) -> Any:
    """Seal what remains, export, verify offline (passerelle/journal/); returns the report."""
    from passerelle.demo.resume import sceller_et_verifier

    verifie = sceller_et_verifier(url_base, config, dossier / "export", datetime.now(UTC), temoins)
    assert verifie.ok, verifie.alterations
    assert verifie.taille_prouvee == verifie.entrees > 0
    return verifie


# --------------------------------------------------------------------------- a private PostgreSQL


class GrappePostgresql:
    """A PostgreSQL cluster of the test's own — initdb in a temporary folder, a free port — that
    it may stop and start at will. The shared server on 5432 is never touched. The tests run as
    root and PostgreSQL refuses to: its commands run as the ``postgres`` user."""

    BINAIRES = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self.racine = Path(tempfile.mkdtemp(prefix="passerelle-grappe-"))
        shutil.chown(self.racine, "postgres")
        self.donnees = self.racine / "donnees"
        self.port = port_libre()
        self._executer("initdb", "-D", str(self.donnees), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync")

    @staticmethod
    def disponible() -> bool:
        return (GrappePostgresql.BINAIRES / "initdb").exists() and shutil.which("runuser") is not None

    def _executer(self, outil: str, *arguments: str) -> None:
        fini = subprocess.run(["runuser", "-u", "postgres", "--", str(self.BINAIRES / outil), *arguments],
                              capture_output=True, text=True, timeout=120, check=False)
        if fini.returncode != 0:
            raise AssertionError(f"{outil} a échoué: {fini.stdout}{fini.stderr}")

    def demarrer(self) -> None:
        options = f"-p {self.port} -k {self.racine} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._executer("pg_ctl", "-D", str(self.donnees), "-l", str(self.racine / "serveur.log"), "-w", "-t", "60",
                       "-o", options, "start")

    def arreter(self, mode: str = "fast") -> None:
        """``immediate``: as a crash (recovery at the next start); ``fast``: a clean stop."""
        self._executer("pg_ctl", "-D", str(self.donnees), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, base: str = "postgres", **parametres: str) -> str:
        requete = "&".join(f"{cle}={valeur}" for cle, valeur in parametres.items())
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{base}" + (f"?{requete}" if requete else "")

    def creer_base(self, nom: str) -> str:
        moteur = sa.create_engine(self.url(), poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with moteur.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{nom}"')
        finally:
            moteur.dispose()
        return self.url(nom)

    def detruire(self) -> None:
        try:
            self.arreter("immediate")
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(self.racine, ignore_errors=True)


# --------------------------------------------------------------------------- a TCP black hole


class MandataireTcp:
    """A TCP relay to ``cible`` that the test turns into a black hole: connections are still
    accepted, but nothing goes through any more, either way — what a client sees of a server
    behind a network partition or frozen (the kernel still acknowledges, nobody answers).
    ``transmettre()`` lets everything through again, what was held included."""

    def __init__(self, cible: tuple[str, int], port: int = 0) -> None:
        self.cible = cible
        self._ouvert = threading.Event()
        self._ouvert.set()
        self._ecoute = socket.create_server(("127.0.0.1", port))
        self.port = int(self._ecoute.getsockname()[1])
        self._fini = threading.Event()
        self._prises: list[socket.socket] = []
        threading.Thread(target=self._accepter, daemon=True).start()

    def trou_noir(self) -> None:
        self._ouvert.clear()

    def transmettre(self) -> None:
        self._ouvert.set()

    def _accepter(self) -> None:
        while not self._fini.is_set():
            try:
                entrante, _ = self._ecoute.accept()
            except OSError:
                return
            self._prises.append(entrante)
            threading.Thread(target=self._relier, args=(entrante,), daemon=True).start()

    def _relier(self, entrante: socket.socket) -> None:
        while not self._ouvert.wait(0.1):  # a new connection into the hole: accepted, never served
            if self._fini.is_set():
                return
        try:
            sortante = socket.create_connection(self.cible, timeout=5)
        except OSError:
            entrante.close()
            return
        self._prises.append(sortante)
        for de, vers in ((entrante, sortante), (sortante, entrante)):
            threading.Thread(target=self._pomper, args=(de, vers), daemon=True).start()

    def _pomper(self, de: socket.socket, vers: socket.socket) -> None:
        try:
            while not self._fini.is_set():
                if not self._ouvert.wait(0.1):
                    continue
                pret, _, _ = select.select([de], [], [], 0.1)
                if not pret:
                    continue
                if not self._ouvert.is_set():
                    continue  # closed meanwhile: hold the bytes in the kernel, unread
                donnees = de.recv(65536)
                if not donnees:
                    break
                vers.sendall(donnees)
        except OSError:
            pass
        finally:
            for prise in (de, vers):
                try:
                    prise.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def fermer(self) -> None:
        self._fini.set()
        self._ecoute.close()
        for prise in self._prises:
            try:
                prise.close()
            except OSError:
                pass
