"""Tabular form of a flux: the annex-1 column names (``NIRAssuré``...) as CSV headers.

The names come from the models themselves (each field's title is the convention's name), so a
batch file, a connector's export and the published schema cannot drift apart.
"""

from __future__ import annotations

import re
import types
from collections import Counter
import typing
from dataclasses import dataclass
from typing import Any

from pydantic.fields import FieldInfo

from passerelle.catalogue.signaux_retraite import Enveloppe
from passerelle.catalogue.texte import echapper
from passerelle.erreurs import ErreurChamp, citer

SEPARATEUR_LISTE = "|"


def nom_colonne(nom: str, champ: FieldInfo) -> str:
    return champ.title or nom


def _types(champ: FieldInfo) -> tuple[Any, ...]:
    annotation = champ.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    candidats = typing.get_args(annotation) if union else (annotation,)
    # Annotated[int, ...] → int
    return tuple(typing.get_args(c)[0] if typing.get_origin(c) is typing.Annotated else c for c in candidats)


def _est_liste(champ: FieldInfo) -> bool:
    return any(typing.get_origin(c) is list for c in _types(champ))


VRAI = {"true", "vrai", "oui", "1", "o"}
FAUX = {"false", "faux", "non", "0", "n"}
# ASCII digits only (str.isdigit() also takes "²" or "١", which int() refuses), and short enough
# for any integer field: a longer one is passed on as text, for validation to name.
_ENTIER = re.compile(r"-?[0-9]{1,18}")
COLONNES_NOMMEES_MAX = 20


def _convertir(valeur: str, types_: tuple[Any, ...]) -> Any:
    """A cell as the JSON value it stands for: CSV has only text, the models want numbers and
    booleans typed. A cell that does not convert is passed on as text, for validation to name."""
    if bool in types_:
        if valeur.strip().lower() in VRAI:
            return True
        if valeur.strip().lower() in FAUX:
            return False
    if int in types_ and _ENTIER.fullmatch(valeur.strip()):
        return int(valeur)
    return valeur


def colonnes(modele: type[Enveloppe]) -> list[tuple[str, str]]:
    """(column name, field name) in model order."""
    return [(nom_colonne(nom, champ), nom) for nom, champ in modele.model_fields.items()]


@dataclass(frozen=True)
class Correspondance:
    """How the header of one CSV file maps onto a flux's fields."""

    champs: tuple[str | None, ...]  # field name per column position (None: not a field)
    listes: frozenset[str]
    types: dict[str, tuple[Any, ...]]

    def donnees(self, valeurs: list[str]) -> dict[str, Any]:
        """One CSV row as the JSON object the single-message endpoint would receive."""
        resultat: dict[str, Any] = {}
        for champ, valeur in zip(self.champs, valeurs):
            if champ is None or valeur == "":
                continue  # an empty cell is an absent value, as the JSON would omit it
            if champ in self.listes:
                resultat[champ] = valeur.split(SEPARATEUR_LISTE)
            else:
                resultat[champ] = _convertir(valeur, self.types[champ])
        return resultat


class EnteteInvalide(ValueError):
    """The header does not name the flux's columns; ``erreurs`` names each faulty column."""

    def __init__(self, message: str, inconnues: list[str], manquantes: list[str], erreurs: list[ErreurChamp]) -> None:
        super().__init__(message)
        self.inconnues = inconnues
        self.manquantes = manquantes
        self.erreurs = erreurs


def _liste(noms: list[str], citer_nom: bool) -> str:
    montres = [citer(n) if citer_nom else n for n in noms[:COLONNES_NOMMEES_MAX]]
    return ", ".join(montres) + (f" et {len(noms) - COLONNES_NOMMEES_MAX} autres" if len(noms) > COLONNES_NOMMEES_MAX else "")


def _nom(colonne: str) -> str:
    return echapper(colonne) if colonne else "(colonne sans nom)"


def correspondance(modele: type[Enveloppe], entete: list[str]) -> Correspondance:
    par_colonne = {colonne: champ for colonne, champ in colonnes(modele)}
    inconnues = [c for c in entete if c not in par_colonne]
    doublons = sorted(c for c, n in Counter(entete).items() if n > 1)  # linear: a header may be huge
    presentes = {par_colonne[c] for c in entete if c in par_colonne}
    manquantes = [
        colonne for colonne, champ in colonnes(modele)
        if modele.model_fields[champ].is_required() and champ not in presentes
    ]
    if inconnues or manquantes or doublons:
        parties = []
        erreurs: list[ErreurChamp] = []
        if inconnues:
            # The caller's own text, quoted safely (a header may hold anything, of any length).
            parties.append("colonnes inconnues: " + _liste(inconnues, True))
            erreurs += [ErreurChamp(_nom(c), "colonne inconnue de ce flux (voir ses noms de colonnes de l'annexe 1)") for c in inconnues[:COLONNES_NOMMEES_MAX]]
        if manquantes:
            parties.append("colonnes obligatoires absentes: " + _liste(manquantes, False))
            erreurs += [ErreurChamp(c, "colonne obligatoire absente de l'en-tête") for c in manquantes]
        if doublons:
            parties.append("colonnes en double: " + _liste(doublons, True))
            erreurs += [ErreurChamp(_nom(c), "colonne nommée plusieurs fois dans l'en-tête") for c in doublons]
        raise EnteteInvalide("; ".join(parties), inconnues, manquantes, erreurs[:COLONNES_NOMMEES_MAX])
    listes = frozenset(nom for nom, champ in modele.model_fields.items() if _est_liste(champ))
    types_ = {nom: _types(champ) for nom, champ in modele.model_fields.items()}
    return Correspondance(tuple(par_colonne.get(c) for c in entete), listes, types_)
