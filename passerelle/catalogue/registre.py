"""The register of flux, read from ``config/flux.yaml``: the one place where a flux is declared.

A new flux is a model (its schema) and an entry in that file; validation, the published
schemas, routing, case deadlines and delivery all read this register, so none of them keeps a
list of flux of its own.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from passerelle.catalogue.signaux_retraite import Enveloppe

A_ECHEANCE = ("en_retard", "expire")


@dataclass(frozen=True)
class DefinitionFlux:
    """One flux: its name on the wire (``/v1/flux/{nom}``), its model and its place in an exchange.

    ``repond_a`` names the flux whose message ``en_reponse_a`` must designate (then required).
    ``reponse``: the flux expected in answer, which makes this one open a case with a deadline
    set by the authorising convention; ``a_echeance`` says what the deadline does to the case.
    ``types_destinataires``: the directory kinds among which to route by territory when the
    sender names no destination; ``mutualisation``: the mutualised activity whose pivot is the
    destination. Who may send what to whom is not said here: that is the conventions' decision.
    """

    nom: str
    modele: type[Enveloppe]
    description: str
    repond_a: tuple[str, ...] = ()
    types_destinataires: tuple[str, ...] = ()
    reponse: str | None = None
    a_echeance: str = "en_retard"
    mutualisation: str | None = None


class _Entree(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modele: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    description: str
    repond_a: tuple[str, ...] = ()
    destinataires: tuple[str, ...] = ()
    reponse: str | None = None
    a_echeance: str = "en_retard"
    mutualisation: str | None = None


class RegistreInvalide(ValueError):
    pass


def _modele(chemin: str, ou: str) -> type[Enveloppe]:
    module, _, classe = chemin.partition(":")
    try:
        modele = getattr(importlib.import_module(module), classe)
    except (ImportError, AttributeError) as exc:
        raise RegistreInvalide(f"{ou}: modèle {chemin!r} introuvable ({exc})") from exc
    if not (isinstance(modele, type) and issubclass(modele, Enveloppe)):
        raise RegistreInvalide(f"{ou}: {chemin!r} n'est pas un modèle de flux (Enveloppe)")
    return modele


def charger_catalogue(chemin: Path) -> dict[str, DefinitionFlux]:
    """Read and check the register: every reference between flux must resolve."""
    try:
        brut = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RegistreInvalide(f"{chemin}: illisible ({exc})") from exc
    catalogue: dict[str, DefinitionFlux] = {}
    for nom, valeurs in (brut.get("flux") or {}).items():
        ou = f"{chemin} flux {nom}"
        if not re.fullmatch(r"[a-z][a-z0-9-]{1,63}", str(nom)):
            raise RegistreInvalide(f"{ou}: nom de flux invalide (minuscules, chiffres, tirets)")
        try:
            entree = _Entree.model_validate(valeurs)
        except ValidationError as exc:
            raise RegistreInvalide(f"{ou}: {exc}") from exc
        if entree.a_echeance not in A_ECHEANCE:
            raise RegistreInvalide(f"{ou}: a_echeance vaut {' ou '.join(A_ECHEANCE)}")
        catalogue[nom] = DefinitionFlux(
            nom=nom,
            modele=_modele(entree.modele, ou),
            description=" ".join(entree.description.split()),
            repond_a=entree.repond_a,
            types_destinataires=entree.destinataires,
            reponse=entree.reponse,
            a_echeance=entree.a_echeance,
            mutualisation=entree.mutualisation,
        )
    for definition in catalogue.values():
        for autre in (*definition.repond_a, *([definition.reponse] if definition.reponse else [])):
            if autre not in catalogue:
                raise RegistreInvalide(f"{chemin} flux {definition.nom}: renvoie au flux inconnu {autre!r}")
        if definition.reponse and definition.nom not in catalogue[definition.reponse].repond_a:
            raise RegistreInvalide(
                f"{chemin} flux {definition.nom}: sa réponse {definition.reponse} doit déclarer repond_a: [{definition.nom}]"
            )
    return catalogue
