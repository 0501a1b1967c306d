"""Named counters in fixed windows, shared by every replica: a storage primitive, no business.

One row per (name, window) in ``debit_robots`` (the table keeps its historical name and columns:
``robot`` holds the counter's name, ``minute`` the window's number, ``requetes`` the count),
incremented by a single atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` — no
read-then-write race, on SQLite and PostgreSQL alike. The caller chooses what a window is (the
robots' rate uses whole minutes since the epoch) and what a count means; nothing here refuses.

It runs in the caller's transaction: the row lock it takes serialises only the increments of
that one counter.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import debit_robots

GARDER_FENETRES = 60  # past windows kept for inspection, purged when a counter opens a new one


def incrementer(connexion: Connection, nom: str, fenetre: int, *, garder: int = GARDER_FENETRES) -> int:
    """Count one more in window ``fenetre`` of counter ``nom``; the count so far, this one
    included. Opening a window purges that counter's windows older than ``garder``."""
    module = postgresql if connexion.dialect.name == "postgresql" else sqlite
    requete = (
        module.insert(debit_robots)
        .values(robot=nom, minute=fenetre, requetes=1)
        .on_conflict_do_update(
            index_elements=[debit_robots.c.robot, debit_robots.c.minute],
            set_={"requetes": debit_robots.c.requetes + 1},
        )
        .returning(debit_robots.c.requetes)
    )
    compte = int(connexion.execute(requete).scalar_one())
    if compte == 1:
        connexion.execute(
            debit_robots.delete().where(debit_robots.c.robot == nom, debit_robots.c.minute < fenetre - garder)
        )
    return compte
