"""The replay check: a nonce serves once per key (the cache itself: ``stockage/nonces.py``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from passerelle.erreurs import RefusAuthentification
from passerelle.stockage.nonces import inscrire_nonce, purger_nonces

__all__ = ["consommer_nonce", "purger_nonces"]


def consommer_nonce(connexion: Connection, keyid: str, nonce: str, expire_le: int) -> None:
    """Record the nonce for this key until ``expire_le`` (epoch seconds); refuse a second use."""
    if not inscrire_nonce(connexion, keyid, nonce, expire_le):
        raise RefusAuthentification(
            "nonce_rejoue",
            f"le nonce de cette signature a déjà été utilisé avec la clé {keyid}: "
            "chaque requête doit porter un nonce neuf",
        )
