"""The evidence bundle of one exchange (docs/journal.md §8): one JSON file for a judge.

Every journal entry of a message and of its answers (reception, delivery, acknowledgement…),
with its exact bytes and its RFC 9162 inclusion proof against ONE checkpoint, the signed
checkpoint with its witnesses' cosignatures, and the public keys (the journal's, the
witnesses'). Nothing is decrypted: the entries hold the NIR only as a blind index, as stored.

Format ``passerelle-preuve-echange`` version 1, written in ONE canonical form (:func:`serialiser`)
so that every byte of the file is either checked or part of the form the verifier insists on:

``{"format", "version", "origine", "message", "messages", "cles": {"journal": [...],
"temoins": [...]}, "checkpoint", "entrees": [{"index", "octets", "feuille", "preuve",
"etapes"}]}``

``feuille`` (the leaf hash) and ``etapes`` (the hash reached after each proof step, the last one
being the root) are redundant: the verifier recomputes them, and uses them only to *name* the
altered place (``entrees[2].preuve[5]``) when the chain does not reach the signed root.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.journal.merkle import hash_feuille, hash_noeud
from passerelle.journal.note import analyser_checkpoint, _decouper
from passerelle.journal.preuves import preuve_inclusion_stockee
from passerelle.journal.cosignatures import checkpoint_publie, cles_temoins_publiees
from passerelle.stockage.preuve_echange import EntreeEchange, entrees_echange

__all__ = ["FORMAT", "VERSION", "PreuveEtablie", "directions", "etablir_preuve", "etapes", "serialiser"]

FORMAT = "passerelle-preuve-echange"
VERSION = 1


def _b64(octets: bytes) -> str:
    return base64.b64encode(octets).decode("ascii")


def directions(index: int, taille: int, longueur: int) -> list[bool]:
    """For each step of an inclusion proof, whether the proof hash goes on the left (RFC 9162 §2.1.3.2)."""
    fn, sn, resultat = index, taille - 1, []
    for _ in range(longueur):
        if fn & 1 or fn == sn:
            resultat.append(True)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            resultat.append(False)
        fn >>= 1
        sn >>= 1
    return resultat


def etapes(index: int, taille: int, feuille: bytes, chemin: Sequence[bytes]) -> list[bytes]:
    """The hash after each proof step, from the leaf up; the last is the root the proof implies."""
    courant, resultat = feuille, []
    for gauche, p in zip(directions(index, taille, len(chemin)), chemin, strict=True):
        courant = hash_noeud(p, courant) if gauche else hash_noeud(courant, p)
        resultat.append(courant)
    return resultat


def serialiser(document: dict[str, Any]) -> bytes:
    """The one canonical form: UTF-8, two-space indentation, keys in the format's order, final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class PreuveEtablie:
    document: dict[str, Any]
    non_couvertes: list[int]  # entries of the exchange not yet under the checkpoint
    ecartees: int  # entries the caller may not see (an auditor's scope)

    def octets(self) -> bytes:
        return serialiser(self.document)


def etablir_preuve(
    connexion: Connection,
    message_id: str,
    *,
    origine: str,
    cles_journal: Sequence[str],
    visible: Callable[[EntreeEchange], bool] = lambda e: True,
) -> PreuveEtablie | None:
    """The bundle of ``message_id`` against the latest published checkpoint; None if no entry names it."""
    ids, toutes = entrees_echange(connexion, message_id)
    vues = [e for e in toutes if visible(e)]
    note = checkpoint_publie(connexion)
    if not vues or note is None:
        return None
    texte, _ = _decouper(note)
    taille = analyser_checkpoint(texte).taille
    couvertes = [e for e in vues if e.index < taille]
    if not couvertes:
        return None
    entrees = []
    for e in couvertes:
        chemin = preuve_inclusion_stockee(connexion, e.index, taille).chemin
        feuille = hash_feuille(e.octets)
        entrees.append({
            "index": e.index,
            "octets": _b64(e.octets),
            "feuille": _b64(feuille),
            "preuve": [_b64(h) for h in chemin],
            "etapes": [_b64(h) for h in etapes(e.index, taille, feuille, chemin)],
        })
    nommes = {e.message for e in couvertes}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "origine": origine,
        "message": message_id,
        "messages": [m for m in ids if m in nommes],
        "cles": {"journal": list(cles_journal), "temoins": cles_temoins_publiees(connexion)},
        "checkpoint": note,
        "entrees": entrees,
    }
    return PreuveEtablie(document, [e.index for e in vues if e.index >= taille], len(toutes) - len(vues))
