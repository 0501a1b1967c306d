"""What the probes, the operating gauges and the backups read of the database's state: the
journal's sizes and last checkpoint, pushed deliveries not yet through, the server's schemas.
Plain values out; the answers built on them are exploitation's (exploitation/)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from passerelle.stockage.base import est_postgresql, lecture
from passerelle.stockage.tables import journal_checkpoints, journal_integration, journal_taille, livraisons


def taille_journal(connexion: Connection) -> int:
    """Entries committed to the journal."""
    return int(connexion.execute(sa.select(journal_taille.c.taille)).scalar_one())


def disponibilite(moteur: Engine) -> tuple[int, bool]:
    """The journal's size and whether the server is a read-only standby (PostgreSQL recovery).

    On SQLite the probe takes the write lock, as an acceptance would (``BEGIN IMMEDIATE``,
    rolled back): a base another process keeps locked past the lock delay accepts nothing, and
    is not ready. The probe runs in its own thread (``exploitation/sante.py``), never on the
    event loop."""
    with (moteur.connect() if not est_postgresql(moteur) else lecture(moteur)) as connexion:
        taille = taille_journal(connexion)
        lecture_seule = est_postgresql(moteur) and bool(connexion.exec_driver_sql("SELECT pg_is_in_recovery()").scalar())
    return taille, lecture_seule


@dataclass(frozen=True)
class Jauges:
    """The journal's committed and integrated sizes, the last signed checkpoint (size, signing
    instant) and the pushed deliveries per (destination, status) among ``statuts``."""

    taille: int
    integree: int
    dernier: tuple[int, datetime] | None
    par_statut: list[tuple[str, str, int]]


def jauges(moteur: Engine, statuts: Collection[str]) -> Jauges:
    with lecture(moteur) as connexion:
        taille = taille_journal(connexion)
        integree = connexion.execute(sa.select(journal_integration.c.taille)).scalar_one()
        dernier = connexion.execute(
            sa.select(journal_checkpoints.c.taille, journal_checkpoints.c.signe_le)
            .order_by(journal_checkpoints.c.taille.desc()).limit(1)
        ).first()
        par_statut = connexion.execute(
            sa.select(livraisons.c.destinataire, livraisons.c.statut, sa.func.count())
            .where(livraisons.c.statut.in_(tuple(statuts)))
            .group_by(livraisons.c.destinataire, livraisons.c.statut)
        ).all()
    return Jauges(
        taille,
        int(integree),
        None if dernier is None else (int(dernier[0]), dernier[1]),
        [(d, s, int(n)) for d, s, n in par_statut],
    )


def dernier_checkpoint(moteur: Engine) -> tuple[int, tuple[int, bytes] | None]:
    """The journal's size and the last signed checkpoint's (size, root), if any."""
    with lecture(moteur) as connexion:
        taille = taille_journal(connexion)
        dernier = connexion.execute(
            sa.select(journal_checkpoints.c.taille, journal_checkpoints.c.racine)
            .order_by(journal_checkpoints.c.taille.desc()).limit(1)
        ).first()
    return taille, None if dernier is None else (int(dernier.taille), bytes(dernier.racine))


def schema_courant(moteur: Engine) -> str:
    with lecture(moteur) as connexion:
        return str(connexion.execute(sa.text("SELECT current_schema()")).scalar_one())


def tables_presentes(moteur: Engine) -> list[str]:
    with lecture(moteur) as connexion:
        return list(sa.inspect(connexion).get_table_names())


def schemas_postgresql(moteur: Engine) -> set[str]:
    with lecture(moteur) as connexion:
        return set(connexion.execute(sa.text("SELECT nspname FROM pg_namespace")).scalars())
