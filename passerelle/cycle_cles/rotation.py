"""What the re-encryption and re-indexing passes use, passed in by whoever runs them (the
server's background task, ``passerelle secrets rechiffrer|reindexer``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from passerelle.journal.ecriture import Journal
from passerelle.stockage.base import VerrouEcriture
from passerelle.stockage.chiffrement import Coffre


@dataclass(frozen=True)
class Rotation:
    """The database and its write lock, the clock, the journal (each transaction is journaled;
    its blind-index keys too), the at-rest keys, and the rows per transaction (``rotation_lot``)."""

    moteur: Engine
    ecriture: VerrouEcriture
    horloge: Callable[[], datetime]
    journal: Journal
    coffre: Coffre
    lot: int
