"""The one construction of the HTTP server, from the settings.

``passerelle serve`` (hence the demonstration and every test that starts a gateway process), the
tests that run the gateway in a thread and the benches all build their server here, so the
limits of ``protocole.py`` hold wherever the gateway answers.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from passerelle.reglages import Reglages
from passerelle.serveur.limites import LimitesHttp
from passerelle.serveur.protocole import ProtocoleBorne

ECHEC_DEMARRAGE = 3  # uvicorn's exit status when the server could not start


class ConfigServeur(uvicorn.Config):
    """uvicorn's settings, plus what ``ProtocoleBorne`` reads from them."""

    def __init__(
        self, application: Any, *, limites: LimitesHttp, signaler: Callable[[str], None] | None = None, **options: Any
    ) -> None:
        super().__init__(application, **options)
        self.limites = limites
        self.signaler = signaler


def configuration(
    application: Any,
    reglages: Reglages,
    *,
    signaler: Callable[[str], None] | None = None,
    **options: Any,
) -> ConfigServeur:
    """uvicorn in the process, one worker, the bounded httptools protocol, no WebSocket (the
    gateway serves none), uvicorn's own keep-alive timeout; ``options`` (tests, benches) may
    add uvicorn settings such as ``factory`` or ``lifespan``, never change the protocol."""
    for interdit in ("http", "ws", "workers", "reload"):
        if interdit in options:
            raise ValueError(f"l'option uvicorn {interdit!r} est fixée par passerelle.serveur")
    reglages_uvicorn: dict[str, Any] = {
        "host": reglages.hote,
        "port": reglages.port,
        "log_level": "warning",
        "access_log": False,
        # SIGTERM: stop listening, let the requests in flight (and their group commit) finish for
        # at most arret_delai seconds, then the lifespan commits what is still queued.
        "timeout_graceful_shutdown": reglages.arret_delai,
        **options,
    }
    return ConfigServeur(
        application,
        limites=LimitesHttp.depuis(reglages),
        signaler=signaler,
        http=ProtocoleBorne,
        ws="none",
        **reglages_uvicorn,
    )


def servir(config: ConfigServeur, sockets: list[socket.socket] | None = None) -> None:
    """Run until SIGINT/SIGTERM, like ``uvicorn.run``; exit 3 if the server never started.
    ``sockets``: listening sockets already bound (``passerelle serve`` binds before it announces)."""
    serveur = uvicorn.Server(config)
    try:
        serveur.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    if not serveur.started:
        sys.exit(ECHEC_DEMARRAGE)
