"""What every organisme endpoint outside the request path does around its own work: read the
body within the limit, authenticate (signature, nonce, robots: the path's first steps), run in
one transaction with refusals journaled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.api.dependances import dependances, requete_bornee, services_de
from passerelle.reception.transaction import Trace, authentifier_requete, executer
from passerelle.signature.authentification import Appelant

T = TypeVar("T")

__all__ = ["executer_authentifie", "executer_authentifie_brut", "services_de"]


async def executer_authentifie(
    request: Request,
    operation: str,
    travail: Callable[[Connection, Appelant, Trace], dict[str, Any]],
    *,
    statut: int = 200,
) -> JSONResponse:
    resultat = await executer_authentifie_brut(request, operation, travail)
    return JSONResponse(resultat, status_code=statut)


async def executer_authentifie_brut(
    request: Request,
    operation: str,
    travail: Callable[[Connection, Appelant, Trace], T],
) -> T:
    """The same, for endpoints whose answer is not JSON (a signed note, an entry's exact bytes)."""
    services, deps = services_de(request), dependances(request)
    requete = await requete_bornee(request, deps, operation)
    contexte = requete.contexte
    trace = Trace(operation=operation, requete_id=contexte.requete_id, keyid_annonce=contexte.keyid_annonce,
                  empreinte=contexte.empreinte)

    def dans_la_transaction(connexion: Connection, trace: Trace) -> T:
        appelant = authentifier_requete(deps, connexion, trace, requete.message, requete.corps).appelant
        return travail(connexion, appelant, trace)

    return await run_in_threadpool(executer, services, trace, dans_la_transaction)
