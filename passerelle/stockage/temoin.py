"""The witness's own durable state (``passerelle temoin``): its own small database, not the gateway's.

``temoin_journaux``: per log origin, the last checkpoint it cosigned (size, root, the note as
received). ``temoin_refus``: every checkpoint refused for an inconsistency, WITH the checkpoint
it contradicts — two notes signed by the same log key that cannot both be true are the proof of
a split view, kept for whoever must act on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = ["EtatJournal", "RefusTemoin", "consigner_refus", "creer_schema", "enregistrer", "etat", "metadata_temoin", "refus"]

metadata_temoin = sa.MetaData()
Horodatage = sa.DateTime(timezone=True)

temoin_journaux = sa.Table(
    "temoin_journaux",
    metadata_temoin,
    sa.Column("origine", sa.String(256), primary_key=True),
    sa.Column("taille", sa.BigInteger, nullable=False),
    sa.Column("racine", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("cosigne_le", Horodatage, nullable=False),
)

temoin_refus = sa.Table(
    "temoin_refus",
    metadata_temoin,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("origine", sa.String(256), nullable=False, index=True),
    sa.Column("recu_le", Horodatage, nullable=False),
    sa.Column("motif", sa.Text, nullable=False),
    sa.Column("ancienne", sa.BigInteger, nullable=False),
    sa.Column("preuve", sa.Text, nullable=False),  # the proof lines as received
    sa.Column("note_connue", sa.Text),  # the checkpoint the witness had cosigned
    sa.Column("note_recue", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class EtatJournal:
    taille: int
    racine: bytes
    note: str


@dataclass(frozen=True)
class RefusTemoin:
    origine: str
    recu_le: datetime
    motif: str
    ancienne: int
    note_connue: str | None
    note_recue: str


def creer_schema(moteur: Engine) -> None:
    metadata_temoin.create_all(moteur)


def etat(connexion: Connection, origine: str) -> EtatJournal | None:
    """The last cosigned checkpoint of ``origine``, the row locked on PostgreSQL until commit."""
    ligne = connexion.execute(
        sa.select(temoin_journaux.c.taille, temoin_journaux.c.racine, temoin_journaux.c.note)
        .where(temoin_journaux.c.origine == origine).with_for_update()
    ).first()
    return None if ligne is None else EtatJournal(int(ligne.taille), bytes(ligne.racine), ligne.note)


def enregistrer(connexion: Connection, origine: str, taille: int, racine: bytes, note: str, instant: datetime,
                *, existe: bool) -> None:
    valeurs = {"taille": taille, "racine": racine, "note": note, "cosigne_le": instant}
    if existe:
        connexion.execute(sa.update(temoin_journaux).where(temoin_journaux.c.origine == origine).values(**valeurs))
    else:
        connexion.execute(sa.insert(temoin_journaux).values(origine=origine, **valeurs))


def consigner_refus(connexion: Connection, origine: str, instant: datetime, motif: str, ancienne: int, preuve: str,
                    note_connue: str | None, note_recue: str) -> None:
    connexion.execute(sa.insert(temoin_refus).values(
        origine=origine, recu_le=instant, motif=motif, ancienne=ancienne, preuve=preuve,
        note_connue=note_connue, note_recue=note_recue))


def refus(connexion: Connection, origine: str | None = None) -> list[RefusTemoin]:
    requete = sa.select(temoin_refus).order_by(temoin_refus.c.id)
    if origine is not None:
        requete = requete.where(temoin_refus.c.origine == origine)
    return [RefusTemoin(r.origine, r.recu_le, r.motif, int(r.ancienne), r.note_connue, r.note_recue)
            for r in connexion.execute(requete)]
