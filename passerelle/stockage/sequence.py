"""The sequencer's rows: its lock, the entries past the integrated size, the tree nodes it
stores, the integrated size it moves and the checkpoints it signs (journal/sequenceur.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal, journal_checkpoints, journal_integration

VERROU_SEQUENCEUR = int.from_bytes(b"jrnl", "big")
"""First key of the PostgreSQL advisory lock; the second is the schema holding the journal.

Advisory locks are database-wide: keyed by schema too, two deployments (or test runs) sharing
one database in separate schemas do not stop each other's sequencer.
"""


def verrouiller(connexion: Connection) -> bool:
    """Take the sequencer's lock for this transaction; False: another replica holds it."""
    if connexion.dialect.name != "postgresql":
        return True  # SQLite: BEGIN IMMEDIATE already holds the database's only write lock
    verrou = sa.func.pg_try_advisory_xact_lock(VERROU_SEQUENCEUR, sa.func.hashtext(sa.func.current_schema()))
    return bool(connexion.execute(sa.select(verrou)).scalar_one())


@dataclass(frozen=True)
class CheckpointStocke:
    taille: int
    racine: bytes
    note: str
    signe_le: datetime


def dernier_checkpoint(connexion: Connection) -> CheckpointStocke | None:
    ligne = connexion.execute(
        sa.select(journal_checkpoints.c.taille, journal_checkpoints.c.racine, journal_checkpoints.c.note, journal_checkpoints.c.signe_le)
        .order_by(journal_checkpoints.c.taille.desc())
        .limit(1)
    ).first()
    if ligne is None:
        return None
    return CheckpointStocke(int(ligne.taille), bytes(ligne.racine), ligne.note, ligne.signe_le)


def entrees_depuis(connexion: Connection, debut: int, lot_max: int) -> sa.CursorResult[tuple[int, bytes]]:
    """``(index, entree)`` of the committed entries from ``debut`` on, by index, ``lot_max`` at
    most, streamed as the caller reads them."""
    return connexion.execute(
        sa.select(journal.c.index, journal.c.entree)
        .where(journal.c.index >= debut)
        .order_by(journal.c.index)
        .limit(lot_max)
    )


_INSERER_NOEUDS_PG = sa.text(
    'INSERT INTO journal_noeuds (niveau, "index", hash) '
    "SELECT * FROM unnest(CAST(:niveaux AS integer[]), CAST(:index AS bigint[]), CAST(:hashes AS bytea[]))"
)


def inserer_noeuds(connexion: Connection, noeuds: Sequence[tuple[int, int, bytes]]) -> None:
    """About two rows per entry: the batch's main cost, so one statement, not one per row.

    PostgreSQL: three arrays unnested in a single INSERT (psycopg's executemany sends a
    statement per row, four times slower). SQLite: the driver's own executemany, without
    SQLAlchemy's per-row parameter processing (a third of the batch's time).
    """
    if connexion.dialect.name == "postgresql":
        connexion.execute(_INSERER_NOEUDS_PG, {
            "niveaux": [n for n, _, _ in noeuds], "index": [i for _, i, _ in noeuds], "hashes": [h for _, _, h in noeuds],
        })
    else:
        connexion.exec_driver_sql('INSERT INTO journal_noeuds (niveau, "index", hash) VALUES (?, ?, ?)', list(noeuds))


def deplacer_taille(connexion: Connection, avant: int, apres: int) -> bool:
    """Move the integrated size from ``avant`` to ``apres``; False if it was not ``avant``."""
    deplace = connexion.execute(
        sa.update(journal_integration)
        .where(journal_integration.c.id == 1, journal_integration.c.taille == avant)
        .values(taille=apres)
    )
    return deplace.rowcount == 1


def inserer_checkpoint(connexion: Connection, taille: int, racine: bytes, note: str, signe_le: datetime) -> None:
    connexion.execute(sa.insert(journal_checkpoints).values(taille=taille, racine=racine, note=note, signe_le=signe_le))
