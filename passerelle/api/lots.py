"""``POST /v1/lots/{flux}``: a batch (NDJSON or CSV with the annex-1 column names)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from passerelle.api.commun import services_de
from passerelle.api.http import message_http
from passerelle.erreurs import Refus
from passerelle.reception.lots import CSV, NDJSON, resultats_lot, traiter_lot
from passerelle.reception.transaction import Trace, journaliser_refus_seul
from passerelle.signature.authentification import keyid_annonce, preauthentifier
from passerelle.signature.contenu import CorpsHache
from passerelle.signature.signature import signer_reponse
from passerelle.stockage.tampons import DossierTampons, Tampon

router = APIRouter(tags=["lots"])


async def _spooler(request: Request, limite: int, tampons: DossierTampons) -> tuple[Tampon, CorpsHache]:
    """Write the body, encrypted, to a private spool file while hashing it; refuse past ``limite``."""
    hache = CorpsHache()
    tampon = tampons.nouveau(".corps")
    try:
        async for morceau in request.stream():
            hache.ajouter(morceau)
            if hache.taille > limite:
                raise Refus(code="corps_trop_volumineux", detail=f"le lot dépasse {limite} octets", statut=413,
                            titre="Corps trop volumineux")
            tampon.ecrire(morceau)
        tampon.terminer()
    except BaseException:
        tampon.supprimer()
        raise
    return tampon, hache


def _preauthentifier(services, message) -> None:  # type: ignore[no-untyped-def]
    """Nothing of an unknown sender is written to disk: the signature is checked first."""
    preauthentifier(services.annuaire.actuel(), message, services.horloge(),
                    fenetre=services.reglages.fenetre_signature, derive=services.reglages.derive_horloge)


def _reponse_signee(services, emetteur: str, cle: str, resume: dict) -> tuple[Tampon, dict[str, str]]:  # type: ignore[no-untyped-def]
    """All per-line results then a summary line, in an encrypted spool file, signed like a receipt."""
    hache = CorpsHache()
    tampon = services.tampons.nouveau(".ndjson")
    try:
        for morceau in [*resultats_lot(services, emetteur, cle), (json.dumps({"resume": resume}, ensure_ascii=False) + "\n").encode()]:
            hache.ajouter(morceau)
            tampon.ecrire(morceau)
        tampon.terminer()
    except BaseException:
        tampon.supprimer()
        raise
    entetes = {"content-type": NDJSON}
    entetes.update(signer_reponse(statut=200, entetes=entetes, corps=hache, cle=services.secrets.cle_signature,
                                  keyid=services.secrets.signature_active, maintenant=int(services.horloge().timestamp())))
    entetes["content-length"] = str(hache.taille)
    return tampon, entetes


def _lire(tampon: Tampon) -> Iterator[bytes]:
    """The answer, then its spool removed — also when the client goes away mid-answer."""
    try:
        with tampon.ouvrir() as fichier:
            while morceau := fichier.read(1 << 16):
                yield morceau
    finally:
        tampon.supprimer()


@router.post(
    "/v1/lots/{flux}",
    summary="Envoyer un lot (NDJSON: un message par ligne; CSV: colonnes de l'annexe 1)",
)
async def envoyer_lot(
    flux: str,
    request: Request,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", description="clé du lot, pour le reprendre"),
) -> StreamingResponse:
    services = services_de(request)
    message = message_http(request)
    trace = Trace(operation="lot", requete_id=request.state.requete_id, keyid_annonce=keyid_annonce(message), flux=flux)
    type_contenu = message.entetes.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        if type_contenu not in (NDJSON, CSV):
            raise Refus(code="type_contenu_non_supporte", detail=f"un lot s'envoie en {NDJSON} ou {CSV}", statut=415,
                        titre="Type de contenu non pris en charge")
        await run_in_threadpool(_preauthentifier, services, message)
        chemin, hache = await _spooler(request, services.reglages.taille_max_lot, services.tampons)
    except Refus as refus:
        await run_in_threadpool(journaliser_refus_seul, services, trace, refus)
        raise
    try:
        resultat = await run_in_threadpool(traiter_lot, services, trace, message, hache, chemin, flux, idempotency_key, type_contenu)
        assert idempotency_key is not None
        sortie, entetes = await run_in_threadpool(_reponse_signee, services, resultat.appelant.organisme.code, idempotency_key, resultat.resume)
    finally:
        chemin.supprimer()
    return StreamingResponse(_lire(sortie), status_code=200, headers=entetes, background=BackgroundTask(sortie.supprimer))
