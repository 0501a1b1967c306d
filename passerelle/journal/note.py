"""C2SP signed notes (Ed25519) and C2SP tlog-checkpoints.

Checkpoints are published as signed notes (https://c2sp.org/signed-note) whose text is a
tlog-checkpoint (https://c2sp.org/tlog-checkpoint), byte-compatible with Go's
``golang.org/x/mod/sumdb/note`` and with the transparency-dev witnesses, so that anybody can check
the journal with off-the-shelf tools. Pure functions, no I/O, no key storage.

A note is ``text + "\\n" + signature lines``; each line is ``"— <name> <base64(keyid || sig)>\\n"``
(U+2014 EM DASH, space). For Ed25519 the key id is the first 4 bytes of
SHA-256(name || 0x0A || 0x01 || public key) and the signature covers the text bytes exactly.

Parsing is strict and fails closed with :class:`NoteInvalide`: any malformed signature line
rejects the whole note (even from an unknown key), base64 must be canonical so that no byte of
a signed note can change without detection, and a key may sign a note only once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALGORITHME_ED25519",
    "NoteInvalide",
    "CheckpointInvalide",
    "Checkpoint",
    "id_cle",
    "cle_verification_texte",
    "analyser_cle_verification",
    "signer_note",
    "cosigner_note",
    "verifier_note",
    "analyser_checkpoint",
    "signer_checkpoint",
    "verifier_checkpoint",
]

ALGORITHME_ED25519 = 0x01
"""Signature type byte of Ed25519 in C2SP signed notes (and in Go's sumdb/note)."""

_TIRET = "\u2014 "  # EM DASH + SPACE, start of every signature line
_TAILLE_CLE = 32
_TAILLE_ID = 4
_TAILLE_SIGNATURE = 64
_TAILLE_HASH = 32
_MAX_OCTETS_NOTE = 1 << 20
"""Our own bound (not from the spec): a checkpoint is a few hundred bytes."""
_MAX_SIGNATURES = 100
"""Our own bound (not from the spec): more lines than this is an attack, not a cosignature set."""
_TAILLE_MAX = 1 << 64
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class NoteInvalide(ValueError):
    """A note, key or signature that does not check out; the message says exactly what."""


class CheckpointInvalide(NoteInvalide):
    """A note text that is not a well-formed C2SP tlog-checkpoint."""


# --------------------------------------------------------------------------- helpers


def _b64(donnees: bytes) -> str:
    """Standard base64 with padding, as the specs and Go's StdEncoding write it."""
    return base64.b64encode(donnees).decode("ascii")


def _de_b64(texte: str, quoi: str) -> bytes:
    """Decode standard base64 and insist on the canonical form.

    Non-canonical encodings (non-zero padding bits, missing padding, stray characters) would let
    a signed note change without its signature noticing, so they are refused.
    """
    try:
        donnees = base64.b64decode(texte.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise NoteInvalide(f"{quoi} : base64 invalide ({exc})") from None
    if _b64(donnees) != texte:
        raise NoteInvalide(f"{quoi} : base64 non canonique")
    return donnees


def _verifier_nom(nom: object) -> str:
    """Key names: non-empty, no whitespace, no '+' (it separates the vkey fields), no controls."""
    if not isinstance(nom, str):
        raise NoteInvalide(f"le nom de clé doit être une chaîne, reçu {type(nom).__name__}")
    if not nom:
        raise NoteInvalide("nom de clé vide")
    if "+" in nom:
        raise NoteInvalide(f"nom de clé {nom!r} contenant '+'")
    for c in nom:
        if c.isspace() or unicodedata.category(c) in ("Cc", "Cs"):
            raise NoteInvalide(f"nom de clé {nom!r} contenant un espace ou un caractère de contrôle")
    return nom


def _verifier_texte(texte: str, quoi: str) -> bytes:
    """Valid UTF-8, no control characters but newline: what the spec allows in a note."""
    for position, c in enumerate(texte):
        if c == "\n":
            continue
        categorie = unicodedata.category(c)
        if categorie == "Cc":
            raise NoteInvalide(f"{quoi} : caractère de contrôle U+{ord(c):04X} en position {position}")
        if categorie == "Cs":
            raise NoteInvalide(f"{quoi} : demi-code de substitution en position {position} (pas UTF-8)")
    return texte.encode("utf-8")


def _publique_brute(publique: Ed25519PublicKey) -> bytes:
    return publique.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --------------------------------------------------------------------------- keys


def id_cle(nom: str, publique: bytes) -> bytes:
    """Key id = SHA-256(nom || 0x0A || 0x01 || publique)[:4].

    Binding the name and the algorithm into the id stops a signature from being replayed under
    another name or read as another algorithm.
    """
    _verifier_nom(nom)
    if not isinstance(publique, bytes) or len(publique) != _TAILLE_CLE:
        raise NoteInvalide(f"une clé publique Ed25519 fait {_TAILLE_CLE} octets")
    return hashlib.sha256(nom.encode("utf-8") + b"\n" + bytes([ALGORITHME_ED25519]) + publique).digest()[
        :_TAILLE_ID
    ]


def cle_verification_texte(nom: str, publique: bytes) -> str:
    """Verifier key string ``<nom>+<keyid hex>+<base64(0x01 || publique)>`` (Go's sumdb/note form).

    This is what the gateway publishes so that auditors and witnesses can configure it verbatim.
    """
    identifiant = id_cle(nom, publique)
    return f"{nom}+{identifiant.hex()}+{_b64(bytes([ALGORITHME_ED25519]) + publique)}"


def analyser_cle_verification(texte: str) -> tuple[str, Ed25519PublicKey]:
    """Parse a verifier key string and check that its key id matches its name and key."""
    if not isinstance(texte, str):
        raise NoteInvalide("la clé de vérification doit être une chaîne")
    morceaux = texte.split("+", 2)  # base64 may itself contain '+'
    if len(morceaux) != 3:
        raise NoteInvalide("clé de vérification : attendu <nom>+<id hex>+<clé base64>")
    nom, id_hex, cle_b64 = morceaux
    _verifier_nom(nom)
    if not re.fullmatch(r"[0-9a-f]{8}", id_hex, re.ASCII):
        raise NoteInvalide(f"clé de vérification : id {id_hex!r} n'est pas 8 chiffres hexadécimaux minuscules")
    brute = _de_b64(cle_b64, "clé de vérification")
    if len(brute) != 1 + _TAILLE_CLE or brute[0] != ALGORITHME_ED25519:
        raise NoteInvalide("clé de vérification : attendu 0x01 suivi de 32 octets (Ed25519)")
    publique = brute[1:]
    if id_cle(nom, publique).hex() != id_hex:
        raise NoteInvalide(f"clé de vérification : l'id {id_hex} ne correspond pas au nom et à la clé")
    return nom, Ed25519PublicKey.from_public_bytes(publique)


# --------------------------------------------------------------------------- notes


def signer_note(texte: str, nom: str, cle: Ed25519PrivateKey) -> str:
    """Sign ``texte`` and return the note: text, blank line, one signature line.

    The text must end with a newline so that the blank line separating text and signatures is
    unambiguous; the signature covers exactly the UTF-8 bytes of the text.
    """
    if not isinstance(texte, str):
        raise NoteInvalide("le texte d'une note doit être une chaîne")
    _verifier_nom(nom)
    if not texte.endswith("\n"):
        raise NoteInvalide("le texte d'une note doit finir par un saut de ligne")
    octets = _verifier_texte(texte, "texte")
    identifiant = id_cle(nom, _publique_brute(cle.public_key()))
    signature = cle.sign(octets)
    return f"{texte}\n{_TIRET}{nom} {_b64(identifiant + signature)}\n"


def cosigner_note(note: str, nom: str, cle: Ed25519PrivateKey) -> str:
    """Add the signature line of another key to a note (same text, one more line).

    During a key rotation the gateway signs each checkpoint with the old and the new key: a
    verifier holding either one checks it, and learns the other through a note it already trusts.
    """
    texte, lignes = _decouper(note)
    _verifier_nom(nom)
    identifiant = id_cle(nom, _publique_brute(cle.public_key()))
    for numero, ligne in enumerate(lignes, start=1):
        nom_ligne, id_ligne, _ = _analyser_ligne(numero, ligne)
        if nom_ligne == nom and id_ligne == identifiant:
            raise NoteInvalide(f"la clé {nom}+{identifiant.hex()} signe déjà la note")
    signature = cle.sign(texte.encode("utf-8"))
    return f"{note}{_TIRET}{nom} {_b64(identifiant + signature)}\n"


def _decouper(note: str | bytes) -> tuple[str, list[str]]:
    """Split a note into its text and signature lines, refusing any malformed shape."""
    if isinstance(note, bytes):
        if len(note) > _MAX_OCTETS_NOTE:
            raise NoteInvalide(f"note de plus de {_MAX_OCTETS_NOTE} octets")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteInvalide(f"note : UTF-8 invalide en position {exc.start}") from None
    if not isinstance(note, str):
        raise NoteInvalide("la note doit être une chaîne ou des octets")
    if len(note.encode("utf-8", "surrogatepass")) > _MAX_OCTETS_NOTE:
        raise NoteInvalide(f"note de plus de {_MAX_OCTETS_NOTE} octets")
    _verifier_texte(note, "note")
    if not note.endswith("\n"):
        raise NoteInvalide("la note doit finir par un saut de ligne")
    separation = note.rfind("\n\n")
    if separation < 0:
        raise NoteInvalide("pas de ligne vide séparant le texte des signatures")
    texte, bloc = note[: separation + 1], note[separation + 2 :]
    if not bloc:
        raise NoteInvalide("aucune ligne de signature après la ligne vide")
    lignes = bloc[:-1].split("\n")
    if len(lignes) > _MAX_SIGNATURES:
        raise NoteInvalide(f"plus de {_MAX_SIGNATURES} lignes de signature")
    return texte, lignes


def _analyser_ligne(numero: int, ligne: str) -> tuple[str, bytes, bytes]:
    """One signature line -> (name, key id, signature); malformed lines reject the note."""
    if not ligne.startswith(_TIRET):
        raise NoteInvalide(f"ligne de signature {numero} : ne commence pas par « — »")
    nom, espace, signature_b64 = ligne[len(_TIRET) :].partition(" ")
    if not espace:
        raise NoteInvalide(f"ligne de signature {numero} : pas d'espace entre nom et signature")
    try:
        _verifier_nom(nom)
    except NoteInvalide as exc:
        raise NoteInvalide(f"ligne de signature {numero} : {exc}") from None
    brute = _de_b64(signature_b64, f"ligne de signature {numero}")
    if len(brute) <= _TAILLE_ID:
        raise NoteInvalide(f"ligne de signature {numero} : signature trop courte")
    return nom, brute[:_TAILLE_ID], brute[_TAILLE_ID:]


def verifier_note(note: str | bytes, nom: str, publique: Ed25519PublicKey) -> str:
    """Return the text of ``note`` once signed by key (``nom``, ``publique``); raise otherwise.

    Signature lines of other keys (cosigning witnesses, a rotated key) are ignored, but must be
    well formed. The expected key must have signed exactly once, validly.
    """
    _verifier_nom(nom)
    if not isinstance(publique, Ed25519PublicKey):
        raise NoteInvalide("la clé publique doit être une Ed25519PublicKey")
    identifiant = id_cle(nom, _publique_brute(publique))
    texte, lignes = _decouper(note)
    retenues = []
    for numero, ligne in enumerate(lignes, start=1):
        nom_ligne, id_ligne, signature = _analyser_ligne(numero, ligne)
        if nom_ligne == nom and id_ligne == identifiant:
            retenues.append((numero, signature))
    if not retenues:
        raise NoteInvalide(f"aucune signature de la clé {nom}+{identifiant.hex()}")
    if len(retenues) > 1:
        raise NoteInvalide(f"la clé {nom}+{identifiant.hex()} signe plusieurs fois la note")
    numero, signature = retenues[0]
    if len(signature) != _TAILLE_SIGNATURE:
        raise NoteInvalide(
            f"ligne de signature {numero} : signature Ed25519 de {len(signature)} octets, attendu 64"
        )
    try:
        publique.verify(signature, texte.encode("utf-8"))
    except InvalidSignature:
        raise NoteInvalide(
            f"ligne de signature {numero} : signature invalide de la clé {nom}+{identifiant.hex()}"
        ) from None
    return texte


# --------------------------------------------------------------------------- checkpoints


def _verifier_ligne(ligne: object, quoi: str) -> str:
    """A checkpoint line: non-empty string, no newline, no control characters."""
    if not isinstance(ligne, str):
        raise CheckpointInvalide(f"{quoi} doit être une chaîne")
    if not ligne:
        raise CheckpointInvalide(f"{quoi} vide")
    if "\n" in ligne:
        raise CheckpointInvalide(f"{quoi} contient un saut de ligne")
    try:
        _verifier_texte(ligne, quoi)
    except NoteInvalide as exc:
        raise CheckpointInvalide(str(exc)) from None
    return ligne


@dataclass(frozen=True)
class Checkpoint:
    """Body of a C2SP tlog-checkpoint: who (origin), how many leaves, which root.

    Validated on construction so that an invalid checkpoint can never be signed.
    """

    origine: str
    taille: int
    racine: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _verifier_ligne(self.origine, "ligne d'origine")
        if type(self.taille) is not int or not 0 <= self.taille < _TAILLE_MAX:
            raise CheckpointInvalide(f"taille {self.taille!r} : entier de [0, 2**64) attendu")
        if not isinstance(self.racine, bytes) or len(self.racine) != _TAILLE_HASH:
            raise CheckpointInvalide(f"la racine doit faire {_TAILLE_HASH} octets")
        if not isinstance(self.extensions, tuple):
            raise CheckpointInvalide("les extensions doivent être un tuple de lignes")
        for i, extension in enumerate(self.extensions):
            _verifier_ligne(extension, f"ligne d'extension {i + 1}")

    def texte(self) -> str:
        """Note text: origin, decimal size, base64 root, then extension lines, each ending in \\n."""
        lignes = [self.origine, str(self.taille), _b64(self.racine), *self.extensions]
        return "".join(ligne + "\n" for ligne in lignes)


def analyser_checkpoint(texte: str) -> Checkpoint:
    """Strictly parse a checkpoint text; the result re-serialises to exactly the same text."""
    if not isinstance(texte, str):
        raise CheckpointInvalide("le texte d'un checkpoint doit être une chaîne")
    if not texte.endswith("\n"):
        raise CheckpointInvalide("le texte d'un checkpoint doit finir par un saut de ligne")
    lignes = texte[:-1].split("\n")
    if len(lignes) < 3:
        raise CheckpointInvalide(f"checkpoint de {len(lignes)} lignes, au moins 3 attendues")
    origine, taille_texte, racine_texte, *extensions = lignes
    if not _DECIMAL.fullmatch(taille_texte):
        raise CheckpointInvalide(f"taille {taille_texte!r} : décimal ASCII sans zéro initial attendu")
    taille = int(taille_texte)
    if taille >= _TAILLE_MAX:
        raise CheckpointInvalide(f"taille {taille} ≥ 2**64")
    try:
        racine = _de_b64(racine_texte, "racine")
    except NoteInvalide as exc:
        raise CheckpointInvalide(str(exc)) from None
    if len(racine) != _TAILLE_HASH:
        raise CheckpointInvalide(f"racine de {len(racine)} octets, {_TAILLE_HASH} attendus")
    return Checkpoint(origine, taille, racine, tuple(extensions))


def signer_checkpoint(checkpoint: Checkpoint, nom: str, cle: Ed25519PrivateKey) -> str:
    """Signed note of a checkpoint. Consistency with earlier checkpoints is the caller's duty."""
    return signer_note(checkpoint.texte(), nom, cle)


def verifier_checkpoint(
    note: str | bytes, nom: str, publique: Ed25519PublicKey, origine: str
) -> Checkpoint:
    """Verify the signature, parse the checkpoint and check that it is from the expected log.

    The origin check is mandatory: a valid signature on another log's checkpoint proves nothing
    about this one.
    """
    checkpoint = analyser_checkpoint(verifier_note(note, nom, publique))
    if checkpoint.origine != origine:
        raise CheckpointInvalide(
            f"checkpoint du journal {checkpoint.origine!r}, attendu {origine!r}"
        )
    return checkpoint
