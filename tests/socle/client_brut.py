"""A hostile or careless HTTP/1.1 client on a raw socket: what httpx would never send (a 32 MiB
header, a head byte by byte, a body that stops), and the raw answer, read until the server
closes."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReponseBrute:
    statut: int | None  # None: the server closed without a word
    entetes: dict[str, str] = field(default_factory=dict)
    corps: bytes = b""
    duree: float = 0.0  # seconds from the first byte sent (or the connection) to the server's close
    fermee: bool = False  # the server closed the connection (EOF), rather than the client timing out

    def probleme(self) -> dict[str, Any]:
        assert self.entetes.get("content-type") == "application/problem+json", self.entetes
        document = json.loads(self.corps)
        assert isinstance(document, dict)
        return document


def connecter(port: int, delai: float = 15.0) -> socket.socket:
    prise = socket.create_connection(("127.0.0.1", port), timeout=delai)
    prise.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return prise


def lire_reponse(prise: socket.socket, debut: float) -> ReponseBrute:
    """Everything until EOF (every answer here ends with ``Connection: close``), then parsed."""
    recu = b""
    fermee = False
    try:
        while morceau := prise.recv(65536):
            recu += morceau
        fermee = True
    except ConnectionResetError:
        fermee = True  # counted as closed; the answer, if any, is what arrived before
    except TimeoutError:
        pass
    duree = time.monotonic() - debut
    if not recu:
        return ReponseBrute(None, duree=duree, fermee=fermee)
    tete, _, corps = recu.partition(b"\r\n\r\n")
    lignes = tete.decode("latin-1").split("\r\n")
    entetes = {}
    for ligne in lignes[1:]:
        nom, _, valeur = ligne.partition(":")
        entetes[nom.strip().lower()] = valeur.strip()
    return ReponseBrute(int(lignes[0].split()[1]), entetes, corps, duree, fermee)


def echanger(port: int, *morceaux: bytes, pause: float = 0.0, delai: float = 15.0) -> ReponseBrute:
    """Send ``morceaux`` (``pause`` seconds apart), then read the answer until the server closes.
    A send refused because the server already answered and closed is not an error."""
    prise = connecter(port, delai)
    with prise:
        debut = time.monotonic()
        for i, morceau in enumerate(morceaux):
            if i and pause:
                time.sleep(pause)
            try:
                prise.sendall(morceau)
            except (BrokenPipeError, ConnectionResetError):
                break
        return lire_reponse(prise, debut)


def requete(methode: str, cible: str, entetes: list[tuple[str, str]], corps: bytes = b"") -> bytes:
    lignes = [f"{methode} {cible} HTTP/1.1", *(f"{n}: {v}" for n, v in entetes)]
    return ("\r\n".join(lignes) + "\r\n\r\n").encode("latin-1") + corps


class Reponses:
    """Responses one by one on a kept-alive connection (``Content-Length`` framing), the
    connection left open; what arrives past one response is kept for the next."""

    def __init__(self, prise: socket.socket) -> None:
        self.prise = prise
        self.tampon = b""

    def _lire(self) -> bool:
        morceau = self.prise.recv(65536)
        self.tampon += morceau
        return bool(morceau)

    def suivante(self) -> ReponseBrute:
        debut = time.monotonic()
        while b"\r\n\r\n" not in self.tampon:
            if not self._lire():
                return ReponseBrute(None, duree=time.monotonic() - debut, fermee=True)
        tete, _, reste = self.tampon.partition(b"\r\n\r\n")
        lignes = tete.decode("latin-1").split("\r\n")
        entetes = {n.strip().lower(): v.strip() for n, _, v in (ligne.partition(":") for ligne in lignes[1:])}
        longueur = int(entetes.get("content-length", "0"))
        while len(reste) < longueur:
            if not self._lire():
                break
            reste = self.tampon.partition(b"\r\n\r\n")[2]
        self.tampon = reste[longueur:]
        return ReponseBrute(int(lignes[0].split()[1]), entetes, reste[:longueur], time.monotonic() - debut)
