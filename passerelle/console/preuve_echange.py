"""``GET /console/messages/{id}/preuve``: the evidence bundle of one exchange, as a download.

The same file as ``passerelle journal preuve`` (passerelle/journal/preuve_echange.py), limited
to the entries within the auditor's scope, and the download is journaled like a search.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from passerelle.api.journal import cles_journal
from passerelle.auditeurs.acces import RECHERCHE, journaliser
from passerelle.console.pages import Console, NonConnecte, agir, console, page_erreur, session_seule, vers_connexion
from passerelle.console.session import Session
from passerelle.erreurs import Introuvable, Refus
from passerelle.journal.preuve_echange import etablir_preuve
from passerelle.reception.transaction import Trace

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/messages/{message_id}/preuve")
async def telecharger_preuve(request: Request, message_id: str, console: Console = Depends(console)) -> Response:
    identifiant = message_id[:36]

    def travail(connexion: Connection, session: Session, trace: Trace) -> bytes:
        auditeur = session.auditeur
        etablie = etablir_preuve(
            connexion, identifiant, origine=console.cles.origine, cles_journal=cles_journal(console.cles),
            visible=lambda e: auditeur.voit((e.organisme, e.destinataire)),
        )
        if etablie is None:
            raise Introuvable("message_inconnu", f"aucune entrée visible et déjà sous checkpoint ne concerne le "
                              f"message {identifiant}")
        journaliser(console.temoin, connexion, auditeur, RECHERCHE, {
            "operation": "preuve_echange", "canal": "console", "message": identifiant,
            "entrees": [e["index"] for e in etablie.document["entrees"]]})
        return etablie.octets()

    try:
        corps = await agir(request, console, "preuve_echange", travail)
    except NonConnecte:
        return vers_connexion()
    except Refus as refus:
        return page_erreur(request, console, refus, await session_seule(request, console))
    return Response(corps, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="preuve-{identifiant}.json"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
