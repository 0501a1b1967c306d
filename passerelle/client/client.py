"""A small synchronous client of the wire contract, built on httpx.

Every receipt is checked against the gateway's published keys (JWKS) before it is returned:
an integrator who keeps receipts keeps proofs, not just JSON.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from passerelle.annuaire.cles import de_b64url
from passerelle.client.signeur import SignatureRfc9421
from passerelle.erreurs import Refus
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache
from passerelle.signature.lecture import lire_signature
from passerelle.signature.verification import verifier_reponse


class RecuInvalide(Exception):
    """The gateway's answer does not carry a valid signature by a key of its JWKS."""


@dataclass(frozen=True)
class ReponsePasserelle:
    statut: int
    donnees: dict[str, Any]
    entetes: dict[str, str]
    corps: bytes

    @property
    def est_probleme(self) -> bool:
        return self.entetes.get("content-type", "").startswith("application/problem+json")


def _morceaux(chemin: Path, progression: Callable[[int], None] | None = None) -> Iterator[bytes]:
    with chemin.open("rb") as fichier:
        while morceau := fichier.read(1 << 16):
            if progression is not None:
                progression(len(morceau))
            yield morceau


def cles_jwks(document: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    cles = {}
    for jwk in document.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and "kid" in jwk:
            cles[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(de_b64url(jwk["x"]))
    return cles


def retraits_jwks(document: dict[str, Any]) -> dict[str, int]:
    """Per key id, when the gateway retired the key (Unix seconds): its private half was
    destroyed then, so nothing it signs after that instant is the gateway's."""
    retraits = {}
    for jwk in document.get("keys", []):
        quand = jwk.get("retiree_le")
        if isinstance(quand, str) and "kid" in jwk:
            try:
                retraits[jwk["kid"]] = int(datetime.fromisoformat(quand.replace("Z", "+00:00")).timestamp())
            except ValueError:
                continue
    return retraits


class ClientPasserelle:
    def __init__(
        self,
        url: str,
        cle: Ed25519PrivateKey,
        keyid: str,
        agent: str,
        *,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
        horloge: Callable[[], float] = time.time,
    ) -> None:
        """``http``: an existing client (tests pass the application's test client)."""
        self._http = http or httpx.Client(base_url=url, timeout=timeout)
        self._auth = SignatureRfc9421(cle, keyid, agent, horloge=horloge)
        self._cles_passerelle: dict[str, Ed25519PublicKey] | None = None
        self._retraits: dict[str, int] = {}

    def __enter__(self) -> ClientPasserelle:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def cles_passerelle(self, *, recharger: bool = False) -> dict[str, Ed25519PublicKey]:
        if self._cles_passerelle is None or recharger:
            reponse = self._http.get("/.well-known/jwks.json")
            reponse.raise_for_status()
            self._cles_passerelle = cles_jwks(reponse.json())
            self._retraits = retraits_jwks(reponse.json())
        return self._cles_passerelle

    def verifier_recu(self, reponse: httpx.Response) -> str:
        """Check the response signature; returns the gateway key id that signed it."""
        message = MessageHttp(
            methode="",
            chemin="",
            requete="",
            entetes={k.lower(): v for k, v in reponse.headers.items()},
            statut=reponse.status_code,
        )
        for recharger in (False, True):
            cles = self.cles_passerelle(recharger=recharger)
            try:
                keyid = _keyid(message)
            except Refus as exc:
                raise RecuInvalide(exc.detail) from exc
            if keyid in cles:
                try:
                    verifiee = verifier_reponse(message, reponse.content, cles[keyid])
                except Refus as exc:
                    raise RecuInvalide(f"{exc.code}: {exc.detail}") from exc
                retrait = self._retraits.get(keyid)
                if retrait is not None and verifiee.created > retrait:
                    raise RecuInvalide(f"la clé {keyid!r} a été retirée avant la signature de cette réponse")
                return verifiee.keyid
        raise RecuInvalide(f"la clé {keyid!r} n'est pas publiée par la passerelle")

    def _reponse(self, reponse: httpx.Response) -> ReponsePasserelle:
        try:
            donnees = reponse.json() if reponse.content else {}
        except json.JSONDecodeError:
            donnees = {"detail": reponse.text}
        return ReponsePasserelle(
            reponse.status_code, donnees, {k.lower(): v for k, v in reponse.headers.items()}, reponse.content
        )

    def envoyer(self, flux: str, donnees: dict[str, Any] | bytes, *, cle_idempotence: str | None = None) -> ReponsePasserelle:
        corps = donnees if isinstance(donnees, bytes) else json.dumps(donnees, ensure_ascii=False).encode("utf-8")
        entetes = {"Content-Type": "application/json"}
        if cle_idempotence:
            entetes["Idempotency-Key"] = cle_idempotence
        reponse = self._http.post(f"/v1/flux/{flux}", content=corps, headers=entetes, auth=self._auth)
        if reponse.status_code == 202:
            self.verifier_recu(reponse)
        return self._reponse(reponse)

    def envoyer_lot(
        self,
        flux: str,
        contenu: bytes | Path,
        *,
        cle_lot: str,
        type_contenu: str = "application/x-ndjson",
        progression: Callable[[int], None] | None = None,
    ) -> ReponsePasserelle:
        """Send a batch, from memory or from a file streamed from disk (read twice: once for
        its digest, once to send it, never held whole). ``progression`` gets bytes sent."""
        entetes = {"Content-Type": type_contenu, "Idempotency-Key": cle_lot}
        auth: httpx.Auth = self._auth
        corps: bytes | Iterator[bytes] = contenu if isinstance(contenu, bytes) else b""
        if isinstance(contenu, Path):
            hache = CorpsHache()
            for morceau in _morceaux(contenu):
                hache.ajouter(morceau)
            auth = self._auth.pour_corps_hache(hache)
            entetes["Content-Length"] = str(hache.taille)
            corps = _morceaux(contenu, progression)
        reponse = self._http.post(f"/v1/lots/{flux}", content=corps, headers=entetes, auth=auth, timeout=None)
        if reponse.status_code == 200:
            self.verifier_recu(reponse)
            lignes = [json.loads(l) for l in reponse.content.splitlines() if l.strip()]
            return ReponsePasserelle(200, {"resultats": lignes[:-1], **lignes[-1]}, dict(reponse.headers), reponse.content)
        return self._reponse(reponse)

    def consulter(self, type_: str, donnees: dict[str, Any] | bytes) -> ReponsePasserelle:
        """A synchronous consultation; the answer (200) is checked against the gateway's keys
        like a receipt: it is the proof of what the destination answered, and when."""
        corps = donnees if isinstance(donnees, bytes) else json.dumps(donnees, ensure_ascii=False).encode("utf-8")
        reponse = self._http.post(
            f"/v1/consultations/{type_}", content=corps, headers={"Content-Type": "application/json"}, auth=self._auth
        )
        if reponse.status_code == 200:
            self.verifier_recu(reponse)
        return self._reponse(reponse)

    def boite(self, *, curseur: str | None = None, limite: int = 50) -> ReponsePasserelle:
        parametres: dict[str, str | int] = {"limite": limite}
        if curseur:
            parametres["curseur"] = curseur
        return self._reponse(self._http.get("/v1/boite", params=parametres, auth=self._auth))

    def acquitter(self, message_id: str) -> ReponsePasserelle:
        return self._reponse(self._http.post(f"/v1/boite/{message_id}/acquittement", auth=self._auth))

    def message(self, message_id: str) -> ReponsePasserelle:
        return self._reponse(self._http.get(f"/v1/messages/{message_id}", auth=self._auth))


def _keyid(message: MessageHttp) -> str:
    lue = lire_signature(message.entetes)
    keyid = lue.parametres.get("keyid")
    if not isinstance(keyid, str):
        raise Refus(code="signature_malformee", detail="la réponse ne nomme pas la clé qui l'a signée")
    return keyid
