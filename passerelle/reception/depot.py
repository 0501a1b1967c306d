"""``POST /v1/flux/{flux}``: authenticate, honour the Idempotency-Key, accept, answer.

The receipt is signed by the gateway so the sender keeps proof of what was received and when.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus, RefusValidation
from passerelle.reception.acceptation import Examen, accepter, examinable_sans_base, examiner, inscrire
from passerelle.reception.transaction import Trace, admettre_appelant, executer_groupe, verifier_appelant_requete
from passerelle.signature.authentification import Appelant
from passerelle.services import Services
from passerelle.signature.base import MessageHttp
from passerelle.signature.signature import signer_reponse
from passerelle.stockage import messages

TAILLE_MAX_CLE_IDEMPOTENCE = 255


@dataclass(frozen=True)
class ReponseHttp:
    statut: int
    corps: bytes
    entetes: dict[str, str]


class _CourseIdempotence(Exception):
    """Another request with the same Idempotency-Key committed first: undo ours, answer theirs."""


def reponse_signee(services: Services, statut: int, contenu: dict[str, object]) -> ReponseHttp:
    corps = json.dumps(contenu, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    entetes = {"content-type": "application/json"}
    entetes.update(
        signer_reponse(
            statut=statut,
            entetes=entetes,
            corps=corps,
            cle=services.secrets.cle_signature,
            keyid=services.secrets.signature_active,
            maintenant=int(services.horloge().timestamp()),
        )
    )
    return ReponseHttp(statut, corps, {k.lower(): v for k, v in entetes.items()})


def verifier_cle_idempotence(cle: str) -> None:
    if not (0 < len(cle) <= TAILLE_MAX_CLE_IDEMPOTENCE) or not cle.isascii() or not cle.isprintable():
        raise Refus(
            code="idempotence_cle_invalide",
            detail=f"Idempotency-Key doit faire 1 à {TAILLE_MAX_CLE_IDEMPOTENCE} caractères ASCII imprimables",
        )


def _reponse_deja_donnee(connexion: Connection, emetteur: str, cle: str, flux: str, empreinte: str) -> ReponseHttp | None:
    deja = messages.lire_idempotence(connexion, emetteur, cle)
    if deja is None:
        return None
    if deja.empreinte != empreinte or deja.flux != flux:
        raise RefusValidation(
            "idempotence_conflit",
            "cette Idempotency-Key a déjà servi pour un autre contenu: une clé neuve est nécessaire "
            "pour un nouveau message",
        )
    return ReponseHttp(deja.statut_http, deja.corps, deja.entetes)


async def deposer(
    services: Services,
    trace: Trace,
    message_http: MessageHttp,
    corps: bytes,
    flux: str,
    cle_idempotence: str | None,
) -> ReponseHttp:
    """Authenticate, accept in a group-committed transaction, answer with a signed receipt.

    What needs no database runs outside the group's transaction — checking the signature,
    examining a message that answers no earlier one (steps 2 to 4), signing the receipt — so
    the write lock is held for the database work only, and the next requests are checked
    while a group commits. Refusals found early are raised inside
    the transaction, in the order of the checks (signature, replay, Idempotency-Key, content),
    so the answer and the journal are those of the checks run one after the other. A receipt
    tied to an Idempotency-Key is signed inside, since that exact answer is stored."""
    trace.flux = flux
    empreinte = trace.empreinte or ""
    verifie: Appelant | Refus
    try:
        verifie = verifier_appelant_requete(services, message_http, corps)
    except Refus as refus:
        verifie = refus
    examen: Examen | Refus | None = None
    brouillon = copy.copy(trace)  # what the examination learns, applied once admitted
    examine_le = services.horloge()
    if isinstance(verifie, Appelant) and examinable_sans_base(services, flux):
        try:
            examen = examiner(services, brouillon, verifie, flux, corps, examine_le, connexion=None)
        except Refus as refus:
            examen = refus

    def operation(connexion: Connection, trace: Trace) -> ReponseHttp | dict[str, object]:
        if isinstance(verifie, Refus):
            raise verifie
        instant = services.horloge()
        appelant = admettre_appelant(services, connexion, trace, verifie)
        emetteur = appelant.organisme
        if cle_idempotence is not None:
            verifier_cle_idempotence(cle_idempotence)
            deja = _reponse_deja_donnee(connexion, emetteur.code, cle_idempotence, flux, empreinte)
            if deja is not None:
                return deja
        # Examined on another day than the one now recorded (midnight in between): again, here.
        prealable = examen if examine_le.date() == instant.date() else None
        if prealable is None:
            acceptation = accepter(services, connexion, trace, appelant, flux, corps, empreinte, instant)
        else:
            trace.nir, trace.destinataire = brouillon.nir, brouillon.destinataire
            if isinstance(prealable, Refus):
                raise prealable
            acceptation = inscrire(services, connexion, trace, appelant, prealable, empreinte, instant)
        if cle_idempotence is None:
            return acceptation.recu  # signed once committed, outside the transaction
        reponse = reponse_signee(services, 202, acceptation.recu)
        enregistree = messages.ReponseEnregistree(flux, empreinte, reponse.statut, reponse.corps, reponse.entetes)
        if not messages.enregistrer_idempotence(connexion, emetteur.code, cle_idempotence, enregistree, instant):
            raise _CourseIdempotence()
        return reponse

    try:
        resultat = await executer_groupe(services, trace, operation)
    except _CourseIdempotence:
        appelant, cle = trace.appelant, cle_idempotence
        assert appelant is not None and cle is not None

        def reponse_de_l_autre(connexion: Connection, _trace: Trace) -> ReponseHttp:
            deja = _reponse_deja_donnee(connexion, appelant.organisme.code, cle, flux, empreinte)
            assert deja is not None  # the conflicting row was committed before ours was refused
            return deja

        return await executer_groupe(services, trace, reponse_de_l_autre)
    return resultat if isinstance(resultat, ReponseHttp) else reponse_signee(services, 202, resultat)
