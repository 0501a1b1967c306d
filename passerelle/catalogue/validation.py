"""Step 3 of the accept path: bytes received → a valid message of a flux, or a precise refusal.

Three stages, each refusing with its own code so that the caller knows what to fix:
the bytes are strict JSON (``json_invalide``), the object fits the flux's model
(``schema_invalide``, or ``nir_invalide`` when only NIRs are at fault), then the business rules
hold (:mod:`passerelle.catalogue.regles`). Every fault of a stage is reported at once.

Amounts stay exact: the model reads the JSON text itself (``model_validate_json``), so a
number such as 1234.10 becomes ``Decimal("1234.10")``-equal without ever being a float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, get_args

from pydantic import AfterValidator, ValidationError
from pydantic.fields import FieldInfo

from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.age_legal import TableAgeLegal
from passerelle.catalogue.avpf import MotifsAvpf
from passerelle.catalogue.nir import normaliser_nir
from passerelle.catalogue.regles import appliquer_regles
from passerelle.catalogue.registre import DefinitionFlux
from passerelle.catalogue.signaux_retraite import Enveloppe
from passerelle.catalogue.texte import echapper, verifier_json
from passerelle.catalogue.traduction import traduire_erreurs
from passerelle.erreurs import ErreurChamp, RefusValidation

CHAMPS_ENVELOPPE = frozenset(Enveloppe.model_fields)


@dataclass(frozen=True)
class ContexteValidation:
    """What the rules need beyond the message: who sent it, which day it is, which table.

    ``motifs_avpf``: the configured list of AVPF enquiry motives (``config/regles/``).
    ``demande_donnees``: for an answer, the payload of the request it answers, as stored
    (dates ISO, amounts as strings), so that a rule can compare the two (periods asked, amount
    available); filled at acceptance, absent when a message is validated alone.
    """

    emetteur: Organisme
    aujourd_hui: date
    table_age_legal: TableAgeLegal
    motifs_avpf: MotifsAvpf | None = None
    demande_donnees: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class MessageValide:
    """A message that passed every check.

    ``donnees`` is the payload without the envelope fields, JSON-ready (dates ISO, amounts as
    strings with two decimals, the NIR normalised); fields sent as null or omitted are absent.
    ``regles_version`` is the legal-age table version the decision relied on, if any — or the
    version of another configured list, named by the model's ``version_des_regles``.
    """

    flux: str
    modele: Enveloppe
    nir: str | None
    donnees: dict[str, Any]
    regles_version: str | None


# --- stage 1: strict JSON ---

_MESSAGES_JSON = {
    "Expecting value": "valeur JSON attendue",
    "Expecting property name enclosed in double quotes": (
        "nom de champ entre guillemets doubles attendu"
    ),
    "Expecting ':' delimiter": "« : » attendu après le nom du champ",
    "Expecting ',' delimiter": "« , » attendu entre deux éléments",
    "Unterminated string starting at": "chaîne non terminée",
    "Invalid control character at": "caractère de contrôle interdit dans une chaîne",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence \\uXXXX invalide",
    "Extra data": "données en trop après l'objet JSON",
    "Illegal trailing comma before end of object": "virgule en trop avant « } »",
    "Illegal trailing comma before end of array": "virgule en trop avant « ] »",
}


class _JsonRefuse(ValueError):
    """Raised from the decoder hooks for JSON that Python accepts but RFC 8259 does not."""


def _sans_doublon(paires: list[tuple[str, Any]]) -> dict[str, Any]:
    objet: dict[str, Any] = {}
    for cle, valeur in paires:
        if cle in objet:
            # Two readers could keep different occurrences: refuse rather than guess.
            raise _JsonRefuse(f"champ « {echapper(cle)} » en double dans un même objet")
        objet[cle] = valeur
    return objet


def _refuser_constante(nom: str) -> Any:
    raise _JsonRefuse(f"{nom} n'est pas une valeur JSON (RFC 8259)")


def _refus_json(message: str) -> RefusValidation:
    return RefusValidation(
        "json_invalide",
        f"le corps n'est pas un JSON valide : {message}",
        [ErreurChamp(champ="", message=message)],
    )


def lire_json(corps: bytes) -> Any:
    """Decode a body as strict JSON (UTF-8, RFC 8259), or raise ``json_invalide`` with the place;
    then the input boundary (:func:`~passerelle.catalogue.texte.verifier_json`): a string or a
    key the gateway cannot carry raises ``texte_invalide``, naming each one, before anything
    else reads the body."""
    try:
        texte = corps.decode("utf-8")
    except UnicodeDecodeError as erreur:
        octet = erreur.start
        raise _refus_json(f"texte UTF-8 attendu ; octet invalide à la position {octet}") from None
    if texte.startswith("\ufeff"):
        raise _refus_json("marque d'ordre des octets (BOM) interdite en tête du corps")
    if not texte.strip():
        raise _refus_json("corps vide ; un objet JSON est attendu")
    try:
        # Numbers are kept as text: the model reads them again from the JSON text (exactly),
        # and a 5,000-digit integer must not cost a conversion nor raise outside this stage.
        objet = json.loads(
            texte,
            object_pairs_hook=_sans_doublon,
            parse_constant=_refuser_constante,
            parse_int=str,
            parse_float=str,
        )
    except json.JSONDecodeError as erreur:
        cause = _MESSAGES_JSON.get(erreur.msg, f"erreur de syntaxe ({erreur.msg})")
        raise _refus_json(
            f"{cause} (ligne {erreur.lineno}, colonne {erreur.colno}, position {erreur.pos})"
        ) from None
    except _JsonRefuse as erreur:
        raise _refus_json(str(erreur)) from None
    except RecursionError:
        raise _refus_json("imbrication trop profonde") from None
    except ValueError as erreur:  # any other limit of the decoder: still bad input, not a 500
        raise _refus_json(f"JSON refusé ({type(erreur).__name__})") from None
    verifier_json(objet, texte)
    return objet


def _refus_json_du_modele(erreur: str) -> RefusValidation:
    """The model's own JSON reader is stricter than ``json`` on a few points: say which."""
    if "surrogate" in erreur or "hex escape" in erreur or "unicode" in erreur:
        cause = "séquence \\uXXXX invalide : demi-paire de substitution isolée"
    elif "number" in erreur:
        cause = "nombre hors des limites acceptées"
    else:
        cause = "construction JSON refusée"
    place = re.search(r"line (\d+) column (\d+)", erreur)
    if place:
        cause += f" (ligne {place.group(1)}, colonne {place.group(2)})"
    return _refus_json(cause)


# --- stage 2: the flux's model ---


def _porte_nir(annotation: Any, metadonnees: list[Any]) -> bool:
    for meta in metadonnees:
        if isinstance(meta, AfterValidator) and meta.func is normaliser_nir:
            return True
    return any(
        _porte_nir(argument, list(getattr(argument, "__metadata__", ())))
        for argument in get_args(annotation)
    )


def _est_nir(champ: FieldInfo) -> bool:
    return _porte_nir(champ.annotation, list(champ.metadata))


@cache
def champs_nir(modele: type[Enveloppe]) -> frozenset[str]:
    """The fields of ``modele`` typed :data:`~passerelle.catalogue.nir.Nir`."""
    return frozenset(nom for nom, champ in modele.model_fields.items() if _est_nir(champ))


@cache
def _version_des_regles(modele: type[Enveloppe]) -> Any:
    """The model's ``version_des_regles`` or None: looked up once per model (a missing
    attribute goes through pydantic's metaclass, which raises and catches each time)."""
    return getattr(modele, "version_des_regles", None)


def _valider_modele(definition: DefinitionFlux, corps: bytes) -> Enveloppe:
    try:
        return definition.modele.model_validate_json(corps)
    except ValidationError as erreur:
        details = erreur.errors(include_url=False)
    for detail in details:
        if detail["type"] == "json_invalid":
            raise _refus_json_du_modele(str((detail.get("ctx") or {}).get("error", "")))
    erreurs = traduire_erreurs(details)
    nirs = champs_nir(definition.modele)
    # nir_invalide says "the number itself is wrong": an absent NIR, null or a JSON number is
    # a malformed message like any other (schema_invalide).
    seulement_nir = all(
        detail["type"] == "value_error" and detail["loc"] and detail["loc"][0] in nirs
        for detail in details
    )
    if seulement_nir:
        raise RefusValidation(
            "nir_invalide",
            "NIR invalide : voir la raison précise dans erreurs",
            erreurs,
        )
    raise RefusValidation(
        "schema_invalide",
        f"le message ne respecte pas le schéma du flux {definition.nom} "
        f"(schemas/{definition.nom}.schema.json) : {len(erreurs)} erreur(s), détaillées dans "
        "erreurs",
        erreurs,
    )


# --- the three stages ---


def valider_message(
    definition: DefinitionFlux, corps: bytes, contexte: ContexteValidation, *, objet: Any = None
) -> MessageValide:
    """Validate one message body of ``definition``'s flux, or raise ``RefusValidation``.

    ``objet``: the body already read by ``lire_json`` (the accept path reads the envelope
    first), so the strict JSON pass is not done twice.
    """
    if objet is None:
        objet = lire_json(corps)
    if not isinstance(objet, dict):
        raise RefusValidation(
            "schema_invalide",
            f"un message du flux {definition.nom} est un objet JSON (entre accolades)",
            [ErreurChamp(champ="", message="objet JSON attendu (entre accolades)")],
        )
    modele = _valider_modele(definition, corps)
    manquements = appliquer_regles(definition, modele, contexte)
    if manquements:
        raise RefusValidation(
            manquements[0].code,
            f"le message du flux {definition.nom} enfreint {len(manquements)} règle(s) "
            "métier, détaillée(s) dans erreurs",
            [ErreurChamp(champ=m.champ, message=m.message) for m in manquements],
        )
    utilise_table = definition.nom in contexte.table_age_legal.fenetres
    regles_version = contexte.table_age_legal.version if utilise_table else None
    version_des_regles = _version_des_regles(type(modele))
    if regles_version is None and version_des_regles is not None:
        regles_version = version_des_regles(contexte)
    return MessageValide(
        flux=definition.nom,
        modele=modele,
        nir=getattr(modele, "nir_assure", None),
        donnees=modele.model_dump(mode="json", exclude=set(CHAMPS_ENVELOPPE), exclude_none=True),
        regles_version=regles_version,
    )
