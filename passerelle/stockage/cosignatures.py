"""The witnesses' cosignatures of the gateway's checkpoints (table ``journal_cosignatures``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal_checkpoints, journal_cosignatures

__all__ = ["cosignatures", "derniere_taille_cosignee", "enregistrer_cosignature", "note_a_la_taille"]


def enregistrer_cosignature(connexion: Connection, taille: int, temoin: str, cle: str, ligne: str, instant: datetime) -> bool:
    """Keep one witness's line for one size; False if that witness already cosigned that size."""
    deja = connexion.execute(sa.select(journal_cosignatures.c.taille).where(
        journal_cosignatures.c.taille == taille, journal_cosignatures.c.temoin == temoin)).first()
    if deja is not None:
        return False
    connexion.execute(sa.insert(journal_cosignatures).values(
        taille=taille, temoin=temoin, cle=cle, ligne=ligne, recue_le=instant))
    return True


def cosignatures(connexion: Connection, taille: int) -> list[tuple[str, str, str]]:
    """(witness, verifier key, signature line) of the cosignatures of one size, by witness name."""
    lignes = connexion.execute(
        sa.select(journal_cosignatures.c.temoin, journal_cosignatures.c.cle, journal_cosignatures.c.ligne)
        .where(journal_cosignatures.c.taille == taille).order_by(journal_cosignatures.c.temoin))
    return [(t, c, ligne) for t, c, ligne in lignes]


def derniere_taille_cosignee(connexion: Connection, temoin: str) -> int | None:
    """The largest size this witness cosigned for us: the ``old`` it expects next (None: never)."""
    taille = connexion.execute(sa.select(sa.func.max(journal_cosignatures.c.taille))
                               .where(journal_cosignatures.c.temoin == temoin)).scalar_one_or_none()
    return None if taille is None else int(taille)


def note_a_la_taille(connexion: Connection, taille: int) -> str | None:
    return connexion.execute(sa.select(journal_checkpoints.c.note)
                             .where(journal_checkpoints.c.taille == taille)).scalar_one_or_none()
