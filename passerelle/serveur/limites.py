"""What one request may cost the server before the application sees it, and the refusals.

Pure data and pure functions: the protocol (``protocole.py``) decides *when*; this module says
*what* is answered, as the same RFC 9457 document the application gives (``Refus.probleme``),
written by hand on the socket because no application runs yet.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from http import HTTPStatus

from passerelle.erreurs import Refus
from passerelle.reglages import Reglages

MEDIA_PROBLEME = b"application/problem+json"


@dataclass(frozen=True)
class LimitesHttp:
    """Per-request bounds of the server; defaults are those of ``Reglages``."""

    taille_max_entetes: int = 16_384  # request line + header fields + final CRLF, bytes
    entetes_max: int = 100  # header fields
    taille_max_url: int = 8192  # request target (path and query), bytes
    delai_entetes: float = 10.0  # seconds for a whole request head, from its first byte
    delai_corps: float = 60.0  # seconds without a byte while a body is expected
    # After a refusal, what the client still sends is read and dropped for at most this long,
    # so that the close is a FIN after the answer, not a reset that destroys it.
    attente_fermeture: float = 5.0

    @classmethod
    def depuis(cls, reglages: Reglages) -> LimitesHttp:
        return cls(
            taille_max_entetes=reglages.taille_max_entetes,
            entetes_max=reglages.entetes_max,
            taille_max_url=reglages.taille_max_url,
            delai_entetes=reglages.delai_entetes,
            delai_corps=reglages.delai_corps,
        )


def _refus(statut: int, code: str, detail: str) -> Refus:
    return Refus(code=code, detail=detail, statut=statut, titre="Requête refusée")


def entetes_trop_volumineux(limites: LimitesHttp) -> Refus:
    return _refus(431, "entetes_trop_volumineux",
                  f"la ligne de requête et les en-têtes dépassent {limites.taille_max_entetes} octets")


def entetes_trop_nombreux(limites: LimitesHttp) -> Refus:
    return _refus(431, "entetes_trop_nombreux", f"la requête a plus de {limites.entetes_max} champs d'en-tête")


def uri_trop_longue(limites: LimitesHttp) -> Refus:
    return _refus(414, "uri_trop_longue",
                  f"la cible de la requête (chemin et chaîne de requête) dépasse {limites.taille_max_url} octets")


def delai_entetes_depasse(limites: LimitesHttp) -> Refus:
    return _refus(408, "delai_entetes_depasse",
                  f"la ligne de requête et les en-têtes ne sont pas arrivés en entier en {limites.delai_entetes:g} s")


def delai_corps_depasse(limites: LimitesHttp) -> Refus:
    return _refus(408, "delai_corps_depasse",
                  f"aucun octet du corps de la requête reçu pendant {limites.delai_corps:g} s")


def requete_malformee() -> Refus:
    return _refus(400, "requete_malformee",
                  "requête HTTP illisible (ligne de requête, en-tête, Content-Length ou découpage chunked mal formé)")


def nouvel_identifiant() -> str:
    return uuid.uuid4().hex


def reponse_brute(refus: Refus, requete_id: str, entetes_serveur: list[tuple[bytes, bytes]]) -> bytes:
    """The whole HTTP/1.1 response, ``Connection: close``: after it the connection ends."""
    corps = json.dumps(refus.probleme(requete=requete_id), ensure_ascii=False, separators=(",", ":")).encode()
    raison = HTTPStatus(refus.statut).phrase.encode("ascii")
    lignes = [b"HTTP/1.1 %d %s\r\n" % (refus.statut, raison)]
    lignes += [nom + b": " + valeur + b"\r\n" for nom, valeur in entetes_serveur]
    lignes += [
        b"content-type: " + MEDIA_PROBLEME + b"\r\n",
        b"content-length: %d\r\n" % len(corps),
        b"x-request-id: " + requete_id.encode("ascii") + b"\r\n",
        b"connection: close\r\n",
        b"\r\n",
        corps,
    ]
    return b"".join(lignes)
