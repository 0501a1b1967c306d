"""``GET /v1/journal/entrees``: auditors search the journal (bearer token, see docs/auditeurs.md),
and the auditor side of the other journal endpoints (``passerelle/api/journal.py`` asks
:func:`est_auditeur` and hands over to :func:`executer_auditeur`).

Each search is journaled in the same transaction as it is read; a refused token is journaled as
a refusal. Entries are returned as the stored RFC 8785 bytes, embedded untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.api.fournisseurs import Transaction, temoin_auditeurs, transaction
from passerelle.auditeurs.acces import TemoinAuditeurs, auditeur_depuis_requete, est_requete_auditeur
from passerelle.auditeurs.comptes import Auditeur
from passerelle.catalogue.nir import normaliser_nir
from passerelle.auditeurs.consultation import (
    lire_entree_pour,
    page_json,
    rechercher_pour,
)
from passerelle.journal.preuves import EntreeJournal
from passerelle.journal.recherche import LONGUEUR_INDEXES, LIMITE_MAX, criteres
from passerelle.reception.transaction import Trace

router = APIRouter(tags=["journal"])
T = TypeVar("T")


def est_auditeur(request: Request) -> bool:
    """A bearer token means an auditor; anything else is treated as an organisme's signature."""
    return est_requete_auditeur(request.headers.get("authorization"))


async def executer_auditeur(
    request: Request, transaction: Transaction, operation: str, travail: Callable[[Connection, Auditeur, Trace], T]
) -> T:
    """Authenticate the auditor and run ``travail`` in one transaction; refusals journaled."""
    trace = Trace(operation=operation, requete_id=request.state.requete_id)
    autorisation = request.headers.get("authorization")

    def dans_la_transaction(connexion: Connection, trace: Trace) -> T:
        auditeur = auditeur_depuis_requete(connexion, autorisation, trace)
        return travail(connexion, auditeur, trace)

    return await run_in_threadpool(transaction, trace, dans_la_transaction)


async def executer_auditeur_json(
    request: Request, transaction: Transaction, operation: str,
    travail: Callable[[Connection, Auditeur, Trace], dict[str, Any]],
) -> JSONResponse:
    return JSONResponse(await executer_auditeur(request, transaction, operation, travail))


def entree_pour_auditeur(temoin: TemoinAuditeurs, index: int) -> Callable[[Connection, Auditeur, Trace], EntreeJournal]:
    """``GET /v1/journal/entrees/{index}`` for an auditor: within its scope, journaled."""

    def travail(connexion: Connection, auditeur: Auditeur, trace: Trace) -> EntreeJournal:
        return lire_entree_pour(temoin, connexion, auditeur, index, canal="api")

    return travail


@router.get(
    "/v1/journal/entrees",
    summary="Rechercher dans le journal (auditeurs): NIR, organisme, agent, robot, flux, décision, période",
    description=(
        "Authentification: `Authorization: Bearer <identifiant>.<secret>` (compte d'auditeur créé par "
        "`passerelle auditeurs creer`). Le NIR est transformé en index aveugle côté passerelle; "
        "`organisme` désigne l'émetteur ou le destinataire. Pagination par `curseur_suivant`. "
        "Chaque recherche est elle-même une entrée du journal."
    ),
)
async def rechercher_entrees(
    request: Request,
    nir: str | None = Query(default=None, max_length=32, description="NIR en clair (15 caractères, espaces tolérés)"),
    nir_index: str | None = Query(
        default=None, max_length=LONGUEUR_INDEXES,
        description="index aveugle d'un NIR (colonne nir d'une entrée), ou plusieurs séparés par des virgules "
        "(une même personne sous les clés d'index successives: docs/auditeurs.md)",
    ),
    organisme: str | None = Query(default=None, max_length=32, description="émetteur ou destinataire"),
    agent: str | None = Query(default=None, max_length=256),
    robot: str | None = Query(default=None, max_length=64),
    flux: str | None = Query(default=None, max_length=64),
    decision: str | None = Query(default=None, max_length=32),
    message: str | None = Query(default=None, max_length=36, description="identifiant de message"),
    du: datetime | None = Query(default=None, description="début de période inclus (RFC 3339)"),
    au: datetime | None = Query(default=None, description="fin de période exclue (RFC 3339)"),
    ordre: Literal["desc", "asc"] = Query(default="desc", description="desc: les plus récentes d'abord"),
    curseur: str | None = Query(default=None, max_length=64),
    limite: int = Query(default=50, ge=1, le=LIMITE_MAX),
    temoin: TemoinAuditeurs = Depends(temoin_auditeurs),
    executer: Transaction = Depends(transaction),
) -> Response:
    def travail(connexion: Connection, auditeur: Auditeur, trace: Trace) -> bytes:
        choisis = criteres(
            temoin.journal, nir=nir, nir_index=nir_index, organisme=organisme, agent=agent, robot=robot,
            flux=flux, decision=decision, message=message, du=du, au=au, normaliser_nir=normaliser_nir,
        )
        page = rechercher_pour(
            temoin, connexion, auditeur, choisis, canal="api", ordre=ordre, curseur=curseur, limite=limite
        )
        return page_json(page)

    corps = await executer_auditeur(request, executer, "recherche_auditeur", travail)
    return Response(corps, media_type="application/json", headers={"cache-control": "no-store"})
