"""The deadline worker: reminders before the deadline, then late or expired — each event
journaled once and told to both parties, in the same transaction as the case's new state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from passerelle.acheminement.remise import enregistrer_message
from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.catalogue.dossiers import EXPIRE, Dossier, Evenement, evenements_dus
from passerelle.journal.ecriture import Decision, Journal, horodatage_texte
from passerelle.stockage import dossiers as stockage_dossiers
from passerelle.stockage.base import VerrouEcriture
from passerelle.stockage.chiffrement import Coffre

journal_technique = structlog.get_logger("passerelle.echeances")
FLUX_AVIS = "avis-echeance"
EMETTEUR_PASSERELLE = "passerelle"

CONSEQUENCES = {
    "rappel": "l'échéance approche : la réponse est attendue avant la date indiquée",
    "en_retard": "l'échéance est dépassée : la réponse reste attendue et sera signalée en retard",
    "expire": "le délai convenu est dépassé : la demande est close et une réponse tardive sera refusée",
}


@dataclass(frozen=True)
class Echeancier:
    """What the deadline worker uses: the database and its write lock, the clock, the journal,
    the at-rest keys and the directory (notices are messages to both parties), the key id the
    gateway's own messages carry, and the pause between empty rounds (seconds)."""

    moteur: Engine
    ecriture: VerrouEcriture
    horloge: Callable[[], datetime]
    journal: Journal
    coffre: Coffre
    annuaire: SourceAnnuaire
    keyid: str
    intervalle: float


def _avis(echeancier: Echeancier, connexion: Connection, evenement: Evenement, instant: datetime) -> None:
    dossier: Dossier = evenement.dossier
    index = echeancier.journal.ecrire(
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
    annuaire = echeancier.annuaire.actuel()
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
            echeancier.coffre,
            connexion,
            message_id=str(uuid.uuid4()),
            flux=FLUX_AVIS,
            emetteur=EMETTEUR_PASSERELLE,
            destinataire=organisme,
            keyid=echeancier.keyid,
            agent=EMETTEUR_PASSERELLE,
            donnees=donnees,
            empreinte="",
            instant=instant,
            journal_index=index,
            nir_index=dossier.nir_index,
            nir_cle=dossier.nir_cle,
            en_reponse_a=dossier.demande_id,
        )


def traiter_echeances(echeancier: Echeancier, limite: int = 500) -> int:
    """One round: every case with a reminder or deadline due; returns the cases handled."""
    with echeancier.ecriture, echeancier.moteur.begin() as connexion:
        instant = echeancier.horloge()
        dus = stockage_dossiers.a_traiter(connexion, instant, limite)
        for dossier in dus:
            nouveau, evenements = evenements_dus(dossier, instant)
            stockage_dossiers.enregistrer(connexion, nouveau)
            for evenement in evenements:
                _avis(echeancier, connexion, evenement, instant)
    return len(dus)


async def echeances_periodiquement(echeancier: Echeancier) -> None:
    while True:
        try:
            traites = await run_in_threadpool(traiter_echeances, echeancier)
        except Exception:  # noqa: BLE001 — retried next round
            journal_technique.exception("echeances_en_erreur")
            traites = 0
        if traites == 0:
            await asyncio.sleep(echeancier.intervalle)
