"""The published JSON Schemas (2020-12) of the flux, generated from the models.

``schemas/`` is part of the wire contract: integrators in any language validate against it.
It is generated, never hand-edited, so it cannot say something the gateway does not enforce;
a test fails when the committed files drift from the models.

What the registry knows beyond the model is folded in: an answer flux requires
``en_reponse_a``. The conditional rules (a rejection carries a motive...) are in the models'
``allOf`` / ``if`` / ``then``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from passerelle.catalogue.registre import DefinitionFlux

DIALECTE = "https://json-schema.org/draft/2020-12/schema"


def nom_fichier(flux: str) -> str:
    return f"{flux}.schema.json"


def generer_schema(definition: DefinitionFlux) -> dict[str, Any]:
    """The JSON Schema of one flux: what a sender puts in the body of ``POST /v1/flux/{flux}``."""
    schema = definition.modele.model_json_schema(mode="validation")
    schema["$schema"] = DIALECTE
    schema["$id"] = f"schemas/{nom_fichier(definition.nom)}"
    schema["title"] = definition.nom
    schema["description"] = definition.description
    if definition.repond_a:
        schema["required"] = sorted({*schema.get("required", []), "en_reponse_a"})
        schema["properties"]["en_reponse_a"] = _obligatoire(
            schema["properties"]["en_reponse_a"],
            f"ce flux répond à un message {' ou '.join(definition.repond_a)} : champ obligatoire",
        )
    return schema


def _obligatoire(propriete: dict[str, Any], precision: str) -> dict[str, Any]:
    """An optional property made required: no default, null no longer allowed."""
    branches = [b for b in propriete.get("anyOf", []) if b.get("type") != "null"]
    obligatoire = dict(branches[0]) if len(branches) == 1 else {
        k: v for k, v in propriete.items() if k != "default"
    }
    obligatoire["title"] = propriete.get("title", "")
    obligatoire["description"] = f"{propriete.get('description', '')} — {precision}"
    return obligatoire


def generer_schemas(catalogue: Mapping[str, DefinitionFlux]) -> dict[str, dict[str, Any]]:
    """Flux name → its JSON Schema."""
    return {nom: generer_schema(definition) for nom, definition in catalogue.items()}


def texte_schema(schema: Mapping[str, Any]) -> str:
    """The exact bytes written to disk: stable, so that diffs show only real changes."""
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def ecrire_schemas(
    dossier: Path, catalogue: Mapping[str, DefinitionFlux]
) -> list[Path]:
    """Write ``<dossier>/<flux>.schema.json`` for every flux of ``catalogue``.

    Files of other flux in ``dossier`` are left alone.
    """
    dossier = Path(dossier)
    dossier.mkdir(parents=True, exist_ok=True)
    ecrits = []
    for nom, schema in generer_schemas(catalogue).items():
        chemin = dossier / nom_fichier(nom)
        chemin.write_text(texte_schema(schema), encoding="utf-8")
        ecrits.append(chemin)
    return ecrits
