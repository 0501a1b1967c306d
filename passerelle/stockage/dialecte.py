"""The one place where SQLite and PostgreSQL differ in the SQL we write."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def inserer_sauf_conflit(connexion: Connection, table: sa.Table, valeurs: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted.

    Used where a uniqueness conflict is the answer (a replayed nonce, an idempotency key already
    taken), so a PostgreSQL transaction is never aborted by an expected duplicate.
    """
    requete = _requete(connexion.dialect.name, table)
    return connexion.execute(requete, valeurs).first() is not None


@functools.cache
def _requete(dialecte: str, table: sa.Table) -> Any:
    """One statement per table and dialect, reused: compiled once instead of per call."""
    module = postgresql if dialecte == "postgresql" else sqlite
    cle = next(iter(table.primary_key.columns))
    return module.insert(table).on_conflict_do_nothing().returning(cle)
