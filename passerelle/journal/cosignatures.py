"""The checkpoint as published: the gateway's signed note plus the witnesses' cosignatures.

The stored note is never rewritten: the cosignature lines obtained for its size
(``journal_cosignatures``, passerelle/temoin/demande.py) are appended when it is served, each
already verified against its witness's configured key.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from passerelle.stockage.cosignatures import cosignatures
from passerelle.stockage.tuiles import dernier_checkpoint_taille

__all__ = ["checkpoint_publie", "cles_temoins_publiees"]


def checkpoint_publie(connexion: Connection) -> str | None:
    """The latest signed note with its cosignatures, or None before the sequencer's first run."""
    dernier = dernier_checkpoint_taille(connexion)
    if dernier is None:
        return None
    taille, note = dernier
    return note + "".join(ligne for _, _, ligne in cosignatures(connexion, taille))


def cles_temoins_publiees(connexion: Connection) -> list[str]:
    """Verifier keys of the witnesses whose cosignatures the latest checkpoint carries."""
    dernier = dernier_checkpoint_taille(connexion)
    return [] if dernier is None else [cle for _, cle, _ in cosignatures(connexion, dernier[0])]
