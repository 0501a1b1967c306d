"""Interoperability with an independent RFC 9421 implementation (http-message-signatures).

Signed by them, verified by us; signed by us, verified by them. Their verifier checks
``created`` against the real clock, so requests we sign for them are dated now.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle.erreurs import RefusAuthentification
from passerelle.signature import (
    MessageHttp,
    signer_reponse,
    signer_requete,
    verifier_reponse,
    verifier_requete,
    verifier_signature,
)

from .outils import CHEMIN, CORPS, ENTETES, KEYID, MAINTENANT

Resoudre = Callable[[str], Ed25519PublicKey]
ORIGINE = "https://passerelle.example"
REQUIS = ("@method", "@path", "@query", "passerelle-agent", "content-type", "content-digest")


@dataclass
class Requete:
    """The message shape their resolver reads: method, absolute encoded url, headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Reponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def _signataire(cle: Ed25519PrivateKey) -> HTTPMessageSigner:
    return HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEYID: cle}),
    )


def _verificateur(cle: Ed25519PrivateKey) -> HTTPMessageVerifier:
    return HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={KEYID: cle.public_key()}, private_keys={}),
    )


def _vue(requete: Requete) -> MessageHttp:
    """Their request as our server would see it on the wire."""
    url = urlsplit(requete.url)
    return MessageHttp(
        methode=requete.method,
        chemin=url.path,
        requete=url.query,
        entetes=requete.headers,
        autorite=url.netloc,
        schema=url.scheme,
    )


def _signee_par_eux(
    cle: Ed25519PrivateKey, url: str, corps: bytes, entetes: dict[str, str],
    composants: tuple[str, ...] = REQUIS[:5], nonce: str = "bGEtYmlibGlvdGhlcXVl",
) -> Requete:
    requete = Requete("POST", url, dict(entetes))
    _signataire(cle).sign(
        requete,
        key_id=KEYID,
        created=datetime.datetime.fromtimestamp(MAINTENANT, tz=datetime.timezone.utc),
        nonce=nonce,
        label="sig1",
        covered_component_ids=composants,
        body=corps,  # they add Content-Digest and cover it
    )
    return requete


# --- them -> us ----------------------------------------------------------------------------

def test_requete_signee_par_eux_verifiee_par_nous(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    requete = _signee_par_eux(cle, f"{ORIGINE}{CHEMIN}?suite=%C3%A9t%C3%A9&n=2", CORPS, ENTETES)
    assert '"content-digest"' in requete.headers["Signature-Input"]
    verifiee = verifier_requete(_vue(requete), CORPS, resoudre, MAINTENANT)
    assert verifiee.nonce == "bGEtYmlibGlvdGhlcXVl"
    assert set(verifiee.composants) == set(REQUIS)


def test_requete_signee_par_eux_corps_modifie(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    requete = _signee_par_eux(cle, f"{ORIGINE}{CHEMIN}", CORPS, ENTETES)
    with pytest.raises(RefusAuthentification) as refus:
        verifier_requete(_vue(requete), CORPS + b"\n", resoudre, MAINTENANT)
    assert refus.value.code == "empreinte_incorrecte"


@pytest.mark.parametrize(
    "url",
    [
        f"{ORIGINE}{CHEMIN}",
        f"{ORIGINE}:443{CHEMIN}?a=1",
        "https://Passerelle.Example:8443/v1/flux/a%2Fb?x=%20y&z",
        "http://passerelle.example:80/",
    ],
)
def test_composants_derives_calcules_comme_eux(cle: Ed25519PrivateKey, url: str) -> None:
    """@authority, @scheme, @target-uri, @request-target: same values on both sides."""
    composants = ("@method", "@authority", "@scheme", "@target-uri", "@request-target", "@path",
                  "@query", "content-type")
    requete = _signee_par_eux(cle, url, CORPS, ENTETES, composants=composants)
    lue = verifier_signature(_vue(requete), cle.public_key())
    assert lue.parametres["keyid"] == KEYID


def test_reponse_signee_par_eux_verifiee_par_nous(cle: Ed25519PrivateKey) -> None:
    corps = b'{"id": "m-1", "statut": "recu"}'
    reponse = Reponse(202, {"Content-Type": "application/json"})
    _signataire(cle).sign(
        reponse,
        key_id=KEYID,
        created=datetime.datetime.fromtimestamp(MAINTENANT, tz=datetime.timezone.utc),
        label="sig1",
        covered_component_ids=("@status", "content-type"),
        body=corps,
    )
    message = MessageHttp("", "", "", reponse.headers, statut=202)
    verifiee = verifier_reponse(message, corps, cle.public_key())
    assert verifiee.nonce is None and verifiee.created == MAINTENANT


# --- us -> them ----------------------------------------------------------------------------

def _signee_par_nous(
    cle: Ed25519PrivateKey, chemin: str, requete: str, corps: bytes, entetes: dict[str, str]
) -> Requete:
    ajouts = signer_requete(
        methode="POST", chemin=chemin, requete=requete, entetes=entetes, corps=corps, cle=cle,
        keyid=KEYID, maintenant=int(time.time()),
    )
    suffixe = f"?{requete}" if requete else ""
    return Requete("POST", f"{ORIGINE}{chemin}{suffixe}", entetes | ajouts)


def test_requete_signee_par_nous_verifiee_par_eux(cle: Ed25519PrivateKey) -> None:
    requete = _signee_par_nous(cle, CHEMIN, "suite=%C3%A9t%C3%A9", CORPS, ENTETES)
    (resultat,) = _verificateur(cle).verify(requete, require_components=REQUIS, body=CORPS)
    assert resultat.body == CORPS
    assert resultat.parameters["alg"] == "ed25519"
    assert resultat.nonce and len(resultat.nonce) >= 22  # 16 random bytes, base64url


def test_leur_verificateur_detecte_un_corps_modifie(cle: Ed25519PrivateKey) -> None:
    """The oracle is not a rubber stamp: it refuses what we would refuse."""
    requete = _signee_par_nous(cle, CHEMIN, "", CORPS, ENTETES)
    with pytest.raises(InvalidSignature):
        _verificateur(cle).verify(requete, require_components=REQUIS, body=CORPS + b" ")


def test_reponse_signee_par_nous_verifiee_par_eux(cle: Ed25519PrivateKey) -> None:
    corps = b'{"id": "m-1", "journal_index": 41, "statut": "recu"}'
    entetes = {"Content-Type": "application/json"}
    ajouts = signer_reponse(
        statut=202, entetes=entetes, corps=corps, cle=cle, keyid=KEYID, maintenant=int(time.time())
    )
    reponse = Reponse(202, entetes | ajouts)
    (resultat,) = _verificateur(cle).verify(
        reponse, require_components=("@status", "content-type", "content-digest"), body=corps
    )
    assert resultat.body == corps
    with pytest.raises(InvalidSignature):
        _verificateur(cle).verify(Reponse(200, entetes | ajouts), body=corps)


# --- both ways, any request ----------------------------------------------------------------

_SEGMENT = st.text(st.sampled_from("abcxyz019-._~%20"), min_size=1, max_size=12).map(
    lambda s: s.replace("%", "%25").replace("%2520", "%20")
)
_REQUETE = st.sampled_from(["", "a=1", "q=%C3%A9&x", "p=1&p=2&vide="])
_AGENT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(segments=st.lists(_SEGMENT, min_size=1, max_size=4), requete=_REQUETE,
       corps=st.binary(min_size=1, max_size=200), agent=_AGENT)
def test_interop_dans_les_deux_sens(
    cle: Ed25519PrivateKey, resoudre: Resoudre, segments: list[str], requete: str, corps: bytes,
    agent: str,
) -> None:
    chemin = "/" + "/".join(segments)
    entetes = {"Passerelle-Agent": agent, "Content-Type": "application/json"}
    suffixe = f"?{requete}" if requete else ""
    leur = _signee_par_eux(cle, f"{ORIGINE}{chemin}{suffixe}", corps, entetes)
    verifier_requete(_vue(leur), corps, resoudre, MAINTENANT)
    notre = _signee_par_nous(cle, chemin, requete, corps, entetes)
    _verificateur(cle).verify(notre, require_components=REQUIS, body=corps)
