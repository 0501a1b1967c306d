"""What every console page shares: rendering with protective headers, the session, one
transaction per action with refusals journaled, CSRF on every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.console.dates import en_francais
from passerelle.console.session import COOKIE, Session, Signeur, lire_session
from passerelle.erreurs import Refus
from passerelle.reception.transaction import Trace, executer
from passerelle.services import Services

T = TypeVar("T")
GABARITS = Jinja2Templates(directory=str(Path(__file__).parent / "gabarits"))
GABARITS.env.filters["date_fr"] = en_francais  # JJ/MM/AAAA HH:MM:SS UTC, whatever the browser's locale
ENTETES = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class NonConnecte(Exception):
    """No valid session: the page sends the browser to the login form."""


def services_de(request: Request) -> Services:
    return request.app.state.services


def signeur_de(services: Services) -> Signeur:
    return Signeur(services.secrets.index_aveugle)


def cookie_securise(services: Services) -> bool:
    choix = services.reglages.console_cookie_securise
    return (not services.reglages.developpement) if choix is None else choix


def rendre(request: Request, gabarit: str, contexte: dict[str, Any], statut: int = 200) -> HTMLResponse:
    reponse = GABARITS.TemplateResponse(request, gabarit, contexte, status_code=statut)
    reponse.headers.update(ENTETES)
    return reponse


def vers_connexion() -> RedirectResponse:
    return RedirectResponse("/console/connexion", status_code=303)


def contexte_session(services: Services, session: Session, page: str, titre: str, **autres: Any) -> dict[str, Any]:
    return {
        "session": session,
        "jeton": signeur_de(services).jeton_csrf(session.sid),
        "page": page,
        "titre": titre,
        **autres,
    }


async def agir(
    request: Request,
    operation: str,
    travail: Callable[[Services, Connection, Session, Trace], T],
    *,
    jeton: str | None = None,
) -> T:
    """Run ``travail`` for the signed-in auditor in one transaction; a refusal is journaled.

    ``jeton`` is given for POST forms and must be the session's CSRF token. Raises
    :class:`NonConnecte` without a valid session, :class:`Refus` when refused.
    """
    services = services_de(request)
    signeur = signeur_de(services)
    trace = Trace(operation=f"console_{operation}", requete_id=request.state.requete_id)
    cookie = request.cookies.get(COOKIE)

    def dans_la_transaction(connexion: Connection, trace: Trace) -> T:
        session = lire_session(connexion, signeur, cookie, services.horloge())
        if session is None:
            raise NonConnecte()
        trace.auditeur = session.auditeur.identifiant
        if request.method == "POST" and not signeur.verifier_csrf(session.sid, jeton):
            raise Refus(
                code="jeton_csrf_invalide",
                detail="formulaire expiré ou venu d'ailleurs: rechargez la page et recommencez",
                statut=403,
                titre="Formulaire refusé",
            )
        return travail(services, connexion, session, trace)

    return await run_in_threadpool(executer, services, trace, dans_la_transaction)


async def session_seule(request: Request) -> Session | None:
    """The session for pages that read nothing of the journal (no entry is written)."""
    services = services_de(request)

    def lire() -> Session | None:
        with services.moteur.connect() as connexion:
            return lire_session(connexion, signeur_de(services), request.cookies.get(COOKIE), services.horloge())

    return await run_in_threadpool(lire)


def page_erreur(request: Request, refus: Refus, session: Session | None = None) -> Response:
    services = services_de(request)
    contexte: dict[str, Any] = {"titre": refus.titre, "refus": refus, "page": None, "session": session}
    if session is not None:
        contexte["jeton"] = signeur_de(services).jeton_csrf(session.sid)
    return rendre(request, "erreur.html", contexte, statut=refus.statut)
