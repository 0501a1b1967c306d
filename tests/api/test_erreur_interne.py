"""An unexpected internal error gets a complete problem+json 500 and leaves the kept-alive
connection usable — checked against a real HTTP server (uvicorn, its httptools parser).

On main, Starlette's 500 handler answered and then raised the exception again to the server,
which, the response having started, closed the connection: the next request on it was lost,
and, the body of the failed request still unread, the close was a reset (issue 9).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import h11
import pytest
import uvicorn

from tests.socle.test_processus import _port_libre


@pytest.fixture
def serveur(passerelle) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """The fixture's application behind a real uvicorn (the lifespan is the fixture's own)."""
    port = _port_libre()
    config = uvicorn.Config(passerelle.client.app, host="127.0.0.1", port=port, lifespan="off",
                            log_level="critical", http="httptools")
    instance = uvicorn.Server(config)
    fil = threading.Thread(target=instance.run, daemon=True)
    fil.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.02)
    else:
        raise AssertionError("uvicorn n'a pas démarré")
    yield "127.0.0.1", port
    instance.should_exit = True
    fil.join(timeout=10)


def _echanger(connexion: h11.Connection, prise: socket.socket, requete: h11.Request, corps: bytes) -> tuple[h11.Response, bytes]:
    prise.sendall(connexion.send(requete) + connexion.send(h11.Data(data=corps)) + connexion.send(h11.EndOfMessage()))
    reponse, morceaux = None, []
    while True:
        evenement = connexion.next_event()
        if evenement is h11.NEED_DATA:
            recu = prise.recv(1 << 16)
            connexion.receive_data(recu)  # b"" (closed) makes h11 raise: the connection was lost
            continue
        if isinstance(evenement, h11.Response):
            reponse = evenement
        elif isinstance(evenement, h11.Data):
            morceaux.append(evenement.data)
        elif isinstance(evenement, h11.EndOfMessage):
            assert reponse is not None
            return reponse, b"".join(morceaux)


def test_erreur_interne_complete_et_connexion_gardee(passerelle, serveur, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    import passerelle.api.flux as module

    async def panne(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("panne simulée avant la lecture du corps")

    monkeypatch.setattr(module, "requete_bornee", panne)
    hote, port = serveur
    with socket.create_connection((hote, port), timeout=10) as prise:
        connexion = h11.Connection(our_role=h11.CLIENT)
        corps = b"{" + b" " * 200_000 + b"}"  # left unread by the failing endpoint
        entetes = [("Host", f"{hote}:{port}"), ("Content-Type", "application/json"), ("Content-Length", str(len(corps)))]
        reponse, contenu = _echanger(connexion, prise, h11.Request(method="POST", target="/v1/flux/rdc", headers=entetes), corps)
        assert reponse.status_code == 500
        connexion.start_next_cycle()  # the same connection, kept alive, for the next request
        suivante, sante = _echanger(connexion, prise, h11.Request(method="GET", target="/sante", headers=[("Host", hote)]), b"")
    assert suivante.status_code == 200, sante
    valeurs = {k.decode(): v.decode() for k, v in reponse.headers}
    assert valeurs["content-type"] == "application/problem+json" and int(valeurs["content-length"]) == len(contenu)
    probleme = json.loads(contenu)
    assert probleme["code"] == "erreur_interne" and probleme["requete"] == valeurs["x-request-id"]
