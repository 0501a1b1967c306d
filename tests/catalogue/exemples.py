"""Valid payloads of the retirement signals, for a fictional allocataire of the CAF de la Loire.

The builders live in the package (:mod:`passerelle.catalogue.exemples`, also behind
``passerelle exemple``); these wrappers give the tests their defaults. Every helper returns a
fresh dict; keyword arguments override fields, and ``ABSENT`` removes one::

    exemple_rdc(aujourd_hui=date(2025, 3, 1), email=ABSENT, type_allocation="RSA")

The birth date of the CAF signals is chosen so that ``aujourd_hui`` (default: today) falls in
the flux's window of the legal-age table of ``config/regles/``, and the NIR is built from it,
so the payload passes every rule for the emitter ``CAF_042``.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue import exemples as paquet
from passerelle.catalogue.age_legal import TableAgeLegal, charger_table_age_legal
from passerelle.catalogue.exemples import ABSENT, nir_fictif
from passerelle.catalogue.exemples import appliquer as _appliquer
from passerelle.catalogue.registre import DefinitionFlux, charger_catalogue

__all__ = ["ABSENT", "nir_fictif", "_appliquer"]

CHEMIN_TABLE_AGE_LEGAL = Path(__file__).resolve().parents[2] / "config" / "regles" / "age-legal.yaml"

CAF_042 = Organisme(
    code="caf-042", type="caf", nom="CAF de la Loire", departements=("42",), numero="042"
)
CARSAT_RA = Organisme(
    code="carsat-ra",
    type="carsat",
    nom="Carsat Rhône-Alpes",
    departements=("01", "07", "26", "38", "42", "69", "73", "74"),
    region="rhone-alpes",
    numero="RA",
)

# Stand-ins for the ids the gateway returns in its receipts; API tests pass the real ones.
ID_RDC = "3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f"
ID_PASSAGE_RETRAITE = "7c9d0e1f-2a3b-4c5d-8e6f-1a2b3c4d5e6f"
# The day the Carsat's answers are dated from (the ``horloge`` fixture's).
JOUR_REPONSES = date(2026, 11, 23)

SIGNAUX_RETRAITE = ("rdc", "cloture-rdc", "passage-retraite", "avis-depot", "notification-retraite")


@cache
def catalogue() -> dict[str, DefinitionFlux]:
    """The example configuration's register (config/flux.yaml), as the gateway loads it."""
    return charger_catalogue(CHEMIN_TABLE_AGE_LEGAL.parents[1] / "flux.yaml")


def catalogue_signaux_retraite() -> dict[str, DefinitionFlux]:
    """The five retirement-transition signals of the register."""
    return {nom: catalogue()[nom] for nom in SIGNAUX_RETRAITE}


@cache
def table_age_legal() -> TableAgeLegal:
    return charger_table_age_legal(CHEMIN_TABLE_AGE_LEGAL)


@cache
def naissance_dans_fenetre(flux: str, aujourd_hui: date) -> date:
    """A birth date whose ``flux`` window holds ``aujourd_hui`` — when possible as its due date."""
    return paquet.naissance_dans_fenetre(table_age_legal(), flux, aujourd_hui)


def _coordonnees(flux: str, aujourd_hui: date | None, naissance: date | None) -> dict[str, Any]:
    jour = aujourd_hui or date.today()
    return paquet.coordonnees(flux, jour, table_age_legal(), naissance or naissance_dans_fenetre(flux, jour))


def exemple_rdc(
    aujourd_hui: date | None = None, *, naissance: date | None = None, **surcharges: Any
) -> dict[str, Any]:
    """A valid ``rdc`` from caf-042, in window on ``aujourd_hui`` (every annex field filled)."""
    return _appliquer(_coordonnees("rdc", aujourd_hui, naissance), surcharges)


def exemple_passage_retraite(
    aujourd_hui: date | None = None, *, naissance: date | None = None, **surcharges: Any
) -> dict[str, Any]:
    """A valid ``passage-retraite`` from caf-042, in window on ``aujourd_hui``."""
    return _appliquer(_coordonnees("passage-retraite", aujourd_hui, naissance), surcharges)


NIR_EXEMPLE = nir_fictif(date(1964, 3, 15))
"""NIR of the Carsat answers when none is given (pass the signal's NIR to chain messages)."""


def exemple_cloture_rdc(**surcharges: Any) -> dict[str, Any]:
    """A valid ``cloture-rdc`` from carsat-ra answering ``ID_RDC``."""
    return _appliquer(paquet.cloture_rdc(ID_RDC, NIR_EXEMPLE, JOUR_REPONSES), surcharges)


def exemple_avis_depot(**surcharges: Any) -> dict[str, Any]:
    """A valid ``avis-depot`` from carsat-ra answering ``ID_PASSAGE_RETRAITE``."""
    return _appliquer(paquet.avis_depot(ID_PASSAGE_RETRAITE, NIR_EXEMPLE, JOUR_REPONSES), surcharges)


def exemple_notification_retraite(**surcharges: Any) -> dict[str, Any]:
    """A valid ``notification-retraite`` (an attribution) from carsat-ra."""
    return _appliquer(paquet.notification_retraite(ID_PASSAGE_RETRAITE, NIR_EXEMPLE, JOUR_REPONSES), surcharges)
