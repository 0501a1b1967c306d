"""The deployment's own secrets: the gateway's signing keys, the blind-index keys, the payload
encryption keys. Read once at start-up from one file that is never committed — except the
development file in ``config/developpement/``, which is marked as such and refused in production.

Each kind of key rotates (``passerelle secrets ...``, passerelle/cycle_cles/): several keys under
ids, one active. Signing keys whose private half was destroyed stay as public keys
(``signature.retirees``), so receipts and checkpoints they signed still verify. Blind-index keys
other than the active one index nothing new: they are kept to search what they indexed.
``index_aveugle`` may still be the single base64 key of files written before rotations existed
(its id is then ``initiale``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from passerelle.annuaire.cles import lire_privee_pem, lire_publique

INDEX_INITIALE = "initiale"  # id of the blind-index key of a file written as a single value


class SecretsRefuses(ValueError):
    """The secrets cannot be used as they are; the message says why and what to do."""


class SecretsDeveloppementRefuses(SecretsRefuses):
    """Development secrets outside development mode (the command line adds that
    ``--developpement`` is the way for a local trial)."""


@dataclass(frozen=True)
class CleRetiree:
    """A signing key whose private half was destroyed: still verifies what it signed."""

    publique: Ed25519PublicKey
    retiree_le: datetime | None = None


@dataclass(frozen=True)
class SecretsDeploiement:
    developpement: bool
    signature_active: str
    cles_signature: dict[str, Ed25519PrivateKey]
    index_aveugle_active: str
    cles_index: dict[str, bytes]
    chiffrement_active: str
    cles_chiffrement: dict[str, bytes]
    signature_retirees: dict[str, CleRetiree] = field(default_factory=dict)

    @property
    def cle_signature(self) -> Ed25519PrivateKey:
        return self.cles_signature[self.signature_active]

    @property
    def index_aveugle(self) -> bytes:
        """The active blind-index key: the one every new index is computed with."""
        return self.cles_index[self.index_aveugle_active]

    def publiques_signature(self) -> dict[str, Ed25519PublicKey]:
        """Every gateway public key, signing or retired: what receipts and checkpoints verify with."""
        publiques = {k: c.publique for k, c in self.signature_retirees.items()}
        publiques.update({k: c.public_key() for k, c in self.cles_signature.items()})
        return publiques


def _octets(valeur: object, ou: str, taille: int) -> bytes:
    try:
        brut = base64.b64decode(str(valeur), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretsRefuses(f"{ou}: base64 invalide") from exc
    if len(brut) < taille:
        raise SecretsRefuses(f"{ou}: au moins {taille} octets attendus, {len(brut)} reçus")
    return brut


def _instant(valeur: object, ou: str) -> datetime | None:
    if valeur is None:
        return None
    if isinstance(valeur, datetime):
        instant = valeur
    else:
        try:
            instant = datetime.fromisoformat(str(valeur).replace("Z", "+00:00"))
        except ValueError as exc:
            raise SecretsRefuses(f"{ou}: instant illisible {valeur!r}") from exc
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def _retirees(brut: object) -> dict[str, CleRetiree]:
    if not brut:
        return {}
    if not isinstance(brut, dict):
        raise SecretsRefuses("signature.retirees: keyid → {publique, retiree_le} attendu")
    retirees = {}
    for keyid, valeur in brut.items():
        ou = f"signature.retirees.{keyid}"
        if not isinstance(valeur, dict) or "publique" not in valeur:
            raise SecretsRefuses(f"{ou}: entrée « publique » absente")
        try:
            publique = lire_publique(str(valeur["publique"]))
        except ValueError as exc:
            raise SecretsRefuses(f"{ou}: clé publique illisible ({exc})") from exc
        retirees[str(keyid)] = CleRetiree(publique, _instant(valeur.get("retiree_le"), ou))
    return retirees


def _index(brut: object) -> tuple[str, dict[str, bytes]]:
    if not isinstance(brut, dict):
        return INDEX_INITIALE, {INDEX_INITIALE: _octets(brut, "index_aveugle", 32)}
    try:
        active, cles = str(brut["active"]), brut["cles"]
    except KeyError as exc:
        raise SecretsRefuses(f"index_aveugle: entrée {exc.args[0]!r} absente") from exc
    if not isinstance(cles, dict) or not cles:
        raise SecretsRefuses("index_aveugle.cles: identifiant → clé (base64) attendu")
    return active, {str(k): _octets(v, f"index_aveugle.cles.{k}", 32) for k, v in cles.items()}


def lire_fichier(chemin: Path) -> dict[str, Any]:
    """The raw YAML mapping of a secrets file."""
    try:
        brut = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise SecretsRefuses(
            f"fichier de secrets absent: {chemin} (PASSERELLE_SECRETS; voir docs/exploitation.md)"
        ) from exc
    except yaml.YAMLError as exc:
        raise SecretsRefuses(f"{chemin}: YAML illisible ({exc})") from exc
    if not isinstance(brut, dict):
        raise SecretsRefuses(f"{chemin}: un dictionnaire YAML est attendu")
    return brut


def charger_secrets(chemin: Path, *, developpement: bool) -> SecretsDeploiement:
    brut = lire_fichier(chemin)
    return analyser_secrets(brut, chemin, developpement=developpement)


def analyser_secrets(brut: dict[str, Any], chemin: Path, *, developpement: bool) -> SecretsDeploiement:
    """Check a secrets mapping as the gateway will use it (the CLI checks its edits with it)."""
    marque = bool(brut.get("developpement", False))
    if marque and not developpement:
        raise SecretsDeveloppementRefuses(
            f"{chemin} contient des secrets de développement: refusés hors mode développement"
        )
    try:
        signature = brut["signature"]
        cles_signature = {
            str(k): lire_privee_pem(str(v).encode("ascii")) for k, v in signature["cles"].items()
        }
        chiffrement = brut["chiffrement"]
        cles_chiffrement = {
            str(k): _octets(v, f"chiffrement.cles.{k}", 32) for k, v in chiffrement["cles"].items()
        }
        index_active, cles_index = _index(brut["index_aveugle"])
        secrets = SecretsDeploiement(
            developpement=marque,
            signature_active=str(signature["active"]),
            cles_signature=cles_signature,
            index_aveugle_active=index_active,
            cles_index=cles_index,
            chiffrement_active=str(chiffrement["active"]),
            cles_chiffrement=cles_chiffrement,
            signature_retirees=_retirees(signature.get("retirees")),
        )
    except KeyError as exc:
        raise SecretsRefuses(f"{chemin}: entrée {exc.args[0]!r} absente") from exc
    except ValueError as exc:
        if isinstance(exc, SecretsRefuses):
            raise
        raise SecretsRefuses(f"{chemin}: {exc}") from exc
    if secrets.signature_active not in secrets.cles_signature:
        raise SecretsRefuses(f"{chemin}: clé de signature active {secrets.signature_active!r} absente")
    if secrets.chiffrement_active not in secrets.cles_chiffrement:
        raise SecretsRefuses(f"{chemin}: clé de chiffrement active {secrets.chiffrement_active!r} absente")
    if secrets.index_aveugle_active not in secrets.cles_index:
        raise SecretsRefuses(f"{chemin}: clé d'index aveugle active {secrets.index_aveugle_active!r} absente")
    doublons = set(secrets.cles_signature) & set(secrets.signature_retirees)
    if doublons:
        raise SecretsRefuses(f"{chemin}: clé de signature à la fois en service et retirée: {', '.join(sorted(doublons))}")
    return secrets
