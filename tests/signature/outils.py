"""Request builders shared by the signature tests."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

import http_sf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from passerelle.erreurs import RefusAuthentification
from passerelle.signature import (
    MessageHttp,
    construire_base,
    empreinte_contenu,
    signer_requete,
    verifier_requete,
)

MAINTENANT = 1_750_000_000
KEYID = "caf-042-2025"
CHEMIN = "/v1/flux/avpf"
CORPS = b'{"nir": "185057800608436", "reference": "dossier-17"}'
ENTETES = {"Passerelle-Agent": "marie.martin@caf-042", "Content-Type": "application/json"}


def requete_signee(
    cle: Ed25519PrivateKey,
    *,
    corps: bytes = CORPS,
    entetes: Mapping[str, str] | None = None,
    methode: str = "POST",
    chemin: str = CHEMIN,
    requete: str = "",
    maintenant: int = MAINTENANT,
    nonce: str = "bm9uY2UtZGUtdGVzdA",
) -> tuple[dict[str, str], MessageHttp]:
    """A request signed by our signer; returns its headers and the message as received."""
    base = dict(ENTETES if entetes is None else entetes)
    ajouts = signer_requete(
        methode=methode,
        chemin=chemin,
        requete=requete,
        entetes=base,
        corps=corps,
        cle=cle,
        keyid=KEYID,
        maintenant=maintenant,
        nonce=nonce,
    )
    tous = base | ajouts
    return tous, recue(tous, methode=methode, chemin=chemin, requete=requete)


def recue(
    entetes: Mapping[str, str], *, methode: str = "POST", chemin: str = CHEMIN, requete: str = ""
) -> MessageHttp:
    return MessageHttp(methode=methode, chemin=chemin, requete=requete, entetes=dict(entetes))


def signer_sur_mesure(
    cle: Ed25519PrivateKey,
    message: MessageHttp,
    composants: list[str],
    parametres: dict[str, Any],
    etiquette: str = "sig1",
) -> dict[str, str]:
    """Validly sign any coverage and parameters, to reach the policy checks behind the crypto."""
    liste = ([(nom, {}) for nom in composants], parametres)
    texte = http_sf.ser({"p": liste})[2:]
    base = construire_base(message, composants, texte)
    return {
        "signature-input": http_sf.ser({etiquette: liste}),
        "signature": http_sf.ser({etiquette: cle.sign(base)}),
    }


REQUIS = ["@method", "@path", "@query", "passerelle-agent", "content-type", "content-digest"]
PARAMS = {"created": MAINTENANT, "keyid": KEYID, "alg": "ed25519", "nonce": "n-1"}
ZERO = ":" + base64.b64encode(bytes(64)).decode() + ":"


def code_refus(
    message: MessageHttp,
    resoudre: Callable[[str], Ed25519PublicKey],
    corps: bytes = CORPS,
    **options: Any,
) -> str:
    """The refusal code of ``verifier_requete``; fails the test if the request is accepted."""
    with pytest.raises(RefusAuthentification) as refus:
        verifier_requete(message, corps, resoudre, MAINTENANT, **options)
    assert refus.value.statut == 401
    assert refus.value.detail
    return refus.value.code


def sur_mesure(
    cle: Ed25519PrivateKey,
    composants: list[str] | None = None,
    parametres: dict[str, Any] | None = None,
    entetes: dict[str, str] | None = None,
    corps: bytes = CORPS,
) -> MessageHttp:
    """A validly signed request with any coverage or parameters the tests need."""
    base = dict(ENTETES if entetes is None else entetes)
    base.setdefault("content-digest", empreinte_contenu(corps))
    message = recue(base)
    signature = signer_sur_mesure(
        cle,
        message,
        REQUIS if composants is None else composants,
        PARAMS if parametres is None else parametres,
    )
    return recue(base | signature)


def entetes_brutes(signature_input: str, signature: str = f"sig1={ZERO}") -> MessageHttp:
    """Hand-written signature headers, for refusals that come before any cryptography."""
    base = ENTETES | {"content-digest": empreinte_contenu(CORPS)}
    return recue(base | {"signature-input": signature_input, "signature": signature})
