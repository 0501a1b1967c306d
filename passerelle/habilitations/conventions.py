"""Conventions as data: who may send which flux to whom, for what purpose, from when to when."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from passerelle.annuaire.modeles import PROFILS, Organisme


class StatutConvention(str, Enum):
    brouillon = "brouillon"
    en_vigueur = "en_vigueur"
    resiliee = "resiliee"
    caduque = "caduque"


class Portee(str, Enum):
    """A national convention (Cnaf–Cnav) or a local agreement between named caisses (art. 4.3)."""

    nationale = "nationale"
    locale = "locale"


# Conventions authorise a synchronous consultation (POST /v1/consultations/{type}) under the
# flux name "consultation:{type}"; the types are in their own register, config/consultations.yaml.
PREFIXE_CONSULTATION = "consultation:"


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
    # Connection profiles (art. 2.8; docs/robots-et-profils.md): the sender's key must have one
    # of ``profils_emetteurs`` (empty: any), a reader at the destination one of
    # ``profils_destinataires`` (empty: any); ``champs_par_profil`` cuts what each reading
    # profile receives (absent: everything; "*": everything; a profile it does not name: none
    # of the payload) — minimisation, passerelle/habilitations/minimisation.py. ``champs_emis``:
    # the only payload fields a sender may send under it (absent: the flux's whole model);
    # another field is refused with 403 champ_non_autorise, never stored.
    profils_emetteurs: tuple[str, ...] = ()
    profils_destinataires: tuple[str, ...] = ()
    champs_par_profil: dict[str, tuple[str, ...] | Literal["*"]] | None = None
    champs_emis: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _profils(self) -> "Habilitation":
        nommes = set(self.profils_emetteurs) | set(self.profils_destinataires) | set(self.champs_par_profil or ())
        inconnus = sorted(nommes - PROFILS)
        if inconnus:
            raise ValueError(f"profil(s) inconnu(s) {inconnus} (profils: {', '.join(sorted(PROFILS))})")
        return self

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
    # Lifecycle (passerelle/habilitations/cycle.py): a termination takes effect ``preavis_mois``
    # after the notice (art. 5.3: six months); a local agreement names its signatories and
    # becomes void once a national convention covers the same finalite (art. 4.3).
    preavis_mois: int = Field(default=6, ge=0, le=36)
    portee: Portee = Portee.nationale
    parties: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _dates(self) -> "Convention":
        if self.fin is not None and self.fin < self.debut:
            raise ValueError(f"fin ({self.fin}) avant début ({self.debut})")
        return self

    @model_validator(mode="after")
    def _cycle(self) -> "Convention":
        if self.statut is StatutConvention.resiliee and self.preavis_le is None:
            raise ValueError("statut resiliee sans preavis_le: la date d'effet se calcule depuis le préavis (art. 5.3)")
        if self.preavis_le is not None and self.preavis_le < self.debut:
            raise ValueError(f"preavis_le ({self.preavis_le}) avant début ({self.debut})")
        if self.portee is Portee.nationale and self.parties:
            raise ValueError("parties ne se donne que pour une convention locale (portee: locale)")
        if self.portee is Portee.locale:
            if len(set(self.parties)) < 2:
                raise ValueError("une convention locale nomme ses signataires: parties, au moins deux codes d'organisme")
            for habilitation in self.habilitations:
                for cote in (habilitation.emetteurs, habilitation.destinataires):
                    hors = sorted(set(cote.codes) - set(self.parties))
                    if cote.types or hors:
                        raise ValueError(
                            "une convention locale n'autorise que des échanges entre ses parties "
                            f"({', '.join(self.parties)}): habilitations par codes parmi elles"
                            + (f", pas {', '.join(hors)}" if hors else ", pas par types")
                        )
        return self


class ConventionsInvalides(ValueError):
    pass


def verifier_avec_le_registre(
    conventions: tuple[Convention, ...], catalogue: Mapping[str, Any], consultations: Mapping[str, Any] | None = None
) -> None:
    """Refuse at start-up what would fail on the first message: a flux no register knows, a
    request flux (one expecting an answer) authorised without an agreed answer delay, or a
    field in ``champs_par_profil`` that the flux does not have."""
    for convention in conventions:
        for habilitation in convention.habilitations:
            for flux in habilitation.flux:
                if flux.startswith(PREFIXE_CONSULTATION):  # its own register (passerelle/consultations/)
                    if flux.removeprefix(PREFIXE_CONSULTATION) not in (consultations or {}):
                        raise ConventionsInvalides(
                            f"convention {convention.id}: consultation {flux!r} absente du registre des "
                            "consultations (config/consultations.yaml)"
                        )
                    continue
                definition = catalogue.get(flux)
                if definition is None:
                    raise ConventionsInvalides(f"convention {convention.id}: flux {flux!r} absent du registre (config/flux.yaml)")
                if definition.reponse and habilitation.delai_reponse is None:
                    raise ConventionsInvalides(
                        f"convention {convention.id}: le flux {flux} attend une réponse ({definition.reponse}): "
                        "l'habilitation doit fixer delai_reponse (ISO 8601, p. ex. P30D)"
                    )
            # A misspelt field in champs_par_profil would silently withhold it: refuse it here.
            champs_connus = {
                c
                for f in habilitation.flux
                for c in (
                    catalogue[f].modele if f in catalogue else (consultations or {})[f.removeprefix(PREFIXE_CONSULTATION)].demande
                ).model_fields
            }
            for profil, champs in (habilitation.champs_par_profil or {}).items():
                inconnus = [] if champs == "*" else sorted(set(champs) - champs_connus)
                if inconnus:
                    raise ConventionsInvalides(
                        f"convention {convention.id}: champs_par_profil[{profil}] nomme des champs que le(s) "
                        f"flux {', '.join(habilitation.flux)} n'ont pas: {', '.join(inconnus)}"
                    )
            inconnus = sorted(set(habilitation.champs_emis or ()) - champs_connus)
            if inconnus:
                raise ConventionsInvalides(
                    f"convention {convention.id}: champs_emis nomme des champs que le(s) flux "
                    f"{', '.join(habilitation.flux)} n'ont pas: {', '.join(inconnus)}"
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
