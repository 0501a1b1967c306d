"""``POST /v1/lots/{flux}``: a batch (NDJSON or CSV with the annex-1 column names)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from passerelle.api.dependances import dependances, contexte_de, refuser_avant_transaction
from passerelle.api.http import message_http
from passerelle.erreurs import Refus
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.etapes import Requete
from passerelle.reception.lots import CSV, NDJSON, resultats_lot, traiter_lot
from passerelle.reception.refus import Connu, ContexteRequete
from passerelle.signature.authentification import preauthentifier
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache, empreinte_de
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


def _preauthentifier(deps: DependancesChemin, message: MessageHttp) -> None:
    """Nothing of an unknown sender is written to disk: the signature is checked first."""
    preauthentifier(deps.annuaire.actuel(), message, deps.horloge(),
                    fenetre=deps.reglages.fenetre_signature, derive=deps.reglages.derive_horloge)


def _reponse_signee(deps: DependancesChemin, emetteur: str, cle: str, resume: dict[str, object]) -> tuple[Tampon, dict[str, str]]:
    """All per-line results then a summary line, in an encrypted spool file, signed like a receipt."""
    hache = CorpsHache()
    tampon = deps.tampons.nouveau(".ndjson")
    try:
        for morceau in [*resultats_lot(deps, emetteur, cle), (json.dumps({"resume": resume}, ensure_ascii=False) + "\n").encode()]:
            hache.ajouter(morceau)
            tampon.ecrire(morceau)
        tampon.terminer()
    except BaseException:
        tampon.supprimer()
        raise
    entetes = {"content-type": NDJSON}
    entetes.update(deps.signeur.entetes(200, entetes, hache))
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
    deps = dependances(request)
    message = message_http(request)
    contexte = contexte_de(request, "lot")
    type_contenu = message.entetes.get("content-type", "").split(";", 1)[0].strip().lower()
    try:
        if type_contenu not in (NDJSON, CSV):
            raise Refus(code="type_contenu_non_supporte", detail=f"un lot s'envoie en {NDJSON} ou {CSV}", statut=415,
                        titre="Type de contenu non pris en charge")
        await run_in_threadpool(_preauthentifier, deps, message)
        chemin, hache = await _spooler(request, deps.reglages.taille_max_lot, deps.tampons)
    except Refus as refus:
        raise await refuser_avant_transaction(deps, contexte, refus, Connu(flux=flux)) from None
    requete = Requete(ContexteRequete("lot", contexte.requete_id, contexte.keyid_annonce, empreinte_de(hache)),
                      message, hache, Connu(flux=flux))
    try:
        resultat = await run_in_threadpool(traiter_lot, deps, requete, chemin, flux, idempotency_key, type_contenu)
        assert idempotency_key is not None
        sortie, entetes = await run_in_threadpool(_reponse_signee, deps, resultat.appelant.organisme.code, idempotency_key, resultat.resume)
    finally:
        chemin.supprimer()
    return StreamingResponse(_lire(sortie), status_code=200, headers=entetes, background=BackgroundTask(sortie.supprimer))
