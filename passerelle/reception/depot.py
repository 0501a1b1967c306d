"""``POST /v1/flux/{flux}``: authenticate, honour the Idempotency-Key, accept, answer.

The receipt is signed by the gateway so the sender keeps proof of what was received and when.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus, RefusValidation
from passerelle.reception.acceptation import accepter
from passerelle.reception.transaction import Trace, authentifier_appelant, executer_groupe
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
    trace.flux = flux
    empreinte = trace.empreinte or ""

    def operation(connexion: Connection, trace: Trace) -> ReponseHttp:
        instant = services.horloge()
        appelant = authentifier_appelant(services, connexion, trace, message_http, corps)
        emetteur = appelant.organisme
        if cle_idempotence is not None:
            verifier_cle_idempotence(cle_idempotence)
            deja = _reponse_deja_donnee(connexion, emetteur.code, cle_idempotence, flux, empreinte)
            if deja is not None:
                return deja
        acceptation = accepter(services, connexion, trace, appelant, flux, corps, empreinte, instant)
        reponse = reponse_signee(services, 202, acceptation.recu)
        if cle_idempotence is not None:
            enregistree = messages.ReponseEnregistree(flux, empreinte, reponse.statut, reponse.corps, reponse.entetes)
            if not messages.enregistrer_idempotence(connexion, emetteur.code, cle_idempotence, enregistree, instant):
                raise _CourseIdempotence()
        return reponse

    try:
        return await executer_groupe(services, trace, operation)
    except _CourseIdempotence:
        appelant, cle = trace.appelant, cle_idempotence
        assert appelant is not None and cle is not None

        def reponse_de_l_autre(connexion: Connection, _trace: Trace) -> ReponseHttp:
            deja = _reponse_deja_donnee(connexion, appelant.organisme.code, cle, flux, empreinte)
            assert deja is not None  # the conflicting row was committed before ours was refused
            return deja

        return await executer_groupe(services, trace, reponse_de_l_autre)
