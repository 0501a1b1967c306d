"""C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature): timestamped Ed25519 cosignatures.

A witness signs ``"cosignature/v1\\ntime <T>\\n" || checkpoint text`` with its Ed25519 key; its
signature line is the signed-note line ``— <name> base64(key id || uint64be(T) || signature)``,
with key id = SHA-256(name || 0x0A || 0x04 || public key)[:4] (signature type 0x04), and its
verifier key ``<name>+<key id hex>+base64(0x04 || public key)``. The type byte keeps a
cosignature from ever being read as a log signature (type 0x01) and back. Pure functions.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from passerelle.journal.note import NoteInvalide, _analyser_ligne, _de_b64, _decouper, _verifier_nom

__all__ = [
    "ALGORITHME_COSIGNATURE",
    "Cosignature",
    "analyser_cle_temoin",
    "cle_temoin_texte",
    "cosigner",
    "id_cle_temoin",
    "lignes_de_signature",
    "message_cosigne",
    "verifier_cosignature",
]

ALGORITHME_COSIGNATURE = 0x04
_TIRET = "\u2014 "
_HORODATAGE_MAX = 1 << 63  # the spec's timestamps are below 2**63


def _brute(publique: Ed25519PublicKey) -> bytes:
    return publique.public_bytes(Encoding.Raw, PublicFormat.Raw)


def id_cle_temoin(nom: str, publique: bytes) -> bytes:
    _verifier_nom(nom)
    return hashlib.sha256(nom.encode("utf-8") + b"\n" + bytes([ALGORITHME_COSIGNATURE]) + publique).digest()[:4]


def cle_temoin_texte(nom: str, publique: Ed25519PublicKey) -> str:
    brute = _brute(publique)
    cle = base64.b64encode(bytes([ALGORITHME_COSIGNATURE]) + brute).decode("ascii")
    return f"{nom}+{id_cle_temoin(nom, brute).hex()}+{cle}"


def analyser_cle_temoin(texte: str) -> tuple[str, Ed25519PublicKey]:
    """Parse a witness verifier key and check its key id against its name and key."""
    if not isinstance(texte, str):
        raise NoteInvalide("la clé de témoin doit être une chaîne")
    morceaux = texte.split("+", 2)
    if len(morceaux) != 3:
        raise NoteInvalide("clé de témoin : attendu <nom>+<id hex>+<clé base64>")
    nom, id_hex, cle_b64 = morceaux
    _verifier_nom(nom)
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex, re.ASCII):
        raise NoteInvalide(f"clé de témoin : id {id_hex[:12]!r} n'est pas 8 chiffres hexadécimaux minuscules")
    brute = _de_b64(cle_b64, "clé de témoin")
    if len(brute) != 33 or brute[0] != ALGORITHME_COSIGNATURE:
        raise NoteInvalide("clé de témoin : attendu 0x04 suivi de 32 octets (cosignature/v1 Ed25519)")
    if id_cle_temoin(nom, brute[1:]).hex() != id_hex:
        raise NoteInvalide(f"clé de témoin : l'id {id_hex} ne correspond pas au nom et à la clé")
    return nom, Ed25519PublicKey.from_public_bytes(brute[1:])


def message_cosigne(texte: str, horodatage: int) -> bytes:
    if type(horodatage) is not int or not 0 <= horodatage < _HORODATAGE_MAX:
        raise NoteInvalide(f"horodatage de cosignature {horodatage!r} hors de [0, 2**63)")
    return f"cosignature/v1\ntime {horodatage}\n".encode("ascii") + texte.encode("utf-8")


def cosigner(texte: str, nom: str, cle: Ed25519PrivateKey, horodatage: int) -> str:
    """The witness's signature line (ending in a newline) over a checkpoint text."""
    identifiant = id_cle_temoin(nom, _brute(cle.public_key()))
    signature = cle.sign(message_cosigne(texte, horodatage))
    valeur = base64.b64encode(identifiant + horodatage.to_bytes(8, "big") + signature).decode("ascii")
    return f"{_TIRET}{nom} {valeur}\n"


class Cosignature:
    """One parsed signature line: name, key id, raw signature bytes."""

    __slots__ = ("nom", "identifiant", "brute", "numero")

    def __init__(self, numero: int, nom: str, identifiant: bytes, brute: bytes) -> None:
        self.numero, self.nom, self.identifiant, self.brute = numero, nom, identifiant, brute


def lignes_de_signature(note: str | bytes) -> tuple[str, list[Cosignature]]:
    """The note's text and every signature line, strictly parsed (a malformed line refuses)."""
    texte, lignes = _decouper(note)
    return texte, [Cosignature(n, *_analyser_ligne(n, ligne)) for n, ligne in enumerate(lignes, start=1)]


def verifier_cosignature(texte: str, signature: Cosignature, nom: str, publique: Ed25519PublicKey) -> int:
    """Check one line as the cosignature of (nom, publique) over ``texte``; its timestamp."""
    if signature.nom != nom or signature.identifiant != id_cle_temoin(nom, _brute(publique)):
        raise NoteInvalide(f"ligne de signature {signature.numero} : pas de la clé du témoin {nom}")
    if len(signature.brute) != 8 + 64:
        raise NoteInvalide(f"ligne de signature {signature.numero} : cosignature de {len(signature.brute)} octets, 72 attendus")
    horodatage = int.from_bytes(signature.brute[:8], "big")
    try:
        publique.verify(signature.brute[8:], message_cosigne(texte, horodatage))
    except InvalidSignature:
        raise NoteInvalide(f"ligne de signature {signature.numero} : cosignature invalide du témoin {nom}") from None
    return horodatage
