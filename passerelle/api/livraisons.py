"""A destination's view of the pushes it receives: failures, dead letters, re-drive."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection

from passerelle.acheminement.relance import relancer, vue_livraison
from passerelle.api import fournisseurs
from passerelle.api.commun import executer_authentifie
from passerelle.reception.transaction import Trace
from passerelle.auditeurs.acces import TemoinAuditeurs
from passerelle.signature.authentification import Appelant
from passerelle.stockage import livraisons

router = APIRouter(tags=["livraisons"])
STATUTS = (livraisons.A_LIVRER, livraisons.EN_COURS, livraisons.ECHEC, livraisons.LIVRE, livraisons.MORTE)


@router.get(
    "/v1/livraisons",
    summary="Livraisons poussées vers l'organisme appelant (échecs, abandons…)",
)
async def lister(
    request: Request,
    statut: str | None = Query(default=None, pattern="^(" + "|".join(STATUTS) + ")$"),
    limite: int = Query(default=100, ge=1, le=500),
) -> JSONResponse:
    def travail(connexion: Connection, appelant: Appelant, trace: Trace) -> dict[str, Any]:
        lignes = livraisons.lister(connexion, destinataire=appelant.organisme.code, statut=statut, limite=limite)
        return {"livraisons": [vue_livraison(l) for l in lignes]}

    return await executer_authentifie(request, "livraisons", travail)


@router.post(
    "/v1/livraisons/{message_id}/relance",
    summary="Relancer une livraison abandonnée (le destinataire a réparé son point de réception)",
)
async def relance(message_id: str, request: Request,
                  temoin: TemoinAuditeurs = Depends(fournisseurs.temoin_auditeurs)) -> JSONResponse:
    def travail(connexion: Connection, appelant: Appelant, trace: Trace) -> dict[str, Any]:
        trace.message = message_id[:36]
        return relancer(connexion, message_id, journal=temoin.journal, horloge=temoin.horloge, par="organisme", destinataire=appelant.organisme.code,
                        agent=appelant.agent, keyid=appelant.cle.keyid)

    return await executer_authentifie(request, "relance", travail)
