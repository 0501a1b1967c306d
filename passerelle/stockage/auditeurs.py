"""The auditors' accounts table: rows in, rows out, no meaning.

The rules (identifier syntax, scope, secret hashing, refusals) are in
:mod:`passerelle.auditeurs.comptes`; this module only reads and writes ``auditeurs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import auditeurs, auditeurs_sessions, journal


@dataclass(frozen=True)
class LigneAuditeur:
    identifiant: str
    nom: str
    tous: bool
    organismes: tuple[str, ...]
    actif: bool
    cree_le: datetime
    desactive_le: datetime | None


def _ligne(ligne: sa.Row) -> LigneAuditeur:  # type: ignore[type-arg]
    return LigneAuditeur(
        identifiant=ligne.identifiant,
        nom=ligne.nom,
        tous=bool(ligne.tous),
        organismes=tuple(o for o in ligne.organismes.split(",") if o),
        actif=bool(ligne.actif),
        cree_le=ligne.cree_le,
        desactive_le=ligne.desactive_le,
    )


def lire(connexion: Connection, identifiant: str) -> LigneAuditeur | None:
    ligne = connexion.execute(sa.select(auditeurs).where(auditeurs.c.identifiant == identifiant)).first()
    return _ligne(ligne) if ligne else None


def lister(connexion: Connection) -> list[LigneAuditeur]:
    return [_ligne(r) for r in connexion.execute(sa.select(auditeurs).order_by(auditeurs.c.identifiant))]


def secret_hache(connexion: Connection, identifiant: str) -> str | None:
    """The stored hash of the account's secret (never the secret: it is stored nowhere)."""
    return connexion.execute(
        sa.select(auditeurs.c.secret).where(auditeurs.c.identifiant == identifiant)
    ).scalar_one_or_none()


def inserer(
    connexion: Connection,
    *,
    identifiant: str,
    nom: str,
    organismes: tuple[str, ...] | None,
    secret_hache: str,
    instant: datetime,
) -> None:
    """``organismes=None`` stores the « every organisme » scope."""
    connexion.execute(
        sa.insert(auditeurs).values(
            identifiant=identifiant,
            nom=nom,
            tous=organismes is None,
            organismes=",".join(organismes or ()),
            secret=secret_hache,
            actif=True,
            cree_le=instant,
            desactive_le=None,
        )
    )


def desactiver(connexion: Connection, identifiant: str, instant: datetime) -> None:
    """Mark the account inactive and delete its console sessions, in the caller's transaction."""
    connexion.execute(
        sa.update(auditeurs)
        .where(auditeurs.c.identifiant == identifiant)
        .values(actif=False, desactive_le=instant)
    )
    connexion.execute(sa.delete(auditeurs_sessions).where(auditeurs_sessions.c.auditeur == identifiant))


@dataclass(frozen=True)
class AccesJournalRobot:
    """A journal row written for a robot's access about a person (read by the reconciliation)."""

    index: int
    horodatage: datetime  # as stored: naive on SQLite
    robot: str
    agent: str | None
    organisme: str | None
    nir_index: str
    decision: str
    flux: str | None


def acces_robots(
    connexion: Connection, du: datetime, au: datetime, *, organisme: str | None = None
) -> list[AccesJournalRobot]:
    """Journal rows in ``[du, au)`` naming a robot and a person, refusals left out, in journal order."""
    requete = sa.select(
        journal.c.index, journal.c.horodatage, journal.c.robot, journal.c.agent, journal.c.organisme,
        journal.c.nir_index, journal.c.decision, journal.c.flux,
    ).where(
        journal.c.horodatage >= du,
        journal.c.horodatage < au,
        journal.c.robot.is_not(None),
        journal.c.nir_index.is_not(None),
        journal.c.decision != "refuse",
    )
    if organisme:
        requete = requete.where(journal.c.organisme == organisme)
    return [AccesJournalRobot(*ligne) for ligne in connexion.execute(requete.order_by(journal.c.index))]
