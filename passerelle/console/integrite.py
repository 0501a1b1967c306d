"""One entry, its inclusion proof checked in front of the auditor, and the latest checkpoint.

"Verified" on these pages means: recomputed now, on the server, from the stored signed note
(Ed25519 against the gateway's own keys) and from the stored tree nodes (RFC 9162); the hashes
are shown so that the auditor can redo the check with any RFC 9162 tool.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Connection

from passerelle.auditeurs.consultation import lire_entree_pour
from passerelle.auditeurs.integrite import (
    verifier_dernier_checkpoint,
    verifier_inclusion_entree,
)
from passerelle.console.pages import (
    Console,
    NonConnecte,
    agir,
    console,
    contexte_session,
    page_erreur,
    rendre,
    session_seule,
    vers_connexion,
)
from passerelle.console.session import Session
from passerelle.erreurs import Refus
from passerelle.journal.merkle import hash_feuille
from passerelle.reception.transaction import Trace

router = APIRouter(prefix="/console", include_in_schema=False)


def _b64(octets: bytes | None) -> str:
    return base64.b64encode(octets).decode("ascii") if octets else ""


async def _page(request: Request, console: Console, operation: str, gabarit: str, travail: Any) -> Response:
    try:
        contexte = await agir(request, console, operation, travail)
    except NonConnecte:
        return vers_connexion()
    except Refus as refus:
        return page_erreur(request, console, refus, await session_seule(request, console))
    return rendre(request, gabarit, contexte)


@router.get("/entrees/{index}")
async def entree(request: Request, index: int, console: Console = Depends(console)) -> Response:
    def travail(connexion: Connection, session: Session, trace: Trace) -> dict[str, Any]:
        lue = lire_entree_pour(console.temoin, connexion, session.auditeur, index, canal="console")
        contenu = json.loads(lue.octets)
        return contexte_session(
            console, session, "entree", f"Entrée {index} du journal",
            index=index, contenu=contenu, joli=json.dumps(contenu, ensure_ascii=False, indent=2),
            octets=lue.octets.decode("utf-8"), feuille=_b64(hash_feuille(lue.octets)), personne=lue.nir_index,
        )

    return await _page(request, console, "entree", "entree.html", travail)


@router.get("/entrees/{index}/preuve")
async def preuve(request: Request, index: int, console: Console = Depends(console)) -> Response:
    def travail(connexion: Connection, session: Session, trace: Trace) -> dict[str, Any]:
        lue = lire_entree_pour(
            console.temoin, connexion, session.auditeur, index, canal="console", operation="verification_preuve"
        )
        etat = verifier_dernier_checkpoint(console.cles, connexion)
        verification = verifier_inclusion_entree(connexion, index, lue.octets, etat)
        return contexte_session(
            console, session, "preuve", f"Preuve d'inclusion de l'entrée {index}",
            index=index, etat=etat, verification=verification, feuille=_b64(verification.feuille),
            racine=_b64(verification.racine), chemin=[_b64(h) for h in verification.chemin],
            preuve_json=json.dumps(
                {"index": index, "taille": verification.taille, "chemin": [_b64(h) for h in verification.chemin]}
            ),
        )

    return await _page(request, console, "preuve", "preuve.html", travail)


@router.get("/preuve")
async def preuve_par_index(request: Request, index: int) -> Response:
    """Target of the integrity page's small GET form: the index is no personal data."""
    return RedirectResponse(f"/console/entrees/{max(index, 0)}/preuve", status_code=303)


@router.get("/integrite")
async def integrite(request: Request, console: Console = Depends(console)) -> Response:
    def travail(connexion: Connection, session: Session, trace: Trace) -> dict[str, Any]:
        etat = verifier_dernier_checkpoint(console.cles, connexion)
        return contexte_session(
            console, session, "integrite", "Intégrité du journal",
            etat=etat, racine=_b64(etat.checkpoint.racine) if etat.checkpoint else "",
            origine=console.cles.origine,
        )

    return await _page(request, console, "integrite", "integrite.html", travail)
