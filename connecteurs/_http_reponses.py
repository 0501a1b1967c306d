"""What a receiver's HTTP answer means for the delivery: delivered, retry, or give up.

Kept apart from the transport so that the whole table (2xx, 409, 408/429/5xx, other 4xx,
redirections, ``Retry-After``) is a pure function tested without a network. Details carry the
status and at most a problem ``code`` matching a strict pattern: a receiver's free text may
quote the payload, and ``Remise.detail`` ends up in the journal.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connecteurs.base import Remise

_RETRY_AFTER_MAX = 24 * 3600.0  # a receiver cannot park our outbox for longer than a day
_CODE_PROBLEME = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_ACCUSE = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no space: a reference, not prose
_CORPS_LU_MAX = 64 * 1024


def lire_json(reponse: httpx.Response) -> Any:
    """The body as JSON, or ``None`` when it is not JSON (or unreasonably large)."""
    contenu = reponse.content
    if not contenu or len(contenu) > _CORPS_LU_MAX:
        return None
    try:
        return json.loads(contenu)
    except (ValueError, UnicodeDecodeError):
        return None


def code_probleme(reponse: httpx.Response) -> str | None:
    """The RFC 9457 ``code`` of an error answer, if it looks like a code and nothing more."""
    donnees = lire_json(reponse)
    if isinstance(donnees, dict):
        code = donnees.get("code")
        if isinstance(code, str) and _CODE_PROBLEME.fullmatch(code):
            return code
    return None


def accuse(reponse: httpx.Response) -> str | None:
    """The receiver's own acknowledgement reference (``{"accuse": "..."}``), if well formed."""
    donnees = lire_json(reponse)
    if isinstance(donnees, dict):
        valeur = donnees.get("accuse")
        if isinstance(valeur, str) and _ACCUSE.fullmatch(valeur):
            return valeur
    return None


def delai_retry_after(valeur: str | None, maintenant: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` field (RFC 9110 10.2.3), bounded to one day."""
    if valeur is None:
        return None
    valeur = valeur.strip()
    if valeur.isdigit():
        secondes = float(int(valeur))
    else:
        try:
            date = parsedate_to_datetime(valeur)
        except (TypeError, ValueError, IndexError):
            return None
        if date is None:
            return None
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        secondes = (date - maintenant).total_seconds()
    if not math.isfinite(secondes):
        return None
    return min(max(secondes, 0.0), _RETRY_AFTER_MAX)


def _libelle(reponse: httpx.Response) -> str:
    code = code_probleme(reponse)
    return f"HTTP {reponse.status_code}" + (f" ({code})" if code else "")


def remise_pour(reponse: httpx.Response, maintenant: datetime) -> Remise:
    """Map the receiver's answer to a ``Remise`` (receiver contract, docs/connecteurs.md)."""
    statut = reponse.status_code
    if 200 <= statut < 300:
        return Remise(livre=True, detail=f"HTTP {statut}", accuse=accuse(reponse))
    if statut == 409:
        # The receiver dedupes on the message id: 409 means it already holds this message.
        return Remise(livre=True, detail="HTTP 409 (déjà reçu)", accuse=accuse(reponse))
    if statut in (408, 429) or statut >= 500:
        return Remise(
            livre=False,
            detail=f"{_libelle(reponse)} : le destinataire demande de réessayer",
            reessayer_apres=delai_retry_after(reponse.headers.get("retry-after"), maintenant),
        )
    if 300 <= statut < 400:
        return Remise(
            livre=False,
            definitif=True,
            detail=f"HTTP {statut} : redirection non suivie (corrigez l'url du connecteur)",
        )
    return Remise(
        livre=False,
        definitif=True,
        detail=f"{_libelle(reponse)} : refusé par le destinataire, réessayer n'y changera rien",
    )


def remise_erreur_transport(exc: httpx.HTTPError) -> Remise:
    """A failure before any answer: always worth retrying (the receiver dedupes)."""
    if isinstance(exc, httpx.ConnectTimeout):
        motif = "délai de connexion dépassé"
    elif isinstance(exc, httpx.ReadTimeout):
        motif = "délai de lecture de la réponse dépassé"
    elif isinstance(exc, httpx.WriteTimeout):
        motif = "délai d'envoi dépassé"
    elif isinstance(exc, httpx.TimeoutException):
        motif = "délai dépassé"
    elif isinstance(exc, httpx.ConnectError):
        motif = "connexion impossible"
    else:
        motif = "erreur de transport"
    return Remise(livre=False, detail=f"{motif} ({resume_exception(exc)})")


def resume_exception(exc: BaseException) -> str:
    """Class and first line of the message (e.g. a TLS verification failure), bounded."""
    texte = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {texte}" if texte else type(exc).__name__
