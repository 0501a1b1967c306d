"""Shared keys for the signature tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from passerelle.erreurs import RefusAuthentification

from .outils import KEYID


@pytest.fixture(scope="session")
def cle() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(scope="session")
def autre_cle() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture
def resoudre(cle: Ed25519PrivateKey) -> Callable[[str], Ed25519PublicKey]:
    """The directory as the verifier sees it: one known key, anything else refused."""

    def resoudre_cle(keyid: str) -> Ed25519PublicKey:
        if keyid != KEYID:
            raise RefusAuthentification("cle_inconnue", f"clé {keyid} inconnue")
        return cle.public_key()

    return resoudre_cle
