"""The retention policy, read from ``config/regles/conservation.yaml``: per flux, how many days a
payload is kept after it was acknowledged or delivered, how long idempotency records and batch
results are kept.

Destruction cannot be undone, so nothing is purged without a written policy: when the file is
absent, the purge does nothing (and says so). A policy names only flux of the register, so a typo
stops the start rather than silently keeping — or destroying — the wrong flux.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONTENUS = "contenus"  # payload, counted from acknowledgement (pull) or delivery (push)
IDEMPOTENCE = "idempotence"  # answers kept under an Idempotency-Key, counted from the request
LOTS = "lots"  # a batch's per-line results and resumption state, counted from its last progress
NATURES = (CONTENUS, IDEMPOTENCE, LOTS)

# The defaults of a ``defaut`` section that omits a value (docs/exploitation.md § 10).
DEFAUTS: dict[str, int] = {CONTENUS: 90, IDEMPOTENCE: 30, LOTS: 30}
MAX_JOURS = 36_600  # a century: past that, a typo


class PolitiqueInvalide(ValueError):
    pass


Jours = int | None


class _Durees(BaseModel):
    """Days per kind of data; null means kept without limit."""

    model_config = ConfigDict(extra="forbid")

    contenus: Jours = Field(default=None, ge=1, le=MAX_JOURS)
    idempotence: Jours = Field(default=None, ge=1, le=MAX_JOURS)
    lots: Jours = Field(default=None, ge=1, le=MAX_JOURS)


class _Fichier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = None
    defaut: dict[str, Jours] = Field(default_factory=dict)
    flux: dict[str, dict[str, Jours]] = Field(default_factory=dict)


@dataclass(frozen=True)
class PolitiqueConservation:
    """``active`` False: no policy written, nothing is purged."""

    active: bool
    defaut: dict[str, int | None] = field(default_factory=dict)
    par_flux: dict[str, dict[str, int | None]] = field(default_factory=dict)
    version: str | None = None
    source: str | None = None

    def jours(self, flux: str, nature: str) -> int | None:
        """Days ``nature`` data of ``flux`` is kept (None: without limit, or no policy)."""
        if not self.active:
            return None
        propre = self.par_flux.get(flux, {})
        return propre[nature] if nature in propre else self.defaut.get(nature)

    def duree(self, flux: str, nature: str) -> timedelta | None:
        jours = self.jours(flux, nature)
        return None if jours is None else timedelta(days=jours)

    def groupes(self, nature: str) -> list[tuple[tuple[str, ...], bool, int]]:
        """The flux sharing one duration, as (flux, exclude, days): ``exclude`` True means every
        flux *but* those named (the default's group). Flux kept without limit are left out."""
        if not self.active:
            return []
        groupes: list[tuple[tuple[str, ...], bool, int]] = []
        propres = {f: d[nature] for f, d in self.par_flux.items() if nature in d}
        for jours in sorted({j for j in propres.values() if j is not None}):
            groupes.append((tuple(sorted(f for f, j in propres.items() if j == jours)), False, jours))
        defaut = self.defaut.get(nature)
        if defaut is not None:
            groupes.append((tuple(sorted(propres)), True, defaut))
        return groupes

    def en_details(self) -> dict[str, Any]:
        """The policy as journaled with each purge: what rule destroyed what."""
        return {"version": self.version, "defaut": self.defaut, "flux": self.par_flux}


def charger_politique(chemin: Path, flux_connus: Collection[str]) -> PolitiqueConservation:
    if not chemin.exists():
        return PolitiqueConservation(active=False, source=str(chemin))
    try:
        brut = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
        fichier = _Fichier.model_validate(brut)
        defaut_brut = {**DEFAUTS, **fichier.defaut}
        defaut = _Durees.model_validate(defaut_brut).model_dump()
        par_flux = {}
        for nom, valeurs in fichier.flux.items():
            if nom not in flux_connus:
                raise PolitiqueInvalide(f"{chemin}: flux {nom!r} absent du registre (config/flux.yaml)")
            _Durees.model_validate(valeurs)
            par_flux[nom] = dict(valeurs)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise PolitiqueInvalide(f"{chemin}: {exc}") from exc
    return PolitiqueConservation(
        active=True, defaut=defaut, par_flux=par_flux, version=fichier.version, source=str(chemin)
    )
