"""The body timeout of passerelle/serveur/ is an *idle* timeout on the client: time the server
itself does not read (the application busy, flow control holding the socket, ``Expect:
100-continue`` not yet answered) never counts against the client.

A small ASGI application that takes its time is run under the very construction of
``passerelle serve`` (``passerelle.serveur.lancement.configuration``), in a thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from passerelle.reglages import Reglages
from passerelle.serveur.lancement import configuration
from tests.crash.outillage import attendre, port_libre
from tests.socle.client_brut import connecter, lire_reponse, requete

DELAI_CORPS = 0.5
ATTENTE_APPLICATION = 6 * DELAI_CORPS  # the application reads nothing for this long


async def application_lente(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Waits before reading the body, then answers with the number of bytes it read."""
    assert scope["type"] == "http"
    await asyncio.sleep(ATTENTE_APPLICATION)
    taille = 0
    while True:
        evenement = await receive()
        if evenement["type"] == "http.disconnect":
            return
        taille += len(evenement.get("body", b""))
        if not evenement.get("more_body"):
            break
    corps = str(taille).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(corps)).encode())]})
    await send({"type": "http.response.body", "body": corps})


@pytest.fixture
def port() -> Iterator[int]:
    port = port_libre()
    reglages = Reglages(hote="127.0.0.1", port=port, delai_corps=DELAI_CORPS)
    serveur = uvicorn.Server(configuration(application_lente, reglages, lifespan="off"))
    fil = threading.Thread(target=serveur.run, daemon=True)
    fil.start()
    attendre(lambda: serveur.started, 20, "démarrage du serveur")
    try:
        yield port
    finally:
        serveur.should_exit = True
        fil.join(timeout=10)


def test_corps_retenu_par_le_serveur_ne_compte_pas(port: int) -> None:
    """8 MiB sent at once: the server stops reading past 64 KiB until the application reads."""
    corps = b"x" * (8 << 20)
    entetes = [("Host", "127.0.0.1"), ("Content-Length", str(len(corps))), ("Connection", "close")]
    with connecter(port) as prise:
        debut = time.monotonic()
        prise.sendall(requete("POST", "/", entetes, corps))
        reponse = lire_reponse(prise, debut)
    assert reponse.duree > ATTENTE_APPLICATION
    assert reponse.statut == 200, reponse.corps[:300]
    assert reponse.corps == str(len(corps)).encode()


def test_expect_100_continue_attend_l_application(port: int) -> None:
    """The client rightly sends nothing until the server says 100 Continue, which uvicorn says
    when the application first reads: that wait is the server's, not the client's."""
    corps = b'{"a": 1}'
    entetes = [("Host", "127.0.0.1"), ("Content-Length", str(len(corps))), ("Expect", "100-continue"),
               ("Connection", "close")]
    with connecter(port) as prise:
        debut = time.monotonic()
        prise.sendall(requete("POST", "/", entetes))
        continuer = prise.recv(1024)
        assert continuer.startswith(b"HTTP/1.1 100 "), continuer
        prise.sendall(corps)
        reponse = lire_reponse(prise, debut)
    assert reponse.statut == 200 and reponse.corps == str(len(corps)).encode()
