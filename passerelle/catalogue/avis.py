"""The gateway's own notices about a case: a reminder before the deadline, the deadline passed
(late, or expired). Both parties get one, in their inbox or through their connector, so neither
has to poll the gateway to learn that a delay is running out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from passerelle.catalogue.champs import CodeOrganisme, IdentifiantMessage, champ
from passerelle.catalogue.signaux_retraite import Enveloppe


class NatureAvis(StrEnum):
    RAPPEL = "rappel"
    EN_RETARD = "en_retard"
    EXPIRE = "expire"


class AvisEcheance(Enveloppe):
    """Passerelle → both parties of a case. Emitted by the gateway only: no convention lets an
    organisme send it."""

    evenement: NatureAvis = champ("Evenement", "rappel avant l'échéance, échéance dépassée (en_retard) ou demande expirée (expire)")
    demande: IdentifiantMessage = champ("Demande", "identifiant du message de demande concerné")
    flux_demande: str = champ("FluxDemande", "flux de la demande")
    flux_reponse: str = champ("FluxReponse", "flux attendu en réponse")
    demandeur: CodeOrganisme = champ("Demandeur", "organisme qui a fait la demande")
    repondant: CodeOrganisme = champ("Repondant", "organisme qui doit répondre")
    echeance: datetime = champ("Echeance", "échéance de la réponse (RFC 3339, UTC)")
    convention: str = champ("Convention", "la convention qui fixe le délai")
    consequence: str = champ("Consequence", "ce que l'événement change, en clair")
