"""Appending one entry to the journal: the next leaf index, taken and inserted in the caller's
transaction (the one counter row serialises the appends, so indexes have no gap).

Inside a block of deferred inserts (``differes.py``) the first entry reads the counter row and
locks it until the transaction ends (``FOR UPDATE``; on SQLite the transaction already holds the
only write lock), and the entries of the block take the following indexes without asking it
again: no one else can append meanwhile. On leaving the block the counter is moved past the last
index given and the entries are written in one statement; a block left on an exception changes
neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage import differes
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


@dataclass
class _Reserve:
    """The indexes given in one block: the counter row said ``taille``, ``suivant`` is next."""

    taille: int
    suivant: int

    def mettre_a_jour(self, connexion: Connection) -> None:
        taille = connexion.execute(_AGRANDIR_DE, {"de": self.suivant - self.taille}).scalar_one()
        if taille != self.suivant:  # someone appended around ``ajouter``: the caller rolls back
            raise RuntimeError(f"compteur du journal à {taille}, {self.suivant} attendu: ajout hors de journal_ajout")


def ajouter(connexion: Connection, ligne: LigneJournal) -> int:
    """Append ``ligne``; its leaf index."""
    tampon = differes.tampon(connexion)
    if tampon is None:
        index = int(connexion.execute(_AGRANDIR).scalar_one()) - 1
        connexion.execute(_INSERER, {"index": index, **vars(ligne)})
        return index
    reserve = tampon.etats.get(_RESERVE)
    if reserve is None:
        taille = int(connexion.execute(_LIRE_ET_VERROUILLER).scalar_one())
        reserve = tampon.etats[_RESERVE] = _Reserve(taille=taille, suivant=taille)
        tampon.avant.append(reserve.mettre_a_jour)
    index = reserve.suivant
    reserve.suivant += 1
    tampon.garder(_INSERER, {"index": index, **vars(ligne)})
    return index


# Built once: the same statement objects on every append, so SQLAlchemy compiles them once.
_AGRANDIR = (
    sa.update(journal_taille)
    .where(journal_taille.c.id == 1)
    .values(taille=journal_taille.c.taille + 1)
    .returning(journal_taille.c.taille)
)
_LIRE_ET_VERROUILLER = sa.select(journal_taille.c.taille).where(journal_taille.c.id == 1).with_for_update()
_AGRANDIR_DE = (
    sa.update(journal_taille)
    .where(journal_taille.c.id == 1)
    .values(taille=journal_taille.c.taille + sa.bindparam("de", type_=sa.BigInteger))
    .returning(journal_taille.c.taille)
)
_INSERER = sa.insert(journal)
_RESERVE = "journal"
