"""How a request opens its transactions: the one place that takes the write lock and begins.

Every write of the request path runs in ``with transactions.ecrire() as connexion`` (the
process's write lock on SQLite, then one database transaction) or, for the short frequent
transactions of the accept path, in :meth:`Transactions.en_groupe` (committed together with the
others queued meanwhile, ``stockage/ecriture_groupee.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from passerelle.stockage.base import VerrouEcriture, lecture
from passerelle.stockage.ecriture_groupee import EcritureGroupee

T = TypeVar("T")


@dataclass(frozen=True)
class Transactions:
    moteur: Engine
    verrou: VerrouEcriture
    groupe: EcritureGroupee

    @contextlib.contextmanager
    def ecrire(self) -> Iterator[Connection]:
        """One write transaction, committed on leaving, rolled back on an exception."""
        with self.verrou, self.moteur.begin() as connexion:
            yield connexion

    @contextlib.contextmanager
    def lire(self) -> Iterator[Connection]:
        """A read-only connection (no write lock, on SQLite no ``BEGIN IMMEDIATE`` either)."""
        with lecture(self.moteur) as connexion:
            yield connexion

    async def en_groupe(self, travail: Callable[[Connection], T]) -> T:
        """``travail`` in a group-committed transaction; its result once committed. It may run
        twice (its group failed for another's fault): database work only."""
        return await self.groupe.soumettre(travail)
