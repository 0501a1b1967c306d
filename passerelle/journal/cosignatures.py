"""The checkpoint as published: the gateway's signed note plus the witnesses' cosignatures."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from passerelle.stockage.tuiles import dernier_checkpoint_taille

__all__ = ["checkpoint_publie"]


def checkpoint_publie(connexion: Connection) -> str | None:
    """The latest signed note, verbatim, or None before the sequencer's first run."""
    dernier = dernier_checkpoint_taille(connexion)
    return None if dernier is None else dernier[1]


def cles_temoins_publiees(connexion: Connection) -> list[str]:
    """Verifier keys of the witnesses whose cosignatures the latest checkpoint carries."""
    return []
