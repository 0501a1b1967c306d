"""Reading what the C2SP tiles are made of: ranges of stored tree nodes and of journal entries.

Two range scans on primary keys (``journal_noeuds(niveau, index)``, ``journal(index)``): a tile
costs one query whatever the size of the journal. Plain rows out, no business decision here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal, journal_checkpoints, journal_noeuds

__all__ = ["dernier_checkpoint_taille", "lire_entrees", "lire_hashes"]


def lire_hashes(connexion: Connection, niveau: int, debut: int, fin: int) -> list[bytes]:
    """Hashes of the complete subtrees ``(niveau, debut … fin - 1)``, in index order."""
    lignes = connexion.execute(
        sa.select(journal_noeuds.c.hash)
        .where(journal_noeuds.c.niveau == niveau, journal_noeuds.c.index >= debut, journal_noeuds.c.index < fin)
        .order_by(journal_noeuds.c.index)
    )
    return [bytes(h) for (h,) in lignes]


def lire_entrees(connexion: Connection, debut: int, fin: int) -> list[bytes]:
    """The exact hashed bytes of the entries ``debut … fin - 1``, in index order."""
    lignes = connexion.execute(
        sa.select(journal.c.entree).where(journal.c.index >= debut, journal.c.index < fin).order_by(journal.c.index)
    )
    return [bytes(e) for (e,) in lignes]


def dernier_checkpoint_taille(connexion: Connection) -> tuple[int, str] | None:
    """Size and signed note of the latest checkpoint, or None before the first one."""
    ligne = connexion.execute(
        sa.select(journal_checkpoints.c.taille, journal_checkpoints.c.note)
        .order_by(journal_checkpoints.c.taille.desc())
        .limit(1)
    ).first()
    return None if ligne is None else (int(ligne.taille), ligne.note)
