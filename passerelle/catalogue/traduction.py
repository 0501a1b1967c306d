"""Pydantic's validation errors, told in French to the integrator who has to fix the call.

Messages describe what is expected, never the value received: refusals may be shown, logged
or journaled, and a payload holds personal data (names, NIR, address) that must not leak
through an error message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic_core import ErrorDetails

from passerelle.catalogue.champs import FORMATS_ATTENDUS
from passerelle.erreurs import ErreurChamp

FORMAT_DATE = (
    "date invalide : attendu une chaîne AAAA-MM-JJ (ISO 8601) désignant un jour qui existe, "
    "par exemple « 1962-05-14 »"
)
FORMAT_ENTIER = "nombre entier JSON attendu (sans guillemets ni partie décimale)"
FORMAT_DECIMAL = (
    "montant invalide : attendu un nombre décimal en euros, en chaîne (« 1234.56 ») ou en "
    "nombre JSON (1234.56)"
)


def chemin(loc: Sequence[int | str]) -> str:
    """The dotted path of a field as the integrator wrote it (``regimes_affiliation.0``)."""
    return ".".join(str(partie) for partie in loc)


def _valeurs_admises(ctx: dict[str, Any]) -> str:
    valeurs = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return ", ".join(f"« {valeur} »" for valeur in valeurs) or str(ctx.get("expected", ""))


def _chaine_trop_courte(ctx: dict[str, Any], _: Any) -> str:
    if ctx.get("min_length") == 1:
        return (
            "valeur vide interdite : un champ facultatif sans valeur s'omet (ou vaut null), "
            "il ne s'envoie pas vide"
        )
    return f"{ctx.get('min_length')} caractères au moins"


def _chaine_trop_longue(ctx: dict[str, Any], valeur: Any) -> str:
    recus = f" ({len(valeur)} reçus)" if isinstance(valeur, str) else ""
    return f"trop long : {ctx.get('max_length')} caractères au plus{recus}"


def _motif(ctx: dict[str, Any], _: Any) -> str:
    motif = str(ctx.get("pattern", ""))
    return "format invalide : " + FORMATS_ATTENDUS.get(
        motif, f"la valeur doit respecter l'expression régulière {motif}"
    )


def _liste_trop_longue(ctx: dict[str, Any], _: Any) -> str:
    return f"trop d'éléments : {ctx.get('max_length')} au plus"


def _erreur_valeur(ctx: dict[str, Any], _: Any) -> str:
    # Our own validators (the NIR's, for one) raise ValueError with the French reason.
    return str(ctx.get("error", "valeur invalide"))


Message = Callable[[dict[str, Any], Any], str]

_MESSAGES: dict[str, Message] = {
    "missing": lambda c, v: "champ obligatoire absent",
    "extra_forbidden": lambda c, v: "champ inconnu : ce flux n'a pas de champ de ce nom",
    "string_type": lambda c, v: "chaîne de caractères JSON attendue (entre guillemets)",
    "string_too_short": _chaine_trop_courte,
    "string_too_long": _chaine_trop_longue,
    "string_pattern_mismatch": _motif,
    "string_unicode": lambda c, v: "chaîne de caractères Unicode valide attendue",
    "enum": lambda c, v: f"valeur non autorisée ; valeurs admises : {_valeurs_admises(c)}",
    "literal_error": lambda c, v: f"valeur non autorisée ; valeurs admises : {_valeurs_admises(c)}",
    "date_type": lambda c, v: FORMAT_DATE,
    "date_parsing": lambda c, v: FORMAT_DATE,
    "date_from_datetime_parsing": lambda c, v: FORMAT_DATE,
    "date_from_datetime_inexact": lambda c, v: FORMAT_DATE,
    "decimal_type": lambda c, v: FORMAT_DECIMAL,
    "decimal_parsing": lambda c, v: FORMAT_DECIMAL,
    "decimal_max_places": lambda c, v: f"{c.get('decimal_places')} décimales au plus (centimes)",
    "decimal_max_digits": lambda c, v: f"trop de chiffres : {c.get('max_digits')} au plus",
    "decimal_whole_digits": lambda c, v: (
        f"trop grand : {c.get('whole_digits')} chiffres au plus avant la virgule"
    ),
    "finite_number": lambda c, v: "nombre fini attendu (NaN et infini sont refusés)",
    "greater_than_equal": lambda c, v: f"doit être supérieur ou égal à {c.get('ge')}",
    "greater_than": lambda c, v: f"doit être strictement supérieur à {c.get('gt')}",
    "less_than_equal": lambda c, v: f"doit être inférieur ou égal à {c.get('le')}",
    "less_than": lambda c, v: f"doit être strictement inférieur à {c.get('lt')}",
    "int_type": lambda c, v: FORMAT_ENTIER,
    "int_parsing": lambda c, v: FORMAT_ENTIER,
    "int_from_float": lambda c, v: FORMAT_ENTIER,
    "bool_type": lambda c, v: "booléen JSON attendu : true ou false (sans guillemets)",
    "bool_parsing": lambda c, v: "booléen JSON attendu : true ou false (sans guillemets)",
    "list_type": lambda c, v: "liste JSON attendue (entre crochets)",
    "too_long": _liste_trop_longue,
    "too_short": lambda c, v: f"pas assez d'éléments : {c.get('min_length')} au moins",
    "model_type": lambda c, v: "objet JSON attendu (entre accolades)",
    "model_attributes_type": lambda c, v: "objet JSON attendu (entre accolades)",
    "dict_type": lambda c, v: "objet JSON attendu (entre accolades)",
    "value_error": _erreur_valeur,
    "assertion_error": _erreur_valeur,
    "json_invalid": lambda c, v: "JSON invalide",
}


def message_francais(erreur: ErrorDetails) -> str:
    """The French message of one pydantic error (a generic one names the unknown type)."""
    fabrique = _MESSAGES.get(erreur["type"])
    if fabrique is None:
        return f"valeur invalide (contrôle « {erreur['type']} »)"
    return fabrique(dict(erreur.get("ctx") or {}), erreur.get("input"))


def traduire_erreurs(erreurs: Iterable[ErrorDetails]) -> list[ErreurChamp]:
    return [ErreurChamp(champ=chemin(e["loc"]), message=message_francais(e)) for e in erreurs]
