"""Export of the journal for offline verification (format: ``docs/journal.md``).

The export stops at the latest signed checkpoint: everything in it is then covered by a
signature, so that any change to any byte of it is detectable, and the next export simply
starts over from 0 (entries never change, so two exports agree on their common prefix).
Pages are read in short transactions — entries and nodes below an integrated size are
immutable, so no long snapshot is needed and the gateway keeps writing meanwhile.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from passerelle.journal.ecriture import horodatage_texte
from passerelle.journal.verificateur import (
    FICHIER_CHECKPOINTS,
    FICHIER_CLE,
    FICHIER_ENTREES,
    FICHIER_FEUILLES,
    FICHIER_MANIFESTE,
    FORMAT,
    VERSION,
)
from passerelle.stockage import journal_lecture

__all__ = ["ExportImpossible", "Manifeste", "exporter"]


class ExportImpossible(RuntimeError):
    """The database does not hold what a complete export needs; nothing usable was written."""


@dataclass(frozen=True)
class Manifeste:
    origine: str
    entrees: int
    checkpoints: int
    exporte_le: str

    def en_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "origine": self.origine,
            "entrees": self.entrees,
            "checkpoints": self.checkpoints,
            "exporte_le": self.exporte_le,
        }


def _preparer_dossier(dossier: Path) -> None:
    if dossier.exists() and (not dossier.is_dir() or any(dossier.iterdir())):
        raise ExportImpossible(f"{dossier} existe déjà et n'est pas un dossier vide: rien n'a été écrit")
    dossier.mkdir(parents=True, exist_ok=True)


def _page(moteur: Engine, debut: int, fin: int) -> tuple[list[bytes], list[bytes]]:
    with moteur.begin() as connexion:
        entrees, feuilles = journal_lecture.page_export(connexion, debut, fin)
    for nom, lignes in (("entrée", entrees), ("feuille", feuilles)):
        if [i for i, _ in lignes] != list(range(debut, fin)):
            raise ExportImpossible(f"{nom}s {debut} à {fin - 1} incomplètes dans la base: export interrompu")
    octets = [e for _, e in entrees]
    for index, e in zip(range(debut, fin), octets):
        if b"\n" in e:  # RFC 8785 escapes every control character: this is not one of our entries
            raise ExportImpossible(f"l'entrée {index} contient un saut de ligne: ce n'est pas du JSON canonique")
    return octets, [h for _, h in feuilles]


def exporter(
    moteur: Engine, dossier: Path, cles: list[str], origine: str, instant: datetime, *, page: int = 10_000
) -> Manifeste:
    """Write the export of everything up to the latest checkpoint into the new ``dossier``."""
    _preparer_dossier(dossier)
    with moteur.begin() as connexion:
        notes, taille = journal_lecture.notes_signees(connexion)
    with open(dossier / FICHIER_CHECKPOINTS, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(json.dumps(note, ensure_ascii=False) + "\n" for note in notes)
    with open(dossier / FICHIER_ENTREES, "wb") as f_entrees, open(dossier / FICHIER_FEUILLES, "wb") as f_feuilles:
        for debut in range(0, taille, page):
            octets, feuilles = _page(moteur, debut, min(debut + page, taille))
            f_entrees.write(b"".join(e + b"\n" for e in octets))
            f_feuilles.write(b"".join(feuilles))
        for ecrit in (f_entrees, f_feuilles):
            ecrit.flush()
            os.fsync(ecrit.fileno())
    (dossier / FICHIER_CLE).write_text("".join(c + "\n" for c in cles), encoding="utf-8", newline="\n")
    manifeste = Manifeste(origine, taille, len(notes), horodatage_texte(instant))
    # Written last: an export without its manifest is an interrupted one.
    (dossier / FICHIER_MANIFESTE).write_text(
        json.dumps(manifeste.en_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifeste
