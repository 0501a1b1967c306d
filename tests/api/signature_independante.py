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
