"""Ed25519 key material: encoding as the directory stores it and as JWKS publishes it."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64url(donnees: bytes) -> str:
    return base64.urlsafe_b64encode(donnees).rstrip(b"=").decode("ascii")


def de_b64url(texte: str) -> bytes:
    return base64.urlsafe_b64decode(texte + "=" * (-len(texte) % 4))


def publique_brute(cle: Ed25519PublicKey) -> bytes:
    return cle.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def publique_texte(cle: Ed25519PublicKey) -> str:
    """The form kept in ``config/annuaire/cles.yaml``: the JWK ``x`` value (base64url, 32 bytes)."""
    return b64url(publique_brute(cle))


def lire_publique(texte: str) -> Ed25519PublicKey:
    """Read a public key given as a JWK ``x`` value or as a PEM document."""
    texte = texte.strip()
    if texte.startswith("-----BEGIN"):
        cle = serialization.load_pem_public_key(texte.encode("ascii"))
        if not isinstance(cle, Ed25519PublicKey):
            raise ValueError("la clé publique n'est pas une clé Ed25519")
        return cle
    brut = de_b64url(texte)
    if len(brut) != 32:
        raise ValueError(f"une clé publique Ed25519 fait 32 octets, celle-ci en fait {len(brut)}")
    return Ed25519PublicKey.from_public_bytes(brut)


def lire_privee_pem(pem: bytes) -> Ed25519PrivateKey:
    cle = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(cle, Ed25519PrivateKey):
        raise ValueError("la clé privée n'est pas une clé Ed25519")
    return cle


def privee_pem(cle: Ed25519PrivateKey) -> bytes:
    return cle.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def jwk(keyid: str, cle: Ed25519PublicKey) -> dict[str, str]:
    """RFC 8037 OKP key, as published at ``/.well-known/jwks.json``."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": publique_texte(cle),
        "kid": keyid,
        "use": "sig",
        "alg": "EdDSA",
    }
