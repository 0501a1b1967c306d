"""C2SP signed notes and tlog-checkpoints: Go sumdb/note compatibility, strictness, tampering."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from passerelle.journal.note import (
    Checkpoint,
    CheckpointInvalide,
    NoteInvalide,
    analyser_checkpoint,
    analyser_cle_verification,
    cle_verification_texte,
    id_cle,
    signer_checkpoint,
    signer_note,
    verifier_checkpoint,
    verifier_note,
)

# Example of Go's golang.org/x/mod/sumdb/note package documentation. Checked, not trusted: the
# tests below re-derive the key id, verify the Ed25519 signature and re-sign deterministically.
PN_CLE_PRIVEE = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PN_CLE_VERIFICATION = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PN_TEXTE = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PN_NOTE = (
    PN_TEXTE
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

CLE = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NOM = "passerelle.example/journal"
AUTRE = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def _brute(cle: Ed25519PrivateKey) -> bytes:
    return cle.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _cle_privee_go(texte: str) -> tuple[str, Ed25519PrivateKey]:
    """Decode Go's ``PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`` (test helper only)."""
    prive, cle, nom, _id, b64 = texte.split("+", 4)
    assert (prive, cle) == ("PRIVATE", "KEY")
    brute = base64.b64decode(b64)
    assert brute[0] == 0x01 and len(brute) == 33
    return nom, Ed25519PrivateKey.from_private_bytes(brute[1:])


CHECKPOINT = Checkpoint(NOM, 1234, hashlib.sha256(b"racine").digest())


# --------------------------------------------------------------------------- keys


def test_id_cle_formule() -> None:
    publique = _brute(CLE)
    attendu = hashlib.sha256(NOM.encode() + b"\x0a" + b"\x01" + publique).digest()[:4]
    assert id_cle(NOM, publique) == attendu
    vkey = cle_verification_texte(NOM, publique)
    cle_b64 = base64.b64encode(b"\x01" + publique).decode()
    assert vkey == f"{NOM}+{attendu.hex()}+{cle_b64}"
    nom, cle = analyser_cle_verification(vkey)
    assert nom == NOM and cle.public_bytes(Encoding.Raw, PublicFormat.Raw) == publique


def test_exemple_go_sumdb_note() -> None:
    nom, publique = analyser_cle_verification(PN_CLE_VERIFICATION)
    brute = publique.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert nom == "PeterNeumann"
    assert id_cle(nom, brute).hex() == "c74f20a3"
    assert cle_verification_texte(nom, brute) == PN_CLE_VERIFICATION
    assert verifier_note(PN_NOTE, nom, publique) == PN_TEXTE
    assert verifier_note(PN_NOTE.encode("utf-8"), nom, publique) == PN_TEXTE
    # Ed25519 is deterministic: signing with the documented private key gives the same note.
    nom_prive, prive = _cle_privee_go(PN_CLE_PRIVEE)
    assert nom_prive == nom and _brute(prive) == brute
    assert signer_note(PN_TEXTE, nom, prive) == PN_NOTE


@pytest.mark.parametrize(
    "vkey, message",
    [
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "ne correspond pas"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "minuscules"),
        ("PeterNeumann+c74f20a3", "attendu <nom>"),
        ("PeterNeumann+c74f20a3+AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "0x01 suivi de 32 octets"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==", "0x01 suivi de 32 octets"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64 invalide"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "espace"),
    ],
)
def test_cle_verification_refusee(vkey: str, message: str) -> None:
    with pytest.raises(NoteInvalide, match=message):
        analyser_cle_verification(vkey)


# --------------------------------------------------------------------------- notes


def test_aller_retour_et_format() -> None:
    note = signer_note("bonjour\n", NOM, CLE)
    identifiant = id_cle(NOM, _brute(CLE))
    signature = CLE.sign(b"bonjour\n")
    assert note == f"bonjour\n\n\u2014 {NOM} {base64.b64encode(identifiant + signature).decode()}\n"
    assert verifier_note(note, NOM, CLE.public_key()) == "bonjour\n"


def test_cosignatures_et_cles_inconnues_ignorees() -> None:
    texte = CHECKPOINT.texte()
    a = signer_note(texte, NOM, CLE)
    b = signer_note(texte, "temoin.example", AUTRE)
    c = signer_note(texte, NOM, AUTRE)  # same name, another key (e.g. after rotation)

    def ligne(note: str) -> str:
        return note[len(texte) + 1 :]

    note = texte + "\n" + ligne(b) + ligne(c) + ligne(a)
    assert verifier_note(note, NOM, CLE.public_key()) == texte
    assert verifier_note(note, "temoin.example", AUTRE.public_key()) == texte
    assert verifier_note(note, NOM, AUTRE.public_key()) == texte
    with pytest.raises(NoteInvalide, match="aucune signature de la clé temoin.example"):
        verifier_note(a, "temoin.example", AUTRE.public_key())
    with pytest.raises(NoteInvalide, match="signe plusieurs fois"):
        verifier_note(a + ligne(a), NOM, CLE.public_key())


def test_signature_invalide() -> None:
    autre = signer_note("b\n", NOM, CLE)
    falsifiee = "a\n\n" + autre.split("\n\n", 1)[1]  # b's signature under a's text
    with pytest.raises(NoteInvalide, match="signature invalide de la clé"):
        verifier_note(falsifiee, NOM, CLE.public_key())
    # a signature line of the right key id but of the wrong length
    identifiant = id_cle(NOM, _brute(CLE))
    courte = f"a\n\n\u2014 {NOM} {base64.b64encode(identifiant + b'x' * 63).decode()}\n"
    with pytest.raises(NoteInvalide, match="63 octets, attendu 64"):
        verifier_note(courte, NOM, CLE.public_key())


@pytest.mark.parametrize(
    "note, message",
    [
        ("a\n\u2014 n AAAAAAA=\n", "pas de ligne vide"),
        ("a\n\n\u2014 n AAAAAAA=", "finir par un saut de ligne"),
        ("a\n\n", "aucune ligne de signature"),
        ("a\n\n- n AAAAAAA=\n", "ne commence pas par"),
        ("a\n\n\u2014 nAAAAAAA=\n", "pas d'espace"),
        ("a\n\n\u2014 n+x AAAAAAA=\n", "contenant '\\+'"),
        ("a\n\n\u2014  AAAAAAA=\n", "nom de clé vide"),
        ("a\n\n\u2014 n AAAAAAB=\n", "non canonique"),
        ("a\n\n\u2014 n AAAAAAA\n", "base64 invalide"),
        ("a\n\n\u2014 n AAAA AAA=\n", "base64 invalide"),
        ("a\n\n\u2014 n AAAAAAAAAAAAAAAAAAAAAAAA=\n", "base64"),
        ("a\n\n\u2014 n AAAA\n", "trop courte"),
        ("a\tb\n\n\u2014 n AAAAAAA=\n", "U\\+0009"),
        ("a\rb\n\n\u2014 n AAAAAAA=\n", "U\\+000D"),
        ("a\x85\n\n\u2014 n AAAAAAA=\n", "U\\+0085"),
        ("a\ud800\n\n\u2014 n AAAAAAA=\n", "substitution"),
        (b"a\xff\n\n\xe2\x80\x94 n AAAAAAA=\n", "UTF-8 invalide"),
        ("a\n\n" + "\u2014 n AAAAAAA=\n" * 101, "plus de 100 lignes"),
        ("a" * (1 << 20) + "\n\n\u2014 n AAAAAAA=\n", "plus de 1048576 octets"),
    ],
)
def test_notes_malformees(note: str | bytes, message: str) -> None:
    """Malformed notes are refused even when the broken line belongs to an unknown key."""
    with pytest.raises(NoteInvalide, match=message):
        verifier_note(note, NOM, CLE.public_key())


@pytest.mark.parametrize(
    "texte, nom, message",
    [
        ("a", NOM, "finir par un saut de ligne"),
        ("a\x00\n", NOM, "U\\+0000"),
        ("a\n", "", "nom de clé vide"),
        ("a\n", "a b", "espace"),
        ("a\n", "a+b", "'\\+'"),
        ("a\n", "a\u00a0b", "espace"),
    ],
)
def test_signature_refusee(texte: str, nom: str, message: str) -> None:
    with pytest.raises(NoteInvalide, match=message):
        signer_note(texte, nom, CLE)


# --------------------------------------------------------------------------- checkpoints


def test_checkpoint_texte() -> None:
    racine = bytes(range(32))
    cp = Checkpoint("example.com/log", 0, racine, ("ext 1", "ext 2"))
    assert cp.texte() == (
        "example.com/log\n0\n" + base64.b64encode(racine).decode() + "\next 1\next 2\n"
    )
    assert analyser_checkpoint(cp.texte()) == cp
    note = signer_checkpoint(CHECKPOINT, NOM, CLE)
    assert verifier_checkpoint(note, NOM, CLE.public_key(), NOM) == CHECKPOINT
    with pytest.raises(CheckpointInvalide, match="checkpoint du journal"):
        verifier_checkpoint(note, NOM, CLE.public_key(), "autre.example/journal")


RACINE_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "texte, message",
    [
        (f"o\n1\n{RACINE_B64}", "finir par un saut de ligne"),
        ("o\n1\n", "2 lignes"),
        (f"\n1\n{RACINE_B64}\n", "ligne d'origine vide"),
        (f"o\n01\n{RACINE_B64}\n", "sans zéro initial"),
        (f"o\n+1\n{RACINE_B64}\n", "sans zéro initial"),
        (f"o\n 1\n{RACINE_B64}\n", "sans zéro initial"),
        (f"o\n\u0661\n{RACINE_B64}\n", "sans zéro initial"),
        (f"o\n-0\n{RACINE_B64}\n", "sans zéro initial"),
        (f"o\n18446744073709551616\n{RACINE_B64}\n", "2\\*\\*64"),
        (f"o\n1\n{base64.b64encode(bytes(31)).decode()}\n", "31 octets"),
        ("o\n1\n" + RACINE_B64[:-2] + "B=\n", "non canonique"),
        (f"o\n1\n{RACINE_B64.rstrip('=')}\n", "base64 invalide"),
        (f"o\n1\n{RACINE_B64}\n\n", "ligne d'extension 1 vide"),
        (f"o\x7f\n1\n{RACINE_B64}\n", "U\\+007F"),
    ],
)
def test_checkpoint_strict(texte: str, message: str) -> None:
    with pytest.raises(CheckpointInvalide, match=message):
        analyser_checkpoint(texte)


def test_checkpoint_construction_validee() -> None:
    with pytest.raises(CheckpointInvalide, match="ligne d'origine vide"):
        Checkpoint("", 1, bytes(32))
    with pytest.raises(CheckpointInvalide, match="saut de ligne"):
        Checkpoint("a\nb", 1, bytes(32))
    with pytest.raises(CheckpointInvalide, match="entier de"):
        Checkpoint("o", True, bytes(32))
    with pytest.raises(CheckpointInvalide, match="entier de"):
        Checkpoint("o", 1 << 64, bytes(32))
    with pytest.raises(CheckpointInvalide, match="32 octets"):
        Checkpoint("o", 1, bytes(33))
    with pytest.raises(CheckpointInvalide, match="ligne d'extension 1 vide"):
        Checkpoint("o", 1, bytes(32), ("",))


lignes = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
)
checkpoints = st.builds(
    Checkpoint,
    origine=lignes,
    taille=st.integers(0, (1 << 64) - 1),
    racine=st.binary(min_size=32, max_size=32),
    extensions=st.lists(lignes, max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(cp=checkpoints)
def test_checkpoint_aller_retour(cp: Checkpoint) -> None:
    assert analyser_checkpoint(cp.texte()) == cp
    note = signer_checkpoint(cp, NOM, CLE)
    assert verifier_checkpoint(note, NOM, CLE.public_key(), cp.origine) == cp


# --------------------------------------------------------------------------- tampering


def _verifie(note: bytes, origine: str = NOM) -> Checkpoint:
    return verifier_checkpoint(note, NOM, CLE.public_key(), origine)


@settings(max_examples=300, deadline=None)
@given(cp=checkpoints, data=st.data())
def test_toute_alteration_d_un_octet_est_detectee(cp: Checkpoint, data: st.DataObject) -> None:
    note = signer_checkpoint(cp, NOM, CLE).encode("utf-8")
    position = data.draw(st.integers(0, len(note) - 1), label="position")
    octet = data.draw(st.integers(0, 255).filter(lambda b: b != note[position]), label="octet")
    alteree = note[:position] + bytes([octet]) + note[position + 1 :]
    with pytest.raises(NoteInvalide):
        _verifie(alteree, cp.origine)


def test_alterations_exhaustives() -> None:
    """Every substitution, deletion and insertion of one byte, at every position of one note."""
    note = signer_checkpoint(Checkpoint(NOM, 7, bytes(range(32)), ("ext",)), NOM, CLE).encode("utf-8")
    assert _verifie(note).taille == 7
    refusees = 0
    for position in range(len(note) + 1):
        variantes = [note[:position] + bytes([b]) + note[position:] for b in (0x0A, 0x20, 0x41, 0x3D, 0xE2)]
        if position < len(note):
            variantes.append(note[:position] + note[position + 1 :])
            variantes += [note[:position] + bytes([b]) + note[position + 1 :] for b in range(256) if b != note[position]]
        for variante in variantes:
            with pytest.raises(NoteInvalide):
                _verifie(variante)
            refusees += 1
    assert refusees > 255 * len(note)
