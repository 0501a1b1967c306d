"""The last step: every write of an accepted message, in the caller's transaction.

The case it answers, the journal entry, the stored message, the case it opens — after the last
check, so a refusal never leaves a business write behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.acheminement.remise import enregistrer_message
from passerelle.catalogue import dossiers
from passerelle.journal import decisions
from passerelle.journal.ecriture import horodatage_texte
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.refus import au_stade
from passerelle.reception.etapes import Authentifie, Valide
from passerelle.stockage import dossiers as stockage_dossiers
from passerelle.stockage import messages


@dataclass(frozen=True)
class Depot:
    """An accepted message, committed with the caller's transaction: the receipt's content."""

    recu: dict[str, Any]


def _texte(valeur: object) -> str | None:
    return valeur if isinstance(valeur, str) and valeur else None


def inscrire(authentifie: Authentifie, examen: Valide, connexion: Connection, deps: DependancesChemin,
             instant: datetime) -> Depot:
    """``instant`` is the time recorded (taken in the transaction, so entries follow the
    journal's order); it falls on the day the message was examined for."""
    if instant.date() != examen.instant.date():
        raise ValueError("un message s'inscrit le jour pour lequel il a été examiné")
    contexte = examen.autorise.achemine.lu.verifie.requete.contexte
    appelant = authentifie.appelant
    if appelant is not examen.autorise.achemine.lu.verifie.appelant:
        raise ValueError("un message s'inscrit pour l'appelant qui l'a envoyé")
    achemine, autorisation = examen.autorise.achemine, examen.autorise.autorisation
    definition, destinataire, repondu = achemine.lu.definition, achemine.destinataire, achemine.message_repondu
    emetteur, flux, valide, message_id = appelant.organisme, definition.nom, examen.valide, examen.message_id
    empreinte = contexte.empreinte or ""
    dossier_repondu = None
    if repondu is not None:
        dossier = stockage_dossiers.lire(connexion, repondu.id, verrouiller=True)
        if dossier is not None:
            with au_stade(lambda: examen.connu):  # late or second answer: refused knowing the message
                dossier_repondu = dossiers.repondre(dossier, message_id, instant)
    details: dict[str, object] = {}
    if valide.regles_version:
        details["regles"] = valide.regles_version
    if repondu is not None:
        details["en_reponse_a"] = repondu.id
    if dossier_repondu is not None and dossier_repondu.repondu_en_retard:
        details["en_retard"] = True
    details.update(contexte.details)
    # The NIR's blind index, computed by ``examiner`` with the active key: not computed again.
    echange = decisions.Echange(appelant, flux, message_id, destinataire.code, None, autorisation.convention,
                                nir_index=examen.nir_index)
    journal_index = deps.journal.ecrire(connexion, decisions.acceptee(echange, instant, empreinte, details))
    enregistrer_message(
        deps.coffre,
        connexion,
        message_id=message_id,
        flux=flux,
        emetteur=emetteur.code,
        destinataire=destinataire,
        keyid=appelant.cle.keyid,
        agent=appelant.agent,
        donnees=valide.donnees,
        empreinte=empreinte,
        instant=instant,
        journal_index=journal_index,
        nir_index=examen.nir_index,
        nir_cle=deps.journal.cle_index_active if examen.nir_index else None,
        reference=_texte(getattr(valide.modele, "reference", None)),
        en_reponse_a=repondu.id if repondu else None,
        regles_version=valide.regles_version,
        convention=autorisation.convention,
    )
    if dossier_repondu is not None:
        stockage_dossiers.enregistrer(connexion, dossier_repondu)
    if definition.reponse is not None:
        habilitation = autorisation.habilitation
        assert habilitation.delai_reponse is not None  # checked against the register at start-up
        stockage_dossiers.inserer(
            connexion,
            dossiers.ouvrir(
                demande_id=message_id,
                flux_demande=flux,
                flux_reponse=definition.reponse,
                demandeur=emetteur.code,
                repondant=destinataire.code,
                convention=autorisation.convention,
                instant=instant,
                delai=habilitation.delai_reponse,
                rappels_avant=habilitation.rappels,
                a_echeance=definition.a_echeance,
                nir_index=examen.nir_index,
                nir_cle=deps.journal.cle_index_active,
            ),
        )
    return Depot(
        recu={
            "id": message_id,
            "flux": flux,
            "emetteur": emetteur.code,
            "destinataire": destinataire.code,
            "recu_le": horodatage_texte(instant),
            "empreinte": empreinte,
            "journal_index": journal_index,
            "statut": messages.RECU,
            "convention": autorisation.convention,
        }
    )
