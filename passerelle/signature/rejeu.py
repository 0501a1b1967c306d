"""The replay cache, in the database so that every replica sees every nonce."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.erreurs import RefusAuthentification
from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import nonces


def consommer_nonce(connexion: Connection, keyid: str, nonce: str, expire_le: int) -> None:
    """Record the nonce for this key until ``expire_le`` (epoch seconds); refuse a second use."""
    if not inserer_sauf_conflit(connexion, nonces, {"keyid": keyid, "nonce": nonce, "expire_le": expire_le}):
        raise RefusAuthentification(
            "nonce_rejoue",
            f"le nonce de cette signature a déjà été utilisé avec la clé {keyid}: "
            "chaque requête doit porter un nonce neuf",
        )


def purger_nonces(connexion: Connection, maintenant: int) -> int:
    """Forget nonces whose signatures are past the window anyway (they would be refused as stale)."""
    return connexion.execute(sa.delete(nonces).where(nonces.c.expire_le < maintenant)).rowcount
