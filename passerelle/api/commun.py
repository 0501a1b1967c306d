"""What every organisme endpoint does around its own work: read the body within the limit,
authenticate, run in one transaction with refusals journaled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.api.http import lire_corps, message_http
from passerelle.erreurs import Refus
from passerelle.reception.transaction import Trace, authentifier_appelant, executer, journaliser_refus_seul
from passerelle.services import Services
from passerelle.signature.authentification import Appelant, keyid_annonce
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import empreinte_contenu

T = TypeVar("T")


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
    resultat = await executer_authentifie_brut(request, operation, travail)
    return JSONResponse(resultat, status_code=statut)


async def executer_authentifie_brut(
    request: Request,
    operation: str,
    travail: Callable[[Services, Connection, Appelant, Trace], T],
) -> T:
    """The same, for endpoints whose answer is not JSON (a signed note, an entry's exact bytes)."""
    services, trace, message, corps = await preparer(request, operation)

    def dans_la_transaction(connexion: Connection, trace: Trace) -> T:
        appelant = authentifier_appelant(services, connexion, trace, message, corps)
        return travail(services, connexion, appelant, trace)

    return await run_in_threadpool(executer, services, trace, dans_la_transaction)


async def exiger_json(services: Services, trace: Trace, message: MessageHttp, quoi: str) -> None:
    """415 (journaled) unless the body is announced as application/json."""
    type_contenu = message.entetes.get("content-type", "").split(";", 1)[0].strip().lower()
    if type_contenu != "application/json":
        refus = Refus(
            code="type_contenu_non_supporte",
            detail=f"{quoi} s'envoie en application/json",
            statut=415,
            titre="Type de contenu non pris en charge",
        )
        await run_in_threadpool(journaliser_refus_seul, services, trace, refus)
        raise refus
