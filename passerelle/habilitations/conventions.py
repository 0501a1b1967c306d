"""Conventions as data: who may send which flux to whom, for what purpose, from when to when."""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from passerelle.annuaire.modeles import Organisme


class StatutConvention(str, Enum):
    brouillon = "brouillon"
    en_vigueur = "en_vigueur"
    resiliee = "resiliee"
    caduque = "caduque"


class Parties(BaseModel):
    """A set of organismes, by kind and/or by code (either matches)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    types: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()

    def contient(self, organisme: Organisme) -> bool:
        return organisme.type in self.types or organisme.code in self.codes


class Habilitation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flux: tuple[str, ...] = Field(min_length=1)
    emetteurs: Parties
    destinataires: Parties


class Convention(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    intitule: str
    statut: StatutConvention
    finalite: str
    debut: date
    fin: date | None = None
    preavis_le: date | None = Field(default=None, description="date of the termination notice")
    articles: str | None = None
    habilitations: tuple[Habilitation, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates(self) -> "Convention":
        if self.fin is not None and self.fin < self.debut:
            raise ValueError(f"fin ({self.fin}) avant début ({self.debut})")
        return self

    def en_vigueur_le(self, jour: date) -> bool:
        return (
            self.statut is StatutConvention.en_vigueur
            and self.debut <= jour
            and (self.fin is None or jour < self.fin)
        )


class ConventionsInvalides(ValueError):
    pass


def charger_conventions(dossier: Path) -> tuple[Convention, ...]:
    """Every ``*.yaml`` of ``config/conventions/``, checked; ids are unique."""
    conventions: list[Convention] = []
    for chemin in sorted(dossier.glob("*.yaml")):
        try:
            brut = yaml.safe_load(chemin.read_text(encoding="utf-8"))
            convention = Convention.model_validate(brut)
        except (yaml.YAMLError, ValidationError) as exc:
            raise ConventionsInvalides(f"{chemin}: {exc}") from exc
        if any(c.id == convention.id for c in conventions):
            raise ConventionsInvalides(f"{chemin}: convention {convention.id!r} en double")
        conventions.append(convention)
    return tuple(conventions)
