"""RFC 9530 ``Content-Digest``: what ties the signed headers to the bytes actually received.

The signature covers the ``Content-Digest`` field, not the body; the link to the body only
holds if the gateway recomputes the digest on the exact bytes it received, never trusting the
sender's value. We emit ``sha-256`` (the contract's algorithm) and, when a sender also sends
``sha-512``, we check it too: a member we could check but ignore would be a claim nobody
verified. Other algorithms are ignored as RFC 9530 section 2 allows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import http_sf

from passerelle.erreurs import RefusAuthentification
from passerelle.signature.base import refuser_doublon

ALGORITHME_EMPREINTE = "sha-256"

# Only algorithms RFC 9530 registers as "standard"; the insecure ones (md5, sha...) are ignored
# like any unknown algorithm, and sha-256 must be present anyway.
_FONCTIONS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda corps: hashlib.sha256(corps).digest(),
    "sha-512": lambda corps: hashlib.sha512(corps).digest(),
}
_TAILLES = {"sha-256": 32, "sha-512": 64}


class CorpsHache:
    """A body too large to hold in memory, known by its digests computed while it was spooled.

    Lets a batch of hundreds of thousands of lines be authenticated like any request: the
    digest is still recomputed on the bytes received, only incrementally.
    """

    def __init__(self) -> None:
        self._calculs = {"sha-256": hashlib.sha256(), "sha-512": hashlib.sha512()}
        self.taille = 0

    def ajouter(self, morceau: bytes) -> None:
        self.taille += len(morceau)
        for calcul in self._calculs.values():
            calcul.update(morceau)

    def digest(self, algorithme: str) -> bytes:
        return self._calculs[algorithme].digest()

    def __bool__(self) -> bool:
        return self.taille > 0


def _calculer(algorithme: str, corps: bytes | CorpsHache) -> bytes:
    if isinstance(corps, CorpsHache):
        return corps.digest(algorithme)
    return _FONCTIONS[algorithme](corps)


def membre_octets(cle: str, octets: bytes) -> str:
    """A one-member dictionary whose value is a byte sequence, as RFC 8941 serialises it
    (4.1.2 and 4.1.8: ``key=:base64:``), for a key already known valid — ``sha-256``, a
    signature label: what http_sf writes, without its character-by-character checks on every
    receipt and request (tests/signature compare both)."""
    return f"{cle}=:{base64.b64encode(octets).decode('ascii')}:"


def empreinte_de(corps: bytes | CorpsHache) -> str:
    """``empreinte_contenu`` for a body given either way."""
    return membre_octets(ALGORITHME_EMPREINTE, _calculer(ALGORITHME_EMPREINTE, corps))


def empreinte_contenu(corps: bytes) -> str:
    """Field value to send, so that signer and verifier agree byte for byte on its syntax."""
    return membre_octets(ALGORITHME_EMPREINTE, _FONCTIONS[ALGORITHME_EMPREINTE](corps))


def _lire_empreintes(valeur: str) -> dict[str, bytes]:
    """Parse the field; every member we know how to check must be a well-formed digest."""
    try:
        membres = http_sf.parse(
            valeur.strip(" \t").encode("ascii"),
            tltype="dictionary",
            on_duplicate_key=refuser_doublon,
        )
    except (ValueError, UnicodeEncodeError) as erreur:
        raise RefusAuthentification(
            "empreinte_malformee",
            f"L'en-tête Content-Digest n'est pas un dictionnaire de champ structuré valide "
            f"(RFC 8941) : {erreur}.",
        ) from erreur
    assert isinstance(membres, dict)
    empreintes: dict[str, bytes] = {}
    for algorithme, taille in _TAILLES.items():
        if algorithme not in membres:
            continue
        membre = membres[algorithme]
        octets = membre[0] if isinstance(membre, tuple) else membre
        if not isinstance(octets, bytes):
            raise RefusAuthentification(
                "empreinte_malformee",
                f"Le membre « {algorithme} » de Content-Digest doit être une séquence d'octets "
                f"(:base64:), comme {algorithme}=:...:.",
            )
        if len(octets) != taille:
            raise RefusAuthentification(
                "empreinte_malformee",
                f"Le membre « {algorithme} » de Content-Digest fait {len(octets)} octets, "
                f"{taille} sont attendus.",
            )
        empreintes[algorithme] = octets
    if ALGORITHME_EMPREINTE not in empreintes:
        raise RefusAuthentification(
            "empreinte_malformee",
            "L'en-tête Content-Digest doit contenir une empreinte sha-256 "
            "(sha-256=:<base64>:, RFC 9530).",
        )
    return empreintes


def verifier_empreinte(valeur: str | None, corps: bytes | CorpsHache) -> None:
    """Refuse unless every supported digest sent matches the bytes received.

    All members are compared before deciding, in constant time, so the answer does not leak
    which one or which byte differed.
    """
    if valeur is None or not valeur.strip(" \t"):
        raise RefusAuthentification(
            "empreinte_absente",
            "L'en-tête Content-Digest (RFC 9530, sha-256) est obligatoire pour une requête "
            "avec un corps.",
        )
    empreintes = _lire_empreintes(valeur)
    concordantes = True
    for algorithme, attendue in empreintes.items():
        calculee = _calculer(algorithme, corps)
        concordantes &= hmac.compare_digest(attendue, calculee)
    if not concordantes:
        raise RefusAuthentification(
            "empreinte_incorrecte",
            "L'empreinte Content-Digest ne correspond pas au corps reçu : le corps a été "
            "modifié ou l'empreinte a été calculée sur d'autres octets (avant encodage ?).",
        )
