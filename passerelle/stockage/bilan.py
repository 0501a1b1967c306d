"""Whole-table reads for the demonstration's summary (demo/resume.py): every message, delivery
and batch, and the journal's counts by decision. Rows as stored, for a small base only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal, livraisons, lots, messages


def compter_journal(connexion: Connection) -> tuple[int, dict[str, int]]:
    """The journal's entries, and their count per decision."""
    entrees = connexion.execute(sa.select(sa.func.count()).select_from(journal)).scalar_one()
    decisions = dict(connexion.execute(sa.select(journal.c.decision, sa.func.count()).group_by(journal.c.decision)).all())
    return int(entrees), {d: int(n) for d, n in decisions.items()}


@dataclass(frozen=True)
class Contenu:
    messages: list[Any]  # rows: id, flux, emetteur, destinataire, recu_le, statut, acquitte_le, en_reponse_a
    livraisons: dict[str, Any]  # message id → its delivery row
    refus: Counter[str]  # refusal code → entries
    consultes: set[str]  # message ids read from an inbox at least once
    lots: list[Any]  # batch rows


def lire_tout(connexion: Connection) -> Contenu:
    msgs = connexion.execute(sa.select(messages.c.id, messages.c.flux, messages.c.emetteur, messages.c.destinataire,
                                       messages.c.recu_le, messages.c.statut, messages.c.acquitte_le,
                                       messages.c.en_reponse_a)).all()
    livs = {r.message_id: r for r in connexion.execute(sa.select(livraisons)).all()}
    refus = Counter(code for (code,) in connexion.execute(sa.select(journal.c.code).where(journal.c.decision == "refuse")))
    consultes = {m for (m,) in connexion.execute(sa.select(journal.c.message_id).where(journal.c.decision == "consulte"))}
    return Contenu(list(msgs), livs, refus, consultes, list(connexion.execute(sa.select(lots)).all()))
