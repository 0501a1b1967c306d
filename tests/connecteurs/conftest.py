from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@pytest.fixture
def cle_passerelle() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
