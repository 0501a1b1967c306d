"""The robots' human-like rate (annex 2), counted in the database so every replica shares it.

Annex 2 promises the retirement side that robots call "à un rythme identique ou très peu
supérieur à celui des humains". A per-process counter would multiply the agreed rate by the
number of replicas, so the count lives in ``debit_robots``: one row per robot and minute (a
fixed window, the simplest rule both sides can check against their own logs), incremented by a
single atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` — no read-then-write race.

It runs in the request's own transaction, after the signature is verified: a refusal (429)
commits the count with its journal entry, so a robot that keeps trying stays refused until the
next minute; the row lock it takes serialises only that robot's concurrent requests, which a
human-like rate makes rare. Attempts count, not only successes: the agreement is about load.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from passerelle.annuaire.robots import Robot
from passerelle.erreurs import Refus
from passerelle.stockage.tables import debit_robots

GARDER_MINUTES = 60  # past windows kept for inspection, purged when a robot opens a new one


class RefusDebitRobot(Refus):
    """429 ``debit_robot_depasse``, with ``Retry-After`` (RFC 9110) set to the next window."""

    def __init__(self, robot: Robot, requetes: int, attente: int) -> None:
        super().__init__(
            code="debit_robot_depasse",
            detail=(
                f"l'assistant digital {robot.id} est limité à {robot.debit_par_minute} requêtes par minute "
                f"(rythme humain convenu, annexe 2); c'est la {requetes}e de cette minute: réessayer "
                f"dans {attente} s"
            ),
            statut=429,
            titre="Débit du robot dépassé",
            entetes={"Retry-After": str(attente)},
        )


def minute_de(instant: datetime) -> int:
    """The fixed window an instant falls in: the number of whole minutes since the epoch."""
    return int(instant.timestamp()) // 60


def secondes_avant_minute_suivante(instant: datetime) -> int:
    reste = 60 - (instant.timestamp() % 60)
    return max(1, int(reste) if reste == int(reste) else int(reste) + 1)


def compter(connexion: Connection, robot: str, instant: datetime) -> int:
    """Count one request of ``robot`` in the minute of ``instant``; the count so far, this one
    included. Atomic on SQLite and PostgreSQL alike."""
    minute = minute_de(instant)
    module = postgresql if connexion.dialect.name == "postgresql" else sqlite
    requete = (
        module.insert(debit_robots)
        .values(robot=robot, minute=minute, requetes=1)
        .on_conflict_do_update(
            index_elements=[debit_robots.c.robot, debit_robots.c.minute],
            set_={"requetes": debit_robots.c.requetes + 1},
        )
        .returning(debit_robots.c.requetes)
    )
    requetes = int(connexion.execute(requete).scalar_one())
    if requetes == 1:
        connexion.execute(
            debit_robots.delete().where(
                debit_robots.c.robot == robot, debit_robots.c.minute < minute - GARDER_MINUTES
            )
        )
    return requetes


def verifier_debit(connexion: Connection, robot: Robot, instant: datetime) -> int:
    """Count the request and refuse it (429) beyond the robot's agreed rate; the count."""
    requetes = compter(connexion, robot.id, instant)
    if requetes > robot.debit_par_minute:
        raise RefusDebitRobot(robot, requetes, secondes_avant_minute_suivante(instant))
    return requetes
