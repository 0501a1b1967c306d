"""Plain data of the directory, independent of where it is loaded from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

if TYPE_CHECKING:
    from passerelle.annuaire.robots import Robot

# Connection profiles (art. 2.8: "un profil de connexion qui définit la profondeur des données
# accessibles"): what a key may send and what it may read is decided per profile by the
# conventions (passerelle/habilitations/); the directory only says which profile a key has.
# ``administration``: a national caisse's key that suspends and resumes conventions (art. 3.3,
# passerelle/habilitations/suspensions.py); it is no profile for exchanging data.
PROFILS = frozenset({"accueil", "gestion", "lutte-fraude", "administration"})
PROFIL_PAR_DEFAUT = "gestion"


@dataclass(frozen=True)
class Organisme:
    """A caisse, identified by its stable lowercase code (``caf-042``)."""

    code: str
    type: str  # caf, carsat, cnav, cpam, msa...
    nom: str
    departements: tuple[str, ...] = ()
    region: str | None = None
    numero: str | None = None  # the branch's own number: CodeCaf "042", CodeCARSAT "RA"...
    connecteur: str = "boite"  # connector type: "boite" (pull) or a push connector's entry point
    connecteur_parametres: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # The profile of the system the gateway pushes to (its connector): what it may receive.
    profil_livraison: str = PROFIL_PAR_DEFAUT


@dataclass(frozen=True)
class Cle:
    """An Ed25519 public key of an organisme, valid on ``[valide_du, valide_au)`` unless revoked."""

    keyid: str
    organisme: str
    publique: Ed25519PublicKey
    valide_du: datetime
    valide_au: datetime | None = None
    revoquee_le: datetime | None = None
    developpement: bool = False
    robot: str | None = None
    profil: str = PROFIL_PAR_DEFAUT  # a robot key has its robot's profile

    def etat(self, instant: datetime) -> str:
        """``valide``, ``revoquee``, ``pas_encore_valide`` or ``expiree`` at ``instant`` (UTC)."""
        if self.revoquee_le is not None and instant >= self.revoquee_le:
            return "revoquee"
        if instant < self.valide_du:
            return "pas_encore_valide"
        if self.valide_au is not None and instant >= self.valide_au:
            return "expiree"
        return "valide"


@dataclass(frozen=True)
class Annuaire:
    organismes: dict[str, Organisme] = field(default_factory=dict)
    cles: dict[str, Cle] = field(default_factory=dict)
    robots: dict[str, "Robot"] = field(default_factory=dict)

    def organisme(self, code: str) -> Organisme | None:
        return self.organismes.get(code)
