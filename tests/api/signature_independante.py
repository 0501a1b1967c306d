"""Requests signed by the independent ``http-message-signatures`` package, not by our signer."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import MappingKeyResolver


@dataclass
class _Requete:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def entetes_signes(
    cle: Ed25519PrivateKey,
    keyid: str,
    *,
    methode: str,
    url: str,
    corps: bytes,
    agent: str,
    instant: dt.datetime,
    nonce: str | None = None,
    type_contenu: str = "application/json",
) -> dict[str, str]:
    """Headers of a request signed as CONTRACT.md says, computed by the third-party library."""
    requete = _Requete(methode, url, {"Passerelle-Agent": agent})
    composants = ["@method", "@path", "@query", "passerelle-agent"]
    if corps:
        requete.headers["Content-Type"] = type_contenu
        composants += ["content-type"]  # the library adds and covers Content-Digest from body=
    signeur = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={keyid: cle}),
    )
    signeur.sign(
        requete,
        key_id=keyid,
        created=instant,
        nonce=nonce or secrets.token_urlsafe(16),
        label="sig1",
        covered_component_ids=composants,
        body=corps or None,
    )
    return dict(requete.headers)


class _HorlogeBibliotheque:
    """What ``http_message_signatures.signatures`` reads as its ``datetime`` module, with ``now``
    answering the test's clock: the library's age and "created in the future" checks then hold
    the gateway's receipts to the same instant the gateway signed them at, whatever the day the
    suite runs (a fixed test date must never meet the machine's clock)."""

    def __init__(self, horloge) -> None:  # type: ignore[no-untyped-def]
        class _Datetime(dt.datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
                instant = horloge()
                return instant.astimezone(tz) if tz is not None else instant.replace(tzinfo=None)

        self.datetime = _Datetime
        self.timedelta = dt.timedelta
        self.timezone = dt.timezone


def bibliotheque_a_l_heure_du_test(monkeypatch, horloge) -> None:  # type: ignore[no-untyped-def]
    """Verify with the independent library as if it ran at ``horloge()``."""
    from http_message_signatures import signatures

    monkeypatch.setattr(signatures, "datetime", _HorlogeBibliotheque(horloge))
