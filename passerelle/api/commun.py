"""What every organisme endpoint does around its own work: read the body within the limit,
authenticate, run in one transaction with refusals journaled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.api.http import lire_corps, message_http
from passerelle.erreurs import Refus
from passerelle.reception.transaction import Trace, executer, journaliser_refus_seul
from passerelle.services import Services
from passerelle.signature.authentification import Appelant, authentifier, keyid_annonce
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import empreinte_contenu


def services_de(request: Request) -> Services:
    return request.app.state.services


async def preparer(request: Request, operation: str) -> tuple[Services, Trace, MessageHttp, bytes]:
    """Body within the limit and the trace of the request; refusals here are journaled too."""
    services = services_de(request)
    message = message_http(request)
    trace = Trace(operation=operation, requete_id=request.state.requete_id, keyid_annonce=keyid_annonce(message))
    try:
        corps = await lire_corps(request, services.reglages.taille_max_corps)
    except Refus as refus:
        await run_in_threadpool(journaliser_refus_seul, services, trace, refus)
        raise
    if corps:
        trace.empreinte = empreinte_contenu(corps)
    return services, trace, message, corps


async def executer_authentifie(
    request: Request,
    operation: str,
    travail: Callable[[Services, Connection, Appelant, Trace], dict[str, Any]],
    *,
    statut: int = 200,
) -> JSONResponse:
    services, trace, message, corps = await preparer(request, operation)

    def dans_la_transaction(connexion: Connection, trace: Trace) -> dict[str, Any]:
        appelant = authentifier(
            connexion,
            services.annuaire.actuel(),
            message,
            corps,
            services.horloge(),
            fenetre=services.reglages.fenetre_signature,
            derive=services.reglages.derive_horloge,
        )
        trace.appelant = appelant
        return travail(services, connexion, appelant, trace)

    resultat = await run_in_threadpool(executer, services, trace, dans_la_transaction)
    return JSONResponse(resultat, status_code=statut)
