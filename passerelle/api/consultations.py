"""``POST /v1/consultations/{type}``: a question answered in the same call, signed like a receipt.

Thin: the three steps are in :mod:`passerelle.consultations.execution`; this module only
keeps the database transactions off the wait for the destination (step 2 runs on the event
loop, steps 1 and 3 in the thread pool, each in its own short transaction).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.acheminement.connecteurs import Connecteurs
from passerelle.api.dependances import dependances, exiger_json, requete_bornee
from passerelle.consultations.execution import OPERATION, ConsultationOuverte, clore, interroger, ouvrir
from passerelle.habilitations.conventions import PREFIXE_CONSULTATION
from passerelle.reception.etapes import Requete, authentifier, verifier
from passerelle.reception.refus import Connu, executer

router = APIRouter(tags=["consultations"])


class ReponseSignee(BaseModel):
    """La réponse du destinataire, signée par la passerelle (RFC 9421: @status, content-type,
    content-digest) comme un accusé de réception."""

    id: str = Field(description="identifiant de la consultation (les deux entrées du journal le portent)")
    type: str
    emetteur: str
    destinataire: str
    convention: str = Field(description="la convention qui autorise cette consultation")
    reference: str | None = Field(default=None, description="la référence donnée par l'appelant")
    demande_le: str = Field(description="RFC 3339, UTC")
    repondu_le: str = Field(description="RFC 3339, UTC")
    empreinte: str = Field(description="Content-Digest (RFC 9530) de la question reçue")
    empreinte_reponse: str = Field(description="sha-256 (RFC 9530) du JSON canonique (RFC 8785) de reponse")
    journal_index_demande: int = Field(description="index de l'entrée consultation_demandee")
    journal_index: int = Field(description="index de l'entrée consultation_repondue")
    reponse: dict[str, Any] = Field(description="la réponse, conforme au modèle du type (docs/consultations.md)")


def connecteurs_de(request: Request) -> Connecteurs:
    """The application's connectors (built by the lifespan), shared with the delivery worker."""
    connecteurs = getattr(request.app.state, "connecteurs", None)
    if connecteurs is None:
        s = request.app.state.services
        connecteurs = request.app.state.connecteurs = Connecteurs(s.secrets, s.horloge, s.catalogue)
    return connecteurs


@router.post(
    "/v1/consultations/{type}",
    summary="Consultation synchrone: la réponse du destinataire dans le même appel",
)
async def consulter(type: str, request: Request) -> Response:
    deps = dependances(request)
    recue = await requete_bornee(request, deps, OPERATION)
    connu = Connu(flux=(PREFIXE_CONSULTATION + type)[:64])
    await exiger_json(deps, recue, "une consultation", connu)
    requete = Requete(recue.contexte, recue.message, recue.corps, connu)
    corps = recue.corps
    assert isinstance(corps, bytes)

    def etape_1(connexion: Connection) -> ConsultationOuverte:
        authentifie = authentifier(verifier(requete, deps), connexion, deps)
        return ouvrir(deps, connexion, authentifie, type, corps, deps.horloge())

    ouverte = await run_in_threadpool(executer, deps.journalisation, requete.contexte, etape_1)

    async def etapes_2_et_3() -> dict[str, Any]:
        issue = await interroger(connecteurs_de(request), ouverte, deps.reglages.consultation_delai)
        return await run_in_threadpool(clore, deps, ouverte, issue)

    # Shielded: a caller who hangs up does not cancel the journaling of the outcome.
    tache = asyncio.ensure_future(etapes_2_et_3())
    tache.add_done_callback(lambda t: t.cancelled() or t.exception())
    contenu = await asyncio.shield(tache)
    reponse = deps.signeur.reponse(200, contenu)
    return Response(reponse.corps, status_code=reponse.statut, headers=reponse.entetes)
