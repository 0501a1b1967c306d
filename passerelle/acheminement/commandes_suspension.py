"""``passerelle conventions suspendre|reprendre ID --motif …``: the operator's way to suspend a
convention on a breach (art. 3.3) and to resume it, with the server's settings (``--base``,
``--config``, ``--secrets`` or ``PASSERELLE_*``). Each is one transaction: the suspension's row,
its journal entry, the notice ``suspension-convention`` for every party; every replica of the
gateway applies it within its directory reload interval (``PASSERELLE_RELECTURE_ANNUAIRE``).
The national caisses' administrators do the same through the API (``/v1/conventions/{id}/…``).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Optional

import typer

from passerelle.ligne_de_commande import Application, Sortie
from passerelle.ligne_de_commande import erreur as _erreur

BaseOption = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="URL SQLAlchemy de la passerelle")
ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
SecretsOption = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets")
DevOption = typer.Option(False, "--developpement", help="accepter les clés et secrets de développement")
MotifOption = typer.Option(..., "--motif", help="pourquoi (obligatoire; journalisé et communiqué aux parties)")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")

# Joined to `passerelle conventions` by cli.py (the group of passerelle/habilitations/commandes.py).
suspension_app = Application(help="Suspendre ou reprendre une convention (art. 3.3)")


def _changer(action_nom: str, convention: str, motif: str, par: Optional[str], base: Optional[str],
             config: Path, secrets: Optional[Path], developpement: bool, json_: bool) -> None:
    from passerelle.acheminement import suspensions as gestion
    from passerelle.cycle_cles.commandes import services_pour
    from passerelle.services import gestion_suspensions
    from passerelle.erreurs import Conflit, Refus

    services = services_pour(secrets, base, config, developpement)
    action = gestion.suspendre if action_nom == "suspendre" else gestion.reprendre
    demandeur = gestion.Demandeur(par=(par or getpass.getuser())[:256], canal="cli")
    try:
        with services.ecriture, services.moteur.begin() as connexion:
            resultat = action(gestion_suspensions(services), connexion, convention, motif, demandeur, services.horloge())
    except Conflit as refus:
        _erreur(refus.detail, Sortie.REFUS)
    except Refus as refus:  # unknown convention, unusable motive: the input
        _erreur(f"rien n'a été changé: {refus.detail}", Sortie.USAGE)
    finally:
        services.moteur.dispose()
    if json_:
        typer.echo(json.dumps(resultat, ensure_ascii=False, indent=2))
        return
    verbe = "suspendue" if action_nom == "suspendre" else "reprise"
    typer.echo(f"convention {convention} {verbe} (journal n° {resultat['journal_index']}); avis déposé pour "
               f"{', '.join(resultat['avises']) or 'personne'}; effectif sur chaque instance à sa relecture de "
               "l'annuaire")


@suspension_app.command("suspendre")
def suspendre(
    convention: str = typer.Argument(..., help="identifiant de la convention (passerelle conventions lister)"),
    motif: str = MotifOption,
    par: Optional[str] = typer.Option(None, "--par", help="qui suspend (défaut: l'utilisateur du système)"),
    base: Optional[str] = BaseOption,
    config: Path = ConfigOption,
    secrets: Optional[Path] = SecretsOption,
    developpement: bool = DevOption,
    json_: bool = JsonOption,
) -> None:
    """Suspendre une convention sur manquement (art. 3.3): tout échange qu'elle autorise est refusé
    (403 convention_suspendue), les parties en sont avisées; journalisé."""
    _changer("suspendre", convention, motif, par, base, config, secrets, developpement, json_)


@suspension_app.command("reprendre")
def reprendre(
    convention: str = typer.Argument(..., help="identifiant de la convention suspendue"),
    motif: str = MotifOption,
    par: Optional[str] = typer.Option(None, "--par", help="qui reprend (défaut: l'utilisateur du système)"),
    base: Optional[str] = BaseOption,
    config: Path = ConfigOption,
    secrets: Optional[Path] = SecretsOption,
    developpement: bool = DevOption,
    json_: bool = JsonOption,
) -> None:
    """Reprendre les échanges d'une convention suspendue; les parties en sont avisées; journalisé."""
    _changer("reprendre", convention, motif, par, base, config, secrets, developpement, json_)
