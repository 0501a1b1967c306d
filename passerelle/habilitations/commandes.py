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
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import typer

from passerelle.ligne_de_commande import Sortie
from passerelle.outils_cli import erreur as _erreur

BaseOption = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="URL SQLAlchemy de la passerelle")
ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
SecretsOption = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets")
DevOption = typer.Option(False, "--developpement", help="accepter les clés et secrets de développement")
MotifOption = typer.Option(..., "--motif", help="pourquoi (obligatoire; journalisé et communiqué aux parties)")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")


def _changer(action_nom: str, convention: str, motif: str, par: Optional[str], base: Optional[str],
             config: Path, secrets: Optional[Path], developpement: bool, json_: bool) -> None:
    from passerelle.acheminement import suspensions as gestion
    from passerelle.cycle_cles.commandes import services_pour
    from passerelle.erreurs import Conflit, Refus

    services = services_pour(secrets, base, config, developpement)
    action = gestion.suspendre if action_nom == "suspendre" else gestion.reprendre
    demandeur = gestion.Demandeur(par=(par or getpass.getuser())[:256], canal="cli")
    try:
        with services.ecriture, services.moteur.begin() as connexion:
            resultat = action(services, connexion, convention, motif, demandeur, services.horloge())
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


def suspensions_en_vigueur(base: Optional[str]) -> tuple[Mapping[str, Any] | None, str | None]:
    """For ``conventions lister``: the suspensions in the gateway's database, or why not read
    (no database given and none at the default place, or unreadable). Never creates a database."""
    import sqlalchemy as sa

    from passerelle.reglages import Reglages
    from passerelle.stockage.base import normaliser_url, ouvrir
    from passerelle.stockage.suspensions import lire_toutes

    url = normaliser_url(base or Reglages.model_fields["base"].default)
    adresse = sa.engine.make_url(url)
    if adresse.get_backend_name() == "sqlite" and (not adresse.database or not Path(adresse.database).exists()):
        return None, f"suspensions non lues: pas de base {adresse.database or '(mémoire)'} (--base / PASSERELLE_BASE)"
    moteur = ouvrir(url)  # every wait bounded (stockage/base.py)
    try:
        with moteur.connect() as connexion:
            return lire_toutes(connexion), None
    except sa.exc.SQLAlchemyError as exc:
        return None, f"suspensions non lues ({type(exc).__name__}): vérifiez --base / PASSERELLE_BASE et « passerelle base migrer »"
    finally:
        moteur.dispose()


def lignes_suspension(suspensions: Mapping[str, Any] | None, convention: str) -> list[str]:
    from passerelle.habilitations.suspensions import texte_instant

    suspension = (suspensions or {}).get(convention)
    if suspension is None:
        return []
    qui = suspension.par + (f" ({suspension.organisme})" if suspension.organisme else " (exploitant)")
    return [f"  SUSPENDUE depuis le {texte_instant(suspension.suspendue_le)} par {qui} : {suspension.motif}"]
