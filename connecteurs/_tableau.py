"""The batch file: a CSV with the convention's column names, and its manifest.

Column names are read from the flux models' descriptions (``"NIRAssuré — …"``), never copied
by hand: the annex-1 name is written once, on the model, and the published schemas, the API
and these files cannot drift apart. The manifest is written after the CSV and names its digest
and message ids, so a receiver knows a batch is complete and intact before it reads it; it is
signed by the gateway, so a file planted on the server by someone else is recognisable.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from connecteurs.base import CHAMPS_ENVELOPPE, MessageALivrer, horodatage_rfc3339

SEPARATEUR_COLONNES = ";"
SEPARATEUR_LISTE = "|"
VERSION_MANIFESTE = 1
COLONNES_ENVELOPPE: tuple[str, ...] = (
    "IdMessage",
    "Emetteur",
    "Destinataire",
    "RecuLe",
    "EnReponseA",
    "Reference",
    "IndexJournal",
    "Empreinte",
)
_TIRET = " — "


class ValeurNonTabulaire(ValueError):
    """A payload value that a CSV cell cannot hold faithfully (an object, a nested list)."""


@dataclass(frozen=True)
class Colonne:
    champ: str  # the model's field name, the key in ``contenu``
    nom: str  # the annex-1 name, the CSV header


@cache
def colonnes_flux(modele: type[BaseModel]) -> tuple[Colonne, ...]:
    """The flux's own columns in model order, envelope fields left out (they have theirs)."""
    colonnes = []
    for champ, info in modele.model_fields.items():
        if champ in CHAMPS_ENVELOPPE:
            continue
        description = info.description or ""
        nom = description.split(_TIRET, 1)[0].strip()
        if _TIRET not in description or not nom:
            raise ValueError(f"{modele.__name__}.{champ} : la description doit commencer par le nom de l'annexe")
        colonnes.append(Colonne(champ=champ, nom=nom))
    noms = [colonne.nom for colonne in colonnes] + list(COLONNES_ENVELOPPE)
    if len(set(noms)) != len(noms):
        raise ValueError(f"{modele.__name__} : deux colonnes portent le même nom")
    return tuple(colonnes)


def entete(modele: type[BaseModel]) -> list[str]:
    return list(COLONNES_ENVELOPPE) + [colonne.nom for colonne in colonnes_flux(modele)]


def _scalaire(valeur: Any) -> str:
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "true" if valeur else "false"
    if isinstance(valeur, (int, float)):
        return json.dumps(valeur)
    if isinstance(valeur, str):
        return valeur
    raise ValeurNonTabulaire(type(valeur).__name__)


def cellule(valeur: Any) -> str:
    """A list becomes ``a|b``, with ``\\`` and ``|`` escaped by ``\\`` inside items."""
    if isinstance(valeur, list):
        elements = []
        for element in valeur:
            if isinstance(element, (list, dict)):
                raise ValeurNonTabulaire("liste imbriquée")
            elements.append(_scalaire(element).replace("\\", "\\\\").replace("|", "\\|"))
        return SEPARATEUR_LISTE.join(elements)
    return _scalaire(valeur)


def ligne(message: MessageALivrer, modele: type[BaseModel]) -> list[str]:
    """One CSV row; raises ``ValeurNonTabulaire`` naming a field, never a value."""
    colonnes = colonnes_flux(modele)
    connus = {colonne.champ for colonne in colonnes} | CHAMPS_ENVELOPPE
    inconnus = sorted(str(cle) for cle in message.contenu if cle not in connus)
    if inconnus:
        raise ValeurNonTabulaire(f"{len(inconnus)} champ(s) hors du modèle du flux")
    enveloppe = [
        message.id,
        message.emetteur,
        message.destinataire,
        horodatage_rfc3339(message.recu_le),
        message.en_reponse_a or "",
        message.reference or "",
        str(message.journal_index),
        message.empreinte,
    ]
    cellules = []
    for colonne in colonnes:
        try:
            cellules.append(cellule(message.contenu.get(colonne.champ)))
        except ValeurNonTabulaire as exc:
            raise ValeurNonTabulaire(f"champ {colonne.nom} : {exc}") from None
    return enveloppe + cellules


def csv_lot(modele: type[BaseModel], lignes: Sequence[list[str]]) -> bytes:
    """UTF-8 without BOM, ``;``-separated, RFC 4180 quoting and CRLF line ends."""
    tampon = io.StringIO(newline="")
    ecrivain = csv.writer(tampon, delimiter=SEPARATEUR_COLONNES, lineterminator="\r\n")
    ecrivain.writerow(entete(modele))
    ecrivain.writerows(lignes)
    return tampon.getvalue().encode("utf-8")


def manifeste(
    *,
    fichier: str,
    flux: str,
    lot: str,
    organisme: str,
    cree_le: datetime,
    contenu_csv: bytes,
    ids: Sequence[str],
    cle: Ed25519PrivateKey,
    keyid: str,
) -> bytes:
    """The manifest as JSON; ``signature`` covers the RFC 8785 form of every other member."""
    corps: dict[str, Any] = {
        "version": VERSION_MANIFESTE,
        "fichier": fichier,
        "flux": flux,
        "lot": lot,
        "destinataire": organisme,
        "cree_le": horodatage_rfc3339(cree_le),
        "lignes": len(ids),
        "octets": len(contenu_csv),
        "sha256": hashlib.sha256(contenu_csv).hexdigest(),
        "messages": list(ids),
    }
    signature = cle.sign(rfc8785.dumps(corps))
    corps["signature"] = {
        "alg": "ed25519",
        "keyid": keyid,
        "valeur": base64.b64encode(signature).decode("ascii"),
    }
    return json.dumps(corps, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
