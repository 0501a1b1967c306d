"""Reading one labelled signature and checking its Ed25519 value, without any policy.

Kept apart from ``verification`` so the RFC 9421 mechanics (which the RFC's own test vectors
exercise) stay separate from the gateway's rules (required components, time window, nonce),
which those vectors do not follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passerelle.erreurs import RefusAuthentification
from passerelle.signature.base import (
    Couverts,
    MessageHttp,
    base_de_signature,
    parametres_de_signature,
    refuser_doublon,
)

ALGORITHME = "ed25519"
TAILLE_SIGNATURE = 64  # RFC 8032: an Ed25519 signature is always 64 bytes


@dataclass(frozen=True)
class SignatureLue:
    """One signature as announced by the sender; nothing in it is verified yet."""

    etiquette: str
    couverts: Couverts
    parametres: dict[str, Any]
    parametres_serialises: str
    valeur: bytes

    @property
    def noms(self) -> tuple[str, ...]:
        return tuple(nom for nom, _ in self.couverts)


def _dictionnaire(entetes: Mapping[str, str], nom: str, affiche: str) -> dict[str, Any]:
    valeur = entetes.get(nom, "").strip(" \t")
    try:
        resultat = http_sf.parse(
            valeur.encode("ascii"), tltype="dictionary", on_duplicate_key=refuser_doublon
        )
    except (ValueError, UnicodeEncodeError) as erreur:
        raise RefusAuthentification(
            "signature_malformee",
            f"L'en-tête {affiche} n'est pas un dictionnaire de champ structuré valide "
            f"(RFC 8941) : {erreur}.",
        ) from erreur
    assert isinstance(resultat, dict)
    return resultat


def lire_signature(entetes: Mapping[str, str], etiquette: str = "sig1") -> SignatureLue:
    """Extract the ``etiquette`` member of Signature-Input and Signature (lowercase names)."""
    if not entetes.get("signature-input", "").strip() or not entetes.get("signature", "").strip():
        raise RefusAuthentification(
            "signature_absente",
            "Les en-têtes Signature-Input et Signature (RFC 9421) sont obligatoires, avec une "
            f"signature étiquetée « {etiquette} ».",
        )
    entrees = _dictionnaire(entetes, "signature-input", "Signature-Input")
    signatures = _dictionnaire(entetes, "signature", "Signature")
    for dictionnaire, affiche in ((entrees, "Signature-Input"), (signatures, "Signature")):
        if etiquette not in dictionnaire:
            presentes = ", ".join(dictionnaire) or "aucune"
            raise RefusAuthentification(
                "signature_absente",
                f"L'en-tête {affiche} ne contient pas de signature étiquetée « {etiquette} » "
                f"(étiquette attendue : {etiquette} ; reçue(s) : {presentes}).",
            )
    entree = entrees[etiquette]
    if not isinstance(entree, tuple) or not isinstance(entree[0], list):
        raise RefusAuthentification(
            "signature_malformee",
            f"Signature-Input « {etiquette} » doit être une liste interne de composants suivie "
            'des paramètres, p. ex. ("@method" "@path");created=...;keyid="..."',
        )
    signature = signatures[etiquette]
    octets = signature[0] if isinstance(signature, tuple) else signature
    if not isinstance(octets, bytes):
        raise RefusAuthentification(
            "signature_malformee",
            f"Signature « {etiquette} » doit être une séquence d'octets :base64:.",
        )
    if len(octets) != TAILLE_SIGNATURE:
        raise RefusAuthentification(
            "signature_malformee",
            f"Une signature Ed25519 fait {TAILLE_SIGNATURE} octets ; « {etiquette} » en fait "
            f"{len(octets)}.",
        )
    canonique, couverts, parametres = parametres_de_signature(entree)
    return SignatureLue(
        etiquette=etiquette,
        couverts=couverts,
        parametres=parametres,
        parametres_serialises=canonique,
        valeur=octets,
    )


def controler_algorithme(lue: SignatureLue, *, obligatoire: bool) -> None:
    """Only Ed25519 exists here; an ``alg`` naming anything else is a mismatch, not a hint."""
    alg = lue.parametres.get("alg")
    if alg is None and not obligatoire:
        return
    # type() and not ==: http_sf returns a Token for alg=ed25519, and Token == "ed25519".
    if type(alg) is not str or alg != ALGORITHME:
        recu = "absent" if alg is None else http_sf.ser(alg)
        raise RefusAuthentification(
            "algorithme_non_supporte",
            f'Le paramètre alg doit valoir "{ALGORITHME}" (chaîne) ; reçu : {recu}.',
        )


def verifier_valeur(message: MessageHttp, lue: SignatureLue, cle: Ed25519PublicKey) -> None:
    """Rebuild the base from the message as received and check the Ed25519 signature on it."""
    base = base_de_signature(message, lue.couverts, lue.parametres_serialises)
    try:
        cle.verify(lue.valeur, base)
    except InvalidSignature as erreur:
        raise RefusAuthentification(
            "signature_invalide",
            f"La signature « {lue.etiquette} » ne correspond pas à la requête reçue avec la clé "
            "annoncée : un composant couvert a changé en route, ou la base de signature a été "
            "construite autrement (RFC 9421, section 2.5).",
        ) from erreur


def verifier_signature(
    message: MessageHttp, cle: Ed25519PublicKey, *, etiquette: str = "sig1"
) -> SignatureLue:
    """Bare RFC 9421 check (syntax, ``alg`` if any, Ed25519 value), no gateway policy.

    For the RFC test vectors and diagnostics only; requests are checked with
    ``verifier_requete``, which adds the rules of the wire contract.
    """
    lue = lire_signature(message.entetes, etiquette)
    controler_algorithme(lue, obligatoire=False)
    verifier_valeur(message, lue, cle)
    return lue
