"""The quarterly report of answer delays (``passerelle rapport --trimestre 2026T3``).

Population: the cases OPENED in the quarter (a request belongs to the quarter it was made in,
whenever it is answered). They are seen at the end of the quarter, or now if the quarter is not
over — whichever is earlier: a closed quarter's report is then stable, and the current one is
marked ``provisoire``. Columns and definitions: docs/gouvernance.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.gouvernance.delais import Delais, mesurer
from passerelle.gouvernance.trimestre import Trimestre
from passerelle.journal.ecriture import horodatage_texte
from passerelle.stockage import dossiers as stockage_dossiers

COLONNES = (
    "trimestre", "axe", "organisme", "flux", "mutualisation", "ouverts", "repondus", "repondus_dans_delai",
    "delai_median_jours", "part_dans_delai", "echus_sans_reponse", "dont_expires", "en_cours", "arrete_au",
)


@dataclass(frozen=True)
class Rapport:
    trimestre: Trimestre
    arrete_au: datetime
    provisoire: bool
    lignes: list[Delais]


class TrimestreAVenir(ValueError):
    pass


def etablir(
    connexion: Connection, trimestre: Trimestre, maintenant: datetime, mutualisations: Mapping[str, str] | None = None
) -> Rapport:
    if maintenant < trimestre.debut:
        raise TrimestreAVenir(f"le trimestre {trimestre} n'a pas commencé: aucun dossier à mesurer")
    arrete_au = min(trimestre.fin, maintenant)
    dossiers = stockage_dossiers.lister(connexion, du=trimestre.debut, au=trimestre.fin)
    return Rapport(trimestre, arrete_au, maintenant < trimestre.fin, mesurer(dossiers, arrete_au, mutualisations))


def _jours(ligne: Delais) -> float | None:
    return round(ligne.delai_median.total_seconds() / 86400, 2) if ligne.delai_median is not None else None


def ligne_en_dict(rapport: Rapport, ligne: Delais) -> dict[str, Any]:
    return {
        "trimestre": str(rapport.trimestre),
        "axe": ligne.axe,
        "organisme": ligne.organisme,
        "flux": ligne.flux,
        "mutualisation": ligne.mutualisation,
        "ouverts": ligne.ouverts,
        "repondus": ligne.repondus,
        "repondus_dans_delai": ligne.repondus_dans_delai,
        "delai_median_jours": _jours(ligne),
        "part_dans_delai": round(ligne.part_dans_delai, 4) if ligne.part_dans_delai is not None else None,
        "echus_sans_reponse": ligne.echus_sans_reponse,
        "dont_expires": ligne.dont_expires,
        "en_cours": ligne.en_cours,
        "arrete_au": horodatage_texte(rapport.arrete_au),
    }


def en_json(rapport: Rapport) -> str:
    document = {
        "trimestre": str(rapport.trimestre),
        "du": horodatage_texte(rapport.trimestre.debut),
        "au": horodatage_texte(rapport.trimestre.fin),
        "arrete_au": horodatage_texte(rapport.arrete_au),
        "provisoire": rapport.provisoire,
        "lignes": [ligne_en_dict(rapport, ligne) for ligne in rapport.lignes],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def en_csv(rapport: Rapport) -> str:
    """RFC 4180: comma separator, dot decimals, empty cell for a figure without data."""
    sortie = io.StringIO()
    ecrivain = csv.DictWriter(sortie, fieldnames=COLONNES, lineterminator="\r\n")
    ecrivain.writeheader()
    for ligne in rapport.lignes:
        ecrivain.writerow({k: ("" if v is None else v) for k, v in ligne_en_dict(rapport, ligne).items()})
    return sortie.getvalue()
