"""The journal entries of one exchange: a message, and the messages that answer it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal, messages

__all__ = ["EntreeEchange", "entrees_echange"]


class EntreeEchange:
    __slots__ = ("index", "octets", "message", "organisme", "destinataire")

    def __init__(self, index: int, octets: bytes, message: str, organisme: str | None, destinataire: str | None) -> None:
        self.index, self.octets, self.message = index, octets, message
        self.organisme, self.destinataire = organisme, destinataire


def entrees_echange(connexion: Connection, message_id: str) -> tuple[list[str], list[EntreeEchange]]:
    """The message and its answers (in order of acceptance), and every entry naming one of them."""
    reponses = [m for (m,) in connexion.execute(
        sa.select(messages.c.id).where(messages.c.en_reponse_a == message_id).order_by(messages.c.seq))]
    ids = [message_id, *(r for r in reponses if r != message_id)]
    lignes = connexion.execute(
        sa.select(journal.c.index, journal.c.entree, journal.c.message_id, journal.c.organisme, journal.c.destinataire)
        .where(journal.c.message_id.in_(ids))
        .order_by(journal.c.index)
    )
    entrees = [EntreeEchange(int(i), bytes(e), m, o, d) for i, e, m, o, d in lignes]
    return ids, entrees
