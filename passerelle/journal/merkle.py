"""RFC 9162 Merkle tree: hashes, roots, inclusion and consistency proofs.

The journal is an append-only RFC 9162 tree (SHA-256, leaf prefix 0x00, node prefix 0x01), so
that any RFC 9162 / RFC 6962 implementation can check what the gateway publishes. This module is
pure: it never stores anything. Storage is the sequencer's business; here we only say

* which stored hashes a proof needs (:func:`noeuds_inclusion`, :func:`noeuds_coherence`),
* how to build a proof or a root from them through a ``lire(niveau, index)`` callback,
* how to verify a proof (:func:`verifier_inclusion`, :func:`verifier_coherence`),
* how to append leaves to a compact range (:class:`ArbreCompact`) and learn which new complete
  subtrees must be stored.

Storage model. The sequencer stores the hash of every *complete* (perfect) subtree, addressed
``(niveau, index)``: level 0 holds the leaf hashes, and node ``(n, i)`` covers the leaves
``[i * 2**n, (i + 1) * 2**n)``. Such a node exists in a tree of size ``N`` as soon as
``(i + 1) * 2**n <= N`` and never changes afterwards (append-only), so a hash computed once is
valid for every later size. A hash that a proof needs on the non-full right edge of a tree is not
stored: it is the "ephemeral" fold, right to left, of a few stored complete subtrees (a
:class:`Noeud` with more than one part). Everything is therefore O(log n) reads per proof.

Indices are 0-based, as in RFC 9162. Sizes are bounded by 2**64 like the RFC's uint64.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "TAILLE_HASH",
    "TAILLE_MAX",
    "RACINE_VIDE",
    "PreuveInvalide",
    "Adresse",
    "Noeud",
    "NoeudCree",
    "ArbreCompact",
    "Lecteur",
    "hash_feuille",
    "hash_noeud",
    "racine",
    "adresses_frontiere",
    "noeuds_inclusion",
    "noeuds_coherence",
    "calculer_noeud",
    "racine_depuis",
    "preuve_inclusion",
    "preuve_coherence",
    "preuve_inclusion_liste",
    "preuve_coherence_liste",
    "verifier_inclusion",
    "verifier_coherence",
    "racine_depuis_inclusion",
]

TAILLE_HASH = 32
"""SHA-256 digest length; every hash handled here has exactly this length."""

TAILLE_MAX = 1 << 64
"""Sizes and indices are RFC 9162 uint64 values: anything at or above this is refused."""

RACINE_VIDE = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() (RFC 9162 §2.1.1): the root of the empty tree."""

_PREFIXE_FEUILLE = b"\x00"
_PREFIXE_NOEUD = b"\x01"


class PreuveInvalide(ValueError):
    """A proof, a hash or a size that does not check out; the message says exactly what."""


Lecteur = Callable[[int, int], bytes]
"""``lire(niveau, index)`` returns the stored hash of the complete subtree ``(niveau, index)``."""


@dataclass(frozen=True, slots=True)
class Adresse:
    """Address of a complete subtree: covers leaves ``[index * 2**niveau, (index + 1) * 2**niveau)``."""

    niveau: int
    index: int

    @property
    def debut(self) -> int:
        """First leaf covered."""
        return self.index << self.niveau

    @property
    def fin(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.niveau


@dataclass(frozen=True, slots=True)
class Noeud:
    """One hash of a proof, described as stored complete subtrees.

    ``parties`` lists the complete subtrees left to right (largest first); the hash is their fold
    from right to left: ``H(p0, H(p1, ... H(p_{k-2}, p_{k-1})))``. A single part is a stored node;
    several parts make the "ephemeral" node of a non-full right edge, which nobody stores because
    it changes with every append.
    """

    parties: tuple[Adresse, ...]

    @property
    def debut(self) -> int:
        """First leaf covered."""
        return self.parties[0].debut

    @property
    def fin(self) -> int:
        """One past the last leaf covered."""
        return self.parties[-1].fin


@dataclass(frozen=True, slots=True)
class NoeudCree:
    """A complete subtree that just came into existence and must be stored by the sequencer."""

    niveau: int
    index: int
    hash: bytes


# --------------------------------------------------------------------------- checks


def _entier(nom: str, valeur: object) -> int:
    """Refuse bools, non-ints and values outside [0, 2**64): sizes come from untrusted JSON."""
    if type(valeur) is not int:
        raise PreuveInvalide(f"{nom} doit être un entier, reçu {type(valeur).__name__}")
    if not 0 <= valeur < TAILLE_MAX:
        raise PreuveInvalide(f"{nom}={valeur} hors de [0, 2**64)")
    return valeur


def _hash(nom: str, valeur: object) -> bytes:
    """Refuse anything that is not exactly a SHA-256 digest, so that a short value never folds."""
    if not isinstance(valeur, bytes):
        raise PreuveInvalide(f"{nom} doit être des octets, reçu {type(valeur).__name__}")
    if len(valeur) != TAILLE_HASH:
        raise PreuveInvalide(f"{nom} fait {len(valeur)} octets, attendu {TAILLE_HASH}")
    return valeur


def _egaux(a: bytes, b: bytes) -> bool:
    """Constant-time comparison; cheap, and removes one thing to argue about."""
    return hmac.compare_digest(a, b)


# --------------------------------------------------------------------------- hashing


def hash_feuille(donnees: bytes) -> bytes:
    """Leaf hash SHA-256(0x00 || donnees): the prefix keeps leaves and nodes apart (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_PREFIXE_FEUILLE + donnees).digest()


def hash_noeud(gauche: bytes, droite: bytes) -> bytes:
    """Interior node hash SHA-256(0x01 || gauche || droite) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_PREFIXE_NOEUD + gauche + droite).digest()


def racine(feuilles: Sequence[bytes]) -> bytes:
    """MTH over leaf *hashes* (RFC 9162 §2.1.1), in O(n) without recursion.

    Pairing each level left to right and promoting an unpaired last node unchanged builds exactly
    the RFC tree (left subtree = largest power of two strictly below the width). Kept independent
    from :class:`ArbreCompact` so that each checks the other.
    """
    niveau = [_hash(f"feuilles[{i}]", h) for i, h in enumerate(feuilles)]
    if not niveau:
        return RACINE_VIDE
    while len(niveau) > 1:
        suivant = [hash_noeud(niveau[i], niveau[i + 1]) for i in range(0, len(niveau) - 1, 2)]
        if len(niveau) % 2:
            suivant.append(niveau[-1])
        niveau = suivant
    return niveau[0]


# --------------------------------------------------------------------------- structure


def _plus_grande_puissance_inferieure(n: int) -> int:
    """k = largest power of two with k < n (n >= 2): the RFC 9162 split point."""
    return 1 << ((n - 1).bit_length() - 1)


def _plage(debut: int, fin: int) -> Noeud:
    """Describe the RFC subtree over leaves [debut, fin) as stored complete subtrees.

    Every subtree that appears in an RFC 9162 proof starts on a multiple of a power of two at
    least as large as its width, so greedily taking the largest power of two that fits gives
    aligned complete subtrees; the right-to-left fold of those is the RFC split applied
    recursively. The alignment is checked rather than assumed.
    """
    if not 0 <= debut < fin:
        raise ValueError(f"plage de feuilles vide ou négative [{debut}, {fin})")
    parties: list[Adresse] = []
    position = debut
    while position < fin:
        niveau = (fin - position).bit_length() - 1
        if position % (1 << niveau):
            raise ValueError(f"plage [{debut}, {fin}) non alignée sur l'arbre RFC 9162")
        parties.append(Adresse(niveau, position >> niveau))
        position += 1 << niveau
    return Noeud(tuple(parties))


def adresses_frontiere(taille: int) -> list[Adresse]:
    """Complete subtrees whose fold is the root of a tree of ``taille`` leaves (left to right).

    These are the "frontier" an :class:`ArbreCompact` keeps; one per set bit of ``taille``.
    """
    _entier("taille", taille)
    if taille == 0:
        return []
    return list(_plage(0, taille).parties)


def noeuds_inclusion(index: int, taille: int) -> list[Noeud]:
    """Which hashes make up PATH(index, D[taille]) (RFC 9162 §2.1.3.1), bottom-up.

    Walks the RFC recursion from the root down to the leaf, noting the sibling subtree at each
    step, then reverses because the RFC path lists the deepest sibling first.
    """
    _entier("index", index)
    _entier("taille", taille)
    if index >= taille:
        raise ValueError(f"index {index} hors de l'arbre de taille {taille}")
    freres: list[Noeud] = []
    debut, fin = 0, taille
    while fin - debut > 1:
        k = _plus_grande_puissance_inferieure(fin - debut)
        if index < debut + k:
            freres.append(_plage(debut + k, fin))
            fin = debut + k
        else:
            freres.append(_plage(debut, debut + k))
            debut += k
    freres.reverse()
    return freres


def noeuds_coherence(ancienne: int, nouvelle: int) -> list[Noeud]:
    """Which hashes make up PROOF(ancienne, D[nouvelle]) (RFC 9162 §2.1.4.1), in proof order.

    SUBPROOF(m, D[n], b) appends the sibling *after* the recursive part, so siblings are noted
    top-down and reversed; the old subtree itself is sent first only when it is not the whole
    old tree (b false), because the verifier already has the old root otherwise. Empty when
    ``ancienne`` is 0 or equals ``nouvelle``: there is nothing to prove.
    """
    _entier("ancienne", ancienne)
    _entier("nouvelle", nouvelle)
    if ancienne > nouvelle:
        raise ValueError(f"ancienne taille {ancienne} > nouvelle taille {nouvelle}")
    if ancienne == 0 or ancienne == nouvelle:
        return []
    freres: list[Noeud] = []
    debut, m, n, entier = 0, ancienne, nouvelle, True
    while m != n:
        k = _plus_grande_puissance_inferieure(n)
        if m <= k:
            freres.append(_plage(debut + k, debut + n))
            n = k
        else:
            freres.append(_plage(debut, debut + k))
            debut, m, n, entier = debut + k, m - k, n - k, False
    freres.reverse()
    if not entier:
        freres.insert(0, _plage(debut, debut + m))
    return freres


# --------------------------------------------------------------------------- from storage


def calculer_noeud(noeud: Noeud, lire: Lecteur) -> bytes:
    """Hash of one proof element: read its stored parts and fold them right to left."""
    *gauches, derniere = noeud.parties
    resultat = _lire(lire, derniere)
    for partie in reversed(gauches):
        resultat = hash_noeud(_lire(lire, partie), resultat)
    return resultat


def _lire(lire: Lecteur, adresse: Adresse) -> bytes:
    """Read one stored hash and refuse a storage answer that is not a SHA-256 digest."""
    return _hash(f"lire({adresse.niveau}, {adresse.index})", lire(adresse.niveau, adresse.index))


def racine_depuis(taille: int, lire: Lecteur) -> bytes:
    """Root of the tree of ``taille`` leaves from at most log2(taille) stored hashes."""
    _entier("taille", taille)
    if taille == 0:
        return RACINE_VIDE
    return calculer_noeud(_plage(0, taille), lire)


def preuve_inclusion(index: int, taille: int, lire: Lecteur) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of size ``taille``, from storage."""
    return [calculer_noeud(n, lire) for n in noeuds_inclusion(index, taille)]


def preuve_coherence(ancienne: int, nouvelle: int, lire: Lecteur) -> list[bytes]:
    """RFC 9162 consistency proof between sizes ``ancienne`` and ``nouvelle``, from storage."""
    return [calculer_noeud(n, lire) for n in noeuds_coherence(ancienne, nouvelle)]


# --------------------------------------------------------------------------- from a list


def _mth(feuilles: Sequence[bytes], debut: int, fin: int) -> bytes:
    """MTH(D[debut:fin]) without copying the list."""
    if fin - debut == 1:
        return feuilles[debut]
    k = _plus_grande_puissance_inferieure(fin - debut)
    return hash_noeud(_mth(feuilles, debut, debut + k), _mth(feuilles, debut + k, fin))


def preuve_inclusion_liste(index: int, feuilles: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof over an in-memory list of leaf hashes (tests, offline verifier).

    Written as the literal RFC 9162 §2.1.3.1 recursion, independently of the storage path, so
    that the two can be checked against each other. The tree size is ``len(feuilles)``.
    """
    for i, h in enumerate(feuilles):
        _hash(f"feuilles[{i}]", h)
    _entier("index", index)
    if index >= len(feuilles):
        raise ValueError(f"index {index} hors de l'arbre de taille {len(feuilles)}")

    def chemin(m: int, debut: int, fin: int) -> list[bytes]:
        if fin - debut == 1:
            return []
        k = _plus_grande_puissance_inferieure(fin - debut)
        if m < k:
            return chemin(m, debut, debut + k) + [_mth(feuilles, debut + k, fin)]
        return chemin(m - k, debut + k, fin) + [_mth(feuilles, debut, debut + k)]

    return chemin(index, 0, len(feuilles))


def preuve_coherence_liste(ancienne: int, feuilles: Sequence[bytes]) -> list[bytes]:
    """Consistency proof from size ``ancienne`` to ``len(feuilles)`` over an in-memory list.

    The literal RFC 9162 §2.1.4.1 recursion (SUBPROOF), independent of the storage path.
    """
    for i, h in enumerate(feuilles):
        _hash(f"feuilles[{i}]", h)
    _entier("ancienne", ancienne)
    if ancienne > len(feuilles):
        raise ValueError(f"ancienne taille {ancienne} > nouvelle taille {len(feuilles)}")
    if ancienne == 0:
        return []

    def sous_preuve(m: int, debut: int, fin: int, entier: bool) -> list[bytes]:
        if m == fin - debut:
            return [] if entier else [_mth(feuilles, debut, fin)]
        k = _plus_grande_puissance_inferieure(fin - debut)
        if m <= k:
            return sous_preuve(m, debut, debut + k, entier) + [_mth(feuilles, debut + k, fin)]
        return sous_preuve(m - k, debut + k, fin, False) + [_mth(feuilles, debut, debut + k)]

    return sous_preuve(ancienne, 0, len(feuilles), True)


# --------------------------------------------------------------------------- verification


def _chemin(chemin: Sequence[bytes]) -> list[bytes]:
    """Type-check every path element before any hashing."""
    if isinstance(chemin, (bytes, str)):
        raise PreuveInvalide("le chemin doit être une liste de hashes, pas une chaîne")
    return [_hash(f"chemin[{i}]", h) for i, h in enumerate(chemin)]


def racine_depuis_inclusion(index: int, taille: int, feuille: bytes, chemin: Sequence[bytes]) -> bytes:
    """Root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-4).

    Separate from :func:`verifier_inclusion` because a monitor sometimes needs the implied root
    itself (e.g. to compare with several checkpoints). Raises on any structural fault.
    """
    _entier("index", index)
    _entier("taille", taille)
    _hash("feuille", feuille)
    chemin = _chemin(chemin)
    if index >= taille:
        raise PreuveInvalide(f"index {index} hors de l'arbre de taille {taille}")
    attendu = len(noeuds_inclusion(index, taille))
    if len(chemin) != attendu:
        raise PreuveInvalide(
            f"chemin d'inclusion de {len(chemin)} hashes pour l'index {index} dans un arbre de "
            f"taille {taille}, attendu {attendu}"
        )
    fn, sn, r = index, taille - 1, feuille
    for p in chemin:
        if sn == 0:  # unreachable once the length matched; kept as the RFC's own guard
            raise PreuveInvalide("chemin d'inclusion trop long")
        if fn & 1 or fn == sn:
            r = hash_noeud(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = hash_noeud(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise PreuveInvalide("chemin d'inclusion trop court")
    return r


def verifier_inclusion(
    index: int, taille: int, feuille: bytes, chemin: Sequence[bytes], racine: bytes
) -> None:
    """Check that leaf hash ``feuille`` sits at ``index`` in the tree of ``taille`` with ``racine``.

    RFC 9162 §2.1.3.2. Returns nothing: success is the absence of :class:`PreuveInvalide`.
    """
    _hash("racine", racine)
    calculee = racine_depuis_inclusion(index, taille, feuille, chemin)
    if not _egaux(calculee, racine):
        raise PreuveInvalide(
            f"la preuve d'inclusion de l'index {index} mène à la racine {calculee.hex()}, "
            f"pas à {racine.hex()} (taille {taille})"
        )


def verifier_coherence(
    ancienne: int,
    nouvelle: int,
    racine_ancienne: bytes,
    racine_nouvelle: bytes,
    chemin: Sequence[bytes],
) -> None:
    """Check that the tree of size ``nouvelle`` extends the tree of size ``ancienne``.

    RFC 9162 §2.1.4.2, plus the two trivial cases the RFC leaves to the caller: equal sizes need
    an empty proof and equal roots; from the empty tree the proof is empty and the old root must
    be the empty root. This is what prevents a log from forking between two signed checkpoints.
    """
    _entier("ancienne", ancienne)
    _entier("nouvelle", nouvelle)
    _hash("racine_ancienne", racine_ancienne)
    _hash("racine_nouvelle", racine_nouvelle)
    chemin = _chemin(chemin)
    if ancienne > nouvelle:
        raise PreuveInvalide(f"ancienne taille {ancienne} > nouvelle taille {nouvelle}")
    attendu = len(noeuds_coherence(ancienne, nouvelle))
    if len(chemin) != attendu:
        raise PreuveInvalide(
            f"chemin de cohérence de {len(chemin)} hashes entre les tailles {ancienne} et "
            f"{nouvelle}, attendu {attendu}"
        )
    if ancienne == 0 and not _egaux(racine_ancienne, RACINE_VIDE):
        raise PreuveInvalide("la racine ancienne d'un arbre vide doit être SHA-256('')")
    if ancienne == nouvelle:
        if not _egaux(racine_ancienne, racine_nouvelle):
            raise PreuveInvalide(f"deux racines différentes pour la même taille {ancienne}")
        return
    if ancienne == 0:
        return

    if ancienne & (ancienne - 1) == 0:  # power of two: the old root is the first node
        chemin = [racine_ancienne, *chemin]
    fn, sn = ancienne - 1, nouvelle - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = chemin[0]
    for c in chemin[1:]:
        if sn == 0:  # unreachable once the length matched; kept as the RFC's own guard
            raise PreuveInvalide("chemin de cohérence trop long")
        if fn & 1 or fn == sn:
            fr = hash_noeud(c, fr)
            sr = hash_noeud(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_noeud(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise PreuveInvalide("chemin de cohérence trop court")
    if not _egaux(fr, racine_ancienne):
        raise PreuveInvalide(
            f"la preuve de cohérence mène à l'ancienne racine {fr.hex()}, pas à "
            f"{racine_ancienne.hex()} (taille {ancienne})"
        )
    if not _egaux(sr, racine_nouvelle):
        raise PreuveInvalide(
            f"la preuve de cohérence mène à la nouvelle racine {sr.hex()}, pas à "
            f"{racine_nouvelle.hex()} (taille {nouvelle})"
        )


# --------------------------------------------------------------------------- compact range


@dataclass(frozen=True)
class ArbreCompact:
    """The right edge of a tree: enough to append leaves and compute the root, nothing more.

    ``frontiere`` holds the hashes of the complete subtrees given by :func:`adresses_frontiere`
    (one per set bit of ``taille``, largest first). A sequencer keeps this in memory (or rebuilds
    it with :meth:`depuis_stockage`), appends a batch, stores the returned :class:`NoeudCree` in
    the same transaction as the entries, and signs the new root. Immutable: :meth:`ajouter`
    returns a new value, so a failed transaction leaves the previous state untouched.
    """

    taille: int = 0
    frontiere: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        _entier("taille", self.taille)
        if not isinstance(self.frontiere, tuple):
            raise PreuveInvalide("la frontière doit être un tuple de hashes")
        attendu = self.taille.bit_count()
        if len(self.frontiere) != attendu:
            raise PreuveInvalide(
                f"frontière de {len(self.frontiere)} hashes pour la taille {self.taille}, "
                f"attendu {attendu}"
            )
        for i, h in enumerate(self.frontiere):
            _hash(f"frontiere[{i}]", h)

    @classmethod
    def depuis_stockage(cls, taille: int, lire: Lecteur) -> ArbreCompact:
        """Rebuild the compact range of size ``taille`` from stored complete subtrees."""
        adresses = adresses_frontiere(taille)
        return cls(
            taille,
            tuple(_lire(lire, a) for a in adresses),
        )

    def racine(self) -> bytes:
        """MTH of the whole tree: fold of the frontier from right to left."""
        if not self.frontiere:
            return RACINE_VIDE
        resultat = self.frontiere[-1]
        for gauche in reversed(self.frontiere[:-1]):
            resultat = hash_noeud(gauche, resultat)
        return resultat

    def ajouter(self, feuilles: Sequence[bytes]) -> tuple[ArbreCompact, list[NoeudCree]]:
        """Append leaf hashes; return the new state and every complete subtree now existing.

        The created nodes include the leaves themselves (level 0), in creation order, so that a
        parent is always listed after its children. Each appended leaf merges with the frontier
        entries of the levels where the old size has a 1 bit, like a binary counter carry.
        """
        if isinstance(feuilles, (bytes, str)):
            raise PreuveInvalide("feuilles doit être une liste de hashes, pas une chaîne")
        frontiere = list(self.frontiere)
        taille = self.taille
        crees: list[NoeudCree] = []
        for numero, feuille in enumerate(feuilles):
            h = _hash(f"feuilles[{numero}]", feuille)
            if taille + 1 >= TAILLE_MAX:
                raise PreuveInvalide("l'arbre atteindrait 2**64 feuilles")
            niveau, index = 0, taille
            crees.append(NoeudCree(niveau, index, h))
            while (taille >> niveau) & 1:
                h = hash_noeud(frontiere.pop(), h)
                niveau, index = niveau + 1, index >> 1
                crees.append(NoeudCree(niveau, index, h))
            frontiere.append(h)
            taille += 1
        return ArbreCompact(taille, tuple(frontiere)), crees
