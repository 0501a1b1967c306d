"""Field types shared by every flux model, each paired with the French wording of its format.

A regular expression means nothing to most integrators: every pattern used by a model is
registered here with a sentence that says what to send, and the error translation
(:mod:`passerelle.catalogue.traduction`) quotes that sentence instead of the pattern.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

FORMATS_ATTENDUS: dict[str, str] = {}
"""Pattern → French description of what the field expects (used in error messages)."""


def _motif(motif: str, description: str) -> str:
    FORMATS_ATTENDUS[motif] = description
    return motif


MOTIF_TEXTE = _motif(
    r"^[^\x00-\x1f\x7f]*$",
    "texte sur une ligne, sans caractère de contrôle (ni retour à la ligne, ni tabulation)",
)
MOTIF_CODE_CAF = _motif(r"^[0-9]{3}$", "numéro de CAF sur 3 chiffres, par exemple « 042 »")
MOTIF_CODE_CARSAT = _motif(
    r"^[A-Z0-9]{2,5}$",
    "code de Carsat de 2 à 5 lettres majuscules ou chiffres, par exemple « RA »",
)
MOTIF_CODE_ORGANISME = _motif(
    r"^[a-z0-9-]{3,32}$",
    "code d'organisme de l'annuaire : 3 à 32 caractères parmi a-z, 0-9 et le tiret, "
    "par exemple « carsat-ra »",
)
MOTIF_IDENTIFIANT_MESSAGE = _motif(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "identifiant de message rendu par la passerelle dans son accusé de réception (UUID, "
    "par exemple « 3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f »)",
)
MOTIF_CODE_POSTAL = _motif(
    r"^[0-9]{5}$", "code postal français sur 5 chiffres, par exemple « 42000 »"
)
MOTIF_CODE_COMMUNE = _motif(
    r"^(?:[0-9]{2}|2[AB])[0-9]{3}$",
    "code officiel géographique INSEE de la commune, 5 caractères, par exemple « 42218 » ou "
    "« 2A004 »",
)
MOTIF_DEPARTEMENT = _motif(
    r"^(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8])$",
    "code du département : 2 caractères en métropole (« 01 » à « 95 », « 2A » ou « 2B » pour "
    "la Corse), 3 chiffres outre-mer (« 971 » à « 978 »), par exemple « 69 » ou « 974 »",
)
MOTIF_CODE_PAYS = _motif(
    r"^[A-Z]{2}$", "code pays ISO 3166-1 alpha-2 en majuscules, par exemple « FR » ou « DZ »"
)
MOTIF_TELEPHONE = _motif(
    r"^\+?[0-9]+(?: [0-9]+)*$",
    "numéro de téléphone : des chiffres, éventuellement précédés de « + », groupés par des "
    "espaces simples, par exemple « 04 77 00 00 00 » ou « +33 4 77 00 00 00 »",
)
MOTIF_EMAIL = _motif(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "adresse électronique de la forme « nom@domaine.fr »"
)


def texte(longueur_max: int) -> Any:
    """A non-empty one-line text of at most ``longueur_max`` characters (after trimming).

    Empty strings are refused rather than taken as "absent": an optional field is omitted or
    sent as null, so that an empty value never hides a mapping bug on the sender's side.
    """
    return Annotated[
        str, StringConstraints(min_length=1, max_length=longueur_max, pattern=MOTIF_TEXTE)
    ]


def _code(motif: str) -> Any:
    return Annotated[str, StringConstraints(pattern=motif)]


CodeCaf = _code(MOTIF_CODE_CAF)
CodeCarsat = _code(MOTIF_CODE_CARSAT)
CodeOrganisme = _code(MOTIF_CODE_ORGANISME)
CodePostal = _code(MOTIF_CODE_POSTAL)
CodeCommune = _code(MOTIF_CODE_COMMUNE)
CodePays = _code(MOTIF_CODE_PAYS)
Departement = _code(MOTIF_DEPARTEMENT)
Telephone = Annotated[
    str, StringConstraints(min_length=1, max_length=25, pattern=MOTIF_TELEPHONE)
]
Email = Annotated[str, StringConstraints(min_length=1, max_length=254, pattern=MOTIF_EMAIL)]
IdentifiantMessage = Annotated[
    str, StringConstraints(pattern=MOTIF_IDENTIFIANT_MESSAGE), AfterValidator(str.lower)
]

# JSON has no date type: only "AAAA-MM-JJ" strings, never a number read as a timestamp.
Date = Annotated[date, Strict()]
# Only JSON true/false: "oui", "1" or 1 would hide a mapping bug on the sender's side.
Booleen = StrictBool
Pourcentage = Annotated[StrictInt, Field(ge=0, le=100)]


def _montant_en_texte(montant: Decimal) -> str:
    """Euros with exactly two decimals and no exponent ("1000.00", never "1E+3" or "-0.00")."""
    arrondi = montant.quantize(Decimal("0.01"))
    return f"{abs(arrondi) if arrondi == 0 else arrondi:f}"


MOTIF_MONTANT_TEXTE = r"^[0-9]{1,9}(?:\.[0-9]{1,2})?$"
_MONTANT_TEXTE = re.compile(MOTIF_MONTANT_TEXTE)


def _montant_texte_strict(valeur: Any) -> Any:
    """A string amount must match the published pattern exactly ("1E3", " 12.30 " refused):
    the schema integrators validate against and the gateway must say the same thing."""
    if isinstance(valeur, str) and not _MONTANT_TEXTE.fullmatch(valeur):
        raise ValueError("montant en texte attendu sous la forme 1234.56 (chiffres, point, 2 décimales au plus)")
    return valeur


Montant = Annotated[
    Decimal,
    BeforeValidator(_montant_texte_strict),
    Field(ge=0, max_digits=11, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(_montant_en_texte, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MOTIF_MONTANT_TEXTE},
                {"type": "number", "minimum": 0},
            ]
        },
        mode="validation",
    ),
]
"""Euros, >= 0, at most 2 decimals: a JSON string ("1234.10") or number (1234.1), read as
``Decimal`` from the JSON text itself — never through a binary float."""


def champ(nom_convention: str, definition: str, **contraintes: Any) -> Any:
    """A model field documented with its name in the convention's annex, then its meaning."""
    description = f"{nom_convention} — {definition}"
    return Field(title=nom_convention, description=description, **contraintes)
