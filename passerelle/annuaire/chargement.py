"""Loading the directory from ``config/annuaire/`` and keeping it current while the gateway runs.

The files are the source of truth (reviewable, versioned by the operator); the CLI edits them.
A running gateway re-reads them when they change, so a revocation takes effect within a second
on every replica that shares the configuration.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import structlog
import yaml

from passerelle.annuaire.cles import lire_publique
from passerelle.annuaire.modeles import PROFIL_PAR_DEFAUT, PROFILS, Annuaire, Cle, Organisme
from passerelle.annuaire.robots import Robot, RobotsInvalides, fichier_robots, lire_robots

journal_technique = structlog.get_logger("passerelle.annuaire")

# cnaf, cnav-nationale: the national caisses (heads of network), which administer conventions
# (passerelle/habilitations/suspensions.py) and exchange no data.
TYPES_ORGANISMES = {"caf", "carsat", "cnav", "cgss", "cpam", "msa", "urssaf", "cnaf", "cnav-nationale"}


class AnnuaireInvalide(ValueError):
    """The directory files are inconsistent; the message names the file and the entry."""


class ClesDeveloppementRefusees(AnnuaireInvalide):
    """Development keys in the directory outside development mode (the command line then says
    that ``--developpement`` is the way for a local trial)."""


def fichier_organismes(config: Path) -> Path:
    return config / "annuaire" / "organismes.yaml"


def fichier_cles(config: Path) -> Path:
    return config / "annuaire" / "cles.yaml"


def _instant(valeur: Any, ou: str) -> datetime | None:
    if valeur is None:
        return None
    if isinstance(valeur, datetime):
        instant = valeur
    else:
        try:
            instant = datetime.fromisoformat(str(valeur).replace("Z", "+00:00"))
        except ValueError as exc:
            raise AnnuaireInvalide(f"{ou}: date-heure illisible {valeur!r}") from exc
    if instant.tzinfo is None:
        raise AnnuaireInvalide(f"{ou}: la date-heure {valeur!r} doit préciser son fuseau (Z)")
    return instant.astimezone(timezone.utc)


def _lire_yaml(chemin: Path) -> dict[str, Any]:
    try:
        contenu = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise AnnuaireInvalide(f"{chemin}: fichier absent") from exc
    except yaml.YAMLError as exc:
        raise AnnuaireInvalide(f"{chemin}: YAML illisible ({exc})") from exc
    if not isinstance(contenu, dict):
        raise AnnuaireInvalide(f"{chemin}: un dictionnaire est attendu")
    return contenu


def lire_organismes(chemin: Path) -> dict[str, Organisme]:
    organismes: dict[str, Organisme] = {}
    for i, brut in enumerate(_lire_yaml(chemin).get("organismes") or []):
        ou = f"{chemin} organismes[{i}]"
        connecteur = brut.get("connecteur", "boite")
        if isinstance(connecteur, dict):
            parametres = {k: v for k, v in connecteur.items() if k != "type"}
            connecteur = connecteur.get("type")
        else:
            parametres = {}
        if not isinstance(connecteur, str) or not connecteur:
            raise AnnuaireInvalide(f"{ou}: connecteur sans type (boite, http, fichier...)")
        try:
            organisme = Organisme(
                code=str(brut["code"]),
                type=str(brut["type"]),
                nom=str(brut["nom"]),
                departements=tuple(str(d) for d in brut.get("departements") or ()),
                region=brut.get("region"),
                numero=None if brut.get("numero") is None else str(brut["numero"]),
                connecteur=connecteur,
                connecteur_parametres=parametres,
                profil_livraison=str(brut.get("profil_livraison") or PROFIL_PAR_DEFAUT),
            )
        except KeyError as exc:
            raise AnnuaireInvalide(f"{ou}: champ {exc.args[0]!r} absent") from exc
        if organisme.type not in TYPES_ORGANISMES:
            raise AnnuaireInvalide(f"{ou}: type {organisme.type!r} inconnu ({sorted(TYPES_ORGANISMES)})")
        if organisme.profil_livraison not in PROFILS:
            raise AnnuaireInvalide(f"{ou}: profil_livraison {organisme.profil_livraison!r} inconnu ({', '.join(sorted(PROFILS))})")
        if organisme.code in organismes:
            raise AnnuaireInvalide(f"{ou}: code {organisme.code!r} en double")
        organismes[organisme.code] = organisme
    return organismes


def _profil_de_cle(brut: dict[str, Any], robot: Robot | None, ou: str) -> str:
    """A robot key has its robot's profile (one place to change it); another key says its own."""
    profil = brut.get("profil")
    if robot is not None:
        if profil is not None and profil != robot.profil:
            raise AnnuaireInvalide(
                f"{ou}: profil {profil!r} différent de celui du robot {robot.id} ({robot.profil}); "
                "le profil d'une clé de robot se règle dans robots.yaml"
            )
        return robot.profil
    profil = str(profil or PROFIL_PAR_DEFAUT)
    if profil not in PROFILS:
        raise AnnuaireInvalide(f"{ou}: profil {profil!r} inconnu ({', '.join(sorted(PROFILS))})")
    return profil


def lire_cles(chemin: Path, organismes: dict[str, Organisme], robots: dict[str, Robot]) -> dict[str, Cle]:
    cles: dict[str, Cle] = {}
    if not chemin.exists():
        return cles
    for i, brut in enumerate(_lire_yaml(chemin).get("cles") or []):
        ou = f"{chemin} cles[{i}]"
        try:
            keyid = str(brut["keyid"])
            organisme = str(brut["organisme"])
            publique = lire_publique(str(brut["publique"]))
            valide_du = _instant(brut["valide_du"], ou)
        except KeyError as exc:
            raise AnnuaireInvalide(f"{ou}: champ {exc.args[0]!r} absent") from exc
        except ValueError as exc:
            raise AnnuaireInvalide(f"{ou}: {exc}") from exc
        if organisme not in organismes:
            raise AnnuaireInvalide(f"{ou}: organisme {organisme!r} absent de l'annuaire")
        if keyid in cles:
            raise AnnuaireInvalide(f"{ou}: keyid {keyid!r} en double")
        assert valide_du is not None
        robot = None
        if brut.get("robot") is not None:
            robot = robots.get(str(brut["robot"]))
            if robot is None:
                raise AnnuaireInvalide(f"{ou}: robot {brut['robot']!r} absent de robots.yaml (annexe 2: tout robot y est déclaré)")
            if robot.organisme != organisme:
                raise AnnuaireInvalide(
                    f"{ou}: le robot {robot.id!r} appartient à {robot.organisme}, pas à {organisme}"
                )
        cles[keyid] = Cle(
            keyid=keyid,
            organisme=organisme,
            publique=publique,
            valide_du=valide_du,
            valide_au=_instant(brut.get("valide_au"), ou),
            revoquee_le=_instant(brut.get("revoquee_le"), ou),
            developpement=bool(brut.get("developpement", False)),
            robot=robot.id if robot else None,
            profil=_profil_de_cle(brut, robot, ou),
        )
    return cles


def charger_annuaire(config: Path, *, developpement: bool) -> Annuaire:
    """Read and check the directory; development keys are refused outside development mode."""
    organismes = lire_organismes(fichier_organismes(config))
    try:
        robots = lire_robots(fichier_robots(config), organismes)
    except RobotsInvalides as exc:
        raise AnnuaireInvalide(str(exc)) from exc
    cles = lire_cles(fichier_cles(config), organismes, robots)
    if not developpement:
        marquees = sorted(c.keyid for c in cles.values() if c.developpement)
        if marquees:
            raise ClesDeveloppementRefusees(
                "clés de développement refusées hors mode développement: " + ", ".join(marquees)
            )
    return Annuaire(organismes=organismes, cles=cles, robots=robots)


class SourceAnnuaire:
    """The current directory, re-read when its files change (checked at most once a second)."""

    def __init__(self, config: Path, *, developpement: bool, intervalle: float = 1.0) -> None:
        self._config = config
        self._developpement = developpement
        self._intervalle = intervalle
        self._verrou = threading.Lock()
        self._signature = self._signature_fichiers()
        self._annuaire = charger_annuaire(config, developpement=developpement)
        self._verifie_a = time.monotonic()
        self._signature_en_echec: tuple[tuple[int, int], ...] | None = None
        self.erreur: str | None = None  # why the files on disk are not the ones in use

    def _signature_fichiers(self) -> tuple[tuple[int, int], ...]:
        etats = []
        for chemin in (fichier_organismes(self._config), fichier_cles(self._config), fichier_robots(self._config)):
            try:
                st = chemin.stat()
                etats.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                etats.append((0, 0))
        return tuple(etats)

    def actuel(self) -> Annuaire:
        if time.monotonic() - self._verifie_a < self._intervalle:
            return self._annuaire
        with self._verrou:
            self._verifie_a = time.monotonic()
            signature = self._signature_fichiers()
            if signature != self._signature:
                try:
                    self._annuaire = charger_annuaire(self._config, developpement=self._developpement)
                except (AnnuaireInvalide, OSError) as exc:
                    # A broken edit must not take the gateway down: keep serving the last good
                    # directory, say so loudly (logs, /sante), and try again at the next check —
                    # the change is only recorded once it has been applied, so a revocation
                    # is never skipped because the file was unreadable for a moment.
                    if signature != self._signature_en_echec:
                        journal_technique.error("annuaire_invalide", erreur=str(exc))
                    self._signature_en_echec = signature
                    self.erreur = str(exc)
                else:
                    self._signature = signature
                    self._signature_en_echec = None
                    self.erreur = None
                    journal_technique.info("annuaire_recharge", cles=len(self._annuaire.cles))
        return self._annuaire
