"""Conventions as data: who may send which flux to whom, for what purpose, from when to when."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    # For a request flux (one whose register entry names an expected answer): the answer delay
    # agreed in this convention (ISO 8601, e.g. P30D) and reminders before it (e.g. [P7D, P1D]).
    delai_reponse: timedelta | None = None
    rappels: tuple[timedelta, ...] = ()

    @model_validator(mode="after")
    def _delais(self) -> "Habilitation":
        if self.delai_reponse is not None and self.delai_reponse <= timedelta(0):
            raise ValueError("delai_reponse doit être une durée positive (ISO 8601, p. ex. P30D)")
        if self.rappels and self.delai_reponse is None:
            raise ValueError("des rappels sans delai_reponse")
        for rappel in self.rappels:
            if not timedelta(0) < rappel < (self.delai_reponse or timedelta(0)):
                raise ValueError(f"rappel {rappel} hors du délai {self.delai_reponse}")
        return self


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


def verifier_avec_le_registre(conventions: tuple[Convention, ...], catalogue: Mapping[str, Any]) -> None:
    """Refuse at start-up what would fail on the first message: a flux no register knows, or a
    request flux (one expecting an answer) authorised without an agreed answer delay."""
    for convention in conventions:
        for habilitation in convention.habilitations:
            for flux in habilitation.flux:
                definition = catalogue.get(flux)
                if definition is None:
                    raise ConventionsInvalides(f"convention {convention.id}: flux {flux!r} absent du registre (config/flux.yaml)")
                if definition.reponse and habilitation.delai_reponse is None:
                    raise ConventionsInvalides(
                        f"convention {convention.id}: le flux {flux} attend une réponse ({definition.reponse}): "
                        "l'habilitation doit fixer delai_reponse (ISO 8601, p. ex. P30D)"
                    )


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
