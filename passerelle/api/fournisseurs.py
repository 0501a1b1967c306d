"""FastAPI dependency providers for the routes at the edges (auditors, console, public keys,
metrics, the journal's keys): each hands a route the few objects it uses, read from the services
built once by ``create_app``. With ``api/dependances.py`` (the organisme's caller and body), the
only place of the API that knows the services container (docs/architecture.md).

Use: ``async def route(..., temoin: TemoinAuditeurs = Depends(temoin_auditeurs))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Request
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Connection

from passerelle.auditeurs.acces import TemoinAuditeurs
from passerelle.auditeurs.integrite import ClesCheckpoint
from passerelle.reception.transaction import Trace, executer
from passerelle.secrets_deploiement import CleRetiree
from passerelle.acheminement.boite import Boite
from passerelle.services import Services
from passerelle.stockage.base import lecture as connexion_lecture

T = TypeVar("T")


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return] — built by create_app


class Transaction(Protocol):
    """Runs ``operation`` in one transaction; a ``Refus`` it raises is journaled (and re-raised)."""

    def __call__(self, trace: Trace, operation: Callable[[Connection, Trace], T]) -> T: ...


def transaction(request: Request) -> Transaction:
    services = _services(request)

    def executer_(trace: Trace, operation: Callable[[Connection, Trace], T]) -> T:
        return executer(services, trace, operation)

    return executer_


def lecture(request: Request) -> Callable[[], AbstractContextManager[Connection]]:
    """A read-only connection, for what writes nothing (not even a journal entry)."""
    moteur = _services(request).moteur

    @contextmanager
    def ouvrir() -> Iterator[Connection]:
        with connexion_lecture(moteur) as connexion:
            yield connexion

    return ouvrir


def horloge(request: Request) -> Callable[[], datetime]:
    return _services(request).horloge


def temoin_auditeurs(request: Request) -> TemoinAuditeurs:
    services = _services(request)
    return TemoinAuditeurs(journal=services.journal, horloge=services.horloge)


def cles_checkpoint(request: Request) -> ClesCheckpoint:
    services = _services(request)
    secrets = services.secrets
    return ClesCheckpoint(
        origine=services.reglages.origine_journal,
        publiques=secrets.publiques_signature(),
        active=secrets.signature_active,
    )


@dataclass(frozen=True)
class ClesSignature:
    """The gateway's signing keys as published (JWKS): in use, and retired (still verifying)."""

    en_service: Mapping[str, Ed25519PrivateKey]
    retirees: Mapping[str, CleRetiree]


def cles_signature(request: Request) -> ClesSignature:
    secrets = _services(request).secrets
    return ClesSignature(en_service=secrets.cles_signature, retirees=secrets.signature_retirees)


def registre_metriques(request: Request) -> CollectorRegistry:
    return _services(request).metriques.registre


@dataclass(frozen=True)
class ReglagesConsole:
    cle_session: bytes  # the blind-index secret, from which the console derives its MAC key
    cookie_securise: bool


def reglages_console(request: Request) -> ReglagesConsole:
    services = _services(request)
    choix = services.reglages.console_cookie_securise
    return ReglagesConsole(
        cle_session=services.secrets.index_aveugle,
        cookie_securise=(not services.reglages.developpement) if choix is None else choix,
    )


def boite(request: Request) -> Boite:
    """What reading and acknowledging a mailbox need."""
    s = _services(request)
    return Boite(s.coffre, s.journal, s.horloge, s.conventions, s.annuaire)


def limite_boite(request: Request) -> int:
    """The deployment's cap on a mailbox page (``PASSERELLE_BOITE_LIMITE_MAX``)."""
    return _services(request).reglages.boite_limite_max
