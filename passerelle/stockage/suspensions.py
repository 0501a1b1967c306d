"""The conventions suspended now: their rows, and the cached view every replica decides on.

A suspension in force is one row of ``suspensions`` (the primary key is the convention: two
administrators suspending at once on two replicas, one wins, the other is told it already is);
a resumption deletes it. What happened, and when, is the journal's. Each gateway process reads
the whole table again at most once per ``intervalle`` (the directory reload interval,
``reglages.relecture_annuaire``), measured on the injected clock: a suspension made through one
replica is in force on every other one within that interval, on its own at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection, Engine

from passerelle.stockage.base import lecture
from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import suspensions

journal_technique = structlog.get_logger("passerelle.suspensions")


@dataclass(frozen=True)
class Suspension:
    """One convention suspended: since when, why, by whom (``organisme`` None: the operator)."""

    convention: str
    suspendue_le: datetime
    motif: str
    par: str
    organisme: str | None
    journal_index: int


def _utc(instant: datetime) -> datetime:
    """SQLite gives back naive UTC date-times; PostgreSQL aware ones."""
    return instant.astimezone(timezone.utc) if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def _ligne(ligne: sa.Row) -> Suspension:  # type: ignore[type-arg]
    return Suspension(
        convention=ligne.convention,
        suspendue_le=_utc(ligne.suspendue_le),
        motif=ligne.motif,
        par=ligne.par,
        organisme=ligne.organisme,
        journal_index=int(ligne.journal_index),
    )


def lire_toutes(connexion: Connection) -> dict[str, Suspension]:
    return {s.convention: s for s in map(_ligne, connexion.execute(sa.select(suspensions)))}


def lire(connexion: Connection, convention: str) -> Suspension | None:
    ligne = connexion.execute(sa.select(suspensions).where(suspensions.c.convention == convention)).first()
    return _ligne(ligne) if ligne is not None else None


def inserer(connexion: Connection, suspension: Suspension) -> bool:
    """False (nothing written) when the convention is already suspended."""
    return inserer_sauf_conflit(
        connexion,
        suspensions,
        {
            "convention": suspension.convention,
            "suspendue_le": suspension.suspendue_le,
            "motif": suspension.motif,
            "par": suspension.par,
            "organisme": suspension.organisme,
            "journal_index": suspension.journal_index,
        },
    )


def noter_index(connexion: Connection, convention: str, journal_index: int) -> None:
    """The journal entry of the suspension, written after the row (which decides who won)."""
    connexion.execute(
        sa.update(suspensions).where(suspensions.c.convention == convention).values(journal_index=journal_index)
    )


def supprimer(connexion: Connection, convention: str) -> Suspension | None:
    """The suspension removed (resumption), None when the convention was not suspended."""
    ligne = connexion.execute(
        sa.delete(suspensions).where(suspensions.c.convention == convention).returning(*suspensions.c)
    ).first()
    return _ligne(ligne) if ligne is not None else None


class SourceSuspensions:
    """The suspensions in force as this process last read them, read again once ``intervalle``
    seconds of ``horloge`` have passed since (or when the clock went back). While one thread
    reads, the others decide on the previous view rather than wait for it: a request never
    blocks on another's refresh. A failed read of its own keeps the previous view (logged) and
    is retried on the next request; without any view yet, the error is the request's."""

    def __init__(self, moteur: Engine, *, intervalle: float, horloge: Callable[[], datetime]) -> None:
        self._moteur = moteur
        self._intervalle = intervalle
        self._horloge = horloge
        self._verrou = threading.Lock()
        self._vue: Mapping[str, Suspension] | None = None
        self._lue_le: datetime | None = None

    def _perimee(self, maintenant: datetime) -> bool:
        if self._lue_le is None:
            return True
        ecart = (maintenant - self._lue_le).total_seconds()
        return ecart < 0 or ecart >= self._intervalle

    def actuel(self, connexion: Connection | None = None) -> Mapping[str, Suspension]:
        """The view; a refresh reads through ``connexion`` when the caller is in a transaction,
        otherwise through a read-only connection (:func:`~passerelle.stockage.base.lecture`:
        on SQLite it must not take the write lock — the caller may be the event loop, for which
        the group commit holding that lock is waiting)."""
        maintenant = self._horloge()
        if self._vue is not None and not self._perimee(maintenant):
            return self._vue
        if not self._verrou.acquire(blocking=self._vue is None):
            return self._vue  # type: ignore[return-value]  # another thread is reading: blocking only without a view
        try:
            if self._vue is None or self._perimee(maintenant):
                try:
                    if connexion is not None:
                        vue = lire_toutes(connexion)
                    else:
                        with lecture(self._moteur) as propre:
                            vue = lire_toutes(propre)
                except sa.exc.SQLAlchemyError:
                    if connexion is not None:
                        raise  # the caller's transaction is spoilt: its request fails as any other would
                    if self._vue is None:
                        raise
                    journal_technique.exception("suspensions_illisibles")
                    return self._vue
                self._vue = MappingProxyType(vue)
                self._lue_le = maintenant
            return self._vue
        finally:
            self._verrou.release()

    def invalider(self) -> None:
        """Read again on the next request (this process just changed the table)."""
        self._lue_le = None
