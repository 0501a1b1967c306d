"""The auditors' web console: server-rendered pages in French, no JavaScript, no build chain.

Mounted under ``/console`` by :func:`installer`. Everything it shows comes from the same
functions as the auditors' API (passerelle.auditeurs), and is journaled the same way.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIQUE = Path(__file__).parent / "statique"


def installer(app: FastAPI) -> None:
    from passerelle.console import connexion, integrite, preuve_echange, recherche

    app.include_router(connexion.router)
    app.include_router(recherche.router)
    app.include_router(integrite.router)
    app.include_router(preuve_echange.router)
    app.mount("/console/statique", StaticFiles(directory=STATIQUE), name="console_statique")
