"""Request id and access log, as a plain ASGI middleware.

Starlette's ``BaseHTTPMiddleware`` runs every request through an extra task and memory stream;
on the accept path that cost more CPU than the signature check itself. This one only wraps
``send`` to stamp the id and learn the status.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog

from passerelle.observabilite import Metriques

# A request id the caller (or nginx) proposes is kept if it looks like one; also passerelle/serveur/.
REQUETE_ID_PROPOSE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
journal_technique = structlog.get_logger("passerelle.http")


class IdentifiantEtJournal:
    def __init__(self, app: Any, metriques: Metriques) -> None:
        self.app = app
        self.metriques = metriques

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        propose = ""
        for nom, valeur in scope.get("headers", ()):
            if nom == b"x-request-id":
                propose = valeur.decode("latin-1")
                break
        requete_id = propose if REQUETE_ID_PROPOSE.match(propose) else uuid.uuid4().hex
        scope.setdefault("state", {})["requete_id"] = requete_id
        statut = 500
        debut = time.perf_counter()

        async def envoyer(message: dict[str, Any]) -> None:
            nonlocal statut
            if message["type"] == "http.response.start":
                statut = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", requete_id.encode("ascii"))]
            await send(message)

        structlog.contextvars.bind_contextvars(requete=requete_id)
        try:
            await self.app(scope, receive, envoyer)
        finally:
            structlog.contextvars.unbind_contextvars("requete")
            duree = time.perf_counter() - debut
            route = getattr(scope.get("route"), "path", None)
            self.metriques.duree.labels(route or "inconnue").observe(duree)
            journal_technique.info(
                "requete", requete=requete_id, methode=scope["method"], route=route, statut=statut,
                duree_ms=round(duree * 1000, 2),
            )
