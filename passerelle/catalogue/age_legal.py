"""The legal retirement age table, read from dated, versioned data (``config/regles/``).

The legal age changes with the law (2023 reform, then the 2026 LFSS for some generations), and
the retirement signals are accepted only in windows computed from it. Keeping the table as
data means a change of law is a reviewed change of one file with a new ``version``, and every
decision can say which version it used — never a constant buried in code.

Date arithmetic: a date plus N months keeps the day of month, clamped to the last day of the
target month when that day does not exist (born 29 February → 28 February in a common year;
born 31 August + 6 months → 28/29 February). Every date of a window is computed *from the birth
date* in one step (birth + (age - 30 months)), never by chaining additions and subtractions,
so a clamp never drifts into the next computation.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

FERMETURES = ("age_legal", "age_taux_plein_automatique")


def ajouter_mois(jour: date, mois: int) -> date:
    """``jour`` moved by ``mois`` months (may be negative), the day clamped to the month's end."""
    rang = jour.year * 12 + (jour.month - 1) + mois
    annee, mois_cible = divmod(rang, 12)
    dernier = calendar.monthrange(annee, mois_cible + 1)[1]
    return date(annee, mois_cible + 1, min(jour.day, dernier))


@dataclass(frozen=True)
class Duree:
    annees: int
    mois: int

    @property
    def en_mois(self) -> int:
        return self.annees * 12 + self.mois

    def __str__(self) -> str:
        return f"{self.annees} ans {self.mois} mois" if self.mois else f"{self.annees} ans"


@dataclass(frozen=True)
class Generation:
    """Born on ``[ne_a_partir_du, ne_avant)`` (``None`` = open bound): legal age ``age``."""

    ne_a_partir_du: date | None
    ne_avant: date | None
    age: Duree

    def contient(self, naissance: date) -> bool:
        apres_debut = self.ne_a_partir_du is None or naissance >= self.ne_a_partir_du
        avant_fin = self.ne_avant is None or naissance < self.ne_avant
        return apres_debut and avant_fin


@dataclass(frozen=True)
class RegleFenetre:
    """How a flux's acceptance window derives from the legal age (see the YAML comments)."""

    echeance_avant_age_legal_mois: int
    avance_max_mois: int
    fermeture: str  # one of FERMETURES


@dataclass(frozen=True)
class Fenetre:
    """Accepted on ``[ouverture, fermeture)``; ``echeance`` is when the signal is due."""

    ouverture: date
    echeance: date
    fermeture: date

    def contient(self, jour: date) -> bool:
        return self.ouverture <= jour < self.fermeture


@dataclass(frozen=True)
class TableAgeLegal:
    version: str
    en_vigueur_le: date
    source: str
    avertissement: str
    generations: tuple[Generation, ...]
    age_taux_plein_automatique: Duree
    fenetres: Mapping[str, RegleFenetre] = field(hash=False)  # flux name → its window rule

    def age_legal(self, naissance: date) -> Duree:
        for generation in self.generations:
            if generation.contient(naissance):
                return generation.age
        raise ValueError(
            f"aucune génération de la table d'âge légal {self.version} ne couvre la date de "
            f"naissance {naissance.isoformat()}"
        )

    def date_age_legal(self, naissance: date) -> date:
        return ajouter_mois(naissance, self.age_legal(naissance).en_mois)

    def date_taux_plein_automatique(self, naissance: date) -> date:
        return ajouter_mois(naissance, self.age_taux_plein_automatique.en_mois)

    def fenetre(self, flux: str, naissance: date) -> Fenetre:
        regle = self.fenetres.get(flux)
        if regle is None:
            raise ValueError(
                f"la table d'âge légal {self.version} ne définit pas de fenêtre pour le flux "
                f"« {flux} »"
            )
        age = self.age_legal(naissance).en_mois
        echeance = age - regle.echeance_avant_age_legal_mois
        if regle.fermeture == "age_legal":
            fermeture = ajouter_mois(naissance, age)
        else:
            fermeture = self.date_taux_plein_automatique(naissance)
        return Fenetre(
            ouverture=ajouter_mois(naissance, echeance - regle.avance_max_mois),
            echeance=ajouter_mois(naissance, echeance),
            fermeture=fermeture,
        )


# --- loading: every fault names the file and the key, so the operator fixes it at once ---


def _exiger(condition: bool, ou: str, message: str) -> None:
    if not condition:
        raise ValueError(f"{ou} : {message}")


def _objet(valeur: Any, ou: str, cles: set[str]) -> Mapping[str, Any]:
    _exiger(isinstance(valeur, Mapping), ou, "un objet (clé: valeur) est attendu")
    inconnues = sorted(set(valeur) - cles)
    _exiger(not inconnues, ou, f"clé(s) inconnue(s) {inconnues} ; attendues : {sorted(cles)}")
    manquantes = sorted(cles - set(valeur))
    _exiger(not manquantes, ou, f"clé(s) manquante(s) {manquantes}")
    return valeur


def _date(valeur: Any, ou: str, *, nulle: bool = False) -> date | None:
    if valeur is None and nulle:
        return None
    if isinstance(valeur, str):
        try:
            return date.fromisoformat(valeur)
        except ValueError:
            pass
    _exiger(
        isinstance(valeur, date) and not isinstance(valeur, datetime),
        ou,
        "date AAAA-MM-JJ attendue" + (" (ou null pour une borne ouverte)" if nulle else ""),
    )
    return valeur


def _entier(valeur: Any, ou: str, minimum: int, maximum: int) -> int:
    _exiger(
        isinstance(valeur, int) and not isinstance(valeur, bool) and minimum <= valeur <= maximum,
        ou,
        f"entier de {minimum} à {maximum} attendu",
    )
    return valeur


def _texte(valeur: Any, ou: str) -> str:
    _exiger(isinstance(valeur, str) and valeur.strip() != "", ou, "texte non vide attendu")
    return valeur.strip()


def _duree(valeur: Any, ou: str) -> Duree:
    donnees = _objet(valeur, ou, {"annees", "mois"})
    return Duree(
        annees=_entier(donnees["annees"], f"{ou}.annees", 0, 120),
        mois=_entier(donnees["mois"], f"{ou}.mois", 0, 11),
    )


def _generations(valeur: Any, ou: str) -> tuple[Generation, ...]:
    _exiger(isinstance(valeur, list) and valeur, ou, "liste non vide de générations attendue")
    generations = []
    for rang, brut in enumerate(valeur):
        ici = f"{ou}[{rang}]"
        donnees = _objet(brut, ici, {"ne_a_partir_du", "ne_avant", "age"})
        generation = Generation(
            ne_a_partir_du=_date(donnees["ne_a_partir_du"], f"{ici}.ne_a_partir_du", nulle=True),
            ne_avant=_date(donnees["ne_avant"], f"{ici}.ne_avant", nulle=True),
            age=_duree(donnees["age"], f"{ici}.age"),
        )
        if generation.ne_a_partir_du is not None and generation.ne_avant is not None:
            _exiger(
                generation.ne_a_partir_du < generation.ne_avant,
                ici,
                "ne_a_partir_du doit précéder ne_avant (période vide ou inversée)",
            )
        if generations:
            precedente = generations[-1]
            _exiger(
                precedente.ne_avant is not None
                and generation.ne_a_partir_du == precedente.ne_avant,
                ici,
                "les générations doivent se suivre sans trou ni chevauchement : ne_a_partir_du "
                f"doit valoir le ne_avant de la génération précédente ({precedente.ne_avant})",
            )
        generations.append(generation)
    return tuple(generations)


def _fenetres(valeur: Any, ou: str, age_min_mois: int) -> dict[str, RegleFenetre]:
    _exiger(isinstance(valeur, Mapping), ou, "un objet flux: règle est attendu")
    fenetres = {}
    for flux, brut in valeur.items():
        ici = f"{ou}.{flux}"
        cles = {"echeance_avant_age_legal_mois", "avance_max_mois", "fermeture"}
        donnees = _objet(brut, ici, cles)
        _exiger(donnees["fermeture"] in FERMETURES, f"{ici}.fermeture", f"valeurs : {FERMETURES}")
        fenetres[str(flux)] = RegleFenetre(
            echeance_avant_age_legal_mois=_entier(
                donnees["echeance_avant_age_legal_mois"],
                f"{ici}.echeance_avant_age_legal_mois",
                0,
                age_min_mois,
            ),
            avance_max_mois=_entier(donnees["avance_max_mois"], f"{ici}.avance_max_mois", 0, 240),
            fermeture=donnees["fermeture"],
        )
    return fenetres


def table_depuis_donnees(donnees: Any, origine: str = "table d'âge légal") -> TableAgeLegal:
    """Build and check a table from already-parsed data (``origine`` prefixes every error)."""
    cles = {
        "version", "en_vigueur_le", "source", "avertissement",
        "generations", "age_taux_plein_automatique", "fenetres",
    }  # fmt: skip
    racine = _objet(donnees, origine, cles)
    generations = _generations(racine["generations"], f"{origine}: generations")
    _exiger(
        generations[-1].ne_avant is None,
        f"{origine}: generations[{len(generations) - 1}].ne_avant",
        "la dernière génération doit rester ouverte (null) pour couvrir toutes les naissances",
    )
    taux_plein = _duree(
        racine["age_taux_plein_automatique"], f"{origine}: age_taux_plein_automatique"
    )
    age_max = max(generation.age.en_mois for generation in generations)
    _exiger(
        taux_plein.en_mois >= age_max,
        f"{origine}: age_taux_plein_automatique",
        "doit être au moins égal au plus grand âge légal de la table",
    )
    age_min = min(generation.age.en_mois for generation in generations)
    return TableAgeLegal(
        version=_texte(racine["version"], f"{origine}: version"),
        en_vigueur_le=_date(racine["en_vigueur_le"], f"{origine}: en_vigueur_le"),
        source=_texte(racine["source"], f"{origine}: source"),
        avertissement=_texte(racine["avertissement"], f"{origine}: avertissement"),
        generations=generations,
        age_taux_plein_automatique=taux_plein,
        fenetres=_fenetres(racine["fenetres"], f"{origine}: fenetres", age_min),
    )


def charger_table_age_legal(chemin: Path) -> TableAgeLegal:
    """Read and check ``chemin``; ``ValueError`` names the file and the faulty key."""
    try:
        donnees = yaml.safe_load(Path(chemin).read_text(encoding="utf-8"))
    except OSError as erreur:
        raise ValueError(f"{chemin} : lecture impossible ({erreur.strerror})") from erreur
    except yaml.YAMLError as erreur:
        raise ValueError(f"{chemin} : YAML invalide ({erreur})") from erreur
    return table_depuis_donnees(donnees, str(chemin))
