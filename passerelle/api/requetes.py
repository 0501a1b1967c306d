"""Request id, access log, the address boundary and the last-resort 500, as a plain ASGI middleware.

Starlette's ``BaseHTTPMiddleware`` runs every request through an extra task and memory stream;
on the accept path that cost more CPU than the signature check itself. This one only wraps
``send`` to stamp the id and learn how far the response went.

Two duties sit here because only this layer sees every request whole:

- the address (path and query) is checked before routing (:func:`~passerelle.catalogue.texte.
  fautes_adresse`): percent-encoded bytes that are not UTF-8 or a control character get a
  400 ``parametre_invalide``, never a lookup, a journal write or a message quoting them;
- an unexpected exception is answered here with a complete problem+json 500. Starlette's own
  handler answers and then raises again to the server, which, the response having started,
  closes the kept-alive connection — resetting it when the request body was unread. Here the
  exception stops once answered; only a response cut in the middle still closes the connection,
  the one way left to tell the client it is incomplete.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog

from passerelle.api.problemes import document, erreur_interne
from passerelle.catalogue.texte import fautes_adresse
from passerelle.erreurs import Refus
from passerelle.observabilite import Metriques

# A request id the caller (or nginx) proposes is kept if it looks like one; also passerelle/serveur/.
REQUETE_ID_PROPOSE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
journal_technique = structlog.get_logger("passerelle.http")


def _chemin_brut(scope: dict[str, Any]) -> bytes:
    brut = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    return brut.split(b"?", 1)[0]


def refus_adresse(scope: dict[str, Any]) -> Refus | None:
    fautes = fautes_adresse(_chemin_brut(scope), scope.get("query_string", b""))
    if not fautes:
        return None
    return Refus(
        code="parametre_invalide",
        detail="l'adresse de la requête contient du texte que la passerelle ne transmet pas "
        "(octets qui ne sont pas de l'UTF-8, ou caractère de contrôle) : voir erreurs",
        statut=400,
        erreurs=fautes,
    )


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
        commencee = terminee = False
        debut = time.perf_counter()

        async def envoyer(message: dict[str, Any]) -> None:
            nonlocal statut, commencee, terminee
            if message["type"] == "http.response.start":
                statut = message["status"]
                commencee = True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", requete_id.encode("ascii"))]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                terminee = True
            await send(message)

        async def repondre(refus: Refus, instance: str | None) -> None:
            corps, entetes = document(refus, instance, requete_id)
            await envoyer({"type": "http.response.start", "status": refus.statut,
                           "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in entetes.items()]})
            await envoyer({"type": "http.response.body", "body": corps})

        structlog.contextvars.bind_contextvars(requete=requete_id)
        try:
            refus = refus_adresse(scope)
            if refus is not None:  # the path as sent, still percent-encoded: the decoded one is the fault
                await repondre(refus, _chemin_brut(scope).decode("ascii", "backslashreplace"))
            else:
                await self.app(scope, receive, envoyer)
        except Exception as exc:
            # The caller gets an id, the operator the traceback (never any payload: only the frames).
            journal_technique.exception("erreur_interne", requete=requete_id, reponse_envoyee=terminee, exc_info=exc)
            if not commencee:
                await repondre(erreur_interne(), scope.get("path"))
            elif not terminee:
                raise
        finally:
            structlog.contextvars.unbind_contextvars("requete")
            duree = time.perf_counter() - debut
            route = getattr(scope.get("route"), "path", None)
            self.metriques.duree.labels(route or "inconnue").observe(duree)
            self.metriques.reponses.labels(route or "inconnue", str(statut)).inc()
            journal_technique.info(
                "requete", requete=requete_id, methode=scope["method"], route=route, statut=statut,
                duree_ms=round(duree * 1000, 2),
            )
