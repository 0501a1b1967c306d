"""Valid payloads of the retirement signals, for a fictional allocataire of the CAF de la Loire.

Plain functions, no pytest fixture: the API and batch tests import them too. Every helper
returns a fresh dict; keyword arguments override fields, and ``ABSENT`` removes one::

    exemple_rdc(aujourd_hui=date(2025, 3, 1), email=ABSENT, type_allocation="RSA")

The birth date of the CAF signals is chosen so that ``aujourd_hui`` (default: today) falls in
the flux's window of the legal-age table of ``config/regles/``, and the NIR is built from it,
so the payload passes every rule for the emitter ``CAF_042``.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.age_legal import TableAgeLegal, ajouter_mois, charger_table_age_legal
from passerelle.catalogue.nir import calculer_cle
from passerelle.catalogue.registre import DefinitionFlux, charger_catalogue

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

ABSENT: Any = object()
"""Pass as a field's value to remove the field from the payload."""


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


def nir_fictif(
    naissance: date,
    *,
    sexe: int = 2,
    departement: str = "42",
    commune: str = "218",
    ordre: str = "123",
) -> str:
    """A well-formed NIR coherent with ``naissance`` (default: a woman born in Saint-Étienne)."""
    debut = f"{sexe}{naissance.year % 100:02d}{naissance.month:02d}{departement}{commune}{ordre}"
    return f"{debut}{calculer_cle(debut):02d}"


def naissance_dans_fenetre(flux: str, aujourd_hui: date) -> date:
    """A birth date whose ``flux`` window holds ``aujourd_hui`` — when possible as its due date."""
    table = table_age_legal()
    regle = table.fenetres[flux]
    for generation in table.generations:
        mois = generation.age.en_mois - regle.echeance_avant_age_legal_mois
        naissance = ajouter_mois(aujourd_hui, -mois)
        if generation.contient(naissance) and table.fenetre(flux, naissance).contient(aujourd_hui):
            return naissance
    naissance = ajouter_mois(aujourd_hui, -12 * 70)
    while not table.fenetre(flux, naissance).contient(aujourd_hui):
        naissance += timedelta(days=1)
    return naissance


def _appliquer(donnees: dict[str, Any], surcharges: dict[str, Any]) -> dict[str, Any]:
    for champ, valeur in surcharges.items():
        if valeur is ABSENT:
            donnees.pop(champ, None)
        else:
            donnees[champ] = valeur
    return donnees


def _coordonnees(flux: str, aujourd_hui: date | None, naissance: date | None) -> dict[str, Any]:
    naissance = naissance or naissance_dans_fenetre(flux, aujourd_hui or date.today())
    return {
        "destinataire": "carsat-ra",
        "code_caf": "042",
        "nir_assure": nir_fictif(naissance),
        "civilite": "MME",
        "nom_assure": "MARTIN",
        "prenoms_assure": "Claire Marie Josette",
        "date_naissance": naissance.isoformat(),
        "nom_marital_assure": "DURAND",
        "type_adresse": "principale",
        "raison_sociale": "Foyer d'accueil médicalisé Les Tilleuls",
        "nom_communication": "DURAND",
        "prenom_communication": "Claire",
        "zone_adresse1": "Résidence Les Tilleuls",
        "zone_adresse2": "Bâtiment B",
        "complement": "Appartement 12",
        "numero_voie": "12 rue de la République",
        "lieu_dit": "Le Soleil",
        "code_postal": "42000",
        "code_commune": "42218",
        "localite": "SAINT-ETIENNE",
        "pays": "France",
        "code_pays": "FR",
        "telephone1": "04 77 00 00 00",
        "telephone2": "+33 6 00 00 00 00",
        "email": "claire.durand@example.org",
        "type_allocation": "AAH",
        "taux_incapacite_aah": 80,
    }


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
    donnees = {
        "destinataire": "caf-042",
        "en_reponse_a": ID_RDC,
        "nir_assure": NIR_EXEMPLE,
        "code_carsat": "RA",
        "statut_rdc": "repondu",
        "date_taux_plein": "2031-01-01",
        "regimes_affiliation": ["Régime général", "MSA salariés"],
    }
    return _appliquer(donnees, surcharges)


def exemple_avis_depot(**surcharges: Any) -> dict[str, Any]:
    """A valid ``avis-depot`` from carsat-ra answering ``ID_PASSAGE_RETRAITE``."""
    donnees = {
        "destinataire": "caf-042",
        "en_reponse_a": ID_PASSAGE_RETRAITE,
        "nir_assure": NIR_EXEMPLE,
        "type_demande": "droit_propre",
        "reception_demande": True,
        "date_reception_demande": "2026-11-03",
        "mode_liquidation": "liquidation unique des régimes alignés",
        "transfert_regime": ["MSA salariés"],
    }
    return _appliquer(donnees, surcharges)


def exemple_notification_retraite(**surcharges: Any) -> dict[str, Any]:
    """A valid ``notification-retraite`` (an attribution) from carsat-ra."""
    donnees = {
        "destinataire": "caf-042",
        "en_reponse_a": ID_PASSAGE_RETRAITE,
        "nir_assure": NIR_EXEMPLE,
        "type_demande": "droit_propre",
        "date_effet": "2027-04-01",
        "statut_demande": "attribution",
        "montant_total": "1234.10",
        "type_montant": "mensuel_brut",
        "montant": 987.65,
    }
    return _appliquer(donnees, surcharges)
