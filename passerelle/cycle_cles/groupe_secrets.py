"""``passerelle secrets …``: the gateway's own secrets (signing, blind-index and encryption keys).

``generer`` writes a fresh production file; the rotations step by step (``signature``,
``chiffrement``, ``index``, ``etat``, ``rechiffrer``…) are the commands of
:mod:`passerelle.cycle_cles.commandes`, part of this group.
"""

from __future__ import annotations

import base64
import os
from datetime import datetime, timezone
from pathlib import Path

import typer
import yaml

from passerelle.annuaire.cles import privee_pem
from passerelle.cycle_cles.commandes import enregistrer as enregistrer_rotations
from passerelle.ligne_de_commande import Application, Sortie
from passerelle.ligne_de_commande import erreur as _erreur

secrets_app = Application(help="Secrets de la passerelle (clés de signature, d'index, de chiffrement)")


@secrets_app.command("generer")
def secrets_generer(sortie: Path = typer.Argument(..., help="fichier de secrets à créer (hors dépôt)"), keyid: str = typer.Option(..., "--keyid", help="identifiant de la clé de signature de la passerelle")) -> None:
    """Écrire un fichier de secrets de production neuf (0600): à garder hors dépôt."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if sortie.exists():
        _erreur(f"{sortie} existe déjà: rien n'a été écrit", Sortie.FICHIER)
    ident = datetime.now(timezone.utc).strftime("%Y%m%d")
    contenu = {
        "developpement": False,
        "signature": {"active": keyid, "cles": {keyid: privee_pem(Ed25519PrivateKey.generate()).decode("ascii")}},
        "index_aveugle": {"active": ident, "cles": {ident: base64.b64encode(os.urandom(32)).decode("ascii")}},
        "chiffrement": {"active": ident, "cles": {ident: base64.b64encode(os.urandom(32)).decode("ascii")}},
    }
    descripteur = os.open(sortie, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descripteur, "w") as f:
        f.write("# Secrets de la passerelle — NE PAS VERSIONNER. Rotations: `passerelle secrets ...`\n")
        f.write("# (docs/exploitation.md § 4); ne retirez une clé que quand `passerelle secrets etat` le permet.\n")
        yaml.safe_dump(contenu, f, sort_keys=False)
    typer.echo(f"secrets écrits dans {sortie}")


enregistrer_rotations(secrets_app)  # `passerelle secrets signature|chiffrement|index …`, `etat`, `rechiffrer`…
