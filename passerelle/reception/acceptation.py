"""Steps 2 to 5 for one message of an authenticated sender: authorise, validate, route, commit.

Shared by the single-message endpoint and by batches, so a line of a batch is decided exactly
as the same message sent alone would be. Every business write comes after the last check, in
the caller's transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.acheminement.remise import enregistrer_message
from passerelle.acheminement.routage import choisir_destinataire, pivot_de
from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.registre import DefinitionFlux
from passerelle.catalogue.validation import ContexteValidation, MessageValide, lire_json, valider_message
from passerelle.erreurs import Introuvable, RefusValidation, citer
from passerelle.habilitations.autorisation import AppelantAutorise, Autorisation, autoriser
from passerelle.journal.ecriture import Decision, horodatage_texte
from passerelle.reception.transaction import Trace
from passerelle.services import Services
from passerelle.signature.authentification import Appelant
from passerelle.catalogue import dossiers
from passerelle.stockage import dossiers as stockage_dossiers
from passerelle.stockage import messages


def _enveloppe(objet: Any) -> dict[str, Any]:
    """The envelope fields (routing needs them before validation); a JSON that is not an
    object is left for validation to describe."""
    return objet if isinstance(objet, dict) else {}


def _texte(valeur: object) -> str | None:
    return valeur if isinstance(valeur, str) and valeur else None


def _contenu(services: Services, demande: messages.LigneMessage) -> dict[str, Any] | None:
    """The stored payload of the request being answered, for the rules that compare the answer
    with it (periods asked, amount available); decrypted in memory only, never logged.

    None once purged: the rules that need it are those of requests opening a case, and a
    request's payload is kept while its case is open (conservation/purge.py); an answer to a
    purged request without such rules (a late notification-retraite) is still taken."""
    if demande.purge:
        return None
    return json.loads(services.coffre.dechiffrer(demande.contenu, demande.id.encode("ascii")))


@dataclass(frozen=True)
class Acceptation:
    """What the sender is told: the receipt's content."""

    recu: dict[str, Any]


@dataclass(frozen=True)
class Examen:
    """What steps 2 to 4 decided for one message, before anything is written."""

    flux: str
    definition: DefinitionFlux
    message_id: str
    destinataire: Organisme
    autorisation: Autorisation
    valide: MessageValide
    nir_index: str | None
    demande: messages.LigneMessage | None
    instant: datetime  # the day's rules applied are those of this instant


def accepter(
    services: Services,
    connexion: Connection,
    trace: Trace,
    appelant: Appelant,
    flux: str,
    corps: bytes,
    empreinte: str,
    instant: datetime,
) -> Acceptation:
    """Steps 2 to 5 in the caller's transaction."""
    examen = examiner(services, trace, appelant, flux, corps, instant, connexion=connexion)
    return inscrire(services, connexion, trace, appelant, examen, empreinte, instant)


def examinable_sans_base(services: Services, flux: str) -> bool:
    """A message of ``flux`` can be examined before its transaction: it answers no earlier
    message (an answer is checked against the stored request)."""
    definition = services.catalogue.get(flux)
    return definition is not None and not definition.repond_a


def examiner(
    services: Services,
    trace: Trace,
    appelant: Appelant,
    flux: str,
    corps: bytes,
    instant: datetime,
    *,
    connexion: Connection | None,
) -> Examen:
    """Steps 2 to 4: known flux, JSON, the request answered (read through ``connexion``; None
    only where ``examinable_sans_base``), destination, convention, schema and rules. Writes
    nothing; raises the first refusal."""
    emetteur = appelant.organisme
    trace.flux = flux
    definition = services.catalogue.get(flux)
    if definition is None:
        raise Introuvable("flux_inconnu", f"le flux {citer(flux)} n'existe pas ({', '.join(sorted(services.catalogue))})")

    objet = lire_json(corps)  # invalid JSON is refused here, with its own code
    enveloppe = _enveloppe(objet)
    trace.nir = _texte(enveloppe.get("nir_assure"))
    demande = None
    if definition.repond_a:
        if connexion is None:
            raise AssertionError(f"le flux {flux} répond à un message: il s'examine dans la transaction")
        reference = _texte(enveloppe.get("en_reponse_a"))
        reference = reference.strip().lower() if reference else None  # UUIDs compare in lower case
        if reference is None:
            raise RefusValidation(
                "reponse_sans_demande",
                f"le flux {flux} répond à un message {' ou '.join(definition.repond_a)}: "
                "en_reponse_a doit donner son identifiant",
            )
        demande = messages.lire(connexion, reference)
        if demande is None or demande.destinataire != emetteur.code:
            raise RefusValidation("demande_inconnue", f"aucun message {citer(reference)} n'a été adressé à {emetteur.code}")
        if demande.flux not in definition.repond_a:
            raise RefusValidation(
                "reponse_inattendue",
                f"le message {reference} est un {demande.flux}; le flux {flux} répond à "
                f"{' ou '.join(definition.repond_a)}",
            )
    pivot = None
    if definition.mutualisation and demande is None:
        pivot = pivot_de(services.mutualisation, definition.mutualisation, enveloppe.get("departement"), instant.date())
    destinataire = choisir_destinataire(
        emetteur=emetteur,
        demande=_texte(enveloppe.get("destinataire")),
        reponse_a_emetteur=demande.emetteur if demande else None,
        types_destinataires=definition.types_destinataires,
        annuaire=services.annuaire.actuel(),
        pivot=pivot,
    )
    trace.destinataire = destinataire.code
    autorisation = autoriser(AppelantAutorise(appelant), destinataire, flux, instant.date(), services.conventions)
    valide = valider_message(
        definition,
        corps,
        ContexteValidation(
            emetteur=emetteur,
            aujourd_hui=instant.date(),
            table_age_legal=services.table_age_legal,
            motifs_avpf=services.motifs_avpf,
            demande_donnees=_contenu(services, demande) if demande is not None else None,
        ),
        objet=objet,
    )
    trace.nir = valide.nir
    autorisation.couper(valide.donnees)
    nir_index = services.journal.index_nir(valide.nir) if valide.nir else None
    if demande is not None and not _meme_personne(services, demande, valide.nir, nir_index):
        raise RefusValidation(
            "nir_incoherent", f"le NIR de ce message n'est pas celui du message {demande.id} auquel il répond"
        )
    return Examen(
        flux=flux,
        definition=definition,
        message_id=str(uuid.uuid4()),
        destinataire=destinataire,
        autorisation=autorisation,
        valide=valide,
        nir_index=nir_index,
        demande=demande,
        instant=instant,
    )


def _meme_personne(services: Services, demande: messages.LigneMessage, nir: str | None, nir_index: str | None) -> bool:
    """The answer is about the request's person. The request may have been indexed under an
    earlier blind-index key (rotation under way): then its NIR is indexed under each key."""
    if demande.nir_index == nir_index or nir is None or demande.nir_index is None:
        return demande.nir_index == nir_index
    if demande.nir_cle == services.journal.cle_index_active:
        return False
    return demande.nir_index in services.journal.indexes_nir(nir)


def inscrire(
    services: Services,
    connexion: Connection,
    trace: Trace,
    appelant: Appelant,
    examen: Examen,
    empreinte: str,
    instant: datetime,
) -> Acceptation:
    """Step 5, every write of an accepted message, in the caller's transaction: the case it
    answers, the journal entry, the stored message, the case it opens. ``instant`` is the
    time recorded (taken in the transaction, so entries follow the journal's order); it falls
    on the day the message was examined for."""
    if instant.date() != examen.instant.date():
        raise ValueError("un message s'inscrit le jour pour lequel il a été examiné")
    emetteur, destinataire, demande = appelant.organisme, examen.destinataire, examen.demande
    flux, valide, message_id = examen.flux, examen.valide, examen.message_id
    autorisation = examen.autorisation
    dossier_repondu = None
    if demande is not None:
        dossier = stockage_dossiers.lire(connexion, demande.id, verrouiller=True)
        if dossier is not None:
            dossier_repondu = dossiers.repondre(dossier, message_id, instant)
    trace.message = message_id
    details: dict[str, object] = {}
    if valide.regles_version:
        details["regles"] = valide.regles_version
    if demande is not None:
        details["en_reponse_a"] = demande.id
    if dossier_repondu is not None and dossier_repondu.repondu_en_retard:
        details["en_retard"] = True
    details.update(trace.details)
    journal_index = services.journal.ecrire(
        connexion,
        Decision(
            decision="accepte",
            horodatage=instant,
            flux=flux,
            message=message_id,
            organisme=emetteur.code,
            destinataire=destinataire.code,
            keyid=appelant.cle.keyid,
            agent=appelant.agent,
            robot=appelant.cle.robot,
            nir=valide.nir,
            empreinte=empreinte,
            convention=autorisation.convention,
            details=details,
        ),
    )
    enregistrer_message(
        services,
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
        nir_cle=services.journal.cle_index_active if examen.nir_index else None,
        reference=_texte(getattr(valide.modele, "reference", None)),
        en_reponse_a=demande.id if demande else None,
        regles_version=valide.regles_version,
        convention=autorisation.convention,
    )
    if dossier_repondu is not None:
        stockage_dossiers.enregistrer(connexion, dossier_repondu)
    if examen.definition.reponse is not None:
        habilitation = autorisation.habilitation
        assert habilitation.delai_reponse is not None  # checked against the register at start-up
        stockage_dossiers.inserer(
            connexion,
            dossiers.ouvrir(
                demande_id=message_id,
                flux_demande=flux,
                flux_reponse=examen.definition.reponse,
                demandeur=emetteur.code,
                repondant=destinataire.code,
                convention=autorisation.convention,
                instant=instant,
                delai=habilitation.delai_reponse,
                rappels_avant=habilitation.rappels,
                a_echeance=examen.definition.a_echeance,
                nir_index=examen.nir_index,
                nir_cle=services.journal.cle_index_active,
            ),
        )
    return Acceptation(
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
