"""Inserts that wait for the end of their transaction: one multi-row statement per table.

A group of acceptances (group commit, ``ecriture_groupee.py``) or a chunk of batch lines writes,
per message, a journal entry, a message row and, for a destination served by a connector, an
outbox row. One by one, that is a statement each — and a statement costs far more in the driver
and SQLAlchemy than in the database. Inside :func:`differer`, ``journal_ajout.ajouter``,
``messages.inserer`` and ``livraisons.programmer`` only keep their rows
(a journal entry still gets its leaf index at once, see ``journal_ajout.py``), and leaving the
block writes each table's rows in one ``executemany`` (a multi-row ``INSERT`` on PostgreSQL),
in the order they were kept, still inside the transaction: they commit, or roll back, with
everything else it did.

The one rule of a block: nothing in it reads back the journal entries, message rows or outbox
rows written in it. It holds for what runs there (the accept path, batch lines): what a message is
checked against — an earlier message it answers, its case, the nonces, the idempotency records
— was committed by an earlier transaction, since a message's id reaches nobody before its
transaction commits.

Leaving the block on an exception writes nothing, and nothing of it was written before (the
journal counter too is brought up to date only at the end): the caller rolls its transaction
back, as the group commit and the batch chunks do. A block opened inside another on the same
connection adds to the outer one, which writes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

_CLE = "passerelle.inserts_differes"  # in ``Connection.info``, only while a block is open


@dataclass
class Tampon:
    """The rows kept, per insert statement (first kept, first written), and what must run
    before they are written (a counter brought up to date)."""

    lignes: dict[Insert, list[dict[str, Any]]] = field(default_factory=dict)
    avant: list[Callable[[Connection], None]] = field(default_factory=list)
    etats: dict[str, Any] = field(default_factory=dict)  # a writer's own state for the block

    def garder(self, instruction: Insert, valeurs: dict[str, Any]) -> None:
        self.lignes.setdefault(instruction, []).append(valeurs)

    def ecrire(self, connexion: Connection) -> None:
        for fonction in self.avant:
            fonction(connexion)
        for instruction, lignes in self.lignes.items():
            connexion.execute(instruction, lignes)


def tampon(connexion: Connection) -> Tampon | None:
    """The open block's rows on this connection, or None: then a writer inserts at once."""
    return connexion.info.get(_CLE)


def inserer(connexion: Connection, instruction: Insert, valeurs: dict[str, Any]) -> None:
    """Insert one row: at once, or at the end of the block open on this connection."""
    garde = tampon(connexion)
    if garde is None:
        connexion.execute(instruction, valeurs)
    else:
        garde.garder(instruction, valeurs)


@contextlib.contextmanager
def differer(connexion: Connection) -> Iterator[None]:
    """Keep the journal entries, message rows and outbox rows of this block; write them on leaving it."""
    if _CLE in connexion.info:  # inside an outer block: it writes
        yield
        return
    garde = Tampon()
    connexion.info[_CLE] = garde
    try:
        yield
    finally:
        del connexion.info[_CLE]  # on an exception the rows are dropped with the transaction
    garde.ecrire(connexion)  # by statements that no longer keep their rows
