"""Opening the database: SQLite (WAL, synchronous=FULL) by default, PostgreSQL by URL."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def normaliser_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def ouvrir(url: str) -> Engine:
    """An engine whose every transaction is durable before it returns.

    SQLite: WAL with synchronous=FULL (fsync at each commit), and BEGIN IMMEDIATE so that two
    writers queue on the lock instead of failing on a read-to-write upgrade.
    """
    url = normaliser_url(url)
    if url.startswith("sqlite"):
        moteur = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=8,
            pool_use_lifo=True,  # the connection just returned, whose page cache is warm
        )
        _regler_sqlite(moteur)
        return moteur
    return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _regler_sqlite(moteur: Engine) -> None:
    @sa.event.listens_for(moteur, "connect")
    def _a_la_connexion(dbapi_connexion, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connexion.isolation_level = None  # we issue BEGIN ourselves
        curseur = dbapi_connexion.cursor()
        curseur.execute("PRAGMA journal_mode=WAL")
        curseur.execute("PRAGMA synchronous=FULL")
        curseur.execute("PRAGMA foreign_keys=ON")
        curseur.execute("PRAGMA busy_timeout=30000")
        curseur.close()

    @sa.event.listens_for(moteur, "begin")
    def _au_debut(connexion) -> None:  # type: ignore[no-untyped-def]
        connexion.exec_driver_sql("BEGIN IMMEDIATE")


class VerrouEcriture:
    """Queue this process's SQLite writers on a Python lock rather than in SQLite's busy
    handler, whose sleeps grow to 100 ms and made the slowest accepts wait over a second.
    PostgreSQL has row locks: nothing to do there."""

    def __init__(self, actif: bool) -> None:
        self._verrou = threading.RLock() if actif else None

    def __enter__(self) -> None:
        if self._verrou is not None:
            self._verrou.acquire()

    def __exit__(self, *exc: object) -> None:
        if self._verrou is not None:
            self._verrou.release()


def verrou_ecriture(moteur: Engine) -> VerrouEcriture:
    return VerrouEcriture(moteur.dialect.name == "sqlite")


def est_postgresql(moteur: Engine) -> bool:
    return moteur.dialect.name == "postgresql"


def configuration_alembic(moteur: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["moteur"] = moteur
    return config


VERROU_MIGRATIONS = 0x7061737365726C6C  # "passerll": one key for schema changes, cluster-wide


def migrer(moteur: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; safe at every start).

    Replicas starting together on PostgreSQL queue on an advisory lock, so exactly one applies
    the migrations and the others find them done (SQLite serialises writers by itself).
    """
    if not est_postgresql(moteur):
        base = moteur.url.database
        if not base or base == ":memory:":
            command.upgrade(configuration_alembic(moteur), "head")
            return
        # Two processes opening the same file at once (a server and a CLI command): a lock file
        # beside the database makes the second wait instead of failing on SQLite's DDL lock.
        with open(f"{base}.migration.verrou", "a") as verrou:
            fcntl.flock(verrou, fcntl.LOCK_EX)
            try:
                command.upgrade(configuration_alembic(moteur), "head")
            finally:
                fcntl.flock(verrou, fcntl.LOCK_UN)
        return
    with moteur.connect() as verrou:
        verrou.execute(sa.text("SELECT pg_advisory_lock(:cle)"), {"cle": VERROU_MIGRATIONS})
        try:
            command.upgrade(configuration_alembic(moteur), "head")
        finally:
            verrou.execute(sa.text("SELECT pg_advisory_unlock(:cle)"), {"cle": VERROU_MIGRATIONS})
            verrou.commit()
