"""Payloads at rest: AES-256-GCM with the key id kept beside each row, so keys can rotate.

The additional data binds a ciphertext to its message id: a row's content cannot be swapped
into another row without decryption failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAILLE_NONCE = 12


@dataclass(frozen=True)
class Chiffre:
    cle: str
    octets: bytes  # nonce || ciphertext || tag


class Coffre:
    def __init__(self, cles: dict[str, bytes], active: str) -> None:
        if active not in cles:
            raise ValueError(f"clé de chiffrement active {active!r} absente du trousseau")
        for ident, cle in cles.items():
            if len(cle) != 32:
                raise ValueError(f"la clé de chiffrement {ident!r} doit faire 32 octets (AES-256)")
        self._cles = {ident: AESGCM(cle) for ident, cle in cles.items()}
        self.active = active

    def chiffrer(self, clair: bytes, associe: bytes) -> Chiffre:
        nonce = os.urandom(TAILLE_NONCE)
        return Chiffre(self.active, nonce + self._cles[self.active].encrypt(nonce, clair, associe))

    def dechiffrer(self, chiffre: Chiffre, associe: bytes) -> bytes:
        try:
            aead = self._cles[chiffre.cle]
        except KeyError as exc:
            raise ValueError(f"clé de chiffrement {chiffre.cle!r} inconnue du trousseau") from exc
        nonce, corps = chiffre.octets[:TAILLE_NONCE], chiffre.octets[TAILLE_NONCE:]
        return aead.decrypt(nonce, corps, associe)
