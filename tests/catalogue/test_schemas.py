"""The published schemas/ are exactly what the models generate, and accept the examples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.catalogue.exemples import catalogue_signaux_retraite
from passerelle.catalogue.schemas import (
    DIALECTE,
    ecrire_schemas,
    generer_schemas,
    nom_fichier,
    texte_schema,
)
from tests.catalogue.exemples import (
    catalogue,
    exemple_avis_depot,
    exemple_cloture_rdc,
    exemple_notification_retraite,
    exemple_passage_retraite,
    exemple_rdc,
)

DOSSIER = Path(__file__).resolve().parents[2] / "schemas"
SCHEMAS = generer_schemas(catalogue())  # every flux of the register, not only the five signals


@pytest.mark.parametrize("flux", sorted(SCHEMAS))
def test_schemas_publies_a_jour(flux: str) -> None:
    chemin = DOSSIER / nom_fichier(flux)
    publie = chemin.read_text(encoding="utf-8") if chemin.exists() else ""
    assert publie == texte_schema(SCHEMAS[flux]), (
        f"{chemin} ne correspond plus au modèle du flux {flux} : lancer "
        "`passerelle schemas generer` et committer schemas/"
    )


@pytest.mark.parametrize("flux", sorted(SCHEMAS))
def test_entete_du_schema(flux: str) -> None:
    schema = SCHEMAS[flux]
    assert schema["$schema"] == DIALECTE
    assert schema["$id"] == f"schemas/{flux}.schema.json"
    assert schema["title"] == flux
    assert schema["description"] == catalogue()[flux].description
    assert schema["additionalProperties"] is False


def test_en_reponse_a_obligatoire_pour_les_reponses() -> None:
    for flux, definition in catalogue().items():
        propriete = SCHEMAS[flux]["properties"]["en_reponse_a"]
        if definition.repond_a:
            assert "en_reponse_a" in SCHEMAS[flux]["required"]
            assert propriete["type"] == "string" and "default" not in propriete
            assert "champ obligatoire" in propriete["description"]
        else:
            assert "en_reponse_a" not in SCHEMAS[flux]["required"]


def test_ecriture(tmp_path: Path) -> None:
    ecrits = ecrire_schemas(tmp_path / "schemas", catalogue_signaux_retraite())
    assert sorted(p.name for p in ecrits) == sorted(f"{flux}.schema.json" for flux in catalogue_signaux_retraite())
    texte = (tmp_path / "schemas" / "rdc.schema.json").read_text(encoding="utf-8")
    assert texte.endswith("}\n") and "Civilité" in texte and "\\u00e9" not in texte
    assert list(json.loads(texte)) == sorted(json.loads(texte))


# --- the examples pass the published schemas (a small checker: no jsonschema dependency) ---


def _resoudre(schema: dict[str, Any], racine: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        return _resoudre(racine["$defs"][schema["$ref"].rsplit("/", 1)[1]], racine)
    if "anyOf" in schema:
        return [b for branche in schema["anyOf"] for b in _resoudre(branche, racine)]
    return [schema]


def _conforme(valeur: Any, schema: dict[str, Any]) -> bool:
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
             "array": list, "null": type(None)}  # fmt: skip
    attendu = schema.get("type")
    if attendu and not isinstance(valeur, types[attendu]):
        return False
    if attendu in ("integer", "number") and isinstance(valeur, bool):
        return False
    if "enum" in schema and valeur not in schema["enum"]:
        return False
    if isinstance(valeur, str):
        if "pattern" in schema and not re.search(schema["pattern"], valeur):
            return False
        if not schema.get("minLength", 0) <= len(valeur) <= schema.get("maxLength", 10**9):
            return False
    return True


@pytest.mark.parametrize(
    ("flux", "exemple"),
    [
        ("rdc", exemple_rdc()),
        ("passage-retraite", exemple_passage_retraite()),
        ("cloture-rdc", exemple_cloture_rdc()),
        ("avis-depot", exemple_avis_depot()),
        ("notification-retraite", exemple_notification_retraite()),
    ],
)
def test_les_exemples_respectent_le_schema_publie(flux: str, exemple: dict[str, Any]) -> None:
    schema = SCHEMAS[flux]
    assert set(schema["required"]) <= set(exemple)
    for champ, valeur in exemple.items():
        branches = _resoudre(schema["properties"][champ], schema)
        assert any(_conforme(valeur, branche) for branche in branches), champ


def test_pas_de_schema_orphelin() -> None:
    """A schema file whose flux left the register would mislead integrators."""
    publies = {p.name for p in DOSSIER.glob("*.schema.json")}
    assert publies == {nom_fichier(flux) for flux in SCHEMAS}
