"""An ``httpx.Auth`` that signs each request as the contract requires (RFC 9421 + RFC 9530)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.signature.contenu import CorpsHache
from passerelle.signature.signature import signer_requete


class SignatureRfc9421(httpx.Auth):
    """Signs with an organisme's key, naming the agent on whose behalf the call is made."""

    requires_request_body = True

    def __init__(
        self,
        cle: Ed25519PrivateKey,
        keyid: str,
        agent: str,
        *,
        horloge: Callable[[], float] = time.time,
    ) -> None:
        self.cle = cle
        self.keyid = keyid
        self.agent = agent
        self.horloge = horloge

    def pour_corps_hache(self, hache: CorpsHache) -> "SignatureRfc9421":
        """The same signer for a body streamed from disk, whose digest was computed beforehand."""
        return _SignatureCorpsHache(self.cle, self.keyid, self.agent, hache, horloge=self.horloge)

    def _corps(self, request: httpx.Request) -> bytes | CorpsHache:
        return request.content

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Passerelle-Agent"] = self.agent
        corps = self._corps(request)
        if not corps:
            # A request without body must not announce one: the signature would then demand a digest.
            request.headers.pop("Content-Type", None)
        ajouts = signer_requete(
            methode=request.method,
            chemin=request.url.raw_path.split(b"?", 1)[0].decode("ascii"),
            requete=request.url.query.decode("ascii"),
            entetes={k.lower(): v for k, v in request.headers.items()},
            corps=corps,
            cle=self.cle,
            keyid=self.keyid,
            maintenant=int(self.horloge()),
        )
        for nom, valeur in ajouts.items():
            request.headers[nom] = valeur
        yield request


class _SignatureCorpsHache(SignatureRfc9421):
    requires_request_body = False

    def __init__(self, cle: Ed25519PrivateKey, keyid: str, agent: str, hache: CorpsHache, *,
                 horloge: Callable[[], float] = time.time) -> None:
        super().__init__(cle, keyid, agent, horloge=horloge)
        self.hache = hache

    def _corps(self, request: httpx.Request) -> bytes | CorpsHache:
        return self.hache


@dataclass(frozen=True)
class SigneurPasserelle:
    """The gateway's signer given to connectors (``connecteurs.base.SigneurRequetes``): its key,
    key id and clock, so a connector signs without importing the gateway."""

    cle: Ed25519PrivateKey
    keyid: str
    horloge: Callable[[], datetime]

    def signer(
        self, *, methode: str, chemin: str, requete: str, entetes: Mapping[str, str], corps: bytes
    ) -> Mapping[str, str]:
        return signer_requete(
            methode=methode,
            chemin=chemin,
            requete=requete,
            entetes=dict(entetes),
            corps=corps,
            cle=self.cle,
            keyid=self.keyid,
            maintenant=int(self.horloge().timestamp()),
        )
