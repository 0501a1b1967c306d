"""``create_app(reglages)``: the FastAPI application, wired from the domain packages."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from passerelle import __version__
from passerelle.acheminement.connecteurs import Connecteurs
from passerelle.acheminement.echeances import Echeancier, echeances_periodiquement
from passerelle.acheminement.livraison import Livreur, livrer_periodiquement
from passerelle.api.requetes import IdentifiantEtJournal
from passerelle.api import boite, documentation, flux, livraisons, lots, problemes, publiques, sante
from passerelle.api.contrat import document_openapi
from passerelle.api import journal as journal_api
from passerelle.api import journal_auditeurs
from passerelle.api import tuiles as tuiles_api
from passerelle.api import consultations as consultations_api
from passerelle.api import conventions as conventions_api
from passerelle.gouvernance import metriques as metriques_delais
from passerelle import console
from passerelle.exploitation import metriques as metriques_exploitation
from passerelle.exploitation.sante import Disponibilite
from passerelle.conservation.purge import Purgeur, nettoyer_tampons, purger_periodiquement
from passerelle.journal.sequenceur import Sequenceur, sequencer_periodiquement
from passerelle.temoin.demande import lancer_cosignatures
from passerelle.cycle_cles.fond import rechiffrer_en_fond
from passerelle.cycle_cles.rotation import Rotation
from passerelle.observabilite import configurer_logs
from passerelle.reglages import Reglages
from passerelle.services import Services, construire_services
from passerelle.stockage.nonces import purger_nonces

journal_technique = structlog.get_logger("passerelle.http")
INTERVALLE_PURGE = 60.0


# The background workers' narrow dependencies, taken from the composition root (also used by
# tests that run one round of a worker on their own clock).
def connecteurs_de(s: Services) -> Connecteurs:
    return Connecteurs(s.secrets, s.horloge, s.catalogue)


def livreur_de(s: Services) -> Livreur:
    return Livreur(s.moteur, s.ecriture, s.horloge, s.journal, s.coffre, s.annuaire, s.conventions, s.reglages)


def echeancier_de(s: Services) -> Echeancier:
    return Echeancier(s.moteur, s.ecriture, s.horloge, s.journal, s.coffre, s.annuaire,
                      s.secrets.signature_active, s.reglages.echeances_intervalle)


def purgeur_de(s: Services) -> Purgeur:
    assert s.tampons is not None
    return Purgeur(s.moteur, s.ecriture, s.horloge, s.journal, s.conservation, s.tampons,
                   s.reglages.purge_lot, s.reglages.purge_intervalle)


def sequenceur_de(s: Services) -> Sequenceur:
    return Sequenceur(s.moteur, s.ecriture, s.horloge, s.secrets, s.reglages)


def rotation_de(s: Services) -> Rotation:
    return Rotation(s.moteur, s.ecriture, s.horloge, s.journal, s.coffre, s.reglages.rotation_lot)


def source_delais(s: Services) -> metriques_delais.SourceDelais:
    return metriques_delais.SourceDelais(s.moteur, s.horloge, metriques_delais.mutualisations(s.catalogue), s.reglages)


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
        connecteurs = connecteurs_de(services)
        app.state.connecteurs = connecteurs  # consultations ask the same connectors (api/consultations.py)
        try:  # batch spools a crash left behind: unreadable (their key died), removed now
            await run_in_threadpool(nettoyer_tampons, purgeur_de(services))
        except Exception:  # noqa: BLE001 — the purge rounds retry it
            journal_technique.exception("nettoyage_tampons_echec")
        taches = []
        if services.reglages.travaux_de_fond:
            taches = [
                asyncio.create_task(_purger_periodiquement(services)),
                asyncio.create_task(sequencer_periodiquement(
                    sequenceur_de(services),
                    functools.partial(lancer_cosignatures, services.moteur, services.reglages.config, services.horloge),
                )),
                asyncio.create_task(livrer_periodiquement(livreur_de(services), connecteurs)),
                asyncio.create_task(echeances_periodiquement(echeancier_de(services))),
                asyncio.create_task(purger_periodiquement(purgeur_de(services))),
                asyncio.create_task(rechiffrer_en_fond(rotation_de(services), services.reglages.rotation_pause)),
            ]
        try:
            yield
        finally:
            for tache in taches:
                tache.cancel()
            await asyncio.gather(*taches, return_exceptions=True)
            await connecteurs.fermer()
            await services.groupe.terminer()  # queued acceptations commit first
            app.state.disponibilite.fermer()

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
    app.state.disponibilite = Disponibilite(services.moteur, services.annuaire, services.reglages.sante_delai)  # readiness, bounded in time (api/sante.py)
    problemes.installer(app, base_indisponible_signalee=services.metriques.base_indisponible.inc)
    app.include_router(sante.router)
    app.include_router(flux.router)
    app.include_router(boite.router)
    app.include_router(publiques.router)
    app.include_router(journal_api.router)
    app.include_router(livraisons.router)
    app.include_router(lots.router)
    app.include_router(journal_auditeurs.router)
    app.include_router(tuiles_api.router)
    app.include_router(consultations_api.router)
    app.include_router(conventions_api.router)  # suspension on a breach (art. 3.3)
    metriques_delais.installer(services.metriques, source_delais(services))  # answer delays per organisme, read at scrape time
    metriques_exploitation.installer(services.metriques, services.moteur, services.horloge)  # dead letters, sequencer lag, checkpoint age
    console.installer(app)
    documentation.installer(app)

    app.add_middleware(IdentifiantEtJournal, metriques=services.metriques)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_openapi(app, services)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app

