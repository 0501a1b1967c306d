"""Payloads at rest: envelope encryption, so a message can be destroyed alone (crypto-shredding)
and the at-rest keys can rotate without rewriting payloads.

Each message gets its own data key (32 random bytes); the payload is AES-256-GCM under that data
key, and the data key is wrapped (AES Key Wrap, RFC 3394 / NIST SP 800-38F) by the deployment's
active at-rest key, whose id is kept beside the row. Purging a message destroys its wrapped data
key (and its ciphertext): nothing in the live database can read it any more, and once the at-rest
key that wrapped it is itself retired after a rotation, no copy (backup, freed page, dead tuple)
can either. Rotating the at-rest key re-wraps the 40-byte data keys, never the payloads.

The additional data binds a ciphertext to its message id: a row's content (with its data key)
cannot be swapped into another row without decryption failing.

Rows written before envelopes existed have no data key: their payload is AES-256-GCM directly
under the at-rest key. They are still read, and :meth:`Coffre.reenvelopper` moves them to an
envelope (``passerelle secrets rechiffrer``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

TAILLE_NONCE = 12
TAILLE_CLE = 32


class CleInconnue(ValueError):
    """The row names an at-rest key the deployment's secrets no longer hold."""


@dataclass(frozen=True)
class Chiffre:
    cle: str  # id of the at-rest key (wraps the data key, or encrypts the payload of an old row)
    octets: bytes  # nonce || ciphertext || tag
    cle_donnees: bytes | None = None  # the data key wrapped by ``cle`` (None: row without envelope)


class Coffre:
    def __init__(self, cles: dict[str, bytes], active: str) -> None:
        if active not in cles:
            raise ValueError(f"clé de chiffrement active {active!r} absente du trousseau")
        for ident, cle in cles.items():
            if len(cle) != TAILLE_CLE:
                raise ValueError(f"la clé de chiffrement {ident!r} doit faire 32 octets (AES-256)")
        self._cles = dict(cles)
        self._aead = {ident: AESGCM(cle) for ident, cle in cles.items()}
        self.active = active

    @property
    def identifiants(self) -> frozenset[str]:
        return frozenset(self._cles)

    def _cle(self, ident: str) -> bytes:
        try:
            return self._cles[ident]
        except KeyError as exc:
            raise CleInconnue(f"clé de chiffrement {ident!r} inconnue du trousseau") from exc

    def chiffrer(self, clair: bytes, associe: bytes) -> Chiffre:
        donnees = os.urandom(TAILLE_CLE)
        nonce = os.urandom(TAILLE_NONCE)
        enveloppee = aes_key_wrap(self._cles[self.active], donnees)
        return Chiffre(self.active, nonce + AESGCM(donnees).encrypt(nonce, clair, associe), enveloppee)

    def cle_de_donnees(self, chiffre: Chiffre) -> bytes | None:
        """The row's data key in clear (None for a row without envelope)."""
        if chiffre.cle_donnees is None:
            return None
        try:
            return aes_key_unwrap(self._cle(chiffre.cle), chiffre.cle_donnees)
        except InvalidUnwrap as exc:
            raise ValueError(f"clé de données illisible avec la clé {chiffre.cle!r}: ligne altérée") from exc

    def dechiffrer(self, chiffre: Chiffre, associe: bytes) -> bytes:
        nonce, corps = chiffre.octets[:TAILLE_NONCE], chiffre.octets[TAILLE_NONCE:]
        donnees = self.cle_de_donnees(chiffre)
        if donnees is None:
            self._cle(chiffre.cle)
            return self._aead[chiffre.cle].decrypt(nonce, corps, associe)
        return AESGCM(donnees).decrypt(nonce, corps, associe)

    def reenvelopper(self, chiffre: Chiffre, associe: bytes) -> Chiffre:
        """The same payload under the active key: the data key re-wrapped (payload untouched), or,
        for a row without envelope, the payload decrypted and put in a new envelope."""
        donnees = self.cle_de_donnees(chiffre)
        if donnees is None:
            return self.chiffrer(self.dechiffrer(chiffre, associe), associe)
        return Chiffre(self.active, chiffre.octets, aes_key_wrap(self._cles[self.active], donnees))

    def a_jour(self, chiffre: Chiffre) -> bool:
        """Under the active key, in an envelope: nothing for the rotation to do."""
        return chiffre.cle == self.active and chiffre.cle_donnees is not None
