"""Changing the directory's keys: the edits the CLI makes to ``config/annuaire/cles.yaml``.

Each change is checked by reloading the whole directory before the file is replaced
(atomically), so a mistake never leaves a half-written or inconsistent file behind.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passerelle.annuaire.chargement import AnnuaireInvalide, fichier_cles, lire_cles, lire_organismes, fichier_organismes
from passerelle.annuaire.cles import publique_texte
from passerelle.annuaire.robots import (
    ENTETE,
    FUSEAU_PAR_DEFAUT,
    Robot,
    RobotsInvalides,
    entete_existant,
    entree_robot,
    fichier_robots,
    lire_robots,
    lire_yaml,
)

ENTETE = (
    "# Clés publiques Ed25519 des organismes (valeur « x » d'une JWK, base64url).\n"
    "# Géré par `passerelle cles ...` (générer, ajouter, révoquer): préférez la commande à l'édition.\n"
    "# developpement: true = CLÉ DE DÉVELOPPEMENT, sa clé privée est publiée dans\n"
    "# config/developpement/cles/; la passerelle refuse de démarrer avec elle hors mode développement.\n"
    "# profil: accueil, gestion (défaut) ou lutte-fraude — ce que la clé peut émettre et lire\n"
    "# (conventions); robot: <id> = clé d'un robot déclaré dans robots.yaml (il a le profil du robot).\n"
)


def _texte_instant(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _lire_entrees(config: Path) -> list[dict[str, Any]]:
    chemin = fichier_cles(config)
    if not chemin.exists():
        return []
    contenu = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    return list(contenu.get("cles") or [])


def _ecrire_entrees(config: Path, entrees: list[dict[str, Any]]) -> None:
    chemin = fichier_cles(config)
    texte = ENTETE + yaml.safe_dump({"cles": entrees}, sort_keys=False, allow_unicode=True)
    chemin.parent.mkdir(parents=True, exist_ok=True)
    descripteur, provisoire = tempfile.mkstemp(dir=chemin.parent, prefix=".cles-", suffix=".yaml")
    try:
        # Keep the current file's owner-independent permissions: the gateway (another user)
        # must still be able to read it, or it would keep serving the keys it had.
        mode = chemin.stat().st_mode & 0o777 if chemin.exists() else 0o644
        os.chmod(provisoire, mode)
        with os.fdopen(descripteur, "w", encoding="utf-8") as f:
            f.write(texte)
            f.flush()
            os.fsync(f.fileno())
        # Check the result as the gateway will read it, before it replaces the current file.
        organismes = lire_organismes(fichier_organismes(config))
        try:
            robots = lire_robots(fichier_robots(config), organismes)
        except RobotsInvalides as exc:
            raise AnnuaireInvalide(str(exc)) from exc
        lire_cles(Path(provisoire), organismes, robots)
        os.replace(provisoire, chemin)
    except BaseException:
        Path(provisoire).unlink(missing_ok=True)
        raise


def ajouter_cle(
    config: Path,
    *,
    organisme: str,
    keyid: str,
    publique: Ed25519PublicKey,
    valide_du: datetime,
    valide_au: datetime | None,
    developpement: bool = False,
    robot: str | None = None,
    profil: str | None = None,
) -> None:
    entrees = _lire_entrees(config)
    if any(e.get("keyid") == keyid for e in entrees):
        raise AnnuaireInvalide(f"la clé {keyid!r} existe déjà")
    if organisme not in lire_organismes(fichier_organismes(config)):
        raise AnnuaireInvalide(f"organisme {organisme!r} absent de l'annuaire")
    if valide_au is not None and valide_au <= valide_du:
        raise AnnuaireInvalide("valide_au doit suivre valide_du")
    entree: dict[str, Any] = {
        "keyid": keyid,
        "organisme": organisme,
        "publique": publique_texte(publique),
        "valide_du": _texte_instant(valide_du),
        "valide_au": _texte_instant(valide_au),
        "revoquee_le": None,
        "developpement": developpement,
    }
    if robot:
        entree["robot"] = robot
    if profil:
        entree["profil"] = profil
    _ecrire_entrees(config, entrees + [entree])


def revoquer_cle(config: Path, keyid: str, le: datetime) -> None:
    entrees = _lire_entrees(config)
    for entree in entrees:
        if entree.get("keyid") == keyid:
            if entree.get("revoquee_le"):
                raise AnnuaireInvalide(f"la clé {keyid!r} est déjà révoquée ({entree['revoquee_le']})")
            entree["revoquee_le"] = _texte_instant(le)
            _ecrire_entrees(config, entrees)
            return
    raise AnnuaireInvalide(f"la clé {keyid!r} n'est pas dans l'annuaire")


def cles_restantes(config: Path, keyid: str, instant: datetime) -> tuple[dict[str, Any], list[str]]:
    """The entry of ``keyid`` and the other keys of its organisme that are, or will be, valid."""
    from passerelle.annuaire.chargement import charger_annuaire

    entrees = _lire_entrees(config)
    entree = next((e for e in entrees if e.get("keyid") == keyid), None)
    if entree is None:
        raise AnnuaireInvalide(f"la clé {keyid!r} n'est pas dans l'annuaire")
    annuaire = charger_annuaire(config, developpement=True)
    autres = [
        c.keyid for c in annuaire.cles.values()
        if c.organisme == entree.get("organisme") and c.keyid != keyid
        and c.etat(instant) in ("valide", "pas_encore_valide")
    ]
    return entree, sorted(autres)


def supprimer_cle(config: Path, keyid: str, instant: datetime, *, forcer: bool = False) -> dict[str, Any]:
    """Remove a key from ``cles.yaml`` (the gateway's reload applies it); returns its entry.

    Refused while it is the only key, valid now or later, of its organisme — the organisme could
    no longer send nor read anything — unless ``forcer``. A revoked key need not be removed:
    removal is for keys entered by mistake or whose history no longer needs them by name.
    """
    entree, autres = cles_restantes(config, keyid, instant)
    if not autres and not forcer:
        raise AnnuaireInvalide(
            f"la clé {keyid!r} est la seule clé valide de {entree.get('organisme')}: il ne pourrait plus rien "
            "envoyer ni lire. Inscrire d'abord sa nouvelle clé, ou --forcer"
        )
    _ecrire_entrees(config, [e for e in _lire_entrees(config) if e.get("keyid") != keyid])
    return entree


def declarer_robot(config: Path, robot: Robot, *, remplacer: bool = False) -> None:
    """Add (or, with ``remplacer``, update) a robot in ``robots.yaml``, checked before the file
    is replaced atomically — so a running gateway never reads a half-written agreement."""
    chemin = fichier_robots(config)
    contenu = lire_yaml(chemin) if chemin.exists() else {}
    entrees = [e for e in (contenu.get("robots") or []) if isinstance(e, dict)]
    existant = [i for i, e in enumerate(entrees) if e.get("id") == robot.id]
    if existant and not remplacer:
        raise RobotsInvalides(f"le robot {robot.id!r} est déjà déclaré")
    if existant:
        entrees[existant[0]] = entree_robot(robot)
    else:
        entrees.append(entree_robot(robot))
    nouveau = {"fuseau": contenu.get("fuseau") or FUSEAU_PAR_DEFAUT, "robots": entrees}
    texte = (ENTETE if not chemin.exists() else entete_existant(chemin)) + yaml.safe_dump(
        nouveau, sort_keys=False, allow_unicode=True
    )
    chemin.parent.mkdir(parents=True, exist_ok=True)
    descripteur, provisoire = tempfile.mkstemp(dir=chemin.parent, prefix=".robots-", suffix=".yaml")
    try:
        os.chmod(provisoire, chemin.stat().st_mode & 0o777 if chemin.exists() else 0o644)
        with os.fdopen(descripteur, "w", encoding="utf-8") as f:
            f.write(texte)
            f.flush()
            os.fsync(f.fileno())
        lire_robots(Path(provisoire), lire_organismes(fichier_organismes(config)))
        os.replace(provisoire, chemin)
    except BaseException:
        Path(provisoire).unlink(missing_ok=True)
        raise
