"""Mutualisation: which organisme handles an activity for which départements, since when.

Dated data in ``config/mutualisation.yaml`` (the AVPF pivot CAF of a region, e.g. the CAF de la
Loire for Rhône-Alpes): the sender need not know who the pivot is, the gateway routes to the
one designated for the person's département on the day of the message.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class Designation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pivot: str
    departements: tuple[str, ...] = Field(min_length=1)
    du: date
    au: date | None = None  # exclusive

    @model_validator(mode="after")
    def _periode(self) -> "Designation":
        if self.au is not None and self.au <= self.du:
            raise ValueError(f"au ({self.au}) doit suivre du ({self.du})")
        return self

    def couvre(self, departement: str, jour: date) -> bool:
        return departement in self.departements and self.du <= jour and (self.au is None or jour < self.au)


class TableMutualisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    activites: dict[str, tuple[Designation, ...]]

    def pivot(self, activite: str, departement: str, jour: date) -> str | None:
        trouves = {d.pivot for d in self.activites.get(activite, ()) if d.couvre(departement, jour)}
        if len(trouves) > 1:  # refused at load time; kept as a last guard
            raise ValueError(f"{activite}: plusieurs pivots pour le département {departement} le {jour}")
        return next(iter(trouves), None)


class MutualisationInvalide(ValueError):
    pass


def charger_mutualisation(chemin: Path, organismes: set[str]) -> TableMutualisation:
    """Read and check: pivots exist in the directory; no département has two pivots at once."""
    if not chemin.exists():
        return TableMutualisation(version="aucune", activites={})
    try:
        table = TableMutualisation.model_validate(yaml.safe_load(chemin.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise MutualisationInvalide(f"{chemin}: {exc}") from exc
    for activite, designations in table.activites.items():
        for i, d in enumerate(designations):
            if d.pivot not in organismes:
                raise MutualisationInvalide(f"{chemin} {activite}[{i}]: pivot {d.pivot!r} absent de l'annuaire")
            for autre in designations[i + 1:]:
                communs = set(d.departements) & set(autre.departements)
                chevauchent = (autre.au is None or d.du < autre.au) and (d.au is None or autre.du < d.au)
                if communs and chevauchent and autre.pivot != d.pivot:
                    raise MutualisationInvalide(
                        f"{chemin} {activite}: {d.pivot} et {autre.pivot} désignés en même temps pour "
                        f"{', '.join(sorted(communs))}"
                    )
    return table
