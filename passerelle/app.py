"""``create_app(reglages)``: the FastAPI application, wired from the domain packages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from passerelle import __version__
from passerelle.acheminement.connecteurs import Connecteurs
from passerelle.acheminement.echeances import echeances_periodiquement
from passerelle.acheminement.livraison import livrer_periodiquement
from passerelle.api.requetes import IdentifiantEtJournal
from passerelle.api import boite, documentation, flux, livraisons, lots, problemes, publiques
from passerelle.api import journal as journal_api
from passerelle.api import journal_auditeurs
from passerelle.api import consultations as consultations_api
from passerelle.gouvernance import metriques as metriques_delais
from passerelle import console
from passerelle.journal.sequenceur import sequencer_periodiquement
from passerelle.observabilite import configurer_logs
from passerelle.reglages import Reglages
from passerelle.services import Services, construire_services
from passerelle.signature.rejeu import purger_nonces

journal_technique = structlog.get_logger("passerelle.http")
INTERVALLE_PURGE = 60.0


async def _purger_periodiquement(services: Services) -> None:
    while True:
        await asyncio.sleep(INTERVALLE_PURGE)

        def purger() -> int:
            with services.ecriture, services.moteur.begin() as connexion:
                return purger_nonces(connexion, int(services.horloge().timestamp()))

        try:
            await run_in_threadpool(purger)
        except Exception:  # noqa: BLE001 — a failed purge is retried next round
            journal_technique.exception("purge_nonces_echec")


def create_app(reglages: Reglages | None = None, *, services: Services | None = None) -> FastAPI:
    configurer_logs()
    if services is None:
        services = construire_services(reglages or Reglages())

    @contextlib.asynccontextmanager
    async def cycle_de_vie(app: FastAPI) -> AsyncIterator[None]:
        connecteurs = Connecteurs(services)
        app.state.connecteurs = connecteurs  # consultations ask the same connectors (api/consultations.py)
        taches = []
        if services.reglages.travaux_de_fond:
            taches = [
                asyncio.create_task(_purger_periodiquement(services)),
                asyncio.create_task(sequencer_periodiquement(services)),
                asyncio.create_task(livrer_periodiquement(services, connecteurs)),
                asyncio.create_task(echeances_periodiquement(services)),
            ]
        try:
            yield
        finally:
            for tache in taches:
                tache.cancel()
            await asyncio.gather(*taches, return_exceptions=True)
            await connecteurs.fermer()
            await services.groupe.terminer()  # queued acceptations commit first

    app = FastAPI(
        title="passerelle",
        version=__version__,
        description=(
            "Passerelle d'échanges sécurisés entre organismes de sécurité sociale. Chaque requête "
            "d'organisme est signée (RFC 9421, ed25519) avec Content-Digest (RFC 9530); voir docs/."
        ),
        lifespan=cycle_de_vie,
        docs_url=None,  # /docs and /redoc are served with packaged assets (api/documentation.py)
        redoc_url=None,
    )
    app.state.services = services
    problemes.installer(app)
    app.include_router(flux.router)
    app.include_router(boite.router)
    app.include_router(publiques.router)
    app.include_router(journal_api.router)
    app.include_router(livraisons.router)
    app.include_router(lots.router)
    app.include_router(journal_auditeurs.router)
    app.include_router(consultations_api.router)
    metriques_delais.installer(services)  # answer delays per organisme, read at scrape time
    console.installer(app)
    documentation.installer(app)

    app.add_middleware(IdentifiantEtJournal, metriques=services.metriques)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi_avec_flux(app, services)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _openapi_avec_flux(app: FastAPI, services: Services) -> dict[str, Any]:
    """Describe the body of ``POST /v1/flux/{flux}`` as one schema per flux of the catalogue."""
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    composants = document.setdefault("components", {}).setdefault("schemas", {})
    references = []
    for nom, definition in sorted(services.catalogue.items()):
        schema = definition.modele.model_json_schema(ref_template="#/components/schemas/{model}")
        for cle, sous in schema.pop("$defs", {}).items():
            composants.setdefault(cle, sous)
        cle_flux = "Flux_" + nom.replace("-", "_")
        schema["title"] = f"Flux {nom}"
        composants[cle_flux] = schema
        references.append({"$ref": f"#/components/schemas/{cle_flux}"})
    operation = document["paths"]["/v1/flux/{flux}"]["post"]
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": references}}},
        "description": "le contenu du flux nommé dans le chemin (voir schemas/), plus destinataire, "
        "en_reponse_a et reference",
    }
    for parametre in operation.get("parameters", []):
        if parametre["name"] == "flux":
            parametre["schema"] = {"type": "string", "enum": sorted(services.catalogue)}
    return document
