"""RFC 9457 problem documents: the one place a refusal becomes an HTTP response."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

import structlog

from passerelle.catalogue.traduction import traduire_erreurs
from passerelle.erreurs import ErreurChamp, Refus

journal_technique = structlog.get_logger("passerelle.erreurs")

MEDIA_PROBLEME = "application/problem+json"


def reponse(refus: Refus, request: Request) -> JSONResponse:
    requete_id = getattr(request.state, "requete_id", None)
    return JSONResponse(
        refus.probleme(request.url.path, requete_id),
        status_code=refus.statut,
        media_type=MEDIA_PROBLEME,
        headers=refus.entetes or None,
    )


def _erreurs_requete(exc: RequestValidationError) -> list[ErreurChamp]:
    """Query and header errors in French, like the payload's (same translation)."""
    return traduire_erreurs(exc.errors())


def installer(app: FastAPI) -> None:
    @app.exception_handler(Refus)
    async def _refus(request: Request, exc: Refus) -> JSONResponse:
        return reponse(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _parametres(request: Request, exc: RequestValidationError) -> JSONResponse:
        refus = Refus(
            code="parametre_invalide",
            detail="un paramètre de la requête est invalide",
            statut=400,
            erreurs=_erreurs_requete(exc),
        )
        return reponse(refus, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "ressource_inconnue", 405: "methode_non_autorisee"}
        refus = Refus(
            code=codes.get(exc.status_code, "erreur_http"),
            detail=str(exc.detail) if exc.status_code not in codes else
            ("cette adresse n'existe pas" if exc.status_code == 404 else "méthode non autorisée sur cette adresse"),
            statut=exc.status_code,
            titre="Requête refusée",
        )
        return reponse(refus, request)

    @app.exception_handler(ClientDisconnect)
    async def _parti(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client left (or the server cut it: 408 delai_corps_depasse, passerelle/serveur/)
        # before the end of its body: nothing was recorded, nothing can be answered. Not an
        # internal error: 499, as the request line of the technical log says.
        refus = Refus(code="client_deconnecte", detail="le client s'est déconnecté avant la fin du corps",
                      statut=499, titre="Requête interrompue")
        return reponse(refus, request)

    @app.exception_handler(Exception)
    async def _interne(request: Request, exc: Exception) -> JSONResponse:
        # The caller gets an id, the operator the traceback (never any payload: only the frames).
        journal_technique.exception("erreur_interne", requete=getattr(request.state, "requete_id", None), exc_info=exc)
        refus = Refus(
            code="erreur_interne",
            detail="erreur interne: rien n'a été enregistré; réessayez, et donnez l'identifiant de requête "
            "au support s'il persiste",
            statut=500,
            titre="Erreur interne",
        )
        return reponse(refus, request)


def reponses_openapi(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses an endpoint may give, for the OpenAPI document."""
    libelles = {
        400: "Requête mal formée",
        401: "Authentification refusée (signature, clé, nonce, empreinte)",
        403: "Échange non autorisé par les conventions",
        404: "Inconnu ou non visible de l'appelant",
        409: "Conflit avec l'état courant",
        413: "Corps trop volumineux",
        415: "Type de contenu non pris en charge",
        422: "Message invalide (schéma, règles métier); chaque champ fautif est listé",
    }
    return {
        c: {"description": libelles[c], "model": Probleme, "content": {MEDIA_PROBLEME: {}}}
        for c in codes
    }


from pydantic import BaseModel, Field  # noqa: E402


class ErreurChampModele(BaseModel):
    champ: str = Field(description="chemin du champ fautif (notation pointée)")
    message: str


class Probleme(BaseModel):
    """RFC 9457 problem document, with the stable machine ``code`` of the wire contract."""

    type: str = Field(examples=["urn:passerelle:probleme:nir_invalide"])
    title: str
    status: int
    detail: str
    code: str = Field(examples=["signature_invalide"])
    instance: str | None = None
    requete: str | None = Field(default=None, description="identifiant de requête, à donner au support")
    erreurs: list[ErreurChampModele] | None = None
