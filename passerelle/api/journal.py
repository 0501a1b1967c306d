"""The journal's endpoints for organismes: checkpoint, RFC 9162 proofs, one entry.

Proofs and checkpoints reveal no personal data (hashes and sizes), so reading them is not
journaled; reading an entry is an access to what the gateway recorded about someone, so it is
(decision ``consulte_journal``). An organisme sees only the entries that name it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.engine import Connection

from passerelle.api.commun import executer_authentifie, executer_authentifie_brut
from passerelle.api.fournisseurs import Transaction, cles_checkpoint, temoin_auditeurs, transaction
from passerelle.api.journal_auditeurs import entree_pour_auditeur, est_auditeur, executer_auditeur, executer_auditeur_json
from passerelle.auditeurs.acces import TemoinAuditeurs
from passerelle.auditeurs.comptes import Auditeur
from passerelle.auditeurs.integrite import ClesCheckpoint
from passerelle.erreurs import Introuvable
from passerelle.journal.cosignatures import checkpoint_publie
from passerelle.journal.ecriture import Decision
from passerelle.journal.preuves import (
    EntreeJournal,
    coherence_json,
    inclusion_json,
    lire_entree,
    preuve_coherence_stockee,
    preuve_inclusion_stockee,
)
from passerelle.journal.sequenceur import cles_verification
from passerelle.reception.transaction import Trace
from passerelle.signature.authentification import Appelant

router = APIRouter(tags=["journal"])

T = TypeVar("T")
MEDIA_NOTE = "text/plain; charset=utf-8"
ENTETE_CLE = "Passerelle-Cle-Journal"
TAILLE_MAX = (1 << 63) - 1  # what the database's BIGINT holds


def cles_journal(cles: ClesCheckpoint) -> list[str]:
    return cles_verification(dict(cles.publiques), cles.active, cles.origine)


def _pour_auditeur(lire: Callable[[Connection], T]) -> Callable[[Connection, Auditeur, Trace], T]:
    return lambda connexion, auditeur, trace: lire(connexion)


def _pour_organisme(lire: Callable[[Connection], T]) -> Callable[[Connection, Appelant, Trace], T]:
    return lambda connexion, appelant, trace: lire(connexion)


def reponse_entree(entree: EntreeJournal) -> Response:
    """Exactly the bytes that were hashed into the tree: the caller can recompute the leaf."""
    return Response(entree.octets, media_type="application/json")


def visible_par(entree: EntreeJournal, organisme: str) -> bool:
    return organisme in (entree.organisme, entree.destinataire)


def decision_consultation(horodatage: datetime, appelant: Appelant, entree: EntreeJournal) -> Decision:
    return Decision(
        decision="consulte_journal",
        horodatage=horodatage,
        flux=entree.flux,
        message=entree.message,
        organisme=appelant.organisme.code,
        keyid=appelant.cle.keyid,
        agent=appelant.agent,
        robot=appelant.cle.robot,
        nir_index=entree.nir_index,
        details={"index": entree.index},
    )


@router.get(
    "/v1/journal/cle",
    summary="Clés de vérification des checkpoints (format <nom>+<id>+<clé>, une par ligne, l'active d'abord)",
    response_class=PlainTextResponse,
)
async def cle(cles: ClesCheckpoint = Depends(cles_checkpoint)) -> PlainTextResponse:
    lignes = cles_journal(cles)
    return PlainTextResponse("".join(ligne + "\n" for ligne in lignes), media_type=MEDIA_NOTE,
                             headers={"cache-control": "public, max-age=300"})


@router.get(
    "/v1/journal/checkpoint",
    summary="Dernier checkpoint signé du journal (note C2SP en texte)",
    response_class=PlainTextResponse,
)
async def checkpoint(
    request: Request,
    cles: ClesCheckpoint = Depends(cles_checkpoint),
    executer: Transaction = Depends(transaction),
) -> PlainTextResponse:
    def lire(connexion: Connection) -> str:
        note = checkpoint_publie(connexion)  # with its witnesses' cosignatures
        if note is None:
            raise Introuvable("checkpoint_absent", "le séquenceur n'a encore signé aucun checkpoint")
        return note

    if est_auditeur(request):  # auditeurs: Bearer
        note = await executer_auditeur(request, executer, "journal_checkpoint", _pour_auditeur(lire))
    else:
        note = await executer_authentifie_brut(request, "journal_checkpoint", _pour_organisme(lire))
    entetes = {ENTETE_CLE: cles_journal(cles)[0], "cache-control": "no-cache"}
    return PlainTextResponse(note, media_type=MEDIA_NOTE, headers=entetes)


@router.get(
    "/v1/journal/preuves/inclusion",
    summary="Preuve d'inclusion RFC 9162 de la feuille « index » dans l'arbre de taille « taille »",
)
async def preuve_inclusion(
    request: Request,
    index: int = Query(ge=0, le=TAILLE_MAX, description="index (à partir de 0) de la feuille, p. ex. journal_index"),
    taille: int = Query(ge=1, le=TAILLE_MAX, description="taille de l'arbre, p. ex. celle d'un checkpoint"),
    executer: Transaction = Depends(transaction),
) -> Response:
    def lire(connexion: Connection) -> dict[str, Any]:
        return inclusion_json(preuve_inclusion_stockee(connexion, index, taille))

    if est_auditeur(request):  # auditeurs: Bearer
        return await executer_auditeur_json(request, executer, "journal_preuve", _pour_auditeur(lire))
    return await executer_authentifie(request, "journal_preuve", _pour_organisme(lire))


@router.get(
    "/v1/journal/preuves/coherence",
    summary="Preuve de cohérence RFC 9162 entre les arbres de tailles « de » et « a »",
)
async def preuve_coherence(
    request: Request,
    de: int = Query(ge=0, le=TAILLE_MAX, description="ancienne taille (celle d'un checkpoint déjà vérifié)"),
    a: int = Query(ge=0, le=TAILLE_MAX, description="nouvelle taille"),
    executer: Transaction = Depends(transaction),
) -> Response:
    def lire(connexion: Connection) -> dict[str, Any]:
        return coherence_json(preuve_coherence_stockee(connexion, de, a))

    if est_auditeur(request):  # auditeurs: Bearer
        return await executer_auditeur_json(request, executer, "journal_preuve", _pour_auditeur(lire))
    return await executer_authentifie(request, "journal_preuve", _pour_organisme(lire))


@router.get(
    "/v1/journal/entrees/{index}",
    summary="Une entrée du journal, octet pour octet ce qui a été haché (organismes nommés dans l'entrée)",
    response_class=Response,
)
async def entree(
    request: Request,
    index: int = Path(ge=0, le=TAILLE_MAX, description="index de l'entrée (journal_index)"),
    temoin: TemoinAuditeurs = Depends(temoin_auditeurs),
    executer: Transaction = Depends(transaction),
) -> Response:
    def travail(connexion: Connection, appelant: Appelant, trace: Trace) -> EntreeJournal:
        lue = lire_entree(connexion, index)
        if lue is None or not visible_par(lue, appelant.organisme.code):
            raise Introuvable("entree_inconnue", f"aucune entrée {index} du journal n'est visible de {appelant.organisme.code}")
        temoin.journal.ecrire(connexion, decision_consultation(temoin.horloge(), appelant, lue))
        return lue

    if est_auditeur(request):  # auditeurs: Bearer, dans leur portée (passerelle/api/journal_auditeurs.py)
        lue = await executer_auditeur(request, executer, "journal_entree", entree_pour_auditeur(temoin, index))
        return reponse_entree(lue)
    return reponse_entree(await executer_authentifie_brut(request, "journal_entree", travail))
