"""Refusals as one typed hierarchy.

Every step of the accept path (authenticate, authorise, validate, route) fails by raising a
``Refus`` that carries its stable problem ``code``; the API turns it into RFC 9457 in one place
and the journal records it in one place. Nothing else decides what a refusal looks like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TYPE_PROBLEME = "urn:passerelle:probleme:"
LONGUEUR_CITATION = 64


def citer(valeur: object, longueur: int = LONGUEUR_CITATION) -> str:
    """A caller's value as a refusal may quote it: ``repr`` escapes (control characters, lone
    surrogates, quotes), cut at ``longueur`` characters. The message then always encodes, stays
    short whatever was sent, and shows exactly what was received."""
    texte = valeur if isinstance(valeur, str) else str(valeur)
    if len(texte) <= longueur:
        return repr(texte)
    return repr(texte[:longueur]) + f"… ({len(texte)} caractères)"


@dataclass(frozen=True)
class ErreurChamp:
    """One faulty field, named as the integrator wrote it (dotted path)."""

    champ: str
    message: str

    def en_json(self) -> dict[str, str]:
        return {"champ": self.champ, "message": self.message}


@dataclass
class Refus(Exception):
    """A request the gateway will not accept; ``code`` is part of the wire contract."""

    code: str
    detail: str
    statut: int = 400
    titre: str = "Requête refusée"
    erreurs: list[ErreurChamp] = field(default_factory=list)
    entetes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, f"{self.code}: {self.detail}")

    def probleme(self, instance: str | None = None, requete: str | None = None) -> dict[str, Any]:
        """The RFC 9457 document (also used for each refused line of a batch)."""
        corps: dict[str, Any] = {
            "type": TYPE_PROBLEME + self.code,
            "title": self.titre,
            "status": self.statut,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            corps["instance"] = instance
        if requete:
            corps["requete"] = requete
        if self.erreurs:
            corps["erreurs"] = [e.en_json() for e in self.erreurs]
        return corps


class RefusAuthentification(Refus):
    """401: the request cannot be tied to a valid key of the directory."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code=code, detail=detail, statut=401, titre="Authentification refusée")


class RefusHabilitation(Refus):
    """403: no convention in force allows this exchange."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code=code, detail=detail, statut=403, titre="Échange non autorisé")


class RefusValidation(Refus):
    """422: the payload breaks the flux's schema or business rules."""

    def __init__(self, code: str, detail: str, erreurs: list[ErreurChamp] | None = None) -> None:
        super().__init__(
            code=code,
            detail=detail,
            statut=422,
            titre="Message invalide",
            erreurs=list(erreurs or []),
        )


class Introuvable(Refus):
    """404: nothing the caller may see exists under that name."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code=code, detail=detail, statut=404, titre="Ressource introuvable")


class Conflit(Refus):
    """409: the request contradicts the current state (e.g. acknowledging someone else's message)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code=code, detail=detail, statut=409, titre="Conflit")
