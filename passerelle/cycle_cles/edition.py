"""Editing the secrets file for a key rotation: add a key, make it active, retire the old one.

Every edit is checked by reading the result exactly as the gateway will (``analyser_secrets``)
before the file is replaced atomically, with its permissions (0600 for a new file). The gateway
reads the file at start-up only: each step takes effect when every instance has restarted.
"""

from __future__ import annotations

import base64
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.cles import lire_privee_pem, privee_pem, publique_texte
from passerelle.secrets_deploiement import INDEX_INITIALE, SecretsRefuses, analyser_secrets, lire_fichier

ENTETE = (
    "# Secrets de la passerelle — NE PAS VERSIONNER. Géré par `passerelle secrets ...`\n"
    "# (docs/exploitation.md § 4): ajouter une clé, redémarrer toutes les instances, l'activer,\n"
    "# redémarrer, puis retirer l'ancienne quand `passerelle secrets etat` le permet.\n"
)
SIGNATURE, CHIFFREMENT, INDEX = "signature", "chiffrement", "index_aveugle"


class EditionRefusee(ValueError):
    """The edit would break the deployment; the message says why and what to do first."""


def _ecrire(chemin: Path, brut: dict[str, Any]) -> None:
    analyser_secrets(brut, chemin, developpement=bool(brut.get("developpement")))
    texte = ENTETE + yaml.safe_dump(brut, sort_keys=False, allow_unicode=True)
    mode = chemin.stat().st_mode & 0o777 if chemin.exists() else 0o600
    descripteur, provisoire = tempfile.mkstemp(dir=chemin.parent, prefix=".secrets-", suffix=".yaml")
    try:
        os.chmod(provisoire, mode)
        with os.fdopen(descripteur, "w", encoding="utf-8") as f:
            f.write(texte)
            f.flush()
            os.fsync(f.fileno())
        os.replace(provisoire, chemin)
    except BaseException:
        Path(provisoire).unlink(missing_ok=True)
        raise


def _lire(chemin: Path) -> dict[str, Any]:
    brut = lire_fichier(chemin)
    for section in (SIGNATURE, CHIFFREMENT):
        if not isinstance(brut.get(section), dict) or not isinstance(brut[section].get("cles"), dict):
            raise SecretsRefuses(f"{chemin}: section {section} illisible")
    if INDEX not in brut:
        raise SecretsRefuses(f"{chemin}: entrée 'index_aveugle' absente")
    if not isinstance(brut[INDEX], dict):  # a file from before rotations: one unnamed key
        brut[INDEX] = {"active": INDEX_INITIALE, "cles": {INDEX_INITIALE: brut[INDEX]}}
    return brut


def _identifiant_neuf(existants: set[str], instant: datetime) -> str:
    base = instant.strftime("%Y%m%d")
    ident, n = base, 1
    while ident in existants:
        n += 1
        ident = f"{base}-{n}"
    return ident


def _section(brut: dict[str, Any], nature: str) -> dict[str, Any]:
    return brut[nature]


def ajouter(chemin: Path, nature: str, identifiant: str | None = None, *, instant: datetime | None = None) -> str:
    """A new random key under ``identifiant`` (default: the date), not active yet."""
    brut = _lire(chemin)
    section = _section(brut, nature)
    cles: dict[str, Any] = section["cles"]
    existants = {str(k) for k in cles} | {str(k) for k in (section.get("retirees") or {})}
    identifiant = identifiant or _identifiant_neuf(existants, instant or datetime.now(timezone.utc))
    if identifiant in existants:
        raise EditionRefusee(f"la clé {identifiant!r} existe déjà dans {nature}: choisir un autre identifiant")
    if nature == SIGNATURE:
        cles[identifiant] = privee_pem(Ed25519PrivateKey.generate()).decode("ascii")
    else:
        cles[identifiant] = base64.b64encode(os.urandom(32)).decode("ascii")
    _ecrire(chemin, brut)
    return identifiant


def activer(chemin: Path, nature: str, identifiant: str) -> str:
    """Make ``identifiant`` the active key; returns the one it replaces."""
    brut = _lire(chemin)
    section = _section(brut, nature)
    if identifiant not in {str(k) for k in section["cles"]}:
        raise EditionRefusee(f"aucune clé {identifiant!r} dans {nature}: l'ajouter d'abord")
    ancienne = str(section["active"])
    section["active"] = identifiant
    _ecrire(chemin, brut)
    return ancienne


def retirer(chemin: Path, nature: str, identifiant: str, *, instant: datetime | None = None) -> None:
    """Destroy a non-active key. A signing key keeps its public half (``retirees``): the receipts
    and checkpoints it signed still verify. The caller checks that no row needs the key."""
    brut = _lire(chemin)
    section = _section(brut, nature)
    cles = {str(k): v for k, v in section["cles"].items()}
    if identifiant not in cles:
        raise EditionRefusee(f"aucune clé {identifiant!r} en service dans {nature}")
    if str(section["active"]) == identifiant:
        raise EditionRefusee(f"la clé {identifiant!r} est la clé active de {nature}: en activer une autre d'abord")
    valeur = cles.pop(identifiant)
    section["cles"] = cles
    if nature == SIGNATURE:
        publique = lire_privee_pem(str(valeur).encode("ascii")).public_key()
        retirees = dict(section.get("retirees") or {})
        quand = (instant or datetime.now(timezone.utc)).astimezone(timezone.utc)
        retirees[identifiant] = {"publique": publique_texte(publique), "retiree_le": quand.strftime("%Y-%m-%dT%H:%M:%SZ")}
        section["retirees"] = retirees
    _ecrire(chemin, brut)
