"""``passerelle purge``: one round of the retention policy, as the background worker runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from passerelle.cycle_cles.commandes import BaseOption, ConfigOption, DevOption, services_pour

RAISONS = {
    "non_acquittes": "jamais acquittés (boîte non relevée)",
    "lettres_mortes": "livraison abandonnée (lettre morte, à relancer)",
    "rejetes_par_destinataire": "rejetés par le système destinataire",
    "dossier_ouvert": "demandes dont le dossier attend sa réponse",
}


def purge(
    essai: bool = typer.Option(False, "--essai", help="compter ce qui serait détruit, sans rien détruire"),
    secrets: Optional[Path] = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
) -> None:
    """Appliquer une fois les durées de conservation (config/regles/conservation.yaml)."""
    from passerelle.conservation.purge import Purgeur, purger

    services = services_pour(secrets, base, config, developpement)
    try:
        r = services.reglages
        purgeur = Purgeur(services.moteur, services.ecriture, services.horloge, services.journal, services.conservation,
                          services.tampons, r.purge_lot, r.purge_intervalle)
        bilan = purger(purgeur, essai=essai)
    finally:
        services.moteur.dispose()
    if not bilan.active:
        typer.echo(f"aucune politique de conservation ({services.conservation.source} absent): rien n'est purgé")
        if bilan.fichiers:
            typer.echo(f"{bilan.fichiers} fichier(s) de lot abandonné(s) supprimé(s)")
        return
    verbe = "seraient détruits" if essai else "détruits"
    typer.echo(f"politique {services.conservation.version or '(sans version)'}: {verbe}:")
    detail = ", ".join(f"{f} {n}" for f, n in sorted(bilan.messages.items()))
    typer.echo(f"  contenus de messages: {sum(bilan.messages.values())}" + (f" ({detail})" if detail else ""))
    typer.echo(f"  réponses d'idempotence: {bilan.idempotence}")
    typer.echo(f"  lots (état et résultats): {bilan.lots}")
    if not essai:
        typer.echo(f"  fichiers de lot abandonnés: {bilan.fichiers}")
    if bilan.retenus:
        typer.echo("gardés malgré leur âge (jamais purgés par l'âge seul):")
        for raison, nombre in sorted(bilan.retenus.items()):
            typer.echo(f"  {RAISONS.get(raison, raison)}: {nombre}")
