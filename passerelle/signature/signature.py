"""Our RFC 9421 signer: the reference client's requests and the gateway's receipts.

It builds the base with the very function the verifier uses and covers exactly what the
verifier requires, so anything it signs passes our own checks by construction; the tests
check it against an independent implementation as well. Given ``nonce`` and ``maintenant``
the output is deterministic (Ed25519 signatures are).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Mapping

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.signature.base import MessageHttp, base_de_signature, serialiser_parametres
from passerelle.signature.contenu import CorpsHache, empreinte_de, membre_octets
from passerelle.signature.lecture import ALGORITHME
from passerelle.signature.verification import (
    COMPOSANTS_CORPS,
    COMPOSANTS_REPONSE,
    COMPOSANTS_REQUETE,
)


def _minuscules(entetes: Mapping[str, str]) -> dict[str, str]:
    resultat: dict[str, str] = {}
    for nom, valeur in entetes.items():
        if nom.lower() in resultat:
            raise ValueError(f"en-tête « {nom.lower()} » fourni deux fois")
        resultat[nom.lower()] = valeur
    return resultat


def _ajouter_empreinte(entetes: dict[str, str], corps: bytes | CorpsHache) -> str:
    """Digest of ``corps``; a digest already given must agree, or we would sign a lie."""
    empreinte = empreinte_de(corps)
    donnee = entetes.get("content-digest")
    if donnee is not None and donnee.strip() != empreinte:
        raise ValueError("l'en-tête Content-Digest fourni ne correspond pas au corps")
    entetes["content-digest"] = empreinte
    return empreinte


@functools.lru_cache(maxsize=8)
def _etiquette(etiquette: str) -> str:
    """The label as a dictionary key (RFC 8941 key syntax checked once)."""
    return http_sf.ser({etiquette: 1}).removesuffix("=1")


def _signer(
    message: MessageHttp,
    composants: tuple[str, ...],
    parametres: dict[str, str | int],
    cle: Ed25519PrivateKey,
    etiquette: str,
) -> dict[str, str]:
    couverts = tuple((nom, {}) for nom in composants)
    serialises = _parametres_serialises(composants, tuple(parametres.items()))
    base = base_de_signature(message, couverts, serialises)  # type: ignore[arg-type]
    return {
        "Signature-Input": f"{_etiquette(etiquette)}={serialises}",
        "Signature": membre_octets(_etiquette(etiquette), cle.sign(base)),
    }


@functools.lru_cache(maxsize=256)
def _parametres_serialises(composants: tuple[str, ...], parametres: tuple[tuple[str, str | int], ...]) -> str:
    # A receipt's parameters change once a second (created): serialised once per second.
    return serialiser_parametres([(nom, {}) for nom in composants], dict(parametres))


def signer_requete(
    *,
    methode: str,
    chemin: str,
    requete: str,
    entetes: dict[str, str],
    corps: bytes | CorpsHache,
    cle: Ed25519PrivateKey,
    keyid: str,
    maintenant: int,
    nonce: str | None = None,
    etiquette: str = "sig1",
) -> dict[str, str]:
    """Headers to add to a request so that ``verifier_requete`` accepts it.

    A request with a body, or announcing one with Content-Type, also gets a Content-Digest
    and covers ``content-type`` and ``content-digest``, as the verifier then demands.
    """
    if not keyid or nonce == "":
        raise ValueError("keyid et nonce ne peuvent pas être vides")
    if requete.startswith("?"):
        raise ValueError("requete est la chaîne de requête sans le « ? » initial")
    tous = _minuscules(entetes)
    if not tous.get("passerelle-agent", "").strip():
        raise ValueError("l'en-tête Passerelle-Agent est obligatoire et non vide")
    ajouts: dict[str, str] = {}
    composants = COMPOSANTS_REQUETE
    if corps or "content-type" in tous or "content-digest" in tous:
        if not tous.get("content-type", "").strip():
            raise ValueError("une requête avec un corps doit porter un en-tête Content-Type")
        ajouts["Content-Digest"] = _ajouter_empreinte(tous, corps)
        composants = COMPOSANTS_REQUETE + COMPOSANTS_CORPS
    parametres: dict[str, str | int] = {
        "created": maintenant,
        "keyid": keyid,
        "alg": ALGORITHME,
        "nonce": nonce if nonce is not None else secrets.token_urlsafe(16),
    }
    message = MessageHttp(methode=methode, chemin=chemin, requete=requete, entetes=tous)
    return ajouts | _signer(message, composants, parametres, cle, etiquette)


def signer_reponse(
    *,
    statut: int,
    entetes: dict[str, str],
    corps: bytes | CorpsHache,
    cle: Ed25519PrivateKey,
    keyid: str,
    maintenant: int,
    etiquette: str = "sig1",
) -> dict[str, str]:
    """Headers that make a response (the receipt) a proof of what the gateway answered."""
    tous = _minuscules(entetes)
    if not tous.get("content-type", "").strip():
        raise ValueError("une réponse signée doit porter un en-tête Content-Type")
    ajouts = {"Content-Digest": _ajouter_empreinte(tous, corps)}
    parametres: dict[str, str | int] = {"created": maintenant, "keyid": keyid, "alg": ALGORITHME}
    message = MessageHttp(methode="", chemin="", requete="", entetes=tous, statut=statut)
    return ajouts | _signer(message, COMPOSANTS_REPONSE, parametres, cle, etiquette)
