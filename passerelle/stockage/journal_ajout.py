"""Appending one entry to the journal: the next leaf index, taken and inserted in the caller's
transaction (the one counter row serialises the appends, so indexes have no gap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal, journal_taille


@dataclass(frozen=True)
class LigneJournal:
    """The entry's exact canonical bytes and the columns indexed for search."""

    horodatage: datetime
    entree: bytes
    decision: str
    code: str | None
    flux: str | None
    message_id: str | None
    organisme: str | None
    destinataire: str | None
    keyid: str | None
    agent: str | None
    robot: str | None
    nir_index: str | None


def ajouter(connexion: Connection, ligne: LigneJournal) -> int:
    """Append ``ligne``; its leaf index."""
    taille = connexion.execute(_AGRANDIR).scalar_one()
    index = taille - 1
    connexion.execute(_INSERER, {"index": index, **vars(ligne)})
    return int(index)


# Built once: the same statement objects on every append, so SQLAlchemy compiles them once.
_AGRANDIR = (
    sa.update(journal_taille)
    .where(journal_taille.c.id == 1)
    .values(taille=journal_taille.c.taille + 1)
    .returning(journal_taille.c.taille)
)
_INSERER = sa.insert(journal)
