"""Validation of a connector's parameters, with errors that name the organisme and parameter.

Every connector describes its parameters as a pydantic model with ``extra="forbid"``: a typo in
``config/annuaire`` (``time_out``) must stop the start-up with its name, not be ignored until
the day the default turns out to be wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from connecteurs.erreurs import ParametresConnecteurInvalides

M = TypeVar("M", bound=BaseModel)


def erreurs_pydantic(exc: ValidationError) -> list[tuple[str, str]]:
    """``(dotted parameter name, reason)`` for each error, without echoing the bad value.

    The value is left out on purpose: a parameter may be a secret or a path one would rather
    not see in a log line.
    """
    resultat = []
    for erreur in exc.errors(include_url=False, include_input=False):
        nom = ".".join(str(partie) for partie in erreur["loc"]) or "(racine)"
        resultat.append((nom, erreur["msg"]))
    return resultat


def lire_parametres(
    modele: type[M], organisme: str, type_: str, parametres: Mapping[str, Any]
) -> M:
    """Validate ``parametres``; a ``type`` key equal to the connector's own is tolerated.

    The directory writes ``connecteur: {type: http, url: ...}``; whether the caller strips
    ``type`` or not, the same entry must be accepted.
    """
    donnees = dict(parametres)
    if "type" in donnees:
        if donnees["type"] != type_:
            raise ParametresConnecteurInvalides(
                organisme, type_, [("type", f"vaut « {donnees['type']} » pour un connecteur {type_}")]
            )
        del donnees["type"]
    try:
        return modele.model_validate(donnees)
    except ValidationError as exc:
        raise ParametresConnecteurInvalides(organisme, type_, erreurs_pydantic(exc)) from None
