"""An independent C2SP tlog-tiles client, written from the specs for the tests.

It shares no code with ``passerelle.journal``: its own RFC 6962/9162 hashing, its own tile
addresses, its own signed-note check (with ``cryptography`` only), its own proof construction
and verification. If the gateway served tiles that only its own code could read, this client
would disagree with it.

Specs: https://c2sp.org/tlog-tiles, https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note,
RFC 9162 §2.1 (tree hashing, inclusion and consistency proofs).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Lire = Callable[[str], bytes]
"""GET of a path below the log's prefix (e.g. ``tile/0/000``); raises on a non-200 answer."""


def feuille(entree: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entree).digest()


def noeud(gauche: bytes, droite: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + gauche + droite).digest()


def adresse(n: int) -> str:
    """tlog-tiles index encoding: groups of 3 digits, 'x' before every group but the last."""
    texte = str(n)
    texte = "0" * (-len(texte) % 3) + texte
    groupes = [texte[i : i + 3] for i in range(0, len(texte), 3)]
    return "/".join(["x" + g for g in groupes[:-1]] + [groupes[-1]])


class Echec(Exception):
    pass


@dataclass(frozen=True)
class Point:
    origine: str
    taille: int
    racine: bytes
    texte: str


def verifier_checkpoint(note: bytes, cle_verification: str) -> Point:
    """signed-note + tlog-checkpoint, Ed25519 (type 0x01), the key given as <nom>+<id>+<base64>."""
    nom, id_hex, cle_b64 = cle_verification.split("+", 2)
    brute = base64.b64decode(cle_b64)
    if brute[0] != 0x01 or len(brute) != 33:
        raise Echec("clé de vérification non Ed25519")
    publique = brute[1:]
    identifiant = hashlib.sha256(nom.encode() + b"\n\x01" + publique).digest()[:4]
    if identifiant.hex() != id_hex:
        raise Echec("id de clé incohérent")
    texte_complet = note.decode("utf-8")
    separation = texte_complet.rindex("\n\n")
    texte, signatures = texte_complet[: separation + 1], texte_complet[separation + 2 :]
    bonnes = 0
    for ligne in signatures.splitlines():
        if not ligne.startswith("\u2014 "):
            raise Echec(f"ligne de signature mal formée {ligne!r}")
        nom_ligne, signature_b64 = ligne[2:].split(" ")
        signature = base64.b64decode(signature_b64)
        if nom_ligne == nom and signature[:4] == identifiant:
            Ed25519PublicKey.from_public_bytes(publique).verify(signature[4:], texte.encode())  # raises
            bonnes += 1
    if bonnes != 1:
        raise Echec(f"{bonnes} signatures de la clé du journal")
    origine, taille, racine, *_ = texte[:-1].split("\n")
    return Point(origine, int(taille), base64.b64decode(racine), texte)


@dataclass
class ClientTuiles:
    """Reads the tree of one checkpoint through its tiles (each fetched once)."""

    lire: Lire
    taille: int
    tuiles: dict[tuple[int, int], bytes] = field(default_factory=dict)
    lectures: list[str] = field(default_factory=list)

    def _tuile(self, niveau: int, index: int) -> bytes:
        if (niveau, index) not in self.tuiles:
            largeur = min(256, (self.taille >> (8 * niveau)) - index * 256)
            if largeur <= 0:
                raise Echec(f"tuile {niveau}/{index} hors de l'arbre de taille {self.taille}")
            chemin = f"tile/{niveau}/{adresse(index)}" + ("" if largeur == 256 else f".p/{largeur}")
            contenu = self.lire(chemin)
            self.lectures.append(chemin)
            if len(contenu) != 32 * largeur:
                raise Echec(f"{chemin} : {len(contenu)} octets, attendu {32 * largeur}")
            self.tuiles[(niveau, index)] = contenu
        return self.tuiles[(niveau, index)]

    def hash_stocke(self, niveau_arbre: int, index: int) -> bytes:
        """Hash of the complete subtree covering leaves [index * 2**niveau, (index + 1) * 2**niveau)."""
        niveau_tuile, reste = divmod(niveau_arbre, 8)
        largeur = 1 << reste  # hashes of level 8L this node is built from
        premier = index * largeur
        tuile = self._tuile(niveau_tuile, premier // 256)
        position = premier % 256
        rang = [tuile[32 * i : 32 * (i + 1)] for i in range(position, position + largeur)]
        while len(rang) > 1:
            rang = [noeud(rang[i], rang[i + 1]) for i in range(0, len(rang), 2)]
        return rang[0]

    def mth(self, debut: int, fin: int) -> bytes:
        """MTH(D[debut:fin]) per RFC 9162 §2.1.1, a stored subtree as soon as the range is one."""
        n = fin - debut
        if n & (n - 1) == 0 and debut % n == 0:
            return self.hash_stocke(n.bit_length() - 1, debut // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return noeud(self.mth(debut, debut + k), self.mth(debut + k, fin))

    def racine(self) -> bytes:
        return hashlib.sha256(b"").digest() if self.taille == 0 else self.mth(0, self.taille)

    def inclusion(self, m: int) -> list[bytes]:
        """PATH(m, D[0:taille]), RFC 9162 §2.1.3.1."""
        def chemin(m: int, debut: int, fin: int) -> list[bytes]:
            if fin - debut == 1:
                return []
            k = 1 << ((fin - debut - 1).bit_length() - 1)
            if m < k:
                return chemin(m, debut, debut + k) + [self.mth(debut + k, fin)]
            return chemin(m - k, debut + k, fin) + [self.mth(debut, debut + k)]
        return chemin(m, 0, self.taille)

    def coherence(self, ancienne: int) -> list[bytes]:
        """PROOF(ancienne, D[0:taille]), RFC 9162 §2.1.4.1."""
        def sous(m: int, debut: int, fin: int, entier: bool) -> list[bytes]:
            if m == fin - debut:
                return [] if entier else [self.mth(debut, fin)]
            k = 1 << ((fin - debut - 1).bit_length() - 1)
            if m <= k:
                return sous(m, debut, debut + k, entier) + [self.mth(debut + k, fin)]
            return sous(m - k, debut + k, fin, False) + [self.mth(debut, debut + k)]
        return sous(ancienne, 0, self.taille, True) if ancienne else []

    def paquet(self, index: int, largeur: int) -> list[bytes]:
        """Entry bundle: uint16 big-endian length then bytes, repeated."""
        chemin = f"tile/entries/{adresse(index)}" + ("" if largeur == 256 else f".p/{largeur}")
        contenu = self.lire(chemin)
        entrees, position = [], 0
        while position < len(contenu):
            longueur = int.from_bytes(contenu[position : position + 2], "big")
            entrees.append(contenu[position + 2 : position + 2 + longueur])
            position += 2 + longueur
        if position != len(contenu) or len(entrees) != largeur:
            raise Echec(f"{chemin} : paquet mal formé ({len(entrees)} entrées)")
        return entrees


def verifier_inclusion(index: int, taille: int, h: bytes, chemin: list[bytes], racine: bytes) -> None:
    """RFC 9162 §2.1.3.2."""
    if index >= taille:
        raise Echec("index hors de l'arbre")
    fn, sn, r = index, taille - 1, h
    for p in chemin:
        if sn == 0:
            raise Echec("chemin trop long")
        if fn % 2 == 1 or fn == sn:
            r = noeud(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = noeud(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != racine:
        raise Echec("preuve d'inclusion fausse")


def verifier_coherence(m: int, n: int, racine_m: bytes, racine_n: bytes, chemin: list[bytes]) -> None:
    """RFC 9162 §2.1.4.2 (0 < m < n)."""
    if m & (m - 1) == 0:
        chemin = [racine_m, *chemin]
    fn, sn = m - 1, n - 1
    while fn % 2 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = chemin[0]
    for c in chemin[1:]:
        if sn == 0:
            raise Echec("chemin trop long")
        if fn % 2 == 1 or fn == sn:
            fr, sr = noeud(c, fr), noeud(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = noeud(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != racine_m or sr != racine_n:
        raise Echec("preuve de cohérence fausse")
