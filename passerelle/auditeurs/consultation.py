"""What an auditor may do with the journal, each action journaled in the caller's transaction.

The API and the console both go through here, so an action looks the same in the journal
whichever door it came through (``canal`` says which).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.auditeurs.acces import EXPORT, RECHERCHE, TemoinAuditeurs, journaliser
from passerelle.auditeurs.comptes import Auditeur
from passerelle.erreurs import Introuvable
from passerelle.journal import preuves
from passerelle.journal.merkle import hash_feuille
from passerelle.journal.recherche import Criteres, EntreeLue, Ordre, Page, rechercher

EXPORT_MAX = 10_000


def rechercher_pour(
    temoin: TemoinAuditeurs,
    connexion: Connection,
    auditeur: Auditeur,
    criteres: Criteres,
    *,
    canal: str,
    ordre: Ordre = "desc",
    curseur: str | None = None,
    limite: int = 50,
    operation: str = "recherche",
) -> Page:
    page = rechercher(connexion, criteres, portee=auditeur.portee, ordre=ordre, curseur=curseur, limite=limite)
    details: dict[str, Any] = {
        "operation": operation,
        "canal": canal,
        "criteres": criteres.en_details(),
        "ordre": ordre,
        "resultats": len(page.entrees),
    }
    if curseur:
        details["curseur"] = curseur
    journaliser(temoin, connexion, auditeur, RECHERCHE, details, nir_index=criteres.nir_index)
    return page


def lire_entree_pour(
    temoin: TemoinAuditeurs, connexion: Connection, auditeur: Auditeur, index: int, *, canal: str, operation: str = "lecture_entree"
) -> preuves.EntreeJournal:
    """One entry within the scope; outside it, the same 404 as an index that does not exist."""
    entree = preuves.lire_entree(connexion, index) if index >= 0 else None
    if entree is None or not auditeur.voit((entree.organisme, entree.destinataire)):
        raise Introuvable("entree_inconnue", f"aucune entrée d'index {index} n'est visible de cet auditeur")
    journaliser(
        temoin,
        connexion,
        auditeur,
        RECHERCHE,
        {"operation": operation, "canal": canal, "index": index},
        nir_index=entree.nir_index,
    )
    return entree


def exporter_pour(
    temoin: TemoinAuditeurs, connexion: Connection, auditeur: Auditeur, criteres: Criteres, *, canal: str
) -> tuple[list[EntreeLue], bool]:
    """Every matching entry, oldest first, up to :data:`EXPORT_MAX`; True when cut short."""
    lues: list[EntreeLue] = []
    curseur: str | None = None
    while len(lues) < EXPORT_MAX:
        page = rechercher(
            connexion, criteres, portee=auditeur.portee, ordre="asc", curseur=curseur,
            limite=min(200, EXPORT_MAX - len(lues)),
        )
        lues.extend(page.entrees)
        curseur = page.curseur_suivant
        if curseur is None:
            break
    tronque = curseur is not None
    journaliser(
        temoin,
        connexion,
        auditeur,
        EXPORT,
        {"canal": canal, "criteres": criteres.en_details(), "resultats": len(lues), "tronque": tronque},
        nir_index=criteres.nir_index,
    )
    return lues, tronque


@dataclass(frozen=True)
class EntreeExposee:
    """An entry as shown to auditors: its index, its exact bytes, and its RFC 9162 leaf hash."""

    index: int
    octets: bytes

    @property
    def feuille(self) -> bytes:
        return hash_feuille(self.octets)

    def contenu(self) -> dict[str, Any]:
        return json.loads(self.octets)

    def json_brut(self) -> bytes:
        """``{"entree": <the stored bytes, verbatim>, "feuille": ..., "index": ...}``."""
        feuille = base64.b64encode(self.feuille).decode("ascii")
        return (
            b'{"entree":' + self.octets + b',"feuille":"' + feuille.encode("ascii") + b'","index":'
            + str(self.index).encode("ascii") + b"}"
        )


def page_json(page: Page) -> bytes:
    """The page with every entry's bytes embedded untouched (no re-serialisation)."""
    entrees = b",".join(EntreeExposee(e.index, e.octets).json_brut() for e in page.entrees)
    return b'{"curseur_suivant":' + json.dumps(page.curseur_suivant).encode("ascii") + b',"entrees":[' + entrees + b"]}"
