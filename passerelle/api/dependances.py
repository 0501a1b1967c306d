"""What the routes of the request path receive (FastAPI dependencies), and the one place that
reads the application's container: the narrow dependencies, the request as the path's first
step (its context, its HTTP message, its body within the limit)."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from passerelle.api.http import lire_corps, message_http
from passerelle.erreurs import Refus
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.etapes import Requete
from passerelle.reception.refus import Connu, ContexteRequete, Refuse, journaliser_refus_seul
from passerelle.acheminement.suspensions import GestionSuspensions
from passerelle.services import Services, gestion_suspensions
from passerelle.signature.authentification import keyid_annonce
from passerelle.signature.contenu import empreinte_contenu


def services_de(request: Request) -> Services:
    """The container, for the endpoints outside the request path whose work still takes it."""
    return request.app.state.services  # type: ignore[no-any-return]


def dependances(request: Request) -> DependancesChemin:
    """The request path's dependencies, built once by the composition root."""
    return services_de(request).chemin


def suspensions(request: Request) -> GestionSuspensions:
    """What suspending and resuming a convention need (art. 3.3, api/conventions.py)."""
    return gestion_suspensions(services_de(request))


def contexte_de(request: Request, operation: str, *, empreinte: str | None = None) -> ContexteRequete:
    return ContexteRequete(operation, request.state.requete_id, keyid_annonce(message_http(request)), empreinte)


async def refuser_avant_transaction(deps: DependancesChemin, contexte: ContexteRequete, refus: Refus,
                                    connu: Connu | None = None) -> Refus:
    """Journal a refusal decided before any transaction (its own short one); the refusal."""
    await run_in_threadpool(journaliser_refus_seul, deps.journalisation, contexte, Refuse(refus, connu or Connu()))
    return refus


async def requete_bornee(request: Request, deps: DependancesChemin, operation: str) -> Requete:
    """The body within the limit (a larger one refused, journaled), as the path's first step."""
    message = message_http(request)
    contexte = ContexteRequete(operation, request.state.requete_id, keyid_annonce(message))
    try:
        corps = await lire_corps(request, deps.reglages.taille_max_corps)
    except Refus as refus:
        raise await refuser_avant_transaction(deps, contexte, refus) from None
    if corps:
        contexte = ContexteRequete(operation, contexte.requete_id, contexte.keyid_annonce, empreinte_contenu(corps))
    return Requete(contexte, message, corps)


async def exiger_json(deps: DependancesChemin, requete: Requete, quoi: str, connu: Connu | None = None) -> None:
    """415 (journaled) unless the body is announced as application/json."""
    type_contenu = requete.message.entetes.get("content-type", "").split(";", 1)[0].strip().lower()
    if type_contenu != "application/json":
        refus = Refus(
            code="type_contenu_non_supporte",
            detail=f"{quoi} s'envoie en application/json",
            statut=415,
            titre="Type de contenu non pris en charge",
        )
        raise await refuser_avant_transaction(deps, requete.contexte, refus, connu) from None
