"""What both simulated caisses share: the demo clock on the command line, their signing
client, a small SQLite store of their own, and a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client import ClientPasserelle
from passerelle.demo.horloge import HorlogeAcceleree, horloge_reelle


def ajouter_arguments_communs(parseur: argparse.ArgumentParser) -> None:
    parseur.add_argument("--passerelle", required=True, help="URL de la passerelle, p. ex. http://127.0.0.1:8000")
    parseur.add_argument("--config", type=Path, default=Path("config"),
                         help="dossier de configuration (clés de développement, table d'âge légal)")
    parseur.add_argument("--base", type=Path, required=True, help="fichier SQLite propre au simulateur")
    parseur.add_argument("--keyid", help="clé de signature (défaut: <organisme>-dev-2026 de config/developpement/cles)")
    parseur.add_argument("--agent", help="agent nommé dans Passerelle-Agent")
    horloge = parseur.add_argument_group(
        "horloge", "horloge accélérée partagée avec la passerelle (mêmes valeurs que PASSERELLE_HORLOGE_DEMO_*); "
        "sans --debut, l'horloge réelle")
    horloge.add_argument("--debut", type=_instant, help="instant simulé (ISO 8601) lu à l'instant réel --origine")
    horloge.add_argument("--facteur", type=float, default=1.0, help="secondes simulées par seconde réelle")
    horloge.add_argument("--origine", type=float, help="instant réel (secondes Unix) où l'horloge lit --debut")


def _instant(texte: str) -> datetime:
    instant = datetime.fromisoformat(texte.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def horloge_depuis(arguments: argparse.Namespace) -> HorlogeAcceleree:
    if arguments.debut is None:
        return horloge_reelle()
    if arguments.origine is None:
        raise SystemExit("--origine est obligatoire avec --debut: la même que celle de la passerelle")
    return HorlogeAcceleree(arguments.debut, arguments.facteur, arguments.origine)


def client_organisme(url: str, config: Path, organisme: str, keyid: str | None, agent: str,
                     horloge: HorlogeAcceleree, *, timeout: float = 30.0) -> ClientPasserelle:
    """The reference client, signing with the organisme's development key and the demo clock."""
    keyid = keyid or f"{organisme}-dev-2026"
    cle = lire_privee_pem((config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    http = httpx.Client(base_url=url, timeout=timeout, trust_env=False)
    return ClientPasserelle(url, cle, keyid, agent, http=http, horloge=horloge.timestamp)


class Magasin:
    """One SQLite file (WAL, synchronous=FULL), one connection shared under a lock.

    The simulators are small; a lock keeps it simple and correct across the receiver's event
    loop and the worker thread. Durable before answering, like the gateway.
    """

    def __init__(self, chemin: Path, schema: str) -> None:
        chemin.parent.mkdir(parents=True, exist_ok=True)
        self._connexion = sqlite3.connect(chemin, check_same_thread=False, isolation_level=None, timeout=30)
        self._connexion.execute("PRAGMA journal_mode=WAL")
        self._connexion.execute("PRAGMA synchronous=FULL")
        self._verrou = threading.RLock()
        with self.transaction() as c:
            for instruction in schema.split(";"):
                if instruction.strip():
                    c.execute(instruction)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._verrou:
            self._connexion.execute("BEGIN IMMEDIATE")
            try:
                yield self._connexion
            except BaseException:
                self._connexion.execute("ROLLBACK")
                raise
            self._connexion.execute("COMMIT")

    def lire(self, requete: str, parametres: tuple[object, ...] = ()) -> list[tuple]:  # type: ignore[type-arg]
        with self._verrou:
            return self._connexion.execute(requete, parametres).fetchall()

    def fermer(self) -> None:
        with self._verrou:
            self._connexion.close()


class Arret:
    """Set by SIGTERM or SIGINT: loops finish their current step and the process exits 0."""

    def __init__(self) -> None:
        self.evenement = threading.Event()

    def installer(self) -> Arret:
        for signal_ in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_, lambda *_: self.evenement.set())
        return self

    @property
    def demande(self) -> bool:
        return self.evenement.is_set()

    def attendre(self, secondes: float) -> bool:
        return self.evenement.wait(secondes)
