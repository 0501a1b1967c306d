"""The background re-encryption and re-indexing: one pass after each start of a server process.

Keys change only when the secrets are read, at start-up: one pass then brings every older row
under the active keys, in short transactions paced by ``rotation_pause`` so the accept path keeps
the database. Several replicas may run it at once.
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.concurrency import run_in_threadpool

from passerelle.cycle_cles.rechiffrement import rechiffrer
from passerelle.cycle_cles.reindexation import reindexer
from passerelle.cycle_cles.rotation import Rotation

journal_technique = structlog.get_logger("passerelle.cles")
ATTENTE_DEPART = 5.0
REESSAI = 60.0


async def rechiffrer_en_fond(rotation: Rotation, pause: float) -> None:
    """``pause``: seconds between two transactions (``rotation_pause``)."""
    await asyncio.sleep(ATTENTE_DEPART)
    while True:
        try:
            chiffrement = await run_in_threadpool(rechiffrer, rotation, pause=pause)
            index = await run_in_threadpool(reindexer, rotation, pause=pause)
        except Exception:  # noqa: BLE001 — the database may be briefly away
            journal_technique.exception("rotation_echec")
            await asyncio.sleep(REESSAI)
            continue
        if chiffrement.messages or index.messages or index.dossiers:
            journal_technique.info("rotation_appliquee", rechiffres=chiffrement.messages,
                                   reindexes=index.messages, dossiers=index.dossiers)
        if chiffrement.illisibles:
            journal_technique.error("messages_illisibles", cles=sorted(chiffrement.illisibles))
        return
