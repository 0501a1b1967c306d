"""Signing in and out of the console.

The login form is protected against cross-site submission before any session exists by a
random value in a SameSite=Strict cookie and its MAC in the form. A failed login is journaled
as a refusal with the identifier that was claimed; a successful one as ``connexion_auditeur``.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.auditeurs import comptes
from passerelle.auditeurs.acces import CONNEXION, journaliser
from passerelle.console.pages import (
    Console,
    NonConnecte,
    agir,
    console,
    rendre,
    session_seule,
    vers_connexion,
)
from passerelle.console.session import (
    COOKIE,
    COOKIE_CONNEXION,
    DUREE,
    Session,
    fermer_session,
    ouvrir_session,
)
from passerelle.erreurs import Refus
from passerelle.reception.transaction import Trace

router = APIRouter(prefix="/console", include_in_schema=False)


def _formulaire(
    request: Request, console: Console, statut: int = 200, erreur: str | None = None, identifiant: str = ""
) -> Response:
    valeur = secrets.token_urlsafe(32)
    reponse = rendre(
        request,
        "connexion.html",
        {
            "titre": "Connexion",
            "page": "connexion",
            "session": None,
            "jeton": console.signeur.jeton_csrf("connexion:" + valeur),
            "erreur": erreur,
            "identifiant": identifiant if comptes.IDENTIFIANT.fullmatch(identifiant) else "",
        },
        statut=statut,
    )
    reponse.set_cookie(
        COOKIE_CONNEXION, valeur, max_age=1800, path="/console", httponly=True, samesite="strict",
        secure=console.cookie_securise,
    )
    return reponse


@router.get("")
@router.get("/")
async def accueil(request: Request, console: Console = Depends(console)) -> Response:
    session = await session_seule(request, console)
    return RedirectResponse("/console/recherche" if session else "/console/connexion", status_code=303)


@router.get("/connexion")
async def connexion(request: Request, console: Console = Depends(console)) -> Response:
    if await session_seule(request, console) is not None:
        return RedirectResponse("/console/recherche", status_code=303)
    return _formulaire(request, console)


@router.post("/connexion")
async def se_connecter(
    request: Request,
    identifiant: str = Form(default="", max_length=64),
    secret: str = Form(default="", max_length=256),
    jeton: str = Form(default="", max_length=64),
    console: Console = Depends(console),
) -> Response:
    signeur = console.signeur
    valeur = request.cookies.get(COOKIE_CONNEXION, "")
    if not valeur or not signeur.verifier_csrf("connexion:" + valeur, jeton):
        return _formulaire(request, console, 403, "Le formulaire a expiré. Saisissez de nouveau vos identifiants.", identifiant)
    trace = Trace(operation="console_connexion", requete_id=request.state.requete_id)
    if comptes.IDENTIFIANT.fullmatch(identifiant):
        trace.details["auditeur_annonce"] = identifiant

    def dans_la_transaction(connexion: Connection, trace: Trace) -> Session:
        auditeur = comptes.authentifier(connexion, identifiant.strip(), secret)
        trace.details.pop("auditeur_annonce", None)
        trace.auditeur = auditeur.identifiant
        session = ouvrir_session(connexion, signeur, auditeur, console.horloge())
        journaliser(console.temoin, connexion, auditeur, CONNEXION, {"canal": "console"})
        return session

    try:
        session = await run_in_threadpool(console.transaction, trace, dans_la_transaction)
    except Refus:
        return _formulaire(request, console, 401, "Identifiant ou secret invalide, ou compte désactivé.", identifiant)
    reponse = RedirectResponse("/console/recherche", status_code=303)
    reponse.set_cookie(
        COOKIE, signeur.cookie(session.sid), max_age=int(DUREE.total_seconds()), path="/console",
        httponly=True, samesite="strict", secure=console.cookie_securise,
    )
    reponse.delete_cookie(COOKIE_CONNEXION, path="/console")
    return reponse


@router.post("/deconnexion")
async def se_deconnecter(
    request: Request, jeton: str = Form(default="", max_length=64), console: Console = Depends(console)
) -> Response:
    def travail(connexion: Connection, session: Session, trace: Trace) -> None:
        fermer_session(connexion, console.signeur, session.sid)

    try:
        await agir(request, console, "deconnexion", travail, jeton=jeton)
    except (NonConnecte, Refus):
        pass  # already out, or a forged form (journaled): either way the browser leaves with no cookie
    reponse = vers_connexion()
    reponse.delete_cookie(COOKIE, path="/console")
    return reponse
