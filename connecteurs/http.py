"""``http``: push each message to the organisme's HTTPS endpoint, signed by the gateway.

The receiver authenticates the gateway the way the gateway authenticates caisses (RFC 9421 +
RFC 9530 with the gateway's published key), so a caisse needs one verifier for both
directions. Every request is idempotent on the message id: after a timeout we cannot know
whether the receiver got the message, so we send it again and the receiver dedupes — which is
also why a 409 counts as delivered. The receiver contract is in docs/connecteurs.md.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import Callable, Generator, Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, FilePath, field_validator, model_validator

from connecteurs._http_reponses import (
    code_probleme,
    lire_json,
    remise_erreur_transport,
    remise_pour,
    resume_exception,
)
from connecteurs._parametres import lire_parametres
from connecteurs.base import (
    Consultation,
    ContexteConnecteur,
    EtatConnecteur,
    MessageALivrer,
    Remise,
    ReponseConsultation,
    SigneurRequetes,
)
from connecteurs.erreurs import ConsultationImpossible, ParametresConnecteurInvalides

__all__ = ["AGENT_PASSERELLE", "ConnecteurHttp", "ParametresHttp", "SignatureHttp", "creer"]

AGENT_PASSERELLE = "passerelle"
_BOUCLE_LOCALE = frozenset({"127.0.0.1", "localhost", "::1"})
_ID_MESSAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~:-]{0,127}")  # a path segment, never "." or ".."
_TYPE_CONSULTATION = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
Delai = Annotated[float, Field(gt=0, le=600)]


class ParametresHttp(BaseModel):
    """``connecteur: {type: http, ...}`` in config/annuaire/organismes.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="base de l'API du destinataire, p. ex. https://caisse.example/passerelle")
    timeout: Delai = Field(10.0, description="délai global par requête, en secondes")
    timeout_connexion: Delai | None = Field(None, description="délai d'établissement de connexion")
    timeout_lecture: Delai | None = Field(None, description="délai d'attente de la réponse")
    certificat_client: FilePath | None = Field(None, description="certificat client PEM (TLS mutuel)")
    cle_client: FilePath | None = Field(None, description="clé privée PEM du certificat client")
    verify: FilePath | None = Field(None, description="autorités de confiance PEM (sinon certifi)")
    proxy: str | None = Field(None, description="mandataire HTTP(S) sortant, s'il y en a un")
    concurrence: int = Field(8, ge=1, le=64, description="messages envoyés en parallèle")

    @field_validator("url")
    @classmethod
    def _url(cls, valeur: str) -> str:
        try:
            url = httpx.URL(valeur)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValueError(f"url illisible ({exc})") from None
        if url.scheme not in ("https", "http") or not url.host:
            raise ValueError("une url https://hote[:port][/chemin] est attendue")
        if url.scheme == "http" and url.host not in _BOUCLE_LOCALE:
            raise ValueError("http en clair n'est admis que vers la boucle locale ; utilisez https")
        if url.userinfo:
            raise ValueError("pas d'identifiants dans l'url : la signature suffit")
        if url.query or url.fragment:
            raise ValueError("l'url de base ne porte ni requête (?) ni fragment (#)")
        return str(url).rstrip("/")

    @model_validator(mode="after")
    def _paire_tls(self) -> ParametresHttp:
        if self.cle_client is not None and self.certificat_client is None:
            raise ValueError("cle_client sans certificat_client")
        return self


def contexte_tls(parametres: ParametresHttp, organisme: str = "?") -> ssl.SSLContext:
    """Trust only ``verify`` when given (a caisse's private PKI), else the certifi bundle.

    Loaded once, when the connector is built: an unreadable certificate is a configuration
    error to report at start-up, naming the parameter, not a delivery failure on every message.
    """
    try:
        if parametres.verify is not None:
            contexte = ssl.create_default_context(cafile=str(parametres.verify))
        else:
            contexte = httpx.create_ssl_context(trust_env=False)
    except (ssl.SSLError, OSError) as exc:
        raise ParametresConnecteurInvalides(
            organisme, ConnecteurHttp.nom, [("verify", f"autorités illisibles ({resume_exception(exc)})")]
        ) from None
    if parametres.certificat_client is not None:
        try:
            contexte.load_cert_chain(
                str(parametres.certificat_client),
                str(parametres.cle_client) if parametres.cle_client is not None else None,
            )
        except (ssl.SSLError, OSError) as exc:
            raise ParametresConnecteurInvalides(
                organisme,
                ConnecteurHttp.nom,
                [("certificat_client", f"certificat ou clé inutilisable ({resume_exception(exc)})")],
            ) from None
    return contexte


def corps_json(donnees: dict[str, Any]) -> bytes:
    return json.dumps(donnees, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class SignatureHttp(httpx.Auth):
    """Each request signed by the gateway's signer, naming the gateway as the agent."""

    requires_request_body = True

    def __init__(self, signeur: SigneurRequetes, agent: str) -> None:
        self.signeur = signeur
        self.agent = agent

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Passerelle-Agent"] = self.agent
        if not request.content:
            # A request without body must not announce one: the signature would then demand a digest.
            request.headers.pop("Content-Type", None)
        ajouts = self.signeur.signer(
            methode=request.method,
            chemin=request.url.raw_path.split(b"?", 1)[0].decode("ascii"),
            requete=request.url.query.decode("ascii"),
            entetes={k.lower(): v for k, v in request.headers.items()},
            corps=request.content,
        )
        for nom, valeur in ajouts.items():
            request.headers[nom] = valeur
        yield request


class ConnecteurHttp:
    nom = "http"

    def __init__(
        self,
        organisme: str,
        parametres: ParametresHttp,
        signeur: SigneurRequetes,
        horloge: Callable[[], datetime],
        *,
        tls: ssl.SSLContext | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.organisme = organisme
        self.parametres = parametres
        self._horloge = horloge
        self._limite = asyncio.Semaphore(parametres.concurrence)
        self._client = httpx.AsyncClient(
            auth=SignatureHttp(signeur, AGENT_PASSERELLE),
            timeout=httpx.Timeout(
                parametres.timeout,
                connect=parametres.timeout_connexion or parametres.timeout,
                read=parametres.timeout_lecture or parametres.timeout,
            ),
            verify=tls if tls is not None else contexte_tls(parametres, organisme),
            limits=httpx.Limits(max_connections=parametres.concurrence),
            proxy=parametres.proxy,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": "passerelle-connecteur-http"},
        )

    @property
    def livraison_par_lot(self) -> int:
        return self.parametres.concurrence

    @property
    def pousse(self) -> bool:
        return True

    async def livrer(self, messages: Sequence[MessageALivrer]) -> list[Remise]:
        return list(await asyncio.gather(*(self._livrer_un(message) for message in messages)))

    async def _livrer_un(self, message: MessageALivrer) -> Remise:
        if not _ID_MESSAGE.fullmatch(message.id) or ".." in message.id:
            return Remise(livre=False, definitif=True, detail="identifiant de message invalide pour HTTP")
        try:
            corps = corps_json(message.en_json())
        except (TypeError, ValueError) as exc:
            motif = f"contenu non sérialisable en JSON ({type(exc).__name__})"
            return Remise(livre=False, definitif=True, detail=motif)
        entetes = {
            "Content-Type": "application/json",
            "Passerelle-Message-Id": message.id,
            "Idempotency-Key": message.id,
        }
        async with self._limite:
            try:
                reponse = await self._client.post(
                    f"{self.parametres.url}/messages/{quote(message.id, safe='')}",
                    content=corps,
                    headers=entetes,
                )
            except httpx.HTTPError as exc:
                return remise_erreur_transport(exc)
        return remise_pour(reponse, self._horloge())

    async def consulter(self, consultation: Consultation) -> ReponseConsultation:
        if not _TYPE_CONSULTATION.fullmatch(consultation.type):
            raise ConsultationImpossible("consultation_non_prise_en_charge", False, "type de consultation invalide")
        corps = corps_json(
            {
                "type": consultation.type,
                "emetteur": consultation.emetteur,
                "destinataire": consultation.destinataire,
                "parametres": consultation.parametres,
            }
        )
        try:
            reponse = await self._client.post(
                f"{self.parametres.url}/consultations/{consultation.type}",
                content=corps,
                headers={"Content-Type": "application/json"},
            )
        except httpx.TimeoutException as exc:
            raise ConsultationImpossible("consultation_delai_depasse", True, resume_exception(exc)) from None
        except httpx.HTTPError as exc:
            raise ConsultationImpossible("destinataire_indisponible", True, resume_exception(exc)) from None
        return _reponse_consultation(reponse)

    async def sante(self) -> EtatConnecteur:
        """Any answer below 500 proves the endpoint is reachable and its TLS acceptable."""
        try:
            reponse = await self._client.get(f"{self.parametres.url}/sante")
        except httpx.HTTPError as exc:
            return EtatConnecteur(disponible=False, detail=resume_exception(exc))
        return EtatConnecteur(disponible=reponse.status_code < 500, detail=f"HTTP {reponse.status_code}")

    async def fermer(self) -> None:
        await self._client.aclose()


def _reponse_consultation(reponse: httpx.Response) -> ReponseConsultation:
    statut = reponse.status_code
    if 200 <= statut < 300:
        donnees = lire_json(reponse)
        if not isinstance(donnees, dict):
            raise ConsultationImpossible(
                "reponse_destinataire_invalide", True, f"HTTP {statut} sans objet JSON"
            )
        return ReponseConsultation(donnees=donnees)
    code = code_probleme(reponse)
    detail = f"HTTP {statut}" + (f" ({code})" if code else "")
    if statut in (404, 405, 501):
        raise ConsultationImpossible("consultation_non_prise_en_charge", False, detail)
    if statut in (408, 429) or statut >= 500:
        raise ConsultationImpossible("destinataire_indisponible", True, detail)
    raise ConsultationImpossible("consultation_refusee_par_destinataire", False, detail)


def creer(contexte: ContexteConnecteur, *, transport: httpx.AsyncBaseTransport | None = None) -> ConnecteurHttp:
    """Entry point ``http``; ``transport`` lets tests replace the network (``MockTransport``)."""
    parametres = lire_parametres(ParametresHttp, contexte.organisme, ConnecteurHttp.nom, contexte.parametres)
    tls = contexte_tls(parametres, contexte.organisme)
    return ConnecteurHttp(
        contexte.organisme,
        parametres,
        contexte.signeur,
        contexte.horloge,
        tls=tls,
        transport=transport,
    )

