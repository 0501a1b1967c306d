"""Keyed blind index of a NIR: lets auditors find every entry about a person without the journal
ever holding the NIR, and without an unkeyed hash that anyone could recompute from the ~10^13
possible NIRs."""

from __future__ import annotations

import hmac

DOMAINE = b"passerelle/nir/v1\x00"


def index_nir(cle: bytes, nir: str) -> str:
    """HMAC-SHA-256 over the normalised NIR (spaces removed, upper case), hex-encoded."""
    if len(cle) < 32:
        raise ValueError("la clé d'index aveugle doit faire au moins 32 octets")
    normalise = "".join(nir.split()).upper()
    return hmac.digest(cle, DOMAINE + normalise.encode("utf-8"), "sha256").hex()  # one-shot C HMAC
