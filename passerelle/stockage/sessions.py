"""The console sessions table, found by a keyed digest of the session id (computed by the caller):
rows in, rows out. Signing, expiry and the account's state are decided in
:mod:`passerelle.console.session`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import auditeurs_sessions


@dataclass(frozen=True)
class LigneSession:
    auditeur: str
    cree_le: datetime
    expire_le: datetime  # as stored: naive on SQLite


def inserer(connexion: Connection, empreinte: str, auditeur: str, cree_le: datetime, expire_le: datetime) -> None:
    connexion.execute(
        sa.insert(auditeurs_sessions).values(empreinte=empreinte, auditeur=auditeur, cree_le=cree_le, expire_le=expire_le)
    )


def supprimer_expirees(connexion: Connection, instant: datetime) -> None:
    connexion.execute(sa.delete(auditeurs_sessions).where(auditeurs_sessions.c.expire_le < instant))


def lire(connexion: Connection, empreinte: str) -> LigneSession | None:
    ligne = connexion.execute(
        sa.select(auditeurs_sessions).where(auditeurs_sessions.c.empreinte == empreinte)
    ).first()
    return LigneSession(ligne.auditeur, ligne.cree_le, ligne.expire_le) if ligne else None


def supprimer(connexion: Connection, empreinte: str) -> None:
    connexion.execute(sa.delete(auditeurs_sessions).where(auditeurs_sessions.c.empreinte == empreinte))
