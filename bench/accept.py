#!/usr/bin/env python
"""Benchmark of the gateway's accept path against a verify-only endpoint, in one run.

Measures ``POST /v1/flux/rdc`` → 202 + signed receipt (RFC 9421 parsing, Content-Digest, replay
cache, directory, convention, validation, encryption, journal, durable commit, receipt) against
``bench/verification_seule.py``, a bare FastAPI route that only checks an Ed25519 signature over
the body. Both run as real ``uvicorn`` processes built by ``passerelle.serveur`` (the server of
``passerelle serve``, with its header and timeout limits); rounds alternate
between them (ABBA order) so machine noise spreads over both; medians are quoted.

Every request is signed before the clock starts (client-side signing is not measured), with
a fresh nonce each, in lots small enough that ``created`` stays inside the gateway's window.
Every response status is checked: a run with any non-202 answer is reported as invalid
(exit status 1). This script prints figures; it asserts no timing.

    python bench/accept.py [--requetes 2000] [--tours 5] [--concurrence 8]
    python bench/accept.py --base postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RACINE = Path(__file__).resolve().parent.parent
if str(RACINE) not in sys.path:
    sys.path.insert(0, str(RACINE))

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from passerelle.annuaire.cles import lire_privee_pem, publique_texte
from passerelle.client.client import cles_jwks
from passerelle.signature.base import MessageHttp
from passerelle.signature.signature import signer_requete
from passerelle.signature.verification import verifier_reponse
from tests.catalogue.exemples import exemple_rdc

KEYID = "caf-042-dev-2026"
AGENT = "bench.accept@caf-042"
FLUX = "rdc"
CHEMIN = f"/v1/flux/{FLUX}"
FENETRE_SIGNATURE = 300  # the gateway's default window for `created`, seconds
BUDGET_LOT = 120.0  # a lot signed at once must be sent within this many seconds (window 300 s)
ENTETE_SIGNATURE_CORPS = "X-Signature-Corps"  # read by bench/verification_seule.py
PASSERELLE = "passerelle"
NUE = "vérification seule"


# --------------------------------------------------------------------------- servers


@dataclass
class Serveur:
    nom: str
    processus: subprocess.Popen[bytes]
    url: str
    journal: Path  # the server's stdout + stderr

    def cpu(self) -> tuple[float, float]:
        """CPU seconds (user, system; all threads) used so far by the server process."""
        champs = Path(f"/proc/{self.processus.pid}/stat").read_text().rsplit(")", 1)[1].split()
        tic = os.sysconf("SC_CLK_TCK")
        return int(champs[11]) / tic, int(champs[12]) / tic

    def fin_du_journal(self, lignes: int = 20) -> str:
        try:
            return "\n".join(self.journal.read_text(errors="replace").splitlines()[-lignes:])
        except OSError:
            return "(journal illisible)"


@dataclass
class Grappe:
    """N gateway replicas on the same PostgreSQL base, measured as one server: each raw
    connection goes to the next replica in turn, CPU is summed over the processes."""

    nom: str
    repliques: list[Serveur]

    @property
    def url(self) -> str:
        return self.repliques[0].url

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.repliques]

    def cpu(self) -> tuple[float, float]:
        mesures = [r.cpu() for r in self.repliques]
        return sum(u for u, _ in mesures), sum(s for _, s in mesures)

    def fin_du_journal(self, lignes: int = 20) -> str:
        return "\n".join(r.fin_du_journal(lignes) for r in self.repliques)


def cpu_postgresql() -> float:
    """CPU seconds used so far by every ``postgres`` process of the machine (0 without any):
    what the database costs per request, beside the gateway's own CPU."""
    total = 0
    for dossier in Path("/proc").iterdir():
        if not dossier.name.isdigit():
            continue
        try:
            texte = (dossier / "stat").read_text()
        except OSError:
            continue
        nom, reste = texte.split("(", 1)[1].rsplit(")", 1)
        if nom == "postgres":
            champs = reste.split()
            total += int(champs[11]) + int(champs[12])
    return total / os.sysconf("SC_CLK_TCK")


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lancer(nom: str, cible: str, environnement: dict[str, str], dossier: Path,
           coeurs: set[int] | None = None) -> Serveur:
    """One uvicorn process built as ``passerelle serve`` builds it (passerelle/serveur/: one
    worker, bounded protocol, log level warning, no access log), the same for both servers."""
    port = _port_libre()
    journal = dossier / f"{nom.replace(' ', '-').replace('é', 'e')}.log"
    commande = [
        sys.executable, "-m", "passerelle.serveur", cible,
        "--hote", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    env = os.environ.copy()
    env.update(environnement)
    with journal.open("wb") as sortie:
        processus = subprocess.Popen(
            commande,
            cwd=RACINE,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sortie,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the servers ourselves
            preexec_fn=(lambda: os.sched_setaffinity(0, coeurs)) if coeurs else None,
        )
    return Serveur(nom, processus, f"http://127.0.0.1:{port}", journal)


def attendre(serveur: Serveur, *, exiger_200: bool, delai: float = 90.0) -> dict[str, Any]:
    """Poll ``/sante`` until it answers (200 for the gateway; any answer for the bare app)."""
    limite = time.monotonic() + delai
    derniere = "pas de réponse"
    with httpx.Client(base_url=serveur.url, timeout=5.0) as client:
        while time.monotonic() < limite:
            if serveur.processus.poll() is not None:
                raise RuntimeError(
                    f"{serveur.nom}: le serveur s'est arrêté (code {serveur.processus.returncode})\n"
                    + serveur.fin_du_journal()
                )
            try:
                reponse = client.get("/sante")
            except httpx.TransportError as exc:
                derniere = type(exc).__name__
            else:
                if reponse.status_code == 200 or not exiger_200:
                    return reponse.json() if reponse.status_code == 200 else {}
                derniere = f"HTTP {reponse.status_code}: {reponse.text[:200]}"
            time.sleep(0.1)
    raise RuntimeError(
        f"{serveur.nom}: /sante ne répond pas après {delai:.0f} s ({derniere})\n" + serveur.fin_du_journal()
    )


def _entrees_integrees(serveur: Serveur, attendu: int, delai: float = 10.0) -> int:
    """``passerelle_journal_entrees_integrees`` of /metrics, waited for up to ``delai`` seconds to
    reach ``attendu``: proof that the background workers ran during the bench."""
    limite = time.monotonic() + delai
    with httpx.Client(base_url=serveur.url, timeout=5.0) as client:
        while True:
            valeur = 0
            for ligne in client.get("/metrics").text.splitlines():
                if ligne.startswith("passerelle_journal_entrees_integrees "):
                    valeur = int(float(ligne.split()[1]))
            if valeur >= attendu or time.monotonic() > limite:
                return valeur
            time.sleep(0.5)


def arreter(serveur: Serveur) -> None:
    processus = serveur.processus
    if processus.poll() is not None:
        return
    processus.terminate()
    try:
        processus.wait(timeout=15)
    except subprocess.TimeoutExpired:
        processus.kill()
        processus.wait()


def espionner(serveur: Serveur, sortie: Path, *, mode: str, dossier: Path) -> subprocess.Popen[bytes]:
    """Attach py-spy to the server: collapsed stacks, one line per stack, for resume_profil.py."""
    executable = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    commande = [
        executable, "record", "--pid", str(serveur.processus.pid), "--format", "raw",
        "--rate", "200", "--threads", "--output", str(sortie.resolve()),
    ]  # fmt: skip
    commande += {"gil": ["--gil"], "actif": [], "attente": ["--idle"]}[mode]
    with (dossier / "py-spy.log").open("wb") as journal:
        espion = subprocess.Popen(
            commande, stdin=subprocess.DEVNULL, stdout=journal, stderr=subprocess.STDOUT, start_new_session=True
        )
    time.sleep(1.0)
    if espion.poll() is not None:
        raise RuntimeError(f"py-spy n'a pas pu s'attacher: {(dossier / 'py-spy.log').read_text(errors='replace')}")
    return espion


# --------------------------------------------------------------------------- load


@dataclass
class Charge:
    """What both servers receive: the same body, headers signed by the project's signer."""

    cle: Ed25519PrivateKey
    corps: bytes
    signature_corps: str  # for the bare endpoint: base64 Ed25519 signature of the body

    def lot(self, n: int, *, nue: bool) -> list[dict[str, str]]:
        """``n`` requests' headers, each with a fresh nonce, ``created`` = now."""
        maintenant = int(time.time())
        lot = []
        for _ in range(n):
            entetes = {"Content-Type": "application/json", "Passerelle-Agent": AGENT}
            entetes.update(
                signer_requete(
                    methode="POST",
                    chemin=CHEMIN,
                    requete="",
                    entetes=entetes,
                    corps=self.corps,
                    cle=self.cle,
                    keyid=KEYID,
                    maintenant=maintenant,
                    nonce=secrets.token_urlsafe(16),
                )
            )
            if nue:  # same header set as the gateway's requests, plus the bare signature
                entetes[ENTETE_SIGNATURE_CORPS] = self.signature_corps
            lot.append(entetes)
        return lot


@dataclass
class Mesure:
    serveur: str
    requetes: int = 0
    duree: float = 0.0
    latences: list[float] = field(default_factory=list)
    erreurs: collections.Counter[tuple[object, str]] = field(default_factory=collections.Counter)
    cpu_serveur: float = 0.0  # user + system
    cpu_serveur_systeme: float = 0.0
    cpu_client: float = 0.0
    cpu_base: float = 0.0  # PostgreSQL's processes
    exemple: httpx.Response | None = None

    @property
    def debit(self) -> float:
        return self.requetes / self.duree if self.duree else 0.0

    @property
    def acceptees(self) -> int:
        return self.requetes - sum(self.erreurs.values())


def _code_probleme(reponse: httpx.Response) -> str:
    try:
        donnees = reponse.json()
    except ValueError:
        return reponse.text[:80] or "-"
    return str(donnees.get("code", "-")) if isinstance(donnees, dict) else "-"


async def _envoyer(
    client: httpx.AsyncClient, corps: bytes, lot: list[dict[str, str]], concurrence: int, mesure: Mesure
) -> float:
    """Send ``lot`` with ``concurrence`` requests in flight; return the wall time."""
    suivant = 0

    async def travailleur() -> None:
        nonlocal suivant
        while suivant < len(lot):
            entetes = lot[suivant]
            suivant += 1
            debut = time.perf_counter()
            try:
                reponse = await client.post(CHEMIN, content=corps, headers=entetes)
            except httpx.HTTPError as exc:
                mesure.erreurs[("exception", type(exc).__name__)] += 1
                continue
            mesure.latences.append(time.perf_counter() - debut)
            if reponse.status_code != 202:
                mesure.erreurs[(reponse.status_code, _code_probleme(reponse))] += 1
            elif mesure.exemple is None:
                mesure.exemple = reponse

    debut = time.perf_counter()
    await asyncio.gather(*(travailleur() for _ in range(concurrence)))
    return time.perf_counter() - debut


class ConnexionBrute:
    """One HTTP/1.1 keep-alive connection written by hand: the request bytes built in one join,
    the answer read by its ``Content-Length``. About ten times less client CPU per request than
    httpx, which on a 2-core machine was what limited the verify-only route."""

    def __init__(self, lecteur: asyncio.StreamReader, ecrivain: asyncio.StreamWriter, hote: str) -> None:
        self._lecteur, self._ecrivain, self._hote = lecteur, ecrivain, hote

    @classmethod
    async def ouvrir(cls, url: str) -> ConnexionBrute:
        adresse = httpx.URL(url)
        lecteur, ecrivain = await asyncio.open_connection(adresse.host, adresse.port)
        return cls(lecteur, ecrivain, f"{adresse.host}:{adresse.port}")

    async def post(self, chemin: str, corps: bytes, entetes: dict[str, str]) -> httpx.Response:
        lignes = [f"POST {chemin} HTTP/1.1", f"Host: {self._hote}", f"Content-Length: {len(corps)}"]
        lignes += [f"{nom}: {valeur}" for nom, valeur in entetes.items()]
        self._ecrivain.write(("\r\n".join(lignes) + "\r\n\r\n").encode("latin-1") + corps)
        tete = await self._lecteur.readuntil(b"\r\n\r\n")
        statut_ligne, *champs = tete.decode("latin-1").split("\r\n")
        recus = [tuple(c.split(":", 1)) for c in champs if ":" in c]
        taille = next((int(v) for n, v in recus if n.strip().lower() == "content-length"), None)
        if taille is None:
            raise RuntimeError(f"réponse sans Content-Length: {statut_ligne}")
        contenu = await self._lecteur.readexactly(taille)
        return httpx.Response(int(statut_ligne.split(" ", 2)[1]), headers=[(n.strip(), v.strip()) for n, v in recus],
                              content=contenu)

    async def fermer(self) -> None:
        self._ecrivain.close()
        try:
            await self._ecrivain.wait_closed()
        except OSError:
            pass


async def _envoyer_brut(
    connexions: list[ConnexionBrute], corps: bytes, lot: list[dict[str, str]], mesure: Mesure
) -> float:
    """As :func:`_envoyer`, one request in flight per raw connection."""
    suivant = 0

    async def travailleur(connexion: ConnexionBrute) -> None:
        nonlocal suivant
        while suivant < len(lot):
            entetes = lot[suivant]
            suivant += 1
            debut = time.perf_counter()
            try:
                reponse = await connexion.post(CHEMIN, corps, entetes)
            except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
                mesure.erreurs[("exception", type(exc).__name__)] += 1
                return  # this connection is done for
            mesure.latences.append(time.perf_counter() - debut)
            if reponse.status_code != 202:
                mesure.erreurs[(reponse.status_code, _code_probleme(reponse))] += 1
            elif mesure.exemple is None:
                mesure.exemple = reponse

    debut = time.perf_counter()
    await asyncio.gather(*(travailleur(c) for c in connexions))
    return time.perf_counter() - debut


async def mesurer(
    serveur: Serveur | Grappe,
    preparer: Callable[[int], list[dict[str, str]]],
    corps: bytes,
    tailles_lots: list[int],
    concurrence: int,
    client: str = "brut",
) -> Mesure:
    """One round: each lot is signed (not timed), then sent (timed); times are summed."""
    mesure = Mesure(serveur.nom)

    async def une_tranche(envoyer: Callable[[list[dict[str, str]]], Any]) -> None:
        for taille in tailles_lots:
            lot = preparer(taille)
            (utilisateur, systeme), cpu_client, cpu_base = serveur.cpu(), time.process_time(), cpu_postgresql()
            mesure.duree += await envoyer(lot)
            mesure.cpu_base += cpu_postgresql() - cpu_base
            utilisateur_fin, systeme_fin = serveur.cpu()
            mesure.cpu_serveur += utilisateur_fin - utilisateur + systeme_fin - systeme
            mesure.cpu_serveur_systeme += systeme_fin - systeme
            mesure.cpu_client += time.process_time() - cpu_client
            mesure.requetes += taille

    if client == "brut":
        urls = getattr(serveur, "urls", [serveur.url])
        connexions = [await ConnexionBrute.ouvrir(urls[i % len(urls)]) for i in range(concurrence)]
        try:
            await une_tranche(lambda lot: _envoyer_brut(connexions, corps, lot, mesure))
        finally:
            for connexion in connexions:
                await connexion.fermer()
        return mesure
    limites = httpx.Limits(max_connections=concurrence, max_keepalive_connections=concurrence)
    async with httpx.AsyncClient(base_url=serveur.url, limits=limites, timeout=120.0) as http:
        await une_tranche(lambda lot: _envoyer(http, corps, lot, concurrence, mesure))
    return mesure


def verifier_recu(mesure: Mesure, cles: dict[str, Ed25519PublicKey]) -> None:
    """Check one receipt of the round (after the clock stopped): signature, digest, content."""
    reponse = mesure.exemple
    if reponse is None:
        return
    message = MessageHttp(
        methode="", chemin="", requete="",
        entetes={k.lower(): v for k, v in reponse.headers.items()},
        statut=reponse.status_code,
    )  # fmt: skip
    try:
        entree = message.entetes.get("signature-input", "")
        keyid = entree.split('keyid="', 1)[1].split('"', 1)[0]
        verifier_reponse(message, reponse.content, cles[keyid])
        recu = reponse.json()
        if recu.get("statut") != "recu" or recu.get("emetteur") != "caf-042":
            raise ValueError(f"reçu inattendu: {recu}")
    except Exception as exc:  # noqa: BLE001 — any failure makes the round invalid
        mesure.erreurs[("reçu", f"invalide: {exc}")] += 1


# --------------------------------------------------------------------------- environment


def _systeme_de_fichiers(chemin: Path) -> str:
    chemin_reel = os.path.realpath(chemin)
    meilleur = ("?", "?", "")
    try:
        with open("/proc/mounts") as montages:
            for ligne in montages:
                appareil, point, type_fs = ligne.split()[:3]
                point = point.replace("\\040", " ")
                dedans = chemin_reel == point or chemin_reel.startswith(point.rstrip("/") + "/")
                if dedans and len(point) >= len(meilleur[2]):
                    meilleur = (type_fs, appareil, point)
    except OSError:
        pass
    return f"{meilleur[0]} ({meilleur[1]} monté sur {meilleur[2]})"


def _version(paquet: str) -> str:
    try:
        return importlib.metadata.version(paquet)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _modele_cpu() -> str:
    try:
        for ligne in Path("/proc/cpuinfo").read_text().splitlines():
            if ligne.startswith("model name"):
                return ligne.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def environnement(description_base: str) -> list[str]:
    affinite = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    charge = " ".join(f"{x:.2f}" for x in os.getloadavg())
    uvicorn_extras = ", ".join(
        f"{m} {'présent' if importlib.util.find_spec(m) else 'absent'}" for m in ("uvloop", "httptools")
    )
    return [
        f"CPU: {os.cpu_count()} cœurs ({affinite} utilisables), {_modele_cpu()}; charge moyenne au départ {charge}",
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}",
        f"SQLite {sqlite3.sqlite_version}",
        (
            f"uvicorn {_version('uvicorn')} ({uvicorn_extras}), fastapi {_version('fastapi')}, "
            f"starlette {_version('starlette')}, httpx {_version('httpx')}, sqlalchemy {_version('sqlalchemy')}, "
            f"cryptography {_version('cryptography')}"
        ),
        f"base de la passerelle: {description_base}",
    ]


# --------------------------------------------------------------------------- database


@dataclass
class Base:
    url: str  # given to the gateway
    description: str
    nettoyer: Callable[[], None]


def preparer_base(option: str | None, dossier: Path) -> Base:
    if option is None:
        chemin = dossier / "bench.db"
        return Base(
            f"sqlite:///{chemin}",
            f"SQLite, fichier {chemin} sur {_systeme_de_fichiers(dossier)}",
            lambda: None,
        )
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(option)
    with admin.begin() as connexion:
        version = connexion.execute(sa.text("show server_version")).scalar_one()
        connexion.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def nettoyer() -> None:
        with admin.begin() as connexion:
            connexion.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    separateur = "&" if "?" in option else "?"
    hote = sa.engine.make_url(option).host or "socket local"
    return Base(
        f"{option}{separateur}options=-csearch_path%3D{schema}",
        f"PostgreSQL {version} sur {hote}, schéma jetable {schema} (supprimé à la fin)",
        nettoyer,
    )


# --------------------------------------------------------------------------- report


def _centile(valeurs: list[float], p: float) -> float:
    if not valeurs:
        return float("nan")
    ordonnees = sorted(valeurs)
    rang = max(0, math.ceil(p / 100 * len(ordonnees)) - 1)
    return ordonnees[rang]


def _erreurs_texte(mesure: Mesure) -> str:
    return ", ".join(f"{n}× {statut} {code}" for (statut, code), n in mesure.erreurs.most_common())


def _ligne_tour(mesure: Mesure) -> str:
    texte = (
        f"{mesure.serveur:<20} {mesure.debit:8.1f} req/s  ({mesure.requetes} en {mesure.duree:6.2f} s; "
        f"CPU/requête: serveur {1000 * mesure.cpu_serveur / mesure.requetes:.2f} ms "
        f"(dont système {1000 * mesure.cpu_serveur_systeme / mesure.requetes:.2f}), "
        f"client {1000 * mesure.cpu_client / mesure.requetes:.2f} ms)"
    )
    if mesure.erreurs:
        texte += f"  ÉCHECS: {_erreurs_texte(mesure)}"
    return texte


# --------------------------------------------------------------------------- main


def arguments() -> argparse.Namespace:
    analyse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    analyse.add_argument("--requetes", type=int, default=2000, help="requêtes par tour et par serveur (2000)")
    analyse.add_argument("--tours", type=int, default=5, help="tours, alternés passerelle / vérification seule (5)")
    analyse.add_argument("--concurrence", type=int, default=8, help="requêtes en vol (8)")
    analyse.add_argument("--echauffement", type=int, default=100, help="requêtes d'échauffement par serveur (100)")
    analyse.add_argument(
        "--base",
        default=None,
        help="URL PostgreSQL (p. ex. postgresql+psycopg://postgres@127.0.0.1:5432/test): la passerelle "
        "y travaille dans un schéma jetable; par défaut une base SQLite neuve dans un dossier temporaire",
    )
    analyse.add_argument(
        "--application",
        default="passerelle.app:create_app",
        help="fabrique uvicorn de la passerelle (module:fonction sans argument), pour comparer une variante",
    )
    analyse.add_argument(
        "--client",
        choices=("brut", "httpx"),
        default="brut",
        help="brut (défaut): connexions HTTP/1.1 keep-alive écrites à la main, ≈ 0,1 ms de CPU client par "
        "requête; httpx: httpx.AsyncClient, dix fois plus coûteux côté client",
    )
    analyse.add_argument(
        "--repliques",
        type=int,
        default=1,
        help="instances de la passerelle sur la même base PostgreSQL (avec --base; défaut 1): chaque connexion "
        "va à la suivante, le CPU est la somme; sans épinglage",
    )
    analyse.add_argument(
        "--sans-epinglage",
        action="store_true",
        help="ne pas épingler les serveurs sur le cœur 0 et le client sur le cœur 1",
    )
    analyse.add_argument(
        "--dossier", type=Path, default=None, help="où créer le dossier temporaire (base SQLite, journaux)"
    )
    analyse.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="FICHIER",
        help="profiler le processus de la passerelle avec py-spy (piles repliées, format raw) pendant tout "
        "le banc; les débits mesurés sont alors perturbés et ne sont pas à citer (voir bench/resume_profil.py)",
    )
    analyse.add_argument(
        "--py-spy-mode",
        choices=("gil", "actif", "attente"),
        default="gil",
        help="avec --py-spy: gil = seul le fil qui tient le GIL (où va le CPU Python, défaut); actif = les fils "
        "que py-spy juge actifs; attente = tous les fils, y compris en attente (verrou, fsync, E/S): temps réel",
    )
    args = analyse.parse_args()
    if args.requetes < 1 or args.tours < 1 or args.concurrence < 1 or args.echauffement < 0 or args.repliques < 1:
        analyse.error("--requetes, --tours, --concurrence, --repliques doivent être ≥ 1 et --echauffement ≥ 0")
    if args.repliques > 1 and (args.base is None or args.client != "brut" or args.py_spy is not None):
        analyse.error("--repliques demande --base (PostgreSQL), le client brut et pas de --py-spy")
    if args.repliques > 1:
        args.sans_epinglage = True
    return args


async def principal(
    args: argparse.Namespace, serveurs: dict[str, Serveur], charge: Charge, cles_passerelle: dict[str, Ed25519PublicKey]
) -> list[tuple[Mesure, Mesure]]:
    preparateurs = {
        PASSERELLE: lambda n: charge.lot(n, nue=False),
        NUE: lambda n: charge.lot(n, nue=True),
    }

    # Warm-up (not reported): imports, pools, caches, JIT-less Python's first-call costs.
    debit_estime = float("inf")
    for nom in (PASSERELLE, NUE):
        if args.echauffement:
            mesure = await mesurer(
                serveurs[nom], preparateurs[nom], charge.corps, [args.echauffement], args.concurrence, args.client
            )
            if mesure.erreurs:
                raise RuntimeError(f"échauffement de {nom}: {_erreurs_texte(mesure)}\n{serveurs[nom].fin_du_journal()}")
            if nom == PASSERELLE:
                debit_estime = mesure.debit
            print(f"échauffement {nom}: {mesure.requetes} requêtes, {mesure.debit:.1f} req/s")

    tours: list[tuple[Mesure, Mesure]] = []
    for numero in range(1, args.tours + 1):
        # Lots: every request of a lot is signed just before the lot is sent, and the lot must be
        # sent well within the signature window; the same split is used for both servers.
        par_lot = args.requetes
        if math.isfinite(debit_estime):
            par_lot = max(args.concurrence, int(debit_estime * BUDGET_LOT))
        tailles = [min(par_lot, args.requetes - i) for i in range(0, args.requetes, par_lot)]
        ordre = (PASSERELLE, NUE) if numero % 2 else (NUE, PASSERELLE)
        resultats: dict[str, Mesure] = {}
        for nom in ordre:
            resultats[nom] = await mesurer(serveurs[nom], preparateurs[nom], charge.corps, tailles, args.concurrence,
                                           args.client)
        verifier_recu(resultats[PASSERELLE], cles_passerelle)
        debit_estime = min(debit_estime, resultats[PASSERELLE].debit)
        lots = f", {len(tailles)} lots signés" if len(tailles) > 1 else ""
        print(f"tour {numero} (d'abord {ordre[0]}{lots}):")
        for nom in (PASSERELLE, NUE):
            print("  " + _ligne_tour(resultats[nom]))
        tours.append((resultats[PASSERELLE], resultats[NUE]))
    return tours


def rapport(args: argparse.Namespace, tours: list[tuple[Mesure, Mesure]]) -> bool:
    passerelle = [p for p, _ in tours]
    nue = [n for _, n in tours]
    mediane_p = statistics.median(m.debit for m in passerelle)
    mediane_n = statistics.median(m.debit for m in nue)
    rapport_medianes = mediane_p / mediane_n
    print()
    print(f"Médianes sur {args.tours} tours de {args.requetes} requêtes (concurrence {args.concurrence}):")
    print(f"  {PASSERELLE:<20} {mediane_p:8.1f} req/s   (tours: {', '.join(f'{m.debit:.1f}' for m in passerelle)})")
    print(f"  {NUE:<20} {mediane_n:8.1f} req/s   (tours: {', '.join(f'{m.debit:.1f}' for m in nue)})")
    verdict = "atteint" if rapport_medianes >= 0.5 else "NON atteint"
    print(
        f"  rapport des médianes passerelle / vérification seule: {rapport_medianes:.3f}  (objectif ≥ 0,5: {verdict})"
    )
    print("Latences du dernier tour (côté client, ms):")
    for mesure in (passerelle[-1], nue[-1]):
        print(
            f"  {mesure.serveur:<20} p50 {1000 * _centile(mesure.latences, 50):7.2f}   "
            f"p99 {1000 * _centile(mesure.latences, 99):7.2f}"
        )
    print("CPU par requête (médiane des tours, ms):")
    for mesures in (passerelle, nue):
        print(
            f"  {mesures[0].serveur:<20} serveur {statistics.median(1000 * m.cpu_serveur / m.requetes for m in mesures):.3f}"
            f" (dont système {statistics.median(1000 * m.cpu_serveur_systeme / m.requetes for m in mesures):.3f})"
            f"   client {statistics.median(1000 * m.cpu_client / m.requetes for m in mesures):.3f}"
        )
    cpu_p = statistics.median(m.cpu_serveur / m.requetes for m in passerelle)
    cpu_n = statistics.median(m.cpu_serveur / m.requetes for m in nue)
    print(
        f"  rapport des CPU serveur par requête (vérification seule / passerelle): {cpu_n / cpu_p:.3f}"
        " — le rapport des débits si aucun des deux n'attendait le client ni autre chose que le CPU"
    )
    p50 = 1000 * statistics.median(_centile(m.latences, 50) for m in passerelle)
    p99 = 1000 * statistics.median(_centile(m.latences, 99) for m in passerelle)
    print()
    print(f"Chiffres principaux ({args.base_nom}, concurrence {args.concurrence}, client {args.client}):")
    print(f"  débit: passerelle / vérification seule = {rapport_medianes:.3f} ({mediane_p:.0f} / {mediane_n:.0f} req/s)")
    print(
        f"  CPU serveur par requête: passerelle / vérification seule = {cpu_p / cpu_n:.1f}× "
        f"({1000 * cpu_p:.2f} / {1000 * cpu_n:.2f} ms; objectif ≤ 2×: {'atteint' if cpu_p / cpu_n <= 2 else 'NON atteint'})"
    )
    if args.base:
        base_p = statistics.median(m.cpu_base / m.requetes for m in passerelle)
        print(f"  CPU de PostgreSQL par requête acceptée: {1000 * base_p:.2f} ms (tous ses processus, en plus du serveur)")
    print(f"  latence de la passerelle (médiane des tours): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"  charge moyenne au départ {args.charge_depart}, à la fin {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    charge = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"charge moyenne à la fin (1, 5, 15 min): {charge}; le banc occupe lui-même 1 à 2 cœurs, "
        "une charge nettement supérieure signale d'autres processus sur la machine"
    )
    echecs = [m for m in passerelle + nue if m.erreurs]
    if echecs:
        print("\nMESURE INVALIDE: des réponses ne sont pas des 202 (ou un reçu ne se vérifie pas):")
        for m in echecs:
            print(f"  {m.serveur}: {_erreurs_texte(m)}")
    return not echecs


def main() -> int:
    args = arguments()
    args.charge_depart = " ".join(f"{x:.2f}" for x in os.getloadavg())
    args.base_nom = "PostgreSQL" if args.base else "SQLite"
    coeurs_serveurs: set[int] | None = None
    coeurs_client: set[int] | None = None
    disponibles = sorted(os.sched_getaffinity(0))
    if not args.sans_epinglage and len(disponibles) >= 2:
        coeurs_serveurs, coeurs_client = {disponibles[0]}, {disponibles[1]}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the servers
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    dossier = Path(tempfile.mkdtemp(prefix="bench-accept-", dir=args.dossier))
    serveurs: dict[str, Serveur] = {}
    repliques: list[Serveur] = []
    espion: subprocess.Popen[bytes] | None = None
    base: Base | None = None
    valide = False
    try:
        base = preparer_base(args.base, dossier)
        cle = lire_privee_pem((RACINE / "config" / "developpement" / "cles" / f"{KEYID}.pem").read_bytes())
        aujourd_hui = datetime.now(UTC).date()  # the gateway's clock is UTC
        corps = json.dumps(exemple_rdc(aujourd_hui=aujourd_hui), ensure_ascii=False).encode("utf-8")
        charge = Charge(cle, corps, base64.b64encode(cle.sign(corps)).decode("ascii"))

        print("Environnement:")
        for ligne in environnement(base.description):
            print(f"  {ligne}")
        print(
            f"  charge: POST {CHEMIN}, corps {len(corps)} octets, signé par {KEYID} (signer_requete, nonce neuf "
            f"par requête, sans Idempotency-Key); client {args.client}, HTTP/1.1 keep-alive"
        )
        if coeurs_serveurs:
            print(f"  épinglage: serveurs (passerelle et route nue) sur le cœur {min(coeurs_serveurs)}, client sur le "
                  f"cœur {min(coeurs_client or set())} (PostgreSQL, s'il sert, n'est pas épinglé)")
        else:
            print("  épinglage: aucun (--sans-epinglage, ou un seul cœur)")
        print()

        env_passerelle = {
            "PASSERELLE_MODE": "developpement",
            "PASSERELLE_BASE": base.url,
            "PASSERELLE_CONFIG": str(RACINE / "config"),
            "PASSERELLE_TRAVAUX_DE_FOND": "true",  # sequencer and delivery run, as in production
        }
        serveurs[PASSERELLE] = lancer(PASSERELLE, args.application, env_passerelle, dossier, coeurs_serveurs)
        serveurs[NUE] = lancer(
            NUE,
            "bench.verification_seule:creer_app",
            {"VERIFICATION_SEULE_CLE": publique_texte(cle.public_key())},
            dossier,
            coeurs_serveurs,
        )
        if coeurs_client:
            os.sched_setaffinity(0, coeurs_client)
        sante = attendre(serveurs[PASSERELLE], exiger_200=True)
        attendre(serveurs[NUE], exiger_200=False)
        if args.repliques > 1:  # the first one migrated the base; the others join it
            for numero in range(2, args.repliques + 1):
                repliques.append(lancer(f"{PASSERELLE}-{numero}", args.application, env_passerelle, dossier))
            for replique in repliques:
                attendre(replique, exiger_200=True)
            repliques.insert(0, serveurs[PASSERELLE])  # type: ignore[arg-type]
            serveurs[PASSERELLE] = Grappe(PASSERELLE, repliques)  # type: ignore[assignment]
            print(f"{args.repliques} instances de la passerelle sur la même base: {', '.join(r.url for r in repliques)}")
        taille_depart = int(sante.get("journal_taille", 0))
        if args.py_spy is not None:
            espion = espionner(serveurs[PASSERELLE], args.py_spy, mode=args.py_spy_mode, dossier=dossier)
        with httpx.Client(base_url=serveurs[PASSERELLE].url) as client:
            cles_passerelle = cles_jwks(client.get("/.well-known/jwks.json").json())
        print(
            f"serveurs prêts: {PASSERELLE} {serveurs[PASSERELLE].url} ({args.application}, base {sante.get('base')}), {NUE} {serveurs[NUE].url}"
        )

        tours = asyncio.run(principal(args, serveurs, charge, cles_passerelle))
        valide = rapport(args, tours)

        with httpx.Client(base_url=serveurs[PASSERELLE].url) as client:
            taille = client.get("/sante").json().get("journal_taille")
        attendu = taille_depart + args.echauffement + args.tours * args.requetes
        print(f"journal de la passerelle: {taille} entrées (attendu {attendu} si toutes les requêtes sont acceptées)")
        if taille != attendu:
            valide = False
        integree = _entrees_integrees(serveurs[PASSERELLE], attendu)
        print(f"travaux de fond: le séquenceur a intégré {integree} entrées à l'arbre de Merkle pendant le banc")
        if integree <= taille_depart:
            print("MESURE INVALIDE: le séquenceur n'a pas tourné (travaux de fond arrêtés?)")
            valide = False
    except KeyboardInterrupt:
        print("\ninterrompu", file=sys.stderr)
        return 130
    finally:
        for serveur in [*repliques, *serveurs.values()]:
            if isinstance(serveur, Serveur):
                arreter(serveur)
        if espion is not None:  # py-spy writes its file once the process it watches has exited
            try:
                espion.wait(timeout=60)
            except subprocess.TimeoutExpired:
                espion.terminate()
                espion.wait()
            print(f"profil py-spy de la passerelle: {args.py_spy}", file=sys.stderr)
        if base is not None:
            try:
                base.nettoyer()
            except Exception as exc:  # noqa: BLE001
                print(f"nettoyage de la base impossible: {exc}", file=sys.stderr)
        if valide:
            shutil.rmtree(dossier, ignore_errors=True)
        else:
            print(f"journaux des serveurs conservés dans {dossier}", file=sys.stderr)
    return 0 if valide else 1


if __name__ == "__main__":
    sys.exit(main())
