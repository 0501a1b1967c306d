"""Batch bodies and batch answers spooled to disk, encrypted, and never left behind.

A batch (up to a gigabyte of NIRs and addresses) is written to disk while its digest is computed,
then read back line by line. On disk it is sealed with a key that lives only in this process's
memory and only for the request: once the request ends — or the process dies — nothing can read
the file any more, and it is removed (at the end of the request, or by the next clean-up: at
start-up and at each purge round).

The construction is the STREAM online AEAD (Hoang, Reyhanitabar, Rogaway, Vizár, 2015) over
AES-256-GCM: 64 KiB chunks, nonce = chunk counter (the key is never reused), the last chunk
marked in its additional data, so reordering, dropping or truncating chunks fails on reading.
``cryptography`` offers AES-GCM but no streaming AEAD; this is the few lines it takes.

A file in use is held under an exclusive ``flock``: the clean-up removes only files no live
process holds, so replicas sharing a spool directory never remove each other's batches.
"""

from __future__ import annotations

import fcntl
import io
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAILLE_MORCEAU = 1 << 16
PREFIXE = "passerelle-lot-"
_ENTETE = struct.Struct(">I")
_DOMAINE = b"passerelle/tampon/v1"


class TamponIllisible(ValueError):
    """The spooled file was altered or truncated after it was written."""


def _associe(numero: int, dernier: bool) -> bytes:
    return _DOMAINE + struct.pack(">QB", numero, 1 if dernier else 0)


def _nonce(numero: int) -> bytes:
    return b"\x00\x00\x00\x00" + struct.pack(">Q", numero)


class Tampon:
    """One spooled file: write it once (``ecrire`` then ``terminer``), read it any number of
    times (``ouvrir``), remove it (``supprimer``). Not for use by two threads at once."""

    def __init__(self, chemin: Path, descripteur: int) -> None:
        self.chemin = chemin
        self._descripteur = descripteur  # holds the flock while the tampon lives
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._fichier: io.BufferedWriter | None = os.fdopen(os.dup(descripteur), "wb")
        self._attente = bytearray()
        self._numero = 0
        self.taille = 0  # clear bytes written

    def ecrire(self, donnees: bytes) -> None:
        if self._fichier is None:
            raise ValueError("tampon déjà terminé")
        self._attente += donnees
        self.taille += len(donnees)
        while len(self._attente) > TAILLE_MORCEAU:
            self._sceller(bytes(self._attente[:TAILLE_MORCEAU]), dernier=False)
            del self._attente[:TAILLE_MORCEAU]

    def _sceller(self, clair: bytes, *, dernier: bool) -> None:
        assert self._fichier is not None
        chiffre = self._aead.encrypt(_nonce(self._numero), clair, _associe(self._numero, dernier))
        self._fichier.write(_ENTETE.pack(len(chiffre)) + chiffre)
        self._numero += 1

    def terminer(self) -> None:
        if self._fichier is None:
            return
        self._sceller(bytes(self._attente), dernier=True)
        self._attente.clear()
        self._fichier.close()
        self._fichier = None

    def ouvrir(self) -> io.BufferedReader:
        """The clear bytes, read back and authenticated chunk by chunk."""
        if self._fichier is not None:
            self.terminer()
        return io.BufferedReader(_Lecteur(self.chemin.open("rb"), self._aead), buffer_size=TAILLE_MORCEAU)

    def ouvrir_texte(self, encodage: str = "utf-8-sig") -> io.TextIOWrapper:
        return io.TextIOWrapper(self.ouvrir(), encoding=encodage, newline="")

    def supprimer(self) -> None:
        """Remove the file and forget the key (idempotent)."""
        if self._fichier is not None:
            self._fichier.close()
            self._fichier = None
        self.chemin.unlink(missing_ok=True)
        if self._descripteur >= 0:
            os.close(self._descripteur)  # releases the flock
            self._descripteur = -1

    def __enter__(self) -> Tampon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.supprimer()


class _Lecteur(io.RawIOBase):
    def __init__(self, brut: io.BufferedReader, aead: AESGCM) -> None:
        self._brut = brut
        self._aead = aead
        self._numero = 0
        self._clair = b""
        self._position = 0
        self._fini = False

    def readable(self) -> bool:
        return True

    def _suivant(self) -> None:
        entete = self._brut.read(_ENTETE.size)
        if len(entete) < _ENTETE.size:
            raise TamponIllisible("tampon de lot tronqué")
        (longueur,) = _ENTETE.unpack(entete)
        chiffre = self._brut.read(longueur)
        if len(chiffre) < longueur:
            raise TamponIllisible("tampon de lot tronqué")
        for dernier in (False, True):
            try:
                self._clair = self._aead.decrypt(_nonce(self._numero), chiffre, _associe(self._numero, dernier))
            except InvalidTag:
                continue
            self._fini = dernier
            break
        else:
            raise TamponIllisible(f"tampon de lot altéré (morceau {self._numero})")
        self._numero += 1
        self._position = 0
        if self._fini and self._brut.read(1):
            raise TamponIllisible("tampon de lot: données après le dernier morceau")

    def readinto(self, tampon) -> int:  # type: ignore[no-untyped-def, override]
        while self._position >= len(self._clair):
            if self._fini:
                return 0
            self._suivant()
        n = min(len(tampon), len(self._clair) - self._position)
        tampon[:n] = self._clair[self._position : self._position + n]
        self._position += n
        return n

    def close(self) -> None:
        self._brut.close()
        super().close()


class DossierTampons:
    """The spool directory (0700), shared by the processes of one deployment on one host."""

    def __init__(self, chemin: Path) -> None:
        self.chemin = chemin

    def _preparer(self) -> None:
        self.chemin.mkdir(mode=0o700, parents=True, exist_ok=True)

    def nouveau(self, suffixe: str) -> Tampon:
        self._preparer()
        nom = f"{PREFIXE}{os.urandom(12).hex()}{suffixe}"
        # Created under a name the clean-up ignores, locked, then given its real name: a clean-up
        # running meanwhile can never take a file being born for an orphan.
        provisoire = self.chemin / f".{nom}"
        descripteur = os.open(provisoire, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(descripteur, fcntl.LOCK_EX)
            os.rename(provisoire, self.chemin / nom)
        except BaseException:
            os.close(descripteur)
            provisoire.unlink(missing_ok=True)
            raise
        return Tampon(self.chemin / nom, descripteur)

    def nettoyer(self) -> int:
        """Remove the files no live process holds (left by a crash); returns how many."""
        if not self.chemin.is_dir():
            return 0
        retires = 0
        for chemin in self.chemin.glob(f"{PREFIXE}*"):
            try:
                descripteur = os.open(chemin, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(descripteur, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descripteur)  # in use by a live request
                continue
            try:
                chemin.unlink(missing_ok=True)
                retires += 1
            finally:
                os.close(descripteur)
        return retires
