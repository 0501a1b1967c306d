"""The access decision, in one place: who may call, and what it may send to whom.

Default deny, in two moments of the request path because the facts arrive in two moments:

- :func:`autoriser_appelant` — the caller-level part, for every organisme endpoint once its
  signature and nonce hold: a human agent passes; a robot (annex 2) must name the human behind
  it (``technicien_absent``), call within its agreed windows (``hors_plage_robot``) and at its
  human-like rate (``debit_robot_depasse``, from a count the caller's storage gives, see
  :mod:`passerelle.stockage.compteurs`). Its result, :class:`AppelantAutorise`, is what the
  request path's ``Authentifie`` carries, and what a message needs to be committed.
- :func:`autoriser` — the exchange: one convention in force grants this flux from this sender
  to this destination for the sending key's profile (the pure rules of
  :mod:`passerelle.habilitations.decision`, its private part). The :class:`Autorisation`
  returned names its convention (the decision's code, journaled with the message) and carries
  the minimisation cut: :meth:`Autorisation.couper` refuses, once the message is validated,
  every field its habilitation does not let the sender send (``champ_non_autorise``).

The exchange part takes the caller whose signature holds (``Appelant``), not the admitted one:
the accept path decides it before its transaction, and raises its refusal only after the
caller's admission, in the order of the checks (``reception/chemin.py``).

Nothing here reads the database or the clock: facts, a count, an instant are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from passerelle.annuaire.modeles import Organisme
from passerelle.annuaire.robots import Robot
from passerelle.erreurs import RefusAuthentification
from passerelle.habilitations.conventions import Convention, Habilitation
from passerelle.habilitations.decision import FaitsEchange, decider
from passerelle.habilitations.minimisation import verifier_champs_emis
from passerelle.habilitations.suspensions import Suspension
from passerelle.habilitations.robots import minute_de, verifier_debit, verifier_plage, verifier_technicien
from passerelle.signature.authentification import Appelant

# (counter name, window number) -> the count in that window, this request included.
Compteur = Callable[[str, int], int]


@dataclass(frozen=True)
class AppelantAutorise:
    """A caller allowed to call now: a human agent, or a robot within its agreement."""

    appelant: Appelant
    robot: Robot | None = None
    requetes_minute: int | None = None  # a robot's count in the current minute


def autoriser_appelant(
    appelant: Appelant, robots: Mapping[str, Robot], instant: datetime, compter: Compteur
) -> AppelantAutorise:
    """The caller-level decision. ``compter`` is called for a robot only, after its technician
    and window hold (a refused attempt before them does not count against its rate)."""
    robot_id = appelant.cle.robot
    if robot_id is None:
        return AppelantAutorise(appelant)
    robot = robots.get(robot_id)
    if robot is None:  # the loader refuses such a key; never trust a stale snapshot
        raise RefusAuthentification("cle_inconnue", f"le robot {robot_id!r} de la clé n'est plus déclaré")
    verifier_technicien(robot, appelant.cle.keyid, appelant.agent)
    verifier_plage(robot, instant)
    requetes = compter(robot.id, minute_de(instant))
    verifier_debit(robot, requetes, instant)
    return AppelantAutorise(appelant, robot, requetes)


@dataclass(frozen=True)
class Autorisation:
    """An exchange allowed: by which convention (the code journaled), for what purpose, under
    which habilitation (its delays, its minimisation cut)."""

    convention: str
    finalite: str
    habilitation: Habilitation

    def couper(self, donnees: Mapping[str, Any]) -> None:
        """The minimisation cut at the source, applied after validation: refuse
        (``champ_non_autorise``, every such field listed) what the habilitation does not let
        the sender send."""
        verifier_champs_emis(self.habilitation, donnees)


def autoriser(
    appelant: Appelant,
    destinataire: Organisme,
    flux: str,
    jour: date,
    conventions: Iterable[Convention],
    suspensions: Mapping[str, Suspension] | None = None,
    instant: datetime | None = None,
) -> Autorisation:
    """The exchange-level decision: the first refusal of :func:`decider` (convention suspended
    on a breach — art. 3.3 —, profile, convention not in force or void, destination, direction,
    none at all), or the convention allowing it. ``suspensions``: those in force as this replica
    last read them, judged at ``instant``."""
    faits = FaitsEchange(
        emetteur=appelant.organisme,
        destinataire=destinataire,
        flux=flux,
        jour=jour,
        profil=appelant.cle.profil,
        instant=instant,
    )
    accord = decider(faits, conventions, suspensions)
    return Autorisation(convention=accord.convention, finalite=accord.finalite, habilitation=accord.habilitation)
