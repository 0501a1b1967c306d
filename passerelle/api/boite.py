"""The inbox (pull mode) and acknowledgements; a message's status and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection

from passerelle.acheminement import boite
from passerelle.api import fournisseurs
from passerelle.api.commun import executer_authentifie
from passerelle.reception.transaction import Trace
from passerelle.signature.authentification import Appelant

router = APIRouter(tags=["boîte"])


@router.get(
    "/v1/boite",
    summary="Lire sa boîte: messages adressés et non acquittés, du plus ancien au plus récent",
)
async def lire(
    request: Request,
    curseur: str | None = Query(default=None, max_length=64, description="curseur_suivant de la page précédente"),
    limite: int = Query(default=50, ge=1, le=100),
    la_boite: boite.Boite = Depends(fournisseurs.boite),
    limite_max: int = Depends(fournisseurs.limite_boite),
) -> JSONResponse:
    def travail(connexion: Connection, appelant: Appelant, trace: Trace) -> dict[str, Any]:
        page = boite.lire_boite(la_boite, connexion, appelant, curseur, min(limite, limite_max))
        return {"messages": page.messages, "curseur_suivant": page.curseur_suivant}

    return await executer_authentifie(request, "boite", travail)


@router.post(
    "/v1/boite/{message_id}/acquittement",
    summary="Acquitter un message: il quitte la boîte; idempotent",
)
async def acquitter(message_id: str, request: Request,
                    la_boite: boite.Boite = Depends(fournisseurs.boite)) -> JSONResponse:
    def travail(connexion: Connection, appelant: Appelant, trace: Trace) -> dict[str, Any]:
        trace.message = message_id[:36]
        return boite.acquitter(la_boite, connexion, appelant, message_id)

    return await executer_authentifie(request, "acquittement", travail)


@router.get(
    "/v1/messages/{message_id}",
    summary="Statut et historique d'un message (émetteur ou destinataire seulement)",
)
async def suivre(message_id: str, request: Request) -> JSONResponse:
    def travail(connexion: Connection, appelant: Appelant, trace: Trace) -> dict[str, Any]:
        trace.message = message_id[:36]
        return boite.suivre(connexion, appelant, message_id)

    return await executer_authentifie(request, "suivi", travail)
