"""What every console page shares: rendering with protective headers, the session, one
transaction per action with refusals journaled, CSRF on every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.api import fournisseurs
from passerelle.auditeurs.acces import TemoinAuditeurs
from passerelle.auditeurs.integrite import ClesCheckpoint
from passerelle.console.dates import en_francais
from passerelle.console.session import COOKIE, Session, Signeur, lire_session
from passerelle.erreurs import Refus
from passerelle.reception.transaction import Trace

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


@dataclass(frozen=True)
class Console:
    """What the console's pages use, given to each route by ``Depends(console)``."""

    signeur: Signeur
    cookie_securise: bool
    horloge: Callable[[], datetime]
    transaction: fournisseurs.Transaction
    lecture: Callable[[], AbstractContextManager[Connection]]
    temoin: TemoinAuditeurs  # journals each auditor action
    cles: ClesCheckpoint  # checks the journal's checkpoints


def console(
    reglages: fournisseurs.ReglagesConsole = Depends(fournisseurs.reglages_console),
    horloge: Callable[[], datetime] = Depends(fournisseurs.horloge),
    transaction: fournisseurs.Transaction = Depends(fournisseurs.transaction),
    lecture: Callable[[], AbstractContextManager[Connection]] = Depends(fournisseurs.lecture),
    temoin: TemoinAuditeurs = Depends(fournisseurs.temoin_auditeurs),
    cles: ClesCheckpoint = Depends(fournisseurs.cles_checkpoint),
) -> Console:
    return Console(Signeur(reglages.cle_session), reglages.cookie_securise, horloge, transaction, lecture, temoin, cles)


def rendre(request: Request, gabarit: str, contexte: dict[str, Any], statut: int = 200) -> HTMLResponse:
    reponse = GABARITS.TemplateResponse(request, gabarit, contexte, status_code=statut)
    reponse.headers.update(ENTETES)
    return reponse


def vers_connexion() -> RedirectResponse:
    return RedirectResponse("/console/connexion", status_code=303)


def contexte_session(console: Console, session: Session, page: str, titre: str, **autres: Any) -> dict[str, Any]:
    return {
        "session": session,
        "jeton": console.signeur.jeton_csrf(session.sid),
        "page": page,
        "titre": titre,
        **autres,
    }


async def agir(
    request: Request,
    console: Console,
    operation: str,
    travail: Callable[[Connection, Session, Trace], T],
    *,
    jeton: str | None = None,
) -> T:
    """Run ``travail`` for the signed-in auditor in one transaction; a refusal is journaled.

    ``jeton`` is given for POST forms and must be the session's CSRF token. Raises
    :class:`NonConnecte` without a valid session, :class:`Refus` when refused.
    """
    signeur = console.signeur
    trace = Trace(operation=f"console_{operation}", requete_id=request.state.requete_id)
    cookie = request.cookies.get(COOKIE)

    def dans_la_transaction(connexion: Connection, trace: Trace) -> T:
        session = lire_session(connexion, signeur, cookie, console.horloge())
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
        return travail(connexion, session, trace)

    return await run_in_threadpool(console.transaction, trace, dans_la_transaction)


async def session_seule(request: Request, console: Console) -> Session | None:
    """The session for pages that read nothing of the journal (no entry is written)."""

    def lire() -> Session | None:
        with console.lecture() as connexion:
            return lire_session(connexion, console.signeur, request.cookies.get(COOKIE), console.horloge())

    return await run_in_threadpool(lire)


def page_erreur(request: Request, console: Console, refus: Refus, session: Session | None = None) -> Response:
    contexte: dict[str, Any] = {"titre": refus.titre, "refus": refus, "page": None, "session": session}
    if session is not None:
        contexte["jeton"] = console.signeur.jeton_csrf(session.sid)
    return rendre(request, "erreur.html", contexte, statut=refus.statut)
