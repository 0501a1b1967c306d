"""The accelerated clock of the demonstration — development mode only.

A compressed year needs the gateway's calendar to run fast: the legal-age windows, receipts and
journal timestamps are all read from ``services.horloge``. The clock is a straight line shared
by every process of the demonstration (the gateway and both simulated caisses)::

    simulated(t) = debut + (t - origine) × facteur        t: the machine's real clock

Every process gets the same three numbers (``debut``, ``facteur``, ``origine`` — an absolute
Unix instant, not "my start"), so on one machine they all read the same simulated instant to
the microsecond, with no exchange between them. (Across machines the real clocks' skew would be
multiplied by ``facteur``: this clock is for one machine.)

Why not simply more seconds in the signature window? A signature's ``created`` is checked
against the verifier's clock with a 300 s window; at ×500 000 one real millisecond is eight
simulated minutes, so a request would be stale before it arrives. The rule applied here is that
**technical durations stay in real time and the business calendar is simulated**: the signature
window and clock skew, the delivery lease and retry delays, and the checkpoint period are
multiplied by ``facteur`` when the clock is installed (:func:`installer`), so each keeps its
real-time meaning (300 real seconds), while windows of the legal-age table and answer delays are
counted in simulated days. The simulated caisses apply the same rule when they verify the
gateway's pushes.

Refused outside development mode, with a clear error: a production gateway must never be told
that it is another day.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from passerelle.reglages import Reglages

# Settings that are durations of the machinery (real time), scaled by the factor.
DUREES_TECHNIQUES: tuple[str, ...] = (
    "fenetre_signature",
    "derive_horloge",
    "livraison_bail",
    "livraison_delai_base",
    "livraison_delai_max",
    "checkpoint_toutes_secondes",
)


class HorlogeDemoRefusee(ValueError):
    """The accelerated clock was asked for outside development mode."""


@dataclass(frozen=True)
class HorlogeAcceleree:
    """``debut`` at the real instant ``origine``, then ``facteur`` simulated seconds per second."""

    debut: datetime
    facteur: float
    origine: float

    def __post_init__(self) -> None:
        if self.debut.tzinfo is None:
            object.__setattr__(self, "debut", self.debut.replace(tzinfo=UTC))
        if not (self.facteur >= 1 and math.isfinite(self.facteur)):
            raise ValueError(f"facteur d'accélération invalide: {self.facteur!r} (≥ 1 attendu)")

    def timestamp(self) -> float:
        return self.debut.timestamp() + (time.time() - self.origine) * self.facteur

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def secondes_reelles(self, simulees: float) -> float:
        """How long ``simulees`` simulated seconds last in real time."""
        return simulees / self.facteur

    def instant_reel(self, simule: datetime) -> float:
        """The real Unix instant at which the clock reads ``simule``."""
        return self.origine + (simule.timestamp() - self.debut.timestamp()) / self.facteur

    def arguments(self) -> list[str]:
        """The command-line options that give a simulator this very clock."""
        return ["--debut", self.debut.isoformat(), "--facteur", repr(self.facteur), "--origine", repr(self.origine)]

    def environnement(self) -> dict[str, str]:
        """The ``PASSERELLE_*`` variables that give the gateway this very clock."""
        return {
            "PASSERELLE_HORLOGE_DEMO_DEBUT": self.debut.isoformat(),
            "PASSERELLE_HORLOGE_DEMO_FACTEUR": repr(self.facteur),
            "PASSERELLE_HORLOGE_DEMO_ORIGINE": repr(self.origine),
        }


def installer(reglages: Reglages) -> tuple[Reglages, HorlogeAcceleree]:
    """The clock the settings ask for, and the settings with technical durations scaled.

    Called by :func:`passerelle.services.construire_services` when ``horloge_demo_debut`` is set.
    """
    debut = reglages.horloge_demo_debut
    assert debut is not None
    if not reglages.developpement:
        raise HorlogeDemoRefusee(
            "l'horloge accélérée de démonstration (PASSERELLE_HORLOGE_DEMO_DEBUT) n'est admise qu'en "
            "mode développement (--developpement); retirez-la de la configuration de production"
        )
    origine = reglages.horloge_demo_origine if reglages.horloge_demo_origine is not None else time.time()
    horloge = HorlogeAcceleree(debut, reglages.horloge_demo_facteur, origine)
    facteur = horloge.facteur
    echelle: dict[str, object] = {}
    for nom in DUREES_TECHNIQUES:
        valeur = getattr(reglages, nom)
        echelle[nom] = math.ceil(valeur * facteur) if isinstance(valeur, int) else valeur * facteur
    return reglages.model_copy(update=echelle), horloge


def horloge_reelle() -> HorlogeAcceleree:
    """The real clock in the same shape (factor 1): simulators then run in real time."""
    maintenant = time.time()
    return HorlogeAcceleree(datetime.fromtimestamp(maintenant, UTC), 1.0, maintenant)


def duree_texte(secondes: float) -> str:
    """A simulated duration in words (« 3 j 4 h »), for the summary."""
    jours, reste = divmod(int(round(secondes)), 86400)
    heures = reste // 3600
    if jours:
        return f"{jours} j {heures} h" if heures else f"{jours} j"
    return f"{heures} h {reste % 3600 // 60} min" if heures else f"{reste // 60} min"


__all__ = ["DUREES_TECHNIQUES", "HorlogeAcceleree", "HorlogeDemoRefusee", "duree_texte", "horloge_reelle", "installer"]
