"""Outbox rows: what remains to push, claimed under a lease so that replicas share the work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage import differes
from passerelle.stockage.tables import livraisons

A_LIVRER = "a_livrer"
EN_COURS = "en_cours"
ECHEC = "echec"  # failed, another attempt is scheduled
LIVRE = "livre"
MORTE = "morte"  # gave up: visible, re-drivable, never silently dropped

TAILLE_ERREUR = 512


@dataclass(frozen=True)
class LigneLivraison:
    message_id: str
    destinataire: str
    connecteur: str
    statut: str
    tentatives: int
    prochaine_tentative: datetime
    derniere_erreur: str | None
    livre_le: datetime | None
    accuse: str | None


def _ligne(row: sa.Row) -> LigneLivraison:
    m = row._mapping
    return LigneLivraison(
        message_id=m["message_id"],
        destinataire=m["destinataire"],
        connecteur=m["connecteur"],
        statut=m["statut"],
        tentatives=m["tentatives"],
        prochaine_tentative=m["prochaine_tentative"],
        derniere_erreur=m["derniere_erreur"],
        livre_le=m["livre_le"],
        accuse=m["accuse"],
    )


_PROGRAMMER = sa.insert(livraisons)  # one statement object, compiled once


def programmer(connexion: Connection, message_id: str, destinataire: str, connecteur: str, instant: datetime) -> None:
    """At once, or at the end of the open block of deferred inserts (``differes.py``)."""
    differes.inserer(connexion, _PROGRAMMER, dict(message_id=message_id, destinataire=destinataire, connecteur=connecteur,
                                                  statut=A_LIVRER, tentatives=0, prochaine_tentative=instant))


def reserver(connexion: Connection, instant: datetime, bail: timedelta, limite: int) -> list[LigneLivraison]:
    """Claim up to ``limite`` due deliveries (or ones whose lease ran out: their worker died).

    On PostgreSQL the rows another replica is claiming are skipped, not waited for.
    """
    dues = sa.or_(
        sa.and_(livraisons.c.statut.in_((A_LIVRER, ECHEC)), livraisons.c.prochaine_tentative <= instant),
        sa.and_(livraisons.c.statut == EN_COURS, livraisons.c.bail_jusqu_a < instant),
    )
    ids = [
        r.message_id
        for r in connexion.execute(
            sa.select(livraisons.c.message_id)
            .where(dues)
            .order_by(livraisons.c.prochaine_tentative)
            .limit(limite)
            .with_for_update(skip_locked=True)
        )
    ]
    if not ids:
        return []
    connexion.execute(
        sa.update(livraisons)
        .where(livraisons.c.message_id.in_(ids))
        .values(statut=EN_COURS, bail_jusqu_a=instant + bail, tentatives=livraisons.c.tentatives + 1)
    )
    rows = connexion.execute(sa.select(livraisons).where(livraisons.c.message_id.in_(ids)))
    return sorted((_ligne(r) for r in rows), key=lambda l: (l.prochaine_tentative, l.message_id))


def _tenue(message_id: str, tentative: int) -> sa.ColumnElement[bool]:
    """The row is still held by the claim that made attempt ``tentative``: not re-claimed by
    another replica once its lease ran out (the worker was slow, or its base was away), and not
    recorded yet. An outcome is recorded — and journaled — only by the claim that holds it."""
    return sa.and_(livraisons.c.message_id == message_id, livraisons.c.statut == EN_COURS,
                   livraisons.c.tentatives == tentative)


def noter_livree(connexion: Connection, message_id: str, instant: datetime, accuse: str | None, tentative: int) -> bool:
    """False when the claim was lost: another worker holds the row, and will record it."""
    resultat = connexion.execute(
        sa.update(livraisons)
        .where(_tenue(message_id, tentative))
        .values(statut=LIVRE, livre_le=instant, accuse=(accuse or None) and accuse[:256], bail_jusqu_a=None)
    )
    return resultat.rowcount == 1


def noter_echec(connexion: Connection, message_id: str, erreur: str, prochaine: datetime | None,
                tentative: int) -> str | None:
    """Schedule another attempt at ``prochaine``, or give up (dead letter) when it is None.
    None when the claim was lost (see :func:`noter_livree`)."""
    statut = ECHEC if prochaine is not None else MORTE
    valeurs: dict[str, object] = {"statut": statut, "derniere_erreur": erreur[:TAILLE_ERREUR], "bail_jusqu_a": None}
    if prochaine is not None:
        valeurs["prochaine_tentative"] = prochaine
    resultat = connexion.execute(sa.update(livraisons).where(_tenue(message_id, tentative)).values(**valeurs))
    return statut if resultat.rowcount == 1 else None


def relancer(connexion: Connection, message_id: str, instant: datetime) -> bool:
    """Put a dead delivery back in the queue with a fresh attempt budget."""
    resultat = connexion.execute(
        sa.update(livraisons)
        .where(livraisons.c.message_id == message_id, livraisons.c.statut == MORTE)
        .values(statut=A_LIVRER, tentatives=0, prochaine_tentative=instant)
        .returning(livraisons.c.message_id)
    )
    return resultat.first() is not None


def lire(connexion: Connection, message_id: str) -> LigneLivraison | None:
    row = connexion.execute(sa.select(livraisons).where(livraisons.c.message_id == message_id)).first()
    return _ligne(row) if row is not None else None


def lister(connexion: Connection, *, destinataire: str | None = None, statut: str | None = None, limite: int = 100) -> list[LigneLivraison]:
    requete = sa.select(livraisons).order_by(livraisons.c.prochaine_tentative).limit(limite)
    if destinataire is not None:
        requete = requete.where(livraisons.c.destinataire == destinataire)
    if statut is not None:
        requete = requete.where(livraisons.c.statut == statut)
    return [_ligne(r) for r in connexion.execute(requete)]
