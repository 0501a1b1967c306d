"""Remote file names that cannot escape their folder, whatever a message holds.

A name on the SFTP server is built only from values the gateway controls — a flux name from
the fixed catalogue, a timestamp, a fresh UUID — and each segment is checked once more here,
so that a hostile ``flux`` or ``reference`` can never become ``../`` on a caisse's server.
These checks raise ``ValueError`` (a bug or a hostile value, never a normal condition).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def segment_sur(valeur: str) -> str:
    """One path segment: no separator, no ``..``, no NUL, no leading dot, ASCII only."""
    if (
        not isinstance(valeur, str)
        or not _SEGMENT.fullmatch(valeur)
        or ".." in valeur
        or "/" in valeur
        or "\\" in valeur
        or "\x00" in valeur
    ):
        raise ValueError(f"segment de chemin refusé : {valeur!r:.80}")
    return valeur


def dossier_sur(valeur: str) -> str:
    """A configured folder: relative or absolute, made of safe segments only.

    ``.`` is allowed (the SFTP home). Empty segments (``a//b``) are refused rather than
    normalised: a configuration that needs normalising is probably not the one intended.
    """
    if not isinstance(valeur, str) or not valeur or "\x00" in valeur:
        raise ValueError("dossier vide ou contenant un caractère NUL")
    if valeur in ("/", "."):
        return valeur
    absolu = valeur.startswith("/")
    corps = valeur[1:] if absolu else valeur
    corps = corps.rstrip("/")
    segments = corps.split("/")
    for segment in segments:
        segment_sur(segment)
    return ("/" if absolu else "") + "/".join(segments)


def joindre(dossier: str, *segments: str) -> str:
    """``dossier/segment/...`` with every added segment checked."""
    base = dossier_sur(dossier)
    suite = "/".join(segment_sur(segment) for segment in segments)
    if base == "/":
        return "/" + suite
    return f"{base}/{suite}" if suite else base


def horodatage_fichier(instant: datetime) -> str:
    """``AAAAMMJJTHHMMSSZ``: sorts chronologically and holds nothing but digits, T and Z."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def base_lot(instant: datetime, lot: uuid.UUID) -> str:
    """``{AAAAMMJJTHHMMSSZ}-{lot}``, the stem shared by a batch's CSV and manifest."""
    return segment_sur(f"{horodatage_fichier(instant)}-{lot}")


def nom_temporaire(final: str) -> str:
    """A hidden, unique sibling of ``final``: same folder, so the rename stays atomic, and a
    name (``.…tmp``) that no receiver watching for ``*.csv`` or ``*.manifest.json`` matches."""
    dossier, _, nom = final.rpartition("/")
    temporaire = f".{segment_sur(nom)}.{uuid.uuid4().hex[:12]}.tmp"
    return f"{dossier}/{temporaire}" if dossier else temporaire
