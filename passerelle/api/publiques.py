"""Endpoints without organisme signature: the gateway's public keys, metrics (health: api/sante.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from passerelle.annuaire.cles import jwk
from passerelle.api.fournisseurs import ClesSignature, cles_signature, registre_metriques
from passerelle.journal.ecriture import horodatage_texte

router = APIRouter(tags=["exploitation"])


@router.get(
    "/.well-known/jwks.json",
    summary="Clés publiques de la passerelle (RFC 7517, RFC 8037)",
    description="Toutes les clés de signature de la passerelle: la clé active, celles d'un chevauchement de "
    "rotation, et les clés retirées (clé privée détruite; marquées `retiree_le`), qui vérifient encore les "
    "accusés de réception qu'elles ont signés. Un accusé signé par une clé retirée après sa date de retrait "
    "n'est pas authentique.",
)
async def jwks(signature: ClesSignature = Depends(cles_signature)) -> JSONResponse:
    cles: list[dict[str, str]] = [jwk(keyid, privee.public_key()) for keyid, privee in sorted(signature.en_service.items())]
    for keyid, retiree in sorted(signature.retirees.items()):
        cle = jwk(keyid, retiree.publique)
        if retiree.retiree_le is not None:
            cle["retiree_le"] = horodatage_texte(retiree.retiree_le)
        cles.append(cle)
    return JSONResponse({"keys": cles}, headers={"cache-control": "public, max-age=300"})


@router.get("/metrics", summary="Métriques Prometheus")
async def metriques(registre: CollectorRegistry = Depends(registre_metriques)) -> Response:
    # In the thread pool: the answer-delay collector reads the database (gouvernance/metriques.py).
    texte = await run_in_threadpool(generate_latest, registre)
    return Response(texte, media_type=CONTENT_TYPE_LATEST)
