"""The register of consultation types, read from ``config/consultations.yaml``.

A register of its own rather than entries of ``config/flux.yaml``: a consultation is not a
message — nothing is stored or delivered, no case opens, no answer flux follows — so none of
the flux machinery applies, and a type needs a model for the question *and* one for the
answer. Conventions still authorise it like a flux, under the name ``consultation:{type}``,
and the start-up check refuses a convention naming a type this register does not know.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from passerelle.consultations.modeles import DemandeConsultation, ReponseConsultation
from passerelle.habilitations.conventions import PREFIXE_CONSULTATION


@dataclass(frozen=True)
class DefinitionConsultation:
    """One type: ``nom`` on the wire (``/v1/consultations/{type}``), question and answer models.

    ``types_destinataires``: the directory kinds among which to route by territory when the
    caller names no destination; ``mutualisation``: a mutualised activity whose pivot for the
    question's ``departement`` answers instead.
    """

    nom: str
    demande: type[DemandeConsultation]
    reponse: type[ReponseConsultation]
    description: str
    types_destinataires: tuple[str, ...] = ()
    mutualisation: str | None = None

    @property
    def flux(self) -> str:
        """The name conventions authorise it under (and the journal's ``flux`` column)."""
        return PREFIXE_CONSULTATION + self.nom


class _Entree(BaseModel):
    model_config = ConfigDict(extra="forbid")

    demande: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    reponse: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    description: str
    destinataires: tuple[str, ...] = ()
    mutualisation: str | None = None


class RegistreConsultationsInvalide(ValueError):
    pass


def _classe(chemin: str, base: type, ou: str) -> Any:
    module, _, nom = chemin.partition(":")
    try:
        classe = getattr(importlib.import_module(module), nom)
    except (ImportError, AttributeError) as exc:
        raise RegistreConsultationsInvalide(f"{ou}: modèle {chemin!r} introuvable ({exc})") from exc
    if not (isinstance(classe, type) and issubclass(classe, base)):
        raise RegistreConsultationsInvalide(f"{ou}: {chemin!r} n'est pas un {base.__name__}")
    return classe


def charger_consultations(chemin: Path) -> dict[str, DefinitionConsultation]:
    """Read and check the register; no file means no consultation type (an empty register)."""
    if not chemin.exists():
        return {}
    try:
        brut = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RegistreConsultationsInvalide(f"{chemin}: illisible ({exc})") from exc
    registre: dict[str, DefinitionConsultation] = {}
    for nom, valeurs in (brut.get("consultations") or {}).items():
        ou = f"{chemin} consultation {nom}"
        if not re.fullmatch(r"[a-z][a-z0-9-]{1,49}", str(nom)):
            raise RegistreConsultationsInvalide(f"{ou}: nom invalide (minuscules, chiffres, tirets ; 50 au plus)")
        try:
            entree = _Entree.model_validate(valeurs)
        except ValidationError as exc:
            raise RegistreConsultationsInvalide(f"{ou}: {exc}") from exc
        demande: type[DemandeConsultation] = _classe(entree.demande, DemandeConsultation, ou)
        reponse: type[ReponseConsultation] = _classe(entree.reponse, ReponseConsultation, ou)
        if entree.mutualisation and "departement" not in demande.model_fields:
            raise RegistreConsultationsInvalide(f"{ou}: une consultation mutualisée a un champ departement")
        registre[nom] = DefinitionConsultation(
            nom=nom,
            demande=demande,
            reponse=reponse,
            description=" ".join(entree.description.split()),
            types_destinataires=entree.destinataires,
            mutualisation=entree.mutualisation,
        )
    return registre
