"""One exception hierarchy for everything a connector can refuse.

Configuration errors (an unknown type, a bad parameter) are raised when the connector is built,
so that a broken directory entry is reported once, naming the organisme and the parameter,
instead of surfacing as a delivery failure on every message. Delivery failures are not
exceptions at all: they are ``Remise`` values, because the worker must record one outcome per
message whatever happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ErreurConnecteur(Exception):
    """Base of every error this package raises on purpose."""


class ConnecteurInconnu(ErreurConnecteur):
    """No installed distribution declares this connector type."""

    def __init__(self, organisme: str, type_: str, disponibles: Iterable[str]) -> None:
        self.organisme = organisme
        self.type_ = type_
        self.disponibles = tuple(sorted(disponibles))
        super().__init__(
            f"organisme {organisme} : connecteur « {type_} » inconnu (types installés : "
            f"{', '.join(self.disponibles) or 'aucun'} ; un connecteur tiers se déclare dans le "
            "groupe de points d'entrée « passerelle.connecteurs »)"
        )


class ConnecteurInchargeable(ErreurConnecteur):
    """The entry point exists but its code cannot be imported or does not build a connector."""

    def __init__(self, organisme: str, type_: str, motif: str) -> None:
        self.organisme = organisme
        self.type_ = type_
        self.motif = motif
        super().__init__(f"organisme {organisme} : connecteur « {type_} » inutilisable : {motif}")


class ParametresConnecteurInvalides(ErreurConnecteur, ValueError):
    """A parameter of ``config/annuaire`` is missing, unknown or malformed.

    ``parametre`` is the dotted name of the first parameter at fault; ``erreurs`` lists every
    ``(parametre, motif)``, so one look at the message is enough to fix the whole entry.
    """

    def __init__(self, organisme: str, type_: str, erreurs: Sequence[tuple[str, str]]) -> None:
        if not erreurs:
            raise ValueError("au moins une erreur de paramètre est attendue")
        self.organisme = organisme
        self.type_ = type_
        self.erreurs = tuple(erreurs)
        self.parametre, self.motif = self.erreurs[0]
        liste = " ; ".join(f"« {nom} » : {motif}" for nom, motif in self.erreurs)
        super().__init__(f"organisme {organisme}, connecteur « {type_} » : paramètre {liste}")


class ConsultationImpossible(ErreurConnecteur):
    """The destination cannot answer a synchronous consultation now (or ever).

    ``code`` is a stable problem code for the API; ``temporaire`` says whether asking again
    later may work (the API maps it to 503/504 rather than to a definitive refusal).
    """

    def __init__(self, code: str, temporaire: bool, detail: str = "") -> None:
        self.code = code
        self.temporaire = temporaire
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)
