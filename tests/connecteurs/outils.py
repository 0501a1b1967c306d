"""Builders shared by the connector tests: a gateway context and messages to deliver."""

from __future__ import annotations

from tests.catalogue.exemples import catalogue_signaux_retraite

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connecteurs.base import ContexteConnecteur, MessageALivrer
from passerelle.client.signeur import SigneurPasserelle

KEYID_PASSERELLE = "passerelle-test-2026"
NIR = "269054221812345"  # a value that must never appear in a Remise detail

CONTENU_RDC: dict[str, Any] = {
    "code_caf": "042",
    "nir_assure": NIR,
    "civilite": "MME",
    "nom_assure": "Martin",
    "prenoms_assure": "Marie Louise",
    "date_naissance": "1969-05-01",
    "zone_adresse1": "12; rue des Quatre-Vents",
    "code_postal": "42000",
    "localite": "Saint-Étienne",
    "type_allocation": "AAH",
    "taux_incapacite_aah": 80,
}

CONTENU_CLOTURE: dict[str, Any] = {
    "nir_assure": NIR,
    "code_carsat": "RA",
    "statut_rdc": "repondu",
    "date_taux_plein": "2031-06-01",
    "regimes_affiliation": ["Régime général", "MSA | salariés", "RSI\\ancien"],
}


def contexte(
    parametres: Mapping[str, Any],
    *,
    cle: Ed25519PrivateKey,
    horloge: Callable[[], datetime],
    organisme: str = "carsat-ra",
) -> ContexteConnecteur:
    return ContexteConnecteur(
        organisme=organisme,
        parametres=parametres,
        cle_passerelle=cle,
        keyid_passerelle=KEYID_PASSERELLE,
        horloge=horloge,
        modeles={nom: d.modele for nom, d in catalogue_signaux_retraite().items()},
        signeur=SigneurPasserelle(cle, KEYID_PASSERELLE, horloge),
    )


def message(
    flux: str = "rdc",
    *,
    id: str | None = None,
    contenu: dict[str, Any] | None = None,
    reference: str | None = "dossier-17",
    en_reponse_a: str | None = None,
    destinataire: str = "carsat-ra",
) -> MessageALivrer:
    if contenu is None:
        contenu = dict(CONTENU_CLOTURE if flux == "cloture-rdc" else CONTENU_RDC)
    return MessageALivrer(
        id=id if id is not None else str(uuid.uuid4()),
        flux=flux,
        emetteur="caf-042",
        destinataire=destinataire,
        recu_le=datetime(2026, 11, 23, 9, 59, 30, 123456, tzinfo=UTC),
        en_reponse_a=en_reponse_a,
        reference=reference,
        journal_index=41,
        empreinte="sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
        contenu=contenu,
    )


def fabrique_invalide(contexte: ContexteConnecteur) -> object:
    """A factory that does not build a Connecteur (the registry must say so)."""
    return object()


def fabrique_pydantic_brute(contexte: ContexteConnecteur) -> object:
    """A factory that lets pydantic's own error escape (the registry must wrap it)."""
    from pydantic import BaseModel, ConfigDict

    class Parametres(BaseModel):
        model_config = ConfigDict(extra="forbid")
        adresse: str

    Parametres.model_validate(dict(contexte.parametres))
    raise AssertionError("les paramètres de test devaient être refusés")
