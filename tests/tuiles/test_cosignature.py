"""C2SP tlog-cosignature v1, checked against the spec's formulas recomputed here by hand."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from passerelle.journal.note import NoteInvalide, signer_note
from passerelle.journal.cosignature_temoin import (
    analyser_cle_temoin,
    cle_temoin_texte,
    cosigner,
    lignes_de_signature,
    verifier_cosignature,
)

TEXTE = "exemple.org/journal\n42\n" + base64.b64encode(b"\x07" * 32).decode() + "\n"


def _brute(cle: Ed25519PrivateKey) -> bytes:
    return cle.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_ligne_et_cle_selon_la_specification() -> None:
    cle = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    nom = "temoin.exemple"
    ligne = cosigner(TEXTE, nom, cle, 1_700_000_000)
    assert ligne.startswith("\u2014 temoin.exemple ") and ligne.endswith("\n")
    brute = base64.b64decode(ligne.split(" ")[2])
    identifiant = hashlib.sha256(nom.encode() + b"\n\x04" + _brute(cle)).digest()[:4]
    assert brute[:4] == identifiant and len(brute) == 4 + 8 + 64
    assert int.from_bytes(brute[4:12], "big") == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + TEXTE.encode()
    cle.public_key().verify(brute[12:], message)  # raises if the signed message is not the spec's
    texte_cle = cle_temoin_texte(nom, cle.public_key())
    assert texte_cle == f"{nom}+{identifiant.hex()}+" + base64.b64encode(b"\x04" + _brute(cle)).decode()
    assert analyser_cle_temoin(texte_cle)[0] == nom

    texte, (signature,) = lignes_de_signature(TEXTE + "\n" + ligne)
    assert verifier_cosignature(texte, signature, nom, cle.public_key()) == 1_700_000_000


def test_une_signature_de_journal_n_est_pas_une_cosignature() -> None:
    cle = Ed25519PrivateKey.generate()
    note = signer_note(TEXTE, "temoin.exemple", cle)  # type 0x01 with the same key and name
    texte, (signature,) = lignes_de_signature(note)
    with pytest.raises(NoteInvalide):
        verifier_cosignature(texte, signature, "temoin.exemple", cle.public_key())
    ligne = cosigner(TEXTE, "temoin.exemple", cle, 5)
    texte, (signature,) = lignes_de_signature(TEXTE.replace("42", "43") + "\n" + ligne)
    with pytest.raises(NoteInvalide):
        verifier_cosignature(texte, signature, "temoin.exemple", cle.public_key())
    for mauvaise in ("sansplus", "a+zzzz+AA==", cle_temoin_texte("a", cle.public_key()).replace("+", "+0", 1)):
        with pytest.raises(NoteInvalide):
            analyser_cle_temoin(mauvaise)


def test_la_demande_aux_temoins_ne_leve_jamais(tmp_path: Path) -> None:
    """The sequencer's hook: an unreachable witness is a logged failure, nothing raised."""
    from passerelle.stockage.base import migrer, ouvrir
    from passerelle.temoin import demande

    moteur = ouvrir(f"sqlite:///{tmp_path / 'p.db'}")
    migrer(moteur)
    from datetime import UTC, datetime

    from passerelle.journal.sequenceur import integrer

    with moteur.begin() as connexion:  # a signed checkpoint (the empty tree) to ask about
        integrer(connexion, Ed25519PrivateKey.generate(), "o.exemple/journal", "o.exemple/journal",
                 datetime(2026, 11, 23, tzinfo=UTC), lot_max=10)
    cle = cle_temoin_texte("temoin.absent", Ed25519PrivateKey.generate().public_key())
    (tmp_path / "temoins.yaml").write_text(yaml.safe_dump({"delai_secondes": 0.5, "temoins": [
        {"nom": "temoin.absent", "url": "http://127.0.0.1:9", "cle": cle}]}))

    async def un_tour() -> list[demande.Resultat]:
        demande.lancer_cosignatures(moteur, tmp_path, None)  # type: ignore[arg-type]
        (tache,) = demande._EN_COURS
        return await tache

    (resultat,) = asyncio.run(un_tour())
    assert not resultat.ok and resultat.detail.startswith("ConnectError"), resultat
    (tmp_path / "temoins.yaml").write_text("temoins: [{nom: x}]")
    with pytest.raises(ValueError):
        demande.charger_temoins(tmp_path)
    moteur.dispose()
