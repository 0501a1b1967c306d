#!/usr/bin/env python
"""Cost per request of the bounded HTTP protocol (passerelle/serveur/) against uvicorn's own
httptools protocol, in one process, without network or application work.

Each protocol is fed, through ``data_received``, the head and body of a signed
``POST /v1/flux/rdc`` as httpx sends it (one read), on a kept-alive connection whose transport
only counts the bytes written; the ASGI application reads the body and answers 202 with two
bytes. What is measured is the CPU time (``time.process_time``) per request of parsing, the
checks and deadlines, the request/response cycle and the event loop (uvloop) — the part of
``bench/accept.py`` that the server changes, without the noise of the machine's other processes.
Rounds alternate between the two protocols; medians are quoted. Prints figures; asserts nothing.

    python bench/serveur.py [--requetes 20000] [--tours 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

RACINE = Path(__file__).resolve().parent.parent
if str(RACINE) not in sys.path:
    sys.path.insert(0, str(RACINE))

import uvicorn
from uvicorn.server import ServerState

from passerelle.reglages import Reglages
from passerelle.serveur.lancement import configuration

CORPS = b"x" * 837  # the size of bench/accept.py's rdc body
TETE = (
    b"POST /v1/flux/rdc HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
    b"Connection: keep-alive\r\nUser-Agent: python-httpx/0.29.0\r\nContent-Type: application/json\r\n"
    b"Passerelle-Agent: bench.accept@caf-042\r\nContent-Digest: sha-256=:" + b"a" * 44 + b":\r\n"
    b'Signature-Input: sig1=("@method" "@path" "@query" "passerelle-agent" "content-type" "content-digest")'
    b';created=1796300000;keyid="caf-042-dev-2026";alg="ed25519";nonce="' + b"n" * 22 + b'"\r\n'
    b"Signature: sig1=:" + b"s" * 88 + b":\r\nContent-Length: %d\r\n\r\n" % len(CORPS)
)


class Transport(asyncio.Transport):
    """A socket that takes everything: only the protocol's work is left to measure."""

    def __init__(self) -> None:
        super().__init__()
        self.ecrits = 0
        self.ferme = False

    def get_extra_info(self, nom: str, defaut: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(nom, defaut)

    def write(self, donnees: bytes) -> None:  # type: ignore[override]
        self.ecrits += len(donnees)

    def is_closing(self) -> bool:
        return self.ferme

    def close(self) -> None:
        self.ferme = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 202,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})


def configurations() -> dict[str, uvicorn.Config]:
    options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}
    return {
        "uvicorn (httptools)": uvicorn.Config(application, http="httptools", ws="none", **options),
        "passerelle.serveur": configuration(application, Reglages(), **options),
    }


async def tour(config: uvicorn.Config, requetes: int) -> float:
    """CPU microseconds per request, on one kept-alive connection."""
    if not config.loaded:
        config.load()
    etat = ServerState()
    protocole = config.http_protocol_class(config=config, server_state=etat, app_state={})  # type: ignore[call-arg]
    transport = Transport()
    protocole.connection_made(transport)  # type: ignore[attr-defined]
    requete = TETE + CORPS

    async def une() -> None:
        protocole.data_received(requete)  # type: ignore[attr-defined]
        while etat.tasks:
            await asyncio.sleep(0)

    for _ in range(200):  # warm-up
        await une()
    debut = time.process_time()
    for _ in range(requetes):
        await une()
    duree = time.process_time() - debut
    if transport.ferme or etat.total_requests != requetes + 200:
        raise RuntimeError(f"réponses manquantes: {etat.total_requests} sur {requetes + 200}")
    protocole.connection_lost(None)  # type: ignore[attr-defined]
    return duree / requetes * 1e6


async def principal(args: argparse.Namespace) -> None:
    mesures: dict[str, list[float]] = {nom: [] for nom in configurations()}
    for numero in range(args.tours):
        noms = list(mesures) if numero % 2 == 0 else list(reversed(mesures))
        for nom in noms:
            mesures[nom].append(await tour(configurations()[nom], args.requetes))
    print(f"{args.tours} tours × {args.requetes} requêtes (tête {len(TETE)} octets + corps {len(CORPS)}), une lecture chacune")
    medianes = {}
    for nom, valeurs in mesures.items():
        medianes[nom] = statistics.median(valeurs)
        print(f"  {nom:<22} médiane {medianes[nom]:6.1f} µs CPU/requête   (tours: {', '.join(f'{v:.1f}' for v in valeurs)})")
    ecart = medianes["passerelle.serveur"] - medianes["uvicorn (httptools)"]
    print(f"  écart: {ecart:+.1f} µs par requête")


def main() -> None:
    analyse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    analyse.add_argument("--requetes", type=int, default=20_000)
    analyse.add_argument("--tours", type=int, default=7)
    args = analyse.parse_args()
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(principal(args))
    else:
        uvloop.run(principal(args))


if __name__ == "__main__":
    main()
