"""May this robot call now? The time-window half of annex 2, as a pure access decision.

Annex 2 agrees that robot accesses are "planifiés en dehors des heures de forte activité, sur
des plages horaires à déterminer conjointement": a robot request outside its windows is not a
technical incident but an exchange the agreement does not allow, hence a 403 with its own code
(``hors_plage_robot``) and a detail that gives the windows in the caisses' local time, so the
robot's operator can fix its schedule without asking anyone.

The windows are read in the robot's time zone (Europe/Paris unless said), with ``zoneinfo``: a
window agreed as "19:00" stays 19:00 in Paris across daylight-saving changes. The other half
of annex 2, the human-like rate, needs a counter shared by every replica and lives in
:mod:`passerelle.stockage.debit`.
"""

from __future__ import annotations

from datetime import datetime

from passerelle.annuaire.robots import JOURS, PlageHoraire, Robot
from passerelle.erreurs import RefusHabilitation


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

