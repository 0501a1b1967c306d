"""The deployment's own secrets: the gateway's signing keys, the blind-index key, the payload
encryption keys. Read once at start-up from one file that is never committed — except the
development file in ``config/developpement/``, which is marked as such and refused in production.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.cles import lire_privee_pem


class SecretsRefuses(ValueError):
    """The secrets cannot be used as they are; the message says why and what to do."""


class SecretsDeveloppementRefuses(SecretsRefuses):
    """Development secrets outside development mode (the command line adds that
    ``--developpement`` is the way for a local trial)."""


@dataclass(frozen=True)
class SecretsDeploiement:
    developpement: bool
    signature_active: str
    cles_signature: dict[str, Ed25519PrivateKey]
    index_aveugle: bytes
    chiffrement_active: str
    cles_chiffrement: dict[str, bytes]

    @property
    def cle_signature(self) -> Ed25519PrivateKey:
        return self.cles_signature[self.signature_active]


def _octets(valeur: object, ou: str, taille: int) -> bytes:
    try:
        brut = base64.b64decode(str(valeur), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretsRefuses(f"{ou}: base64 invalide") from exc
    if len(brut) < taille:
        raise SecretsRefuses(f"{ou}: au moins {taille} octets attendus, {len(brut)} reçus")
    return brut


def charger_secrets(chemin: Path, *, developpement: bool) -> SecretsDeploiement:
    try:
        brut = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise SecretsRefuses(
            f"fichier de secrets absent: {chemin} (PASSERELLE_SECRETS; voir docs/exploitation.md)"
        ) from exc
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
        secrets = SecretsDeploiement(
            developpement=marque,
            signature_active=str(signature["active"]),
            cles_signature=cles_signature,
            index_aveugle=_octets(brut["index_aveugle"], "index_aveugle", 32),
            chiffrement_active=str(chiffrement["active"]),
            cles_chiffrement=cles_chiffrement,
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
    return secrets
