"""The replay cache's rows, in the database so that every replica sees every nonce."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import nonces


def inscrire_nonce(connexion: Connection, keyid: str, nonce: str, expire_le: int) -> bool:
    """Record the nonce for this key until ``expire_le`` (epoch seconds); False if it was there."""
    return inserer_sauf_conflit(connexion, nonces, {"keyid": keyid, "nonce": nonce, "expire_le": expire_le})


def purger_nonces(connexion: Connection, maintenant: int) -> int:
    """Forget nonces whose signatures are past the window anyway (they would be refused as stale)."""
    return connexion.execute(sa.delete(nonces).where(nonces.c.expire_le < maintenant)).rowcount
