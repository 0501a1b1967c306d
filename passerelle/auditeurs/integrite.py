"""Integrity as an auditor sees it: is the latest checkpoint signed by the gateway, and is this
entry provably in the tree that checkpoint commits to?

Both checks are recomputed here, at each request, from the stored note and the stored nodes —
never read from a "verified" flag — and their failure is shown, not hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus
from passerelle.journal import preuves
from passerelle.journal.merkle import PreuveInvalide, hash_feuille, verifier_inclusion
from passerelle.journal.note import Checkpoint, NoteInvalide, verifier_checkpoint


@dataclass(frozen=True)
class ClesCheckpoint:
    """What checks the journal's checkpoints: the log's origin and every signing key of the
    gateway, the active one named (rotations: an older note is signed by an older key)."""

    origine: str
    publiques: Mapping[str, Ed25519PublicKey]
    active: str


@dataclass(frozen=True)
class EtatCheckpoint:
    note: str | None
    checkpoint: Checkpoint | None
    cle: str | None  # the gateway key whose signature checked out
    erreur: str | None

    @property
    def verifie(self) -> bool:
        return self.checkpoint is not None and self.erreur is None


@dataclass(frozen=True)
class VerificationInclusion:
    index: int
    taille: int | None
    feuille: bytes
    chemin: tuple[bytes, ...]
    racine: bytes | None
    erreur: str | None

    @property
    def verifiee(self) -> bool:
        return self.erreur is None


def verifier_dernier_checkpoint(cles: ClesCheckpoint, connexion: Connection) -> EtatCheckpoint:
    """The latest signed note, checked against every signing key of the gateway (rotation)."""
    note = preuves.dernier_checkpoint(connexion)
    if note is None:
        return EtatCheckpoint(None, None, None, "aucun checkpoint n'a encore été signé (séquenceur pas encore passé)")
    origine = cles.origine
    erreurs = []
    for keyid, publique in sorted(cles.publiques.items()):
        try:
            checkpoint = verifier_checkpoint(note, origine, publique, origine)
        except NoteInvalide as exc:
            erreurs.append(f"{keyid}: {exc}")
            continue
        return EtatCheckpoint(note, checkpoint, keyid, None)
    return EtatCheckpoint(note, None, None, "; ".join(erreurs) or "aucune clé de signature")


def verifier_inclusion_entree(connexion: Connection, index: int, octets: bytes, etat: EtatCheckpoint) -> VerificationInclusion:
    """RFC 9162 inclusion of the entry's bytes under the checkpoint's signed root."""
    feuille = hash_feuille(octets)
    if not etat.verifie or etat.checkpoint is None:
        return VerificationInclusion(index, None, feuille, (), None, f"checkpoint non vérifié: {etat.erreur}")
    taille, racine = etat.checkpoint.taille, etat.checkpoint.racine
    if index >= taille:
        return VerificationInclusion(
            index, taille, feuille, (), racine,
            f"entrée pas encore couverte par un checkpoint signé (taille {taille}); réessayer après le prochain",
        )
    try:
        preuve = preuves.preuve_inclusion_stockee(connexion, index, taille)
        verifier_inclusion(index, taille, feuille, preuve.chemin, racine)
    except (PreuveInvalide, LookupError, Refus) as exc:
        return VerificationInclusion(index, taille, feuille, (), racine, str(exc))
    return VerificationInclusion(index, taille, feuille, tuple(preuve.chemin), racine, None)
