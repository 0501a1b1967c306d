"""Health probes: liveness (the process answers) and readiness (it can serve: database reachable).

``GET /sante`` keeps its historical meaning — readiness, with the same body — so that existing
probes, scripts and the systemd/nginx setups keep working; it is now bounded in time like
``/sante/disponibilite``, which it equals.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from passerelle import __version__
from passerelle.api.problemes import MEDIA_PROBLEME, refus_base_indisponible
from passerelle.exploitation.sante import Disponibilite

router = APIRouter(tags=["exploitation"])


class Vivacite(BaseModel):
    statut: str = Field(examples=["ok"])
    version: str


class Sante(BaseModel):
    statut: str = Field(description="ok, ou degrade (annuaire sur disque invalide, le dernier valide est en service)")
    version: str
    base: str = Field(description="sqlite ou postgresql")
    journal_taille: int = Field(description="nombre d'entrées du journal")
    annuaire: str | None = Field(default=None, description="présent si statut = degrade: pourquoi")


class SanteIndisponible(BaseModel):
    """RFC 9457 problem (code ``base_indisponible``) plus the historical fields of ``/sante``."""

    type: str
    title: str
    status: int = Field(examples=[503])
    detail: str
    code: str = Field(examples=["base_indisponible"])
    statut: str = Field(examples=["indisponible"])
    version: str
    base: str = Field(description="injoignable, sans_reponse (pas de réponse dans PASSERELLE_SANTE_DELAI) ou lecture_seule")


_DISPONIBILITE = {
    200: {"model": Sante, "description": "Prête: la base répond (en moins de PASSERELLE_SANTE_DELAI secondes)"},
    503: {"model": SanteIndisponible, "description": "Pas prête: base injoignable, trop lente ou en lecture seule",
          "content": {MEDIA_PROBLEME: {}}},
}


def disponibilite_de(request: Request) -> Disponibilite:
    return request.app.state.disponibilite  # type: ignore[no-any-return] — built by create_app


@router.get("/sante/vivacite", summary="Vivacité: le processus répond (ne lit jamais la base)",
            response_model=Vivacite)
async def vivacite() -> JSONResponse:
    return JSONResponse({"statut": "ok", "version": __version__})


async def _disponibilite(request: Request) -> JSONResponse:
    etat = await disponibilite_de(request).etat()
    if etat.pret:
        return JSONResponse(etat.corps)
    probleme = refus_base_indisponible()
    probleme.detail = f"{etat.raison}: la passerelle ne peut pas servir; réessayez plus tard"
    corps = {**probleme.probleme(request.url.path, getattr(request.state, "requete_id", None)), **etat.corps}
    return JSONResponse(corps, status_code=503, media_type=MEDIA_PROBLEME, headers=probleme.entetes)


@router.get("/sante/disponibilite", summary="Disponibilité: la base répond, en un temps borné", responses=_DISPONIBILITE)
async def disponibilite(request: Request) -> JSONResponse:
    return await _disponibilite(request)


@router.get("/sante", summary="Disponibilité (nom historique de /sante/disponibilite)", responses=_DISPONIBILITE)
async def sante(request: Request) -> JSONResponse:
    return await _disponibilite(request)
