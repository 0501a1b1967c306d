"""A caisse system that receives pushes over HTTP, verifies the gateway's signature, dedupes
by message id, and can be switched off (503) to play an outage."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn

from passerelle.signature.base import MessageHttp
from passerelle.signature.verification import verifier_requete


@dataclass
class Recepteur:
    publique: object
    horloge: object
    disponible: bool = True
    recus: dict[str, dict] = field(default_factory=dict)
    livraisons: int = 0
    refus: list[str] = field(default_factory=list)

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        corps = b""
        while True:
            evenement = await receive()
            corps += evenement.get("body", b"")
            if not evenement.get("more_body"):
                break
        if not self.disponible:
            await self._repondre(send, 503, {"code": "maintenance"})
            return
        entetes: dict[str, str] = {}
        for nom, valeur in scope["headers"]:
            entetes[nom.decode("latin-1").lower()] = valeur.decode("latin-1")
        try:
            verifier_requete(
                MessageHttp(scope["method"], scope["raw_path"].decode().split("?")[0], scope["query_string"].decode(), entetes),
                corps, lambda _keyid: self.publique, int(self.horloge.timestamp()),
            )
        except Exception as exc:  # noqa: BLE001
            self.refus.append(getattr(exc, "code", repr(exc)))
            await self._repondre(send, 401, {"code": "signature"})
            return
        self.livraisons += 1
        message = json.loads(corps)
        self.recus.setdefault(message["id"], message)  # dedupe on the gateway's message id
        await self._repondre(send, 201, {"accuse": "AR-" + message["id"][:8]})

    async def _repondre(self, send, statut: int, corps: dict) -> None:  # type: ignore[no-untyped-def]
        donnees = json.dumps(corps).encode()
        await send({"type": "http.response.start", "status": statut, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": donnees})


class ServeurRecepteur:
    def __init__(self, recepteur: Recepteur) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.serveur = uvicorn.Server(uvicorn.Config(recepteur, host="127.0.0.1", port=self.port, log_level="warning"))
        self.fil = threading.Thread(target=self.serveur.run, daemon=True)

    def __enter__(self) -> "ServeurRecepteur":
        self.fil.start()
        for _ in range(200):
            if self.serveur.started:
                return self
            time.sleep(0.02)
        raise RuntimeError("le récepteur n'a pas démarré")

    def __exit__(self, *exc: object) -> None:
        self.serveur.should_exit = True
        self.fil.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
