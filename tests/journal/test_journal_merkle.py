"""RFC 9162 Merkle tree: published vectors, the pymerkle oracle, storage addressing, tampering."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InclusionProof, InmemoryTree

from passerelle.journal.merkle import (
    RACINE_VIDE,
    Adresse,
    ArbreCompact,
    NoeudCree,
    PreuveInvalide,
    adresses_frontiere,
    hash_feuille,
    hash_noeud,
    noeuds_coherence,
    noeuds_inclusion,
    preuve_coherence,
    preuve_coherence_liste,
    preuve_inclusion,
    preuve_inclusion_liste,
    racine,
    racine_depuis,
    racine_depuis_inclusion,
    verifier_coherence,
    verifier_inclusion,
)

VECTEURS: dict[str, Any] = json.loads(
    resources.files("passerelle.journal").joinpath("merkle_vecteurs.json").read_text("utf-8")
)
ENTREES = [bytes.fromhex(x) for x in VECTEURS["entrees"]]
FEUILLES = [hash_feuille(x) for x in ENTREES]


def _h(x: str) -> bytes:
    return bytes.fromhex(x)


def _oracle(donnees: list[bytes]) -> InmemoryTree:
    """pymerkle with its default security mode: SHA-256 with 0x00 / 0x01 prefixes, as RFC 9162."""
    return InmemoryTree.init_from_entries(donnees, algorithm="sha256")


def _stockage(feuilles: list[bytes]) -> dict[tuple[int, int], bytes]:
    """What the sequencer stores: every complete subtree, produced by ArbreCompact."""
    _, crees = ArbreCompact().ajouter(feuilles)
    return {(n.niveau, n.index): n.hash for n in crees}


def _lecteur(stock: dict[tuple[int, int], bytes], taille: int, lus: list[Adresse]) -> Callable[[int, int], bytes]:
    """A ``lire`` that refuses any node not yet complete at ``taille``: historical proofs must not
    depend on leaves appended later."""

    def lire(niveau: int, index: int) -> bytes:
        assert (index + 1) << niveau <= taille, f"nœud ({niveau}, {index}) incomplet à la taille {taille}"
        lus.append(Adresse(niveau, index))
        return stock[(niveau, index)]

    return lire


def _cotes(index: int, taille: int) -> list[bool]:
    """For each inclusion path element, whether the sibling is on the left of the leaf."""
    return [n.fin <= index for n in noeuds_inclusion(index, taille)]


def _forme(ancienne: int, nouvelle: int) -> tuple[bool, list[bool]]:
    """What the consistency verifier does: start from the old root (power of two) or from the
    first hash, then fold each hash on the left (inside the old tree) or on the right."""
    return ancienne & (ancienne - 1) == 0, [n.fin <= ancienne for n in noeuds_coherence(ancienne, nouvelle)]


# --------------------------------------------------------------------------- primitives


def test_primitives_rfc9162() -> None:
    assert hash_feuille(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert hash_noeud(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    assert racine([]) == RACINE_VIDE == hashlib.sha256(b"").digest()
    assert RACINE_VIDE.hex() == VECTEURS["racine_vide"]
    assert ArbreCompact().racine() == RACINE_VIDE
    assert racine_depuis(0, lambda n, i: pytest.fail("rien à lire")) == RACINE_VIDE


# --------------------------------------------------------------------------- vectors


@pytest.mark.parametrize("v", VECTEURS["publies"]["racines"], ids=lambda v: f"taille{v['taille']}")
def test_vecteurs_publies_racines(v: dict[str, Any]) -> None:
    taille = v["taille"]
    attendu = _h(v["racine"])
    assert racine(FEUILLES[:taille]) == attendu
    assert ArbreCompact().ajouter(FEUILLES[:taille])[0].racine() == attendu
    stock = _stockage(FEUILLES)
    assert racine_depuis(taille, _lecteur(stock, taille, [])) == attendu


@pytest.mark.parametrize("v", VECTEURS["publies"]["inclusion"], ids=lambda v: f"{v['index']}de{v['taille']}")
def test_vecteurs_publies_inclusion(v: dict[str, Any]) -> None:
    index, taille, chemin = v["index"], v["taille"], [_h(x) for x in v["chemin"]]
    assert preuve_inclusion_liste(index, FEUILLES[:taille]) == chemin
    assert preuve_inclusion(index, taille, _lecteur(_stockage(FEUILLES), taille, [])) == chemin
    verifier_inclusion(index, taille, FEUILLES[index], chemin, racine(FEUILLES[:taille]))


@pytest.mark.parametrize("v", VECTEURS["publies"]["coherence"], ids=lambda v: f"{v['de']}a{v['a']}")
def test_vecteurs_publies_coherence(v: dict[str, Any]) -> None:
    de, a, chemin = v["de"], v["a"], [_h(x) for x in v["chemin"]]
    assert preuve_coherence_liste(de, FEUILLES[:a]) == chemin
    assert preuve_coherence(de, a, _lecteur(_stockage(FEUILLES), a, [])) == chemin
    verifier_coherence(de, a, racine(FEUILLES[:de]), racine(FEUILLES[:a]), chemin)


def test_vecteurs_pymerkle_recalcules() -> None:
    """The 'computed' part of the JSON file is what pymerkle says, and what we say."""
    calcules = VECTEURS["calcules_pymerkle"]
    oracle = _oracle(ENTREES)
    assert [f.hex() for f in FEUILLES] == calcules["feuilles"]
    for v in calcules["racines"]:
        assert oracle.get_root(v["taille"]).hex() == v["racine"]
        assert racine(FEUILLES[: v["taille"]]).hex() == v["racine"]
    assert len(calcules["inclusion"]) == sum(range(1, 9))
    for v in calcules["inclusion"]:
        index, taille = v["index"], v["taille"]
        assert [h.hex() for h in oracle.prove_inclusion(index + 1, taille).path[1:]] == v["chemin"]
        assert [h.hex() for h in preuve_inclusion_liste(index, FEUILLES[:taille])] == v["chemin"]


# --------------------------------------------------------------------------- exhaustive small trees


def test_exhaustif_petits_arbres() -> None:
    """Every (index, size) and (old, new) up to 64 leaves: storage == list == verifies."""
    feuilles = [hash_feuille(i.to_bytes(2, "big")) for i in range(64)]
    stock = _stockage(feuilles)
    racines = [racine(feuilles[:n]) for n in range(65)]
    for n in range(0, 65):
        lus: list[Adresse] = []
        assert racine_depuis(n, _lecteur(stock, n, lus)) == racines[n]
        assert lus[::-1] == adresses_frontiere(n) and len(lus) == n.bit_count()
        for i in range(n):
            lus = []
            chemin = preuve_inclusion(i, n, _lecteur(stock, n, lus))
            assert chemin == preuve_inclusion_liste(i, feuilles[:n])
            assert len(lus) <= 2 * n.bit_length()
            verifier_inclusion(i, n, feuilles[i], chemin, racines[n])
        for m in range(0, n + 1):
            lus = []
            chemin = preuve_coherence(m, n, _lecteur(stock, n, lus))
            assert chemin == preuve_coherence_liste(m, feuilles[:n])
            assert len(lus) <= 2 * n.bit_length() + 1
            verifier_coherence(m, n, racines[m], racines[n], chemin)


def test_noeuds_decrivent_des_sous_arbres_contigus() -> None:
    """Each proof element covers a contiguous range made of aligned complete subtrees."""
    for n in range(1, 130):
        for i in range(n):
            for noeud in noeuds_inclusion(i, n):
                assert noeud.fin <= n and not (noeud.debut <= i < noeud.fin)
                for a, b in zip(noeud.parties, noeud.parties[1:]):
                    assert a.fin == b.debut and a.niveau > b.niveau
    assert noeuds_inclusion(5, 7)[0].parties == (Adresse(0, 4),)
    assert noeuds_inclusion(0, 7)[-1].parties == (Adresse(1, 2), Adresse(0, 6))


# --------------------------------------------------------------------------- oracle (Hypothesis)

donnees_uniques = st.lists(st.binary(max_size=12), min_size=1, max_size=300, unique=True)


@settings(max_examples=60, deadline=None)
@given(donnees=donnees_uniques, data=st.data())
def test_racine_et_inclusion_comme_pymerkle(donnees: list[bytes], data: st.DataObject) -> None:
    oracle = _oracle(donnees)
    feuilles = [hash_feuille(d) for d in donnees]
    n = len(feuilles)
    stock = _stockage(feuilles)
    taille = data.draw(st.integers(1, n), label="taille")
    r = racine(feuilles[:taille])
    assert r == oracle.get_root(taille)
    assert racine_depuis(taille, _lecteur(stock, taille, [])) == r
    for index in data.draw(st.lists(st.integers(0, taille - 1), min_size=1, max_size=8), label="index"):
        chemin = preuve_inclusion(index, taille, _lecteur(stock, taille, []))
        assert chemin == preuve_inclusion_liste(index, feuilles[:taille])
        preuve_pymerkle = oracle.prove_inclusion(index + 1, taille)
        assert chemin == preuve_pymerkle.path[1:]
        verifier_inclusion(index, taille, feuilles[index], chemin, r)
        # and pymerkle's own verifier accepts our path
        InclusionProof("sha256", True, taille, index + 1, preuve_pymerkle.rule, [feuilles[index], *chemin]).verify(
            feuilles[index], r, index=index + 1, size=taille
        )


@settings(max_examples=60, deadline=None)
@given(donnees=donnees_uniques, data=st.data())
def test_coherence_contre_racines_pymerkle(donnees: list[bytes], data: st.DataObject) -> None:
    oracle = _oracle(donnees)
    feuilles = [hash_feuille(d) for d in donnees]
    stock = _stockage(feuilles)
    nouvelle = data.draw(st.integers(0, len(feuilles)), label="nouvelle")
    ancienne = data.draw(st.integers(0, nouvelle), label="ancienne")
    chemin = preuve_coherence(ancienne, nouvelle, _lecteur(stock, nouvelle, []))
    assert chemin == preuve_coherence_liste(ancienne, feuilles[:nouvelle])
    verifier_coherence(ancienne, nouvelle, oracle.get_root(ancienne), oracle.get_root(nouvelle), chemin)


@settings(max_examples=60, deadline=None)
@given(donnees=donnees_uniques, lots=st.lists(st.integers(0, 40), max_size=12))
def test_arbre_compact_cree_chaque_sous_arbre_complet_une_fois(donnees: list[bytes], lots: list[int]) -> None:
    feuilles = [hash_feuille(d) for d in donnees]
    arbre, crees, position = ArbreCompact(), [], 0
    for lot in [*lots, len(feuilles)]:
        arbre, nouveaux = arbre.ajouter(feuilles[position : position + lot])
        position = min(position + lot, len(feuilles))
        crees += nouveaux
        assert arbre.taille == position
        assert arbre.racine() == racine(feuilles[:position])
        stock = {(c.niveau, c.index): c.hash for c in crees}
        assert ArbreCompact.depuis_stockage(position, lambda n, i: stock[(n, i)]) == arbre
    n = len(feuilles)
    attendus = {(niv, i) for niv in range(n.bit_length()) for i in range(n >> niv)}
    assert [(c.niveau, c.index) for c in crees] == sorted(
        attendus, key=lambda a: ((a[1] + 1) << a[0], a[0])
    ), "chaque nœud complet créé une fois, parents après enfants"
    for c in crees:
        assert c.hash == racine(feuilles[c.index << c.niveau : (c.index + 1) << c.niveau])


# --------------------------------------------------------------------------- tampering (Hypothesis)


@settings(max_examples=80, deadline=None)
@given(donnees=donnees_uniques, data=st.data())
def test_inclusion_alteree_refusee(donnees: list[bytes], data: st.DataObject) -> None:
    feuilles = [hash_feuille(d) for d in donnees]
    n = len(feuilles)
    index = data.draw(st.integers(0, n - 1), label="index")
    chemin = preuve_inclusion_liste(index, feuilles)
    r = racine(feuilles)
    verifier_inclusion(index, n, feuilles[index], chemin, r)
    # any bit of any path hash
    if chemin:
        k = data.draw(st.integers(0, len(chemin) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        altere = list(chemin)
        altere[k] = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(altere[k]))
        with pytest.raises(PreuveInvalide):
            verifier_inclusion(index, n, feuilles[index], altere, r)
    # any bit of the leaf or the root
    bit = data.draw(st.integers(0, 255), label="bit feuille")
    masque = (1 << bit).to_bytes(32, "big")
    with pytest.raises(PreuveInvalide):
        verifier_inclusion(index, n, bytes(a ^ b for a, b in zip(feuilles[index], masque)), chemin, r)
    with pytest.raises(PreuveInvalide):
        verifier_inclusion(index, n, feuilles[index], chemin, bytes(a ^ b for a, b in zip(r, masque)))
    # another index: always refused (distinct leaves)
    autre = data.draw(st.integers(0, n + 3).filter(lambda i: i != index), label="autre index")
    with pytest.raises(PreuveInvalide):
        verifier_inclusion(autre, n, feuilles[index], chemin, r)
    # another size: refused unless it has exactly the same left/right shape — an inclusion proof
    # alone does not bind the size; the signed checkpoint (size, root) does.
    taille = data.draw(st.integers(index + 1, 2 * n + 2).filter(lambda t: t != n), label="autre taille")
    if _cotes(index, taille) == _cotes(index, n):
        verifier_inclusion(index, taille, feuilles[index], chemin, r)
    else:
        with pytest.raises(PreuveInvalide):
            verifier_inclusion(index, taille, feuilles[index], chemin, r)
    # one hash more or less
    with pytest.raises(PreuveInvalide, match="attendu"):
        verifier_inclusion(index, n, feuilles[index], [*chemin, r], r)
    if chemin:
        with pytest.raises(PreuveInvalide, match="attendu"):
            verifier_inclusion(index, n, feuilles[index], chemin[:-1], r)


@settings(max_examples=80, deadline=None)
@given(donnees=donnees_uniques, data=st.data())
def test_coherence_alteree_refusee(donnees: list[bytes], data: st.DataObject) -> None:
    feuilles = [hash_feuille(d) for d in donnees]
    n = len(feuilles)
    m = data.draw(st.integers(1, n), label="ancienne")
    chemin = preuve_coherence_liste(m, feuilles)
    ra, rn = racine(feuilles[:m]), racine(feuilles)
    verifier_coherence(m, n, ra, rn, chemin)
    if chemin:
        k = data.draw(st.integers(0, len(chemin) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        altere = list(chemin)
        altere[k] = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(altere[k]))
        with pytest.raises(PreuveInvalide):
            verifier_coherence(m, n, ra, rn, altere)
    bit = data.draw(st.integers(0, 255), label="bit racine")
    masque = (1 << bit).to_bytes(32, "big")
    with pytest.raises(PreuveInvalide):
        verifier_coherence(m, n, bytes(a ^ b for a, b in zip(ra, masque)), rn, chemin)
    with pytest.raises(PreuveInvalide):
        verifier_coherence(m, n, ra, bytes(a ^ b for a, b in zip(rn, masque)), chemin)
    # other sizes: refused unless the verifier would do exactly the same computation — like an
    # inclusion proof, a consistency proof alone does not bind the sizes; the checkpoints do.
    for autre_m, autre_n in [
        (data.draw(st.integers(0, n + 2).filter(lambda x: x != m), label="autre ancienne"), n),
        (m, data.draw(st.integers(m, 2 * n + 2).filter(lambda x: x != n), label="autre nouvelle")),
    ]:
        if autre_m <= autre_n and 0 < autre_m < autre_n and _forme(autre_m, autre_n) == _forme(m, n):
            verifier_coherence(autre_m, autre_n, ra, rn, chemin)
        else:
            with pytest.raises(PreuveInvalide):
                verifier_coherence(autre_m, autre_n, ra, rn, chemin)


# --------------------------------------------------------------------------- fail closed


def test_messages_precis() -> None:
    f = FEUILLES
    r8 = racine(f)
    chemin = preuve_inclusion_liste(5, f)
    with pytest.raises(PreuveInvalide, match=r"index 8 hors de l'arbre de taille 8"):
        verifier_inclusion(8, 8, f[0], chemin, r8)
    with pytest.raises(PreuveInvalide, match=r"2 hashes .* attendu 3"):
        verifier_inclusion(5, 8, f[5], chemin[:2], r8)
    with pytest.raises(PreuveInvalide, match="mène à la racine"):
        verifier_inclusion(5, 8, f[4], chemin, r8)
    with pytest.raises(PreuveInvalide, match="ancienne taille 5 > nouvelle taille 4"):
        verifier_coherence(5, 4, r8, r8, [])
    with pytest.raises(PreuveInvalide, match="deux racines différentes pour la même taille"):
        verifier_coherence(8, 8, r8, racine(f[:7]), [])
    with pytest.raises(PreuveInvalide, match=r"arbre vide"):
        verifier_coherence(0, 8, r8, r8, [])
    verifier_coherence(0, 8, RACINE_VIDE, r8, [])
    verifier_coherence(0, 0, RACINE_VIDE, RACINE_VIDE, [])
    with pytest.raises(PreuveInvalide, match=r"arbre vide"):
        verifier_coherence(0, 0, r8, r8, [])
    with pytest.raises(PreuveInvalide, match="0 hashes .* attendu 3"):
        verifier_coherence(6, 8, racine(f[:6]), r8, [])
    with pytest.raises(PreuveInvalide, match="ancienne racine"):
        verifier_coherence(6, 8, racine(f[:5]), r8, preuve_coherence_liste(6, f))
    with pytest.raises(PreuveInvalide, match="nouvelle racine"):
        verifier_coherence(6, 8, racine(f[:6]), racine(f[:7]), preuve_coherence_liste(6, f))


@pytest.mark.parametrize(
    "index, taille, feuille, chemin, message",
    [
        (True, 8, FEUILLES[0], [], "index doit être un entier"),
        (-1, 8, FEUILLES[0], [], r"index=-1 hors de \[0, 2\*\*64\)"),
        (0, 1 << 64, FEUILLES[0], [], r"taille=18446744073709551616 hors"),
        (0, 8, FEUILLES[0][:31], [], "feuille fait 31 octets"),
        (0, 8, FEUILLES[0].hex(), [], "feuille doit être des octets"),
        (0, 8, FEUILLES[0], [b"x" * 33], r"chemin\[0\] fait 33 octets"),
        (0, 8, FEUILLES[0], FEUILLES[0], "pas une chaîne"),
    ],
)
def test_entrees_refusees(index: Any, taille: Any, feuille: Any, chemin: Any, message: str) -> None:
    with pytest.raises(PreuveInvalide, match=message):
        verifier_inclusion(index, taille, feuille, chemin, racine(FEUILLES))


def test_generation_hors_bornes() -> None:
    with pytest.raises(ValueError, match="index 3 hors de l'arbre de taille 3"):
        noeuds_inclusion(3, 3)
    with pytest.raises(ValueError, match="ancienne taille 4 > nouvelle taille 3"):
        noeuds_coherence(4, 3)
    with pytest.raises(ValueError):
        preuve_inclusion_liste(0, [])
    with pytest.raises(PreuveInvalide, match="lire"):
        preuve_inclusion(0, 2, lambda n, i: b"court")


def test_racine_depuis_inclusion_et_tres_grand_arbre() -> None:
    """Structure only depends on (index, size): works for sizes near 2**64 without any data."""
    taille = (1 << 64) - 1
    noeuds = noeuds_inclusion(taille - 1, taille)
    assert len(noeuds) == 63
    assert sum(len(n.parties) for n in noeuds) == 63
    assert noeuds[-1].parties == (Adresse(63, 0),)
    # the top right sibling of a consistency proof is the ephemeral right edge [2**63, 2**64 - 1)
    dernier = noeuds_coherence(1 << 40, taille)[-1]
    assert (dernier.debut, dernier.fin) == (1 << 63, taille)
    assert dernier.parties[0] == Adresse(62, 2) and len(dernier.parties) == 63
    assert racine_depuis_inclusion(0, 1, FEUILLES[0], []) == FEUILLES[0]


def test_arbre_compact_refuse_une_frontiere_incoherente() -> None:
    with pytest.raises(PreuveInvalide, match="frontière de 1 hashes pour la taille 3, attendu 2"):
        ArbreCompact(3, (FEUILLES[0],))
    with pytest.raises(PreuveInvalide, match=r"frontiere\[0\] fait 3 octets"):
        ArbreCompact(1, (b"abc",))
    with pytest.raises(PreuveInvalide, match="taille doit être un entier"):
        ArbreCompact(False, ())
    arbre, crees = ArbreCompact().ajouter(FEUILLES[:3])
    assert crees == [
        NoeudCree(0, 0, FEUILLES[0]),
        NoeudCree(0, 1, FEUILLES[1]),
        NoeudCree(1, 0, hash_noeud(FEUILLES[0], FEUILLES[1])),
        NoeudCree(0, 2, FEUILLES[2]),
    ]
    assert arbre.frontiere == (hash_noeud(FEUILLES[0], FEUILLES[1]), FEUILLES[2])
