"""Acknowledgement files a caisse drops back: ``IdMessage;Statut;Detail``.

A file is taken whole or not at all: one malformed line rejects the file (it is moved to
``rejetes/`` for the caisse to fix and drop again) rather than half-applying it, which would
leave nobody sure which lines counted.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import NamedTuple

ENTETE_ACCUSES = ("IdMessage", "Statut", "Detail")
STATUTS = ("accepte", "rejete")
TAILLE_MAX = 10 * 1024 * 1024
_ID_MESSAGE = re.compile(r"[A-Za-z0-9._~:-]{1,128}")
_DETAIL_MAX = 1000


class Accuse(NamedTuple):
    """One line: the caisse has taken message ``id_message`` in (``accepte``) or not (``rejete``)."""

    id_message: str
    statut: str
    detail: str


class AccuseIllisible(ValueError):
    """Why an acknowledgement file was rejected (line number and rule, never a value)."""


def _statut(texte: str) -> str:
    sans_accents = unicodedata.normalize("NFKD", texte.strip().lower())
    normalise = "".join(c for c in sans_accents if not unicodedata.combining(c))
    return normalise


def lire_fichier_accuses(contenu: bytes) -> list[Accuse]:
    """Parse a whole file; ``Statut`` accepts ``accepte``/``accepté``/``ACCEPTE`` (same for rejete)."""
    if len(contenu) > TAILLE_MAX:
        raise AccuseIllisible(f"fichier de plus de {TAILLE_MAX} octets")
    try:
        texte = contenu.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AccuseIllisible("fichier non UTF-8") from None
    lecteur = csv.reader(io.StringIO(texte, newline=""), delimiter=";", strict=True)
    try:
        lignes = list(lecteur)
    except csv.Error as exc:
        raise AccuseIllisible(f"CSV mal formé ({exc})") from None
    if not lignes or tuple(cellule.strip() for cellule in lignes[0]) != ENTETE_ACCUSES:
        raise AccuseIllisible("première ligne attendue : IdMessage;Statut;Detail")
    accuses = []
    for numero, cellules in enumerate(lignes[1:], start=2):
        if not cellules or all(not cellule.strip() for cellule in cellules):
            continue  # a trailing blank line is common and harmless
        if len(cellules) != 3:
            raise AccuseIllisible(f"ligne {numero} : 3 colonnes attendues, {len(cellules)} trouvées")
        id_message, statut, detail = (cellule.strip() for cellule in cellules)
        if not _ID_MESSAGE.fullmatch(id_message):
            raise AccuseIllisible(f"ligne {numero} : IdMessage invalide")
        statut = _statut(statut)
        if statut not in STATUTS:
            raise AccuseIllisible(f"ligne {numero} : Statut doit valoir accepte ou rejete")
        accuses.append(Accuse(id_message, statut, detail[:_DETAIL_MAX]))
    return accuses
