"""Signalement de suspicion de fraude between a CAF and a retirement caisse (art. 2.8).

Art. 2.8: "les caisses en région procèdent aux signalements de cas de suspicion de fraudes",
within the fraud-prevention sectors ("prévention et lutte contre la fraude") only. Who may send
and read it is the conventions' decision (profiles ``lutte-fraude``); this model only says what
a well-formed signal is, and keeps it to what the other side needs to open its own check: the
person, the kind of suspicion, the period, the stake, a short account, the sender's case.

A suspicion is not a finding: the model has no field for a conclusion, a sanction, or data
about third parties, and the free text is bounded (one line, 1,000 characters) so that whole
case files do not travel through it.

Enum docstrings are written in French: they are published in ``schemas/``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import ValidationInfo, field_validator

from passerelle.catalogue.champs import Date, Montant, champ, texte
from passerelle.catalogue.nir import Nir
from passerelle.catalogue.signaux_retraite import Enveloppe

DESCRIPTION_MAX = 1000
Description = texte(DESCRIPTION_MAX)
ReferenceDossier = texte(64)


class NatureSuspicion(StrEnum):
    """Nature de la suspicion : non-résidence (condition de résidence en France non remplie),
    ressources non déclarées ou minorées, activité dissimulée, situation familiale ou
    isolement déclarés à tort, usurpation d'identité, document falsifié, cumul de prestations
    incompatibles, ou autre (préciser dans la description)."""

    NON_RESIDENCE = "non_residence"
    RESSOURCES_NON_DECLAREES = "ressources_non_declarees"
    ACTIVITE_DISSIMULEE = "activite_dissimulee"
    SITUATION_FAMILIALE = "situation_familiale"
    USURPATION_IDENTITE = "usurpation_identite"
    DOCUMENT_FALSIFIE = "document_falsifie"
    CUMUL_INCOMPATIBLE = "cumul_incompatible"
    AUTRE = "autre"


class SuspicionFraude(Enveloppe):
    """CAF ↔ Carsat/Cnav, fraud-prevention agents only: a suspected fraud case to look into."""

    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de la personne concernée par la suspicion : 15 caractères (13 et une clé de 2 "
        "chiffres), sans espace ; les numéros temporaires (NIA) sont refusés",
    )
    nature: NatureSuspicion = champ("NatureSuspicion", "nature de la suspicion")
    periode_debut: Date = champ("PériodeDébut", "début de la période concernée (AAAA-MM-JJ)")
    periode_fin: Date | None = champ(
        "PériodeFin",
        "fin de la période concernée (AAAA-MM-JJ), au plus tôt le début ; absente si la "
        "situation dure encore",
        default=None,
    )
    montant_en_jeu: Montant | None = champ(
        "MontantEnJeu",
        "montant estimé en jeu, en euros (chaîne « 1234.56 » de préférence, ou nombre JSON ; 2 "
        "décimales au plus) ; facultatif",
        default=None,
    )
    description: Description = champ(
        "Description",
        f"exposé des faits qui fondent la suspicion, sur une ligne, {DESCRIPTION_MAX} caractères au "
        "plus : les faits utiles à la vérification par l'autre caisse, pas le dossier",
    )
    reference: ReferenceDossier = champ(
        "Référence",
        "référence du dossier de contrôle chez l'émetteur (64 caractères au plus), obligatoire : "
        "l'autre caisse la cite pour revenir vers l'émetteur",
    )

    @field_validator("periode_fin")
    @classmethod
    def _periode_ordonnee(cls, fin: date | None, info: ValidationInfo) -> date | None:
        debut = info.data.get("periode_debut")
        if fin is not None and isinstance(debut, date) and fin < debut:
            raise ValueError(f"la fin de période ({fin.isoformat()}) précède son début ({debut.isoformat()})")
        return fin
