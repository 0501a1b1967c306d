"""The deadline worker: reminders before the deadline, then late or expired — each event
journaled once and told to both parties, in the same transaction as the case's new state."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import structlog
from starlette.concurrency import run_in_threadpool

from passerelle.catalogue.dossiers import EXPIRE, Dossier, Evenement, evenements_dus
from passerelle.acheminement.remise import enregistrer_message
from passerelle.journal.ecriture import Decision, horodatage_texte
from passerelle.services import Services
from passerelle.stockage import dossiers as stockage_dossiers

journal_technique = structlog.get_logger("passerelle.echeances")
FLUX_AVIS = "avis-echeance"
EMETTEUR_PASSERELLE = "passerelle"

CONSEQUENCES = {
    "rappel": "l'échéance approche : la réponse est attendue avant la date indiquée",
    "en_retard": "l'échéance est dépassée : la réponse reste attendue et sera signalée en retard",
    "expire": "le délai convenu est dépassé : la demande est close et une réponse tardive sera refusée",
}


def _avis(services: Services, connexion, evenement: Evenement, instant: datetime) -> None:  # type: ignore[no-untyped-def]
    dossier: Dossier = evenement.dossier
    index = services.journal.ecrire(
        connexion,
        Decision(
            decision=evenement.nature,
            code="delai_depasse" if evenement.nature == EXPIRE else None,
            horodatage=instant,
            flux=dossier.flux_demande,
            message=dossier.demande_id,
            destinataire=dossier.repondant,
            nir_index=dossier.nir_index,
            convention=dossier.convention,
            details={"demandeur": dossier.demandeur, "echeance": horodatage_texte(dossier.echeance)},
        ),
    )
    annuaire = services.annuaire.actuel()
    donnees = {
        "evenement": evenement.nature,
        "demande": dossier.demande_id,
        "flux_demande": dossier.flux_demande,
        "flux_reponse": dossier.flux_reponse,
        "demandeur": dossier.demandeur,
        "repondant": dossier.repondant,
        "echeance": horodatage_texte(dossier.echeance),
        "convention": dossier.convention,
        "consequence": CONSEQUENCES[evenement.nature],
    }
    for partie in (dossier.repondant, dossier.demandeur):
        organisme = annuaire.organisme(partie)
        if organisme is None:
            journal_technique.error("avis_sans_destinataire", organisme=partie)
            continue
        enregistrer_message(
            services,
            connexion,
            message_id=str(uuid.uuid4()),
            flux=FLUX_AVIS,
            emetteur=EMETTEUR_PASSERELLE,
            destinataire=organisme,
            keyid=services.secrets.signature_active,
            agent=EMETTEUR_PASSERELLE,
            donnees=donnees,
            empreinte="",
            instant=instant,
            journal_index=index,
            nir_index=dossier.nir_index,
            nir_cle=dossier.nir_cle,
            en_reponse_a=dossier.demande_id,
        )


def traiter_echeances(services: Services, limite: int = 500) -> int:
    """One round: every case with a reminder or deadline due; returns the cases handled."""
    with services.ecriture, services.moteur.begin() as connexion:
        instant = services.horloge()
        dus = stockage_dossiers.a_traiter(connexion, instant, limite)
        for dossier in dus:
            nouveau, evenements = evenements_dus(dossier, instant)
            stockage_dossiers.enregistrer(connexion, nouveau)
            for evenement in evenements:
                _avis(services, connexion, evenement, instant)
    return len(dus)


async def echeances_periodiquement(services: Services) -> None:
    while True:
        try:
            traites = await run_in_threadpool(traiter_echeances, services)
        except Exception:  # noqa: BLE001 — retried next round
            journal_technique.exception("echeances_en_erreur")
            traites = 0
        if traites == 0:
            await asyncio.sleep(services.reglages.echeances_intervalle)
