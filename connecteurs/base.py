"""The connector protocol: the only thing the delivery worker knows about a caisse's system.

Each caisse runs a different system (a signed HTTPS endpoint, an SFTP drop, nothing but its
inbox), so the worker talks to all of them through these few plain types and never learns how
a message travels. A failed delivery is a value (``Remise``), not an exception: the worker must
record exactly one outcome per message, whatever happened on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connecteurs.erreurs import ConsultationImpossible

__all__ = [
    "CHAMPS_ENVELOPPE",
    "Connecteur",
    "ConsultationImpossible",
    "Consultation",
    "ContexteConnecteur",
    "EtatConnecteur",
    "FabriqueConnecteur",
    "MessageALivrer",
    "Remise",
    "ReponseConsultation",
    "SigneurRequetes",
    "horodatage_rfc3339",
]

# The envelope fields of the wire contract, common to every flux and carried beside the payload
# by ``MessageALivrer`` (destinataire, en_reponse_a, reference). Published here so
# a connector never reads the gateway's models to know them; tests/connecteurs checks they match.
CHAMPS_ENVELOPPE: frozenset[str] = frozenset({"destinataire", "en_reponse_a", "reference"})


def horodatage_rfc3339(instant: datetime) -> str:
    """RFC 3339 UTC with microseconds, the gateway's one textual form of time.

    A naive datetime is taken as UTC: that is how the storage layer hands times back.
    """
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class MessageALivrer:
    """A message as the destination receives it: envelope, proof references and payload."""

    id: str  # gateway message id (the receiver dedupes on it)
    flux: str
    emetteur: str
    destinataire: str
    recu_le: datetime  # UTC
    en_reponse_a: str | None
    reference: str | None
    journal_index: int
    empreinte: str  # Content-Digest of what the sender sent
    contenu: dict[str, Any]  # already decrypted and cut to the destination's habilitation

    def en_json(self) -> dict[str, Any]:
        """The JSON object a receiver gets (HTTP body), dates in RFC 3339."""
        return {
            "id": self.id,
            "flux": self.flux,
            "emetteur": self.emetteur,
            "destinataire": self.destinataire,
            "recu_le": horodatage_rfc3339(self.recu_le),
            "en_reponse_a": self.en_reponse_a,
            "reference": self.reference,
            "journal_index": self.journal_index,
            "empreinte": self.empreinte,
            "contenu": self.contenu,
        }


@dataclass(frozen=True)
class Remise:
    """The outcome of one delivery attempt.

    ``detail`` explains a failure and must never hold personal data (no payload value): it is
    journaled. ``definitif`` means retrying cannot help. ``reessayer_apres`` (seconds) relays a
    receiver's ``Retry-After``: the worker must not come back sooner.
    """

    livre: bool
    detail: str = ""
    definitif: bool = False
    accuse: str | None = None  # the receiver's own acknowledgement reference, if any
    reessayer_apres: float | None = None


@dataclass(frozen=True)
class Consultation:
    """A synchronous query (``POST /v1/consultations/{type}``) to answer from the destination."""

    type: str
    emetteur: str
    destinataire: str
    parametres: dict[str, Any]


@dataclass(frozen=True)
class ReponseConsultation:
    donnees: dict[str, Any]


@dataclass(frozen=True)
class EtatConnecteur:
    """Health as seen from the gateway; ``detail`` is for operators, never personal data."""

    disponible: bool
    detail: str = ""


@runtime_checkable
class SigneurRequetes(Protocol):
    """Signs an outgoing request with the gateway's key, as the wire contract requires
    (RFC 9421 signature + RFC 9530 ``Content-Digest``), at the gateway's clock.

    Given by the gateway when it builds a connector: a connector never implements the signature
    itself nor imports the gateway to get it. Returns the headers to add to the request.
    """

    def signer(
        self, *, methode: str, chemin: str, requete: str, entetes: Mapping[str, str], corps: bytes
    ) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ContexteConnecteur:
    """Everything a connector may use, passed in: connectors hold no globals and read no files
    of the gateway on their own (their own parameters may name files, e.g. keys)."""

    organisme: str  # the destination organisme code
    parametres: Mapping[str, Any]  # from config/annuaire
    cle_passerelle: Ed25519PrivateKey
    keyid_passerelle: str
    horloge: Callable[[], datetime]
    # The gateway's flux models by name (its register), for connectors that lay messages out
    # as tables; a connector must not keep a list of flux of its own.
    modeles: Mapping[str, type[Any]] = field(default_factory=dict)
    # How requests to the destination are signed with ``cle_passerelle`` (see SigneurRequetes).
    signeur: SigneurRequetes = field(kw_only=True)


@runtime_checkable
class Connecteur(Protocol):
    """How the gateway hands messages to one destination organisme.

    ``livrer`` returns one ``Remise`` per message, in the same order, and does not raise for a
    delivery failure. The worker passes at most ``livraison_par_lot`` messages at once, and
    never calls ``livrer`` when ``pousse`` is false (the organisme pulls from its inbox).
    """

    nom: str

    @property
    def livraison_par_lot(self) -> int: ...

    @property
    def pousse(self) -> bool: ...

    async def livrer(self, messages: Sequence[MessageALivrer]) -> list[Remise]: ...

    async def consulter(self, consultation: Consultation) -> ReponseConsultation:
        """Answer a synchronous query, or raise ``ConsultationImpossible``."""
        ...

    async def sante(self) -> EtatConnecteur: ...

    async def fermer(self) -> None: ...


FabriqueConnecteur = Callable[[ContexteConnecteur], Connecteur]
