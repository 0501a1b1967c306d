"""May this robot call now? The time-window half of annex 2, as a pure access decision.

Annex 2 agrees that robot accesses are "planifiés en dehors des heures de forte activité, sur
des plages horaires à déterminer conjointement": a robot request outside its windows is not a
technical incident but an exchange the agreement does not allow, hence a 403 with its own code
(``hors_plage_robot``) and a detail that gives the windows in the caisses' local time, so the
robot's operator can fix its schedule without asking anyone.

The windows are read in the robot's time zone (Europe/Paris unless said), with ``zoneinfo``: a
window agreed as "19:00" stays 19:00 in Paris across daylight-saving changes.

The other half of annex 2, the human-like rate ("à un rythme identique ou très peu supérieur à
celui des humains"), is decided here too, from a count: a per-process counter would multiply the
agreed rate by the number of replicas, so the count comes from a counter shared in the database
(:mod:`passerelle.stockage.compteurs`, one per robot and minute — a fixed window, the simplest
rule both sides can check against their own logs). Attempts count, not only successes: the
agreement is about load. The composition (technician, window, rate, in that order) is
:func:`passerelle.habilitations.autorisation.autoriser_appelant`.
"""

from __future__ import annotations

from datetime import datetime

from passerelle.annuaire.robots import JOURS, PlageHoraire, Robot
from passerelle.erreurs import Refus, RefusHabilitation


class RefusHorsPlage(RefusHabilitation):
    """403 ``hors_plage_robot``: outside every window agreed for this robot."""

    def __init__(self, robot: Robot, local: datetime) -> None:
        super().__init__(
            "hors_plage_robot",
            f"l'assistant digital {robot.id} ({robot.organisme}) n'est autorisé que sur les plages "
            f"convenues (heure locale {robot.fuseau}): {robot.plages_texte()}; il est "
            f"{local:%H:%M} le {JOURS[local.weekday()]} {local:%d/%m/%Y}",
        )


class RefusTechnicienAbsent(RefusHabilitation):
    """403 ``technicien_absent``: annex 2 ties every robot access to the human behind it."""

    def __init__(self, robot: Robot) -> None:
        super().__init__(
            "technicien_absent",
            f"l'assistant digital {robot.id} doit nommer dans Passerelle-Agent le technicien à "
            "l'origine de la demande, pas lui-même (annexe 2)",
        )


def dans_la_plage(plage: PlageHoraire, local: datetime) -> bool:
    """``local`` is a wall-clock time in the robot's zone. A wrapping window (19:00 → 07:00) is
    the evening and the early morning of each day it names."""
    if local.weekday() not in plage.jours:
        return False
    heure = local.time().replace(tzinfo=None)
    if plage.a is None:
        return heure >= plage.de
    if plage.de < plage.a:
        return plage.de <= heure < plage.a
    return heure >= plage.de or heure < plage.a


def heure_locale(robot: Robot, instant: datetime) -> datetime:
    return instant.astimezone(robot.zone)


def verifier_plage(robot: Robot, instant: datetime) -> None:
    """Allow when ``instant`` (aware, any zone) falls in one of the robot's windows."""
    local = heure_locale(robot, instant)
    if not any(dans_la_plage(p, local) for p in robot.plages):
        raise RefusHorsPlage(robot, local)


def verifier_technicien(robot: Robot, keyid: str, agent: str) -> None:
    """The robot must name a human, not itself: the reconciliation of annex 2 depends on it."""
    nom = agent.strip().lower()
    if nom in {robot.id.lower(), keyid.lower()}:
        raise RefusTechnicienAbsent(robot)



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


def verifier_debit(robot: Robot, requetes: int, instant: datetime) -> None:
    """Refuse (429) the ``requetes``-th request of this minute beyond the robot's agreed rate."""
    if requetes > robot.debit_par_minute:
        raise RefusDebitRobot(robot, requetes, secondes_avant_minute_suivante(instant))
