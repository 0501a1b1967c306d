"""A caisse system that answers consultations over HTTP, verifies the gateway's signature, and
can be told to be slow, down, or to answer nonsense."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from passerelle.signature.base import MessageHttp
from passerelle.signature.verification import verifier_requete

PERIODES = {
    "periodes": [
        {"du": "2024-01-01", "au": "2024-12-31", "nature": "activite_salariee", "regime": "regime_general",
         "type_employeur": "entreprise_privee", "trimestres": 4},
        {"du": "2025-01-01", "au": "2025-06-30", "nature": "chomage_indemnise", "regime": "regime_general",
         "trimestres": 2},
    ],
    "source": "sngc",
}
ASPA = {"demande_deposee": True, "date_depot": "2026-09-14", "statut_demande": "en_cours"}


@dataclass
class Destinataire:
    publique: object
    horloge: object
    statut: int = 200
    reponses: dict[str, Any] = field(default_factory=lambda: {"periodes-carriere": PERIODES, "statut-aspa": ASPA})
    attente: float = 0.0  # seconds before answering (to play a slow system)
    corps_brut: bytes | None = None  # answer these bytes instead of JSON
    pendant: Callable[[], None] | None = None  # run while "processing" (e.g. look at the gateway's DB)
    recues: list[dict[str, Any]] = field(default_factory=list)
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
        entetes = {n.decode("latin-1").lower(): v.decode("latin-1") for n, v in scope["headers"]}
        try:
            verifier_requete(
                MessageHttp(scope["method"], scope["raw_path"].decode().split("?")[0], scope["query_string"].decode(), entetes),
                corps, lambda _keyid: self.publique, int(self.horloge.timestamp()),  # type: ignore[attr-defined]
            )
        except Exception as exc:  # noqa: BLE001
            self.refus.append(getattr(exc, "code", repr(exc)))
            await self._repondre(send, 401, json.dumps({"code": "signature"}).encode())
            return
        question = json.loads(corps)
        self.recues.append(question)
        if self.pendant is not None:
            await asyncio.to_thread(self.pendant)
        if self.attente:
            await asyncio.sleep(self.attente)
        if self.corps_brut is not None:
            await self._repondre(send, self.statut, self.corps_brut)
            return
        type_ = scope["path"].rsplit("/", 1)[-1]
        await self._repondre(send, self.statut, json.dumps(self.reponses.get(type_, {"code": "inconnu"})).encode())

    async def _repondre(self, send, statut: int, donnees: bytes) -> None:  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": statut, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": donnees})
