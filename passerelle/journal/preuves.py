"""Reading the journal's tree from the database: proofs, checkpoints, single entries.

Proofs are only given at sizes the sequencer has integrated: every hash they need is then a
stored complete subtree (``journal_noeuds``), fetched in ONE query per proof, so a proof costs
O(log n) rows whatever the size of the log. Answers are plain data; the contract's JSON shape
is produced by :func:`inclusion_json` and :func:`coherence_json` so that the API and the
auditors' console say exactly the same thing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus
from passerelle.journal.merkle import (
    Adresse,
    Lecteur,
    Noeud,
    calculer_noeud,
    noeuds_coherence,
    noeuds_inclusion,
)
from passerelle.stockage.journal_lecture import EntreeJournal, dernier_checkpoint, lire_entree, taille_integree
from passerelle.stockage.journal_lecture import lire_noeuds as _lire_noeuds

__all__ = [
    "EntreeJournal",
    "PreuveCoherence",
    "PreuveInclusion",
    "coherence_json",
    "dernier_checkpoint",
    "inclusion_json",
    "lecteur",
    "lire_entree",
    "lire_noeuds",
    "preuve_coherence_stockee",
    "preuve_inclusion_stockee",
    "taille_integree",
]


@dataclass(frozen=True)
class PreuveInclusion:
    index: int
    taille: int
    chemin: list[bytes]


@dataclass(frozen=True)
class PreuveCoherence:
    de: int
    a: int
    chemin: list[bytes]


# --------------------------------------------------------------------------- stored nodes


def lire_noeuds(connexion: Connection, adresses: Iterable[Adresse]) -> dict[tuple[int, int], bytes]:
    """Fetch the given complete subtrees in one round trip (per 64); absent ones are missing."""
    return _lire_noeuds(connexion, ((a.niveau, a.index) for a in adresses))


def lecteur(connexion: Connection, noeuds: Iterable[Noeud]) -> Lecteur:
    """A ``lire`` over the parts of ``noeuds``, pre-fetched; a missing node is a storage fault."""
    stock = lire_noeuds(connexion, (p for n in noeuds for p in n.parties))

    def lire(niveau: int, index: int) -> bytes:
        try:
            return stock[(niveau, index)]
        except KeyError:
            raise LookupError(f"nœud ({niveau}, {index}) absent de journal_noeuds") from None

    return lire


# --------------------------------------------------------------------------- proofs


def _taille_disponible(connexion: Connection, taille: int) -> None:
    integree = taille_integree(connexion)
    if taille > integree:
        raise Refus(
            code="taille_non_integree",
            detail=f"l'arbre du journal ne compte encore que {integree} feuilles intégrées, pas {taille}; "
            "demandez une taille au plus égale à celle du dernier checkpoint",
            statut=409,
            titre="Taille pas encore intégrée",
        )


def preuve_inclusion_stockee(connexion: Connection, index: int, taille: int) -> PreuveInclusion:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``taille`` leaves."""
    if index >= taille:
        raise Refus(
            code="index_hors_arbre",
            detail=f"l'index {index} n'est pas dans un arbre de {taille} feuilles (index < taille attendu)",
        )
    _taille_disponible(connexion, taille)
    noeuds = noeuds_inclusion(index, taille)
    lire = lecteur(connexion, noeuds)
    return PreuveInclusion(index, taille, [calculer_noeud(n, lire) for n in noeuds])


def preuve_coherence_stockee(connexion: Connection, de: int, a: int) -> PreuveCoherence:
    """RFC 9162 consistency proof from size ``de`` to size ``a`` (empty when de is 0 or a)."""
    if de > a:
        raise Refus(
            code="tailles_inversees",
            detail=f"la taille de départ {de} dépasse la taille d'arrivée {a} (de ≤ a attendu)",
        )
    _taille_disponible(connexion, a)
    noeuds = noeuds_coherence(de, a)
    lire = lecteur(connexion, noeuds)
    return PreuveCoherence(de, a, [calculer_noeud(n, lire) for n in noeuds])


def _b64(chemin: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in chemin]


def inclusion_json(preuve: PreuveInclusion) -> dict[str, object]:
    return {"index": preuve.index, "taille": preuve.taille, "chemin": _b64(preuve.chemin)}


def coherence_json(preuve: PreuveCoherence) -> dict[str, object]:
    return {"de": preuve.de, "a": preuve.a, "chemin": _b64(preuve.chemin)}
