"""Dates in the console, the French way, whatever the browser's locale.

Shown: ``23/11/2026 10:00:00 UTC`` (formatted here, on the server: a browser would follow its
own locale). Typed: ``JJ/MM/AAAA``, ``JJ/MM/AAAA HH:MM`` or ``JJ/MM/AAAA HH:MM:SS``, in UTC as
the form says; ISO 8601 is accepted too, for a value pasted from the journal or the API.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

FORME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def en_francais(valeur: object) -> str:
    """``2026-11-23T10:00:00.000000Z`` → ``23/11/2026 10:00:00 UTC``; anything else unchanged."""
    if isinstance(valeur, datetime):
        instant = valeur
    else:
        try:
            instant = datetime.fromisoformat(str(valeur).replace("Z", "+00:00"))
        except ValueError:
            return str(valeur)
    if instant.tzinfo is not None:
        instant = instant.astimezone(timezone.utc)
    return f"{instant:%d/%m/%Y %H:%M:%S} UTC"


def lire(texte: str) -> datetime:
    """A date typed in the search form, as a UTC instant; ``ValueError`` when unreadable."""
    texte = " ".join(texte.replace("UTC", "").split())
    forme = FORME.match(texte)
    if forme:
        jour, mois, annee, heure, minute, seconde = forme.groups()
        return datetime(int(annee), int(mois), int(jour), int(heure or 0), int(minute or 0), int(seconde or 0),
                        tzinfo=timezone.utc)
    instant = datetime.fromisoformat(texte.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
