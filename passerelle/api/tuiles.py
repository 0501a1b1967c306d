"""The journal as C2SP tlog-tiles, under ``/v1/journal/tlog/`` (docs/journal.md §« Tuiles »).

``checkpoint``, ``tile/<L>/<N>[.p/<W>]`` (hash tiles) and ``tile/entries/<N>[.p/<W>]`` (entry
bundles), as https://c2sp.org/tlog-tiles lays them out, so that a tiles client verifies the
journal with its own code. Everything is served relative to the latest signed checkpoint: a
tile beyond it is a 404, even if the sequencer has already stored its nodes.

Access, as for ``GET /v1/journal/checkpoint``: a signed organisme or an auditor's bearer token.
Checkpoint and hash tiles are hashes and sizes, nothing personal, and not journaled. Entry
bundles hold *every* entry (who sent what to whom, blind NIR index), where an organisme may only
read the entries that name it: they are for auditors whose scope is every organisme, and each
bundle read is journaled like an auditor's search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from passerelle.api.commun import executer_authentifie_brut
from passerelle.api.fournisseurs import Transaction, cles_checkpoint, temoin_auditeurs, transaction
from passerelle.api.journal import ENTETE_CLE, MEDIA_NOTE, cles_journal
from passerelle.api.journal_auditeurs import est_auditeur, executer_auditeur
from passerelle.auditeurs.acces import RECHERCHE, TemoinAuditeurs, journaliser
from passerelle.auditeurs.comptes import Auditeur
from passerelle.auditeurs.integrite import ClesCheckpoint
from passerelle.erreurs import Introuvable, Refus
from passerelle.journal.tuiles import (
    Tuile,
    TuileInvalide,
    analyser_chemin,
    chemin_tuile,
    largeur_disponible,
    paquet_entrees,
    verifier_hashes,
)
from passerelle.journal.cosignatures import checkpoint_publie
from passerelle.stockage.tuiles import dernier_checkpoint_taille, lire_entrees, lire_hashes

T = TypeVar("T")

router = APIRouter(tags=["journal"])

PREFIXE = "/v1/journal/tlog"
MEDIA_TUILE = "application/octet-stream"
IMMUABLE = "max-age=31536000, immutable"


def _taille(connexion: Connection) -> int:
    dernier = dernier_checkpoint_taille(connexion)
    return -1 if dernier is None else dernier[0]


def _introuvable(tuile: Tuile | None, detail: str) -> Introuvable:
    quoi = f"la tuile {chemin_tuile(tuile)}" if tuile is not None else "cette adresse de tuile"
    return Introuvable("tuile_inconnue", f"{quoi} n'existe pas : {detail}")


def _contenu(temoin: TemoinAuditeurs, connexion: Connection, appelant: object, tuile: Tuile) -> bytes:
    taille = _taille(connexion)
    if taille < 0:
        raise _introuvable(tuile, "le séquenceur n'a encore signé aucun checkpoint")
    disponible = largeur_disponible(tuile, taille)
    if disponible < tuile.largeur_voulue:
        raise _introuvable(tuile, f"le dernier checkpoint (taille {taille}) n'en couvre que {disponible} éléments")
    debut, fin = tuile.premier(), tuile.premier() + tuile.largeur_voulue
    if tuile.niveau is not None:
        return verifier_hashes(lire_hashes(connexion, 8 * tuile.niveau, debut, fin), fin - debut)
    if not isinstance(appelant, Auditeur) or not appelant.tous:
        raise Refus(
            code="tuiles_entrees_reservees",
            detail="les paquets d'entrées contiennent toutes les entrées du journal : ils sont réservés aux "
            "auditeurs dont la portée couvre tous les organismes ; un organisme lit les entrées qui le "
            "nomment par GET /v1/journal/entrees/{index}",
            statut=403,
            titre="Accès réservé",
        )
    entrees = lire_entrees(connexion, debut, fin)
    if len(entrees) != fin - debut:
        raise LookupError(f"entrées {debut}…{fin - 1} incomplètes : {len(entrees)} lues")
    journaliser(temoin, connexion, appelant, RECHERCHE,
                {"operation": "tuile_entrees", "canal": "tlog", "tuile": tuile.index, "largeur": fin - debut})
    return paquet_entrees(entrees)


async def _executer(request: Request, executer: Transaction, operation: str, lire: Callable[[Connection, object], T]) -> T:
    """``lire(connexion, appelant)`` for an auditor (Bearer) or a signed organisme, refusals journaled."""
    if est_auditeur(request):
        return await executer_auditeur(request, executer, operation, lambda connexion, auditeur, _trace: lire(connexion, auditeur))
    return await executer_authentifie_brut(request, operation, lambda connexion, appelant, _trace: lire(connexion, appelant))


@router.get(
    f"{PREFIXE}/checkpoint",
    summary="tlog-tiles : dernier checkpoint signé, avec les cosignatures de ses témoins",
    response_class=Response,
)
async def checkpoint_tuiles(
    request: Request,
    cles: ClesCheckpoint = Depends(cles_checkpoint),
    executer: Transaction = Depends(transaction),
) -> Response:
    def travail(connexion: Connection, _appelant: object) -> str:
        note = checkpoint_publie(connexion)
        if note is None:
            raise Introuvable("checkpoint_absent", "le séquenceur n'a encore signé aucun checkpoint")
        return note

    note = await _executer(request, executer, "journal_checkpoint", travail)
    entetes = {ENTETE_CLE: cles_journal(cles)[0], "cache-control": "no-cache"}
    return Response(note, media_type=MEDIA_NOTE, headers=entetes)


@router.get(
    f"{PREFIXE}/tile/{{chemin:path}}",
    summary="tlog-tiles : tuile de hashes <L>/<N>[.p/<W>] ou paquet d'entrées entries/<N>[.p/<W>]",
    response_class=Response,
)
async def tuile(
    request: Request,
    chemin: str = Path(max_length=64, description="p. ex. 0/x001/234, 1/000.p/17, entries/005"),
    temoin: TemoinAuditeurs = Depends(temoin_auditeurs),
    executer: Transaction = Depends(transaction),
) -> Response:
    def travail(connexion: Connection, appelant: object) -> bytes:
        try:
            adresse = analyser_chemin(chemin)
        except TuileInvalide as exc:
            raise _introuvable(None, str(exc)) from None
        return _contenu(temoin, connexion, appelant, adresse)

    corps = await _executer(request, executer, "journal_tuile", travail)
    adresse = analyser_chemin(chemin)  # valid: travail parsed it
    portee = "private" if adresse.entrees else "public"
    cache = f"{portee}, {IMMUABLE}" if adresse.complete else f"{portee}, max-age=60"
    return Response(corps, media_type=MEDIA_TUILE, headers={"cache-control": cache})
