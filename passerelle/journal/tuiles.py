"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): addresses and contents of the journal's tiles.

The journal's RFC 9162 tree is also published as *tiles*, so that any tlog-tiles client (those of
Go's checksum database, of the transparency-dev ecosystem…) reads it without our proof API:

* a **hash tile** ``tile/<L>/<N>`` holds 256 consecutive hashes of the tree level ``8 * L``,
  those of the complete subtrees ``N * 256 … N * 256 + 255`` of that level, concatenated (32 bytes
  each); the rightmost tile of a level is *partial* (``.p/<W>``, its first ``W`` hashes) until it
  fills up. They are exactly the nodes the sequencer already stores (``journal_noeuds``), since a
  level-``8L`` node is a complete subtree of ``256**L`` leaves.
* an **entry bundle** ``tile/entries/<N>`` holds the entries ``N * 256 …``, each as a big-endian
  uint16 length followed by the entry's bytes — exactly the bytes whose leaf hash is in the tree.

``N`` is written in groups of three decimal digits, every group but the last prefixed by ``x``
(``1234067`` → ``x001/x234/067``). Only the canonical spelling of an address is accepted: one
resource, one address, so caches cannot be poisoned with a second spelling. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "LARGEUR",
    "NIVEAU_MAX",
    "TailleEntreeExcessive",
    "Tuile",
    "TuileInvalide",
    "chemin_index",
    "chemin_tuile",
    "analyser_chemin",
    "largeur_disponible",
    "paquet_entrees",
]

LARGEUR = 256
"""Hashes (or entries) in a full tile: the spec's fixed tile height of 8 levels."""

NIVEAU_MAX = 63
"""Highest tile level the spec allows (8 * 63 tree levels is far beyond 2**64 leaves anyway)."""

_TAILLE_HASH = 32
_ENTREE_MAX = 0xFFFF
_GROUPE = re.compile(r"x[0-9]{3}", re.ASCII)
_DERNIER = re.compile(r"[0-9]{3}", re.ASCII)
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class TuileInvalide(ValueError):
    """An address that is not a canonical tlog-tiles tile path."""


class TailleEntreeExcessive(ValueError):
    """An entry longer than the uint16 length prefix of an entry bundle can say."""


@dataclass(frozen=True, slots=True)
class Tuile:
    """One tile address: ``niveau`` None for an entry bundle; ``largeur`` None for a full tile."""

    niveau: int | None
    index: int
    largeur: int | None = None

    @property
    def entrees(self) -> bool:
        return self.niveau is None

    @property
    def largeur_voulue(self) -> int:
        return LARGEUR if self.largeur is None else self.largeur

    @property
    def complete(self) -> bool:
        return self.largeur is None

    def premier(self) -> int:
        """First element (node index at level 8L, or entry index) the tile holds."""
        return self.index * LARGEUR


def chemin_index(n: int) -> str:
    """``N`` as the spec writes it: 3-digit groups, ``x`` before all but the last."""
    if type(n) is not int or n < 0:
        raise TuileInvalide(f"index de tuile {n!r} : entier positif attendu")
    groupes = []
    while True:
        groupes.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groupes.reverse()
    return "/".join([*("x" + g for g in groupes[:-1]), groupes[-1]])


def chemin_tuile(tuile: Tuile) -> str:
    """The canonical address below the prefix, e.g. ``tile/0/x001/234.p/7`` or ``tile/entries/000``."""
    niveau = "entries" if tuile.niveau is None else str(tuile.niveau)
    chemin = f"tile/{niveau}/{chemin_index(tuile.index)}"
    return chemin if tuile.largeur is None else f"{chemin}.p/{tuile.largeur}"


def analyser_chemin(chemin: str) -> Tuile:
    """Parse ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` (the part after ``tile/``), strictly."""
    morceaux = chemin.split("/")
    if len(morceaux) < 2:
        raise TuileInvalide("adresse de tuile : attendu <niveau>/<index>")
    tete, *reste = morceaux
    if tete == "entries":
        niveau: int | None = None
    elif _DECIMAL.fullmatch(tete) and int(tete) <= NIVEAU_MAX:
        niveau = int(tete)
    else:
        raise TuileInvalide(f"niveau de tuile {tete[:8]!r} : entier de 0 à {NIVEAU_MAX} ou « entries » attendu")
    largeur: int | None = None
    if len(reste) >= 2 and reste[-2].endswith(".p"):
        texte = reste[-1]
        if not _DECIMAL.fullmatch(texte) or not 1 <= int(texte) < LARGEUR:
            raise TuileInvalide(f"largeur de tuile partielle {texte[:8]!r} : entier de 1 à {LARGEUR - 1} attendu")
        largeur = int(texte)
        reste = [*reste[:-2], reste[-2][:-2]]
    *groupes, dernier = reste
    if not _DERNIER.fullmatch(dernier) or not all(_GROUPE.fullmatch(g) for g in groupes):
        raise TuileInvalide("index de tuile : groupes de trois chiffres, « x » devant tous sauf le dernier")
    index = int("".join(g[1:] for g in groupes) + dernier)
    tuile = Tuile(niveau, index, largeur)
    if chemin_tuile(tuile) != "tile/" + chemin:
        raise TuileInvalide("adresse de tuile non canonique (zéros en tête d'un groupe « x »)")
    return tuile


def largeur_disponible(tuile: Tuile, taille: int) -> int:
    """How many hashes (or entries) of this tile exist in the tree of ``taille`` leaves (0..256).

    Level ``8L`` of a tree of ``taille`` leaves has ``taille >> 8L`` complete nodes; the tile holds
    those from ``N * 256`` on.
    """
    elements = taille if tuile.niveau is None else taille >> (8 * tuile.niveau)
    return max(0, min(LARGEUR, elements - tuile.premier()))


def paquet_entrees(entrees: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length then its exact bytes."""
    morceaux = []
    for numero, entree in enumerate(entrees):
        if len(entree) > _ENTREE_MAX:
            raise TailleEntreeExcessive(f"entrée {numero} du paquet : {len(entree)} octets, au plus {_ENTREE_MAX}")
        morceaux.append(len(entree).to_bytes(2, "big") + entree)
    return b"".join(morceaux)


def verifier_hashes(hashes: Sequence[bytes], attendus: int) -> bytes:
    """Concatenate the hashes of a tile, refusing a storage answer of the wrong shape."""
    if len(hashes) != attendus or any(len(h) != _TAILLE_HASH for h in hashes):
        raise LookupError(f"tuile incomplète dans journal_noeuds : {len(hashes)} hashes lus, {attendus} attendus")
    return b"".join(hashes)
