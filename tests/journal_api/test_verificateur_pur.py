"""The offline verifier on synthetic exports (no database): its fast fold agrees with
ArbreCompact and pymerkle at every checkpoint size, and any altered entry is named exactly."""

from __future__ import annotations

import io
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from passerelle.journal.merkle import ArbreCompact, hash_feuille
from passerelle.journal.note import (
    Checkpoint,
    cle_verification_texte,
    signer_checkpoint,
)
from passerelle.journal.verificateur import FORMAT, VERSION, Rapport, verifier

ORIGINE = "essai.passerelle/journal"
CLE = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CLE_TEXTE = cle_verification_texte(ORIGINE, CLE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def export(entrees: list[bytes], tailles: list[int]) -> dict[str, bytes]:
    """What ``exporter`` writes, built in memory; roots from pymerkle, not from our code."""
    oracle = InmemoryTree.init_from_entries(entrees, algorithm="sha256") if entrees else None
    notes = []
    for taille in tailles:
        racine = oracle.get_root(taille) if taille else ArbreCompact().racine()  # type: ignore[union-attr]
        notes.append(json.dumps(signer_checkpoint(Checkpoint(ORIGINE, taille, racine), ORIGINE, CLE), ensure_ascii=False))
    manifeste = {"format": FORMAT, "version": VERSION, "origine": ORIGINE, "entrees": len(entrees),
                 "checkpoints": len(tailles), "exporte_le": "2026-11-23T10:00:00.000000Z"}
    return {
        "entrees": b"".join(e + b"\n" for e in entrees),
        "feuilles": b"".join(hash_feuille(e) for e in entrees),
        "checkpoints": "".join(n + "\n" for n in notes).encode(),
        "cle": (CLE_TEXTE + "\n").encode(),
        "manifeste": json.dumps(manifeste).encode(),
    }


def verifier_memoire(f: dict[str, bytes]) -> Rapport:
    return verifier(io.BytesIO(f["entrees"]), io.BytesIO(f["feuilles"]), f["checkpoints"], f["cle"], f["manifeste"])


entree = st.binary(min_size=0, max_size=40).filter(lambda b: b"\n" not in b)


@st.composite
def journaux(draw: st.DrawFn) -> tuple[list[bytes], list[int]]:
    entrees = draw(st.lists(entree, min_size=1, max_size=70))
    tailles = sorted(draw(st.sets(st.integers(0, len(entrees) - 1), max_size=6)) | {len(entrees)})
    return entrees, tailles


@settings(max_examples=80, deadline=None)
@given(journal=journaux())
def test_export_valide_verifie(journal: tuple[list[bytes], list[int]]) -> None:
    entrees, tailles = journal
    rapport = verifier_memoire(export(entrees, tailles))
    assert rapport.ok, rapport.texte()
    assert (rapport.entrees, rapport.checkpoints_valides, rapport.taille_prouvee) == (len(entrees), len(tailles), len(entrees))


@settings(max_examples=80, deadline=None)
@given(journal=journaux(), data=st.data())
def test_entrees_alterees_nommees_exactement(journal: tuple[list[bytes], list[int]], data: st.DataObject) -> None:
    entrees, tailles = journal
    fichiers = export(entrees, tailles)
    alterees = data.draw(st.sets(st.integers(0, len(entrees) - 1), min_size=1, max_size=4), label="alterees")
    modifiees = [e + b"!" if i in alterees else e for i, e in enumerate(entrees)]
    rapport = verifier_memoire({**fichiers, "entrees": b"".join(e + b"\n" for e in modifiees)})
    assert not rapport.ok
    assert rapport.nommes("entree") == alterees, rapport.texte()
    assert rapport.taille_prouvee == len(entrees), "les indices authentifiés permettent de tout vérifier"


@settings(max_examples=40, deadline=None)
@given(journal=journaux(), data=st.data())
def test_entree_et_son_hash_alteres_ensemble_bornes_par_l_intervalle(
    journal: tuple[list[bytes], list[int]], data: st.DataObject
) -> None:
    entrees, tailles = journal
    i = data.draw(st.integers(0, len(entrees) - 1), label="index")
    modifiees = [e + b"!" if k == i else e for k, e in enumerate(entrees)]
    fichiers = {**export(entrees, tailles), "entrees": b"".join(e + b"\n" for e in modifiees),
                "feuilles": b"".join(hash_feuille(e) for e in modifiees)}
    rapport = verifier_memoire(fichiers)
    assert not rapport.ok
    debut = max([t for t in tailles if t <= i], default=0)
    fin = min(t for t in tailles if t > i)
    assert rapport.nommes("entree") == set(range(debut, fin)), rapport.texte()
    assert rapport.taille_prouvee == debut
