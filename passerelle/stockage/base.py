"""Opening the database: SQLite (WAL, synchronous=FULL) by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine, make_url

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class DelaisBase:
    """How long the gateway waits for its database before giving up (seconds).

    Without them a database behind a network partition, or a statement stuck behind a lock,
    holds a request until TCP gives up (minutes). The server passes the operator's settings
    (``PASSERELLE_BASE_DELAI_*``); one-shot tools (export, report, migration) open the base
    without statement or lock timeouts, since their long reads are legitimate.
    """

    connexion: int = 5
    """libpq ``connect_timeout``: establishing a connection (PostgreSQL's minimum is 2)."""
    instruction: float | None = None
    """PostgreSQL ``statement_timeout``; None: the server's (0: none)."""
    verrou: float | None = None
    """PostgreSQL ``lock_timeout``, SQLite busy timeout; None: the server's (PostgreSQL), 30 s
    (SQLite); 0: none."""
    attente_pool: float = 30.0
    """Wait for a free connection of the pool (SQLAlchemy ``pool_timeout``)."""
    reseau: float | None = None
    """A silent peer on an open connection (TCP keepalives, ``tcp_user_timeout``); None: the system's."""


def _ms(secondes: float) -> int:
    """Milliseconds for PostgreSQL (0 stays 0: no limit), at least 1 otherwise."""
    return 0 if secondes <= 0 else max(1, int(secondes * 1000))


def normaliser_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def ouvrir(url: str, delais: DelaisBase | None = None) -> Engine:
    """An engine whose every transaction is durable before it returns.

    SQLite: WAL with synchronous=FULL (fsync at each commit), and BEGIN IMMEDIATE so that two
    writers queue on the lock instead of failing on a read-to-write upgrade.
    PostgreSQL: every wait bounded by ``delais`` (connection, statement, lock, silent peer).
    """
    delais = delais or DelaisBase()
    url = normaliser_url(url)
    if url.startswith("sqlite"):
        attente = 30.0 if delais.verrou is None else delais.verrou or 86_400.0  # 0: no limit (a day)
        moteur = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": attente},
            pool_size=8,
            max_overflow=8,
            pool_timeout=delais.attente_pool,
            pool_use_lifo=True,  # the connection just returned, whose page cache is warm
        )
        _regler_sqlite(moteur, _ms(attente))
        return moteur
    return sa.create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, pool_timeout=delais.attente_pool,
        connect_args=parametres_postgresql(url, delais),
    )


def parametres_postgresql(url: str, delais: DelaisBase) -> dict[str, object]:
    """libpq parameters bounding every wait; those the URL sets itself are left to it.

    Statement and lock timeouts go in the session's startup ``options`` (so that ``RESET``
    comes back to them), before the URL's own ``options``, which therefore win.
    """
    requete = make_url(url).query
    parametres: dict[str, object] = {"connect_timeout": max(2, delais.connexion), "application_name": "passerelle"}
    if delais.reseau is not None:
        parametres.update(
            keepalives=1,
            keepalives_idle=max(1, int(delais.reseau / 2)),
            keepalives_interval=max(1, int(delais.reseau / 8)),
            keepalives_count=4,
            tcp_user_timeout=_ms(delais.reseau),
        )
    parametres = {cle: valeur for cle, valeur in parametres.items() if cle not in requete}
    options = []
    if delais.instruction is not None:
        options.append(f"-c statement_timeout={_ms(delais.instruction)}")
    if delais.verrou is not None:
        options.append(f"-c lock_timeout={_ms(delais.verrou)}")
    propres = requete.get("options")
    if isinstance(propres, tuple):
        propres = " ".join(propres)
    if options:
        parametres["options"] = " ".join([*options, *([propres] if propres else [])])
    return parametres


def _regler_sqlite(moteur: Engine, attente_ms: int) -> None:
    @sa.event.listens_for(moteur, "connect")
    def _a_la_connexion(dbapi_connexion, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connexion.isolation_level = None  # we issue BEGIN ourselves
        curseur = dbapi_connexion.cursor()
        curseur.execute("PRAGMA journal_mode=WAL")
        curseur.execute("PRAGMA synchronous=FULL")
        curseur.execute("PRAGMA foreign_keys=ON")
        curseur.execute(f"PRAGMA busy_timeout={attente_ms}")
        curseur.close()

    @sa.event.listens_for(moteur, "begin")
    def _au_debut(connexion) -> None:  # type: ignore[no-untyped-def]
        # A read takes a snapshot and no lock (WAL: readers never wait for the writer); a write
        # takes the write lock at once.
        connexion.exec_driver_sql("BEGIN" if connexion.get_execution_options().get(LECTURE) else "BEGIN IMMEDIATE")


LECTURE = "passerelle_lecture_seule"
"""Execution option of the connections opened by :func:`lecture`."""


@contextlib.contextmanager
def lecture(moteur: Engine) -> Iterator[Connection]:
    """A connection for reading only: on SQLite its transaction is a plain (deferred) ``BEGIN``,
    which takes no lock, instead of the ``BEGIN IMMEDIATE`` of a write.

    Every read that does not write must open its connection here. Taking SQLite's write lock
    to read made a reader wait for the writer (up to the busy timeout), and on the event loop
    that was a deadlock: the group commit (``stockage/ecriture_groupee.py``) holds the lock
    while it waits for the loop to run its operations, and the loop was blocked in the
    reader's ``BEGIN IMMEDIATE`` until the 30 s timeout."""
    with moteur.connect() as connexion:
        connexion.execution_options(**{LECTURE: True})
        yield connexion


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


def configuration_alembic(moteur: Engine, connexion: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["moteur"] = moteur
    if connexion is not None:
        config.attributes["connexion"] = connexion
    return config


VERROU_MIGRATIONS = 0x7061737365726C6C  # "passerll": one key for schema changes, cluster-wide


def migrer(moteur: Engine) -> None:
    """Bring the schema to the latest migration (idempotent; safe at every start).

    Replicas starting together on PostgreSQL queue on an advisory lock, so exactly one applies
    the migrations and the others find them done (SQLite serialises writers by itself). The
    migrating session has no statement or lock timeout: a long DDL, or the wait for another
    replica's migration, is not a stalled peer.
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
        verrou.exec_driver_sql("SET statement_timeout = 0")
        verrou.exec_driver_sql("SET lock_timeout = 0")
        verrou.execute(sa.text("SELECT pg_advisory_lock(:cle)"), {"cle": VERROU_MIGRATIONS})
        verrou.commit()  # the session's lock outlives the transaction; the migration opens its own
        try:
            command.upgrade(configuration_alembic(moteur, verrou), "head")
        finally:
            verrou.rollback()
            verrou.execute(sa.text("SELECT pg_advisory_unlock(:cle)"), {"cle": VERROU_MIGRATIONS})
            verrou.exec_driver_sql("RESET statement_timeout")
            verrou.exec_driver_sql("RESET lock_timeout")
            verrou.commit()


_SQLITE_INDISPONIBLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_FULL",
                        "SQLITE_READONLY", "SQLITE_PROTOCOL", "SQLITE_NOMEM")


def base_indisponible(erreur: BaseException) -> bool:
    """Is this the database being unreachable, saturated or too slow — a condition to retry
    later, answered 503 — rather than a fault of the code (answered 500)?

    PostgreSQL: every psycopg ``OperationalError`` (connection refused or lost, server shutting
    down, statement or lock timeout, deadlock, too many connections, disk full) and a
    read-only transaction (connected to a standby during a failover). SQLite: a lock held too
    long elsewhere, an I/O error, a full disk. The pool's own wait for a free connection too.
    """
    if isinstance(erreur, sa.exc.TimeoutError):
        return True
    if not isinstance(erreur, sa.exc.DBAPIError):
        return False
    if erreur.connection_invalidated:
        return True
    origine = erreur.orig
    if isinstance(origine, sqlite3.Error):
        nom = getattr(origine, "sqlite_errorname", "") or ""
        return nom.startswith(_SQLITE_INDISPONIBLE)
    try:
        import psycopg
    except ImportError:  # pragma: no cover — psycopg is a declared dependency
        return False
    if isinstance(origine, (psycopg.OperationalError, psycopg.InterfaceError)):
        return True
    return isinstance(origine, psycopg.Error) and getattr(origine, "sqlstate", None) == "25006"
