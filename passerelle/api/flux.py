"""``POST /v1/flux/{flux}``: send one message; 202 and a signed receipt."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from passerelle.api.dependances import dependances, exiger_json, requete_bornee
from passerelle.reception.chemin import deposer, requete_de_flux
from passerelle.reception.refus import Connu

router = APIRouter(tags=["flux"])


class Recu(BaseModel):
    """Accusé de réception, signé par la passerelle (RFC 9421: @status, content-type, content-digest)."""

    id: str = Field(description="identifiant du message attribué par la passerelle")
    flux: str
    emetteur: str
    destinataire: str
    recu_le: str = Field(description="RFC 3339, UTC")
    empreinte: str = Field(description="Content-Digest (RFC 9530) du corps reçu")
    journal_index: int = Field(description="index de l'entrée de réception dans le journal")
    statut: str
    convention: str = Field(description="la convention qui autorise cet échange")


@router.post(
    "/v1/flux/{flux}",
    status_code=202,
    summary="Envoyer un message d'un flux",
)
async def envoyer(
    flux: str,
    request: Request,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> Response:
    deps = dependances(request)
    requete = await requete_bornee(request, deps, "depot")
    await exiger_json(deps, requete, "le corps d'un message", Connu(flux=flux))
    corps = requete.corps
    assert isinstance(corps, bytes)
    reponse = await deposer(requete_de_flux(requete, flux), flux, corps, idempotency_key, deps)
    return Response(reponse.corps, status_code=reponse.statut, headers=reponse.entetes)
