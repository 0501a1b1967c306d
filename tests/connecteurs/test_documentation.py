"""docs/connecteurs.md shows the CSV headers; they must be the ones the connector writes."""

from __future__ import annotations

import re
from pathlib import Path

from connecteurs._tableau import entete
from tests.catalogue.exemples import catalogue_signaux_retraite

DOC = Path(__file__).resolve().parents[2] / "docs" / "connecteurs.md"


def test_les_entetes_documentes_sont_ceux_du_connecteur():
    texte = DOC.read_text(encoding="utf-8")
    bloc = re.search(r"<!-- entetes-csv:[^>]*-->\n```\n(.*?)```", texte, re.S)
    assert bloc, "bloc des en-têtes CSV introuvable dans docs/connecteurs.md"
    documentes = dict(ligne.split(": ", 1) for ligne in bloc.group(1).splitlines() if ligne)
    attendus = {nom: ";".join(entete(d.modele)) for nom, d in catalogue_signaux_retraite().items()}
    assert documentes == attendus
