"""The digital assistants (robots) of annex 2, as the directory declares them.

Annex 2 of the 2019 convention lets a CAF consult the retirement side through robots, on three
conditions the gateway can check on every request: each robot has a unique id tied to a
**named person**, it works only in the **off-peak windows** both sides agreed, and at a
**human-like rate**. ``config/annuaire/robots.yaml`` is where those agreements are written down
(reviewable, versioned by the operator); a robot key (``cles.yaml``, ``robot: <id>``) is only
accepted for a robot declared here, of the same organisme.

This module is plain data and its loading; the decision "may this robot call now?" is in
:mod:`passerelle.habilitations.autorisation` (rules in :mod:`passerelle.habilitations.robots`),
the counter of its rate in :mod:`passerelle.stockage.compteurs`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from passerelle.annuaire.modeles import PROFIL_PAR_DEFAUT, PROFILS, Organisme

FUSEAU_PAR_DEFAUT = "Europe/Paris"  # the windows are agreed in the caisses' local time
DEBIT_MAX = 600  # per minute: far above any human; a typo, not an agreement
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_IDENTIFIANT = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")  # fits the journal's robot column
_HEURE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")

ENTETE = (
    "# Assistants digitaux (robots) — convention Cnaf-Cnav 2019, art. 2.8 et annexe 2.\n"
    "# Chaque robot: un identifiant unique, son organisme, la personne nommément responsable,\n"
    "# les plages horaires convenues entre les deux organismes (heure locale, fuseau), un débit\n"
    "# « humain » (requêtes par minute) et son profil. Une clé de robot (cles.yaml, robot: <id>)\n"
    "# n'est acceptée que pour un robot déclaré ici, du même organisme.\n"
    "# Plage « de » < « a »: de de à a; « de » > « a » (19:00 → 07:00): la soirée ET le petit\n"
    "# matin de chacun des jours nommés (avant a, à partir de de); « a: 24:00 » = fin du jour.\n"
)


class RobotsInvalides(ValueError):
    """robots.yaml is inconsistent; the message names the file and the entry."""


@dataclass(frozen=True)
class PlageHoraire:
    """Days of the week (0 = lundi) and hours, local time; ``a`` None means 24:00.

    ``de`` > ``a`` is the usual night window ("19:00 → 07:00" on weekdays): on each day named,
    before ``a`` and from ``de`` — so Monday 03:00 belongs to Monday's window, not Sunday's.
    """

    jours: frozenset[int]
    de: time
    a: time | None

    def texte(self) -> str:
        """In the words an integrator reads in a refusal: « du lundi au vendredi avant 07:00 et
        à partir de 19:00 »."""
        jours = _texte_jours(self.jours)
        if self.a is None:
            return f"{jours} toute la journée" if self.de == time(0) else f"{jours} à partir de {self.de:%H:%M}"
        if self.de > self.a:
            return f"{jours} avant {self.a:%H:%M} et à partir de {self.de:%H:%M}"
        return f"{jours} de {self.de:%H:%M} à {self.a:%H:%M}"


@dataclass(frozen=True)
class Robot:
    """A digital assistant: who answers for it, when it may work, how fast, with what profile."""

    id: str
    organisme: str
    responsable: str
    plages: tuple[PlageHoraire, ...]
    debit_par_minute: int
    fuseau: str = FUSEAU_PAR_DEFAUT
    profil: str = PROFIL_PAR_DEFAUT
    description: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.fuseau)

    def plages_texte(self) -> str:
        return "; ".join(p.texte() for p in self.plages)


def _texte_jours(jours: frozenset[int]) -> str:
    ordonnes = sorted(jours)
    if len(ordonnes) > 2 and ordonnes == list(range(ordonnes[0], ordonnes[-1] + 1)):
        return f"du {JOURS[ordonnes[0]]} au {JOURS[ordonnes[-1]]}"
    return ", ".join(JOURS[j] for j in ordonnes)


def fichier_robots(config: Path) -> Path:
    return config / "annuaire" / "robots.yaml"


def _heure(valeur: Any, ou: str, *, fin: bool) -> time | None:
    texte = str(valeur).strip() if valeur is not None else ""
    if fin and texte == "24:00":
        return None
    trouve = _HEURE.match(texte)
    if not trouve:
        attendu = "HH:MM (00:00 à 23:59, ou 24:00 pour la fin du jour)" if fin else "HH:MM (00:00 à 23:59)"
        raise RobotsInvalides(f"{ou}: heure {valeur!r} illisible, attendu {attendu} entre guillemets")
    return time(int(trouve.group(1)), int(trouve.group(2)))


def _plage(brut: Any, ou: str) -> PlageHoraire:
    if not isinstance(brut, dict) or set(brut) != {"jours", "de", "a"}:
        raise RobotsInvalides(f"{ou}: une plage est {{jours: [lundi, ...], de: \"19:00\", a: \"07:00\"}}")
    jours_bruts = brut["jours"]
    if not isinstance(jours_bruts, list) or not jours_bruts:
        raise RobotsInvalides(f"{ou}: jours doit être une liste non vide ({', '.join(JOURS)})")
    inconnus = [j for j in jours_bruts if str(j).lower() not in JOURS]
    if inconnus:
        raise RobotsInvalides(f"{ou}: jour(s) inconnu(s) {inconnus} (attendu: {', '.join(JOURS)})")
    de = _heure(brut["de"], ou, fin=False)
    a = _heure(brut["a"], ou, fin=True)
    assert de is not None
    if a == de:
        raise RobotsInvalides(f"{ou}: plage vide ou ambiguë (de = a = {de:%H:%M}); une journée entière s'écrit 00:00 → 24:00")
    return PlageHoraire(jours=frozenset(JOURS.index(str(j).lower()) for j in jours_bruts), de=de, a=a)


def lire_yaml(chemin: Path) -> dict[str, Any]:
    try:
        contenu = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RobotsInvalides(f"{chemin}: YAML illisible ({exc})") from exc
    if not isinstance(contenu, dict):
        raise RobotsInvalides(f"{chemin}: un dictionnaire est attendu")
    return contenu


def lire_robots(chemin: Path, organismes: Mapping[str, Organisme]) -> dict[str, Robot]:
    """Read and check ``robots.yaml``; an absent file declares no robot (robot keys refused)."""
    if not chemin.exists():
        return {}
    contenu = lire_yaml(chemin)
    fuseau_fichier = str(contenu.get("fuseau") or FUSEAU_PAR_DEFAUT)
    robots: dict[str, Robot] = {}
    for i, brut in enumerate(contenu.get("robots") or []):
        ou = f"{chemin} robots[{i}]"
        if not isinstance(brut, dict):
            raise RobotsInvalides(f"{ou}: un dictionnaire est attendu")
        inconnus = set(brut) - {"id", "organisme", "responsable", "plages", "debit_par_minute", "fuseau", "profil", "description"}
        if inconnus:
            raise RobotsInvalides(f"{ou}: champ(s) inconnu(s) {sorted(inconnus)}")
        try:
            identifiant = str(brut["id"])
            organisme = str(brut["organisme"])
            responsable = str(brut["responsable"] or "").strip()
            plages_brutes = brut["plages"]
            debit = brut["debit_par_minute"]
        except KeyError as exc:
            raise RobotsInvalides(f"{ou}: champ {exc.args[0]!r} absent") from exc
        if not _IDENTIFIANT.match(identifiant):
            raise RobotsInvalides(f"{ou}: identifiant {identifiant!r} invalide (a-z, 0-9, tiret; 2 à 64 caractères)")
        if identifiant in robots:
            raise RobotsInvalides(f"{ou}: robot {identifiant!r} en double")
        if organisme not in organismes:
            raise RobotsInvalides(f"{ou}: organisme {organisme!r} absent de l'annuaire")
        if not responsable:
            raise RobotsInvalides(f"{ou}: responsable vide; l'annexe 2 rattache chaque robot à une personne nommée")
        if not isinstance(plages_brutes, list) or not plages_brutes:
            raise RobotsInvalides(f"{ou}: plages doit lister au moins une plage convenue")
        if isinstance(debit, bool) or not isinstance(debit, int) or not 1 <= debit <= DEBIT_MAX:
            raise RobotsInvalides(f"{ou}: debit_par_minute doit être un entier de 1 à {DEBIT_MAX}")
        fuseau = str(brut.get("fuseau") or fuseau_fichier)
        try:
            ZoneInfo(fuseau)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RobotsInvalides(f"{ou}: fuseau {fuseau!r} inconnu (p. ex. Europe/Paris)") from exc
        profil = str(brut.get("profil") or PROFIL_PAR_DEFAUT)
        if profil not in PROFILS:
            raise RobotsInvalides(f"{ou}: profil {profil!r} inconnu ({', '.join(sorted(PROFILS))})")
        robots[identifiant] = Robot(
            id=identifiant,
            organisme=organisme,
            responsable=responsable,
            plages=tuple(_plage(p, f"{ou} plages[{j}]") for j, p in enumerate(plages_brutes)),
            debit_par_minute=debit,
            fuseau=fuseau,
            profil=profil,
            description=None if brut.get("description") is None else str(brut["description"]),
        )
    return robots


def entree_robot(robot: Robot) -> dict[str, Any]:
    entree: dict[str, Any] = {
        "id": robot.id,
        "organisme": robot.organisme,
        "responsable": robot.responsable,
    }
    if robot.description:
        entree["description"] = robot.description
    entree["profil"] = robot.profil
    entree["debit_par_minute"] = robot.debit_par_minute
    if robot.fuseau != FUSEAU_PAR_DEFAUT:
        entree["fuseau"] = robot.fuseau
    entree["plages"] = [
        {"jours": [JOURS[j] for j in sorted(p.jours)], "de": f"{p.de:%H:%M}", "a": "24:00" if p.a is None else f"{p.a:%H:%M}"}
        for p in robot.plages
    ]
    return entree


def entete_existant(chemin: Path) -> str:
    """Keep the operator's leading comment block when the file is rewritten."""
    lignes = []
    for ligne in chemin.read_text(encoding="utf-8").splitlines(keepends=True):
        if not ligne.startswith("#"):
            break
        lignes.append(ligne)
    return "".join(lignes) or ENTETE
