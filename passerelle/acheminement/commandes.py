"""``passerelle livraisons ...``: the operator's view of pushed deliveries and dead letters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from passerelle.acheminement.relance import relancer, vue_livraison
from passerelle.erreurs import Refus
from passerelle.ligne_de_commande import Application
from passerelle.reglages import Mode, Reglages
from passerelle.services import Services, construire_services
from passerelle.stockage import livraisons

app = Application(help="Livraisons poussées: échecs, lettres mortes, relance")


def _services(base: Optional[str], config: Optional[Path], developpement: bool) -> Services:
    surcharges: dict[str, object] = {"travaux_de_fond": False}
    if base:
        surcharges["base"] = base
    if config:
        surcharges["config"] = config
    if developpement:
        surcharges["mode"] = Mode.developpement
    return construire_services(Reglages(**surcharges))


BaseOption = typer.Option(None, "--base", help="URL de la base (défaut: PASSERELLE_BASE)")
ConfigOption = typer.Option(None, "--config", help="dossier de configuration (défaut: PASSERELLE_CONFIG ou config)")
DevOption = typer.Option(False, "--developpement", help="accepter les secrets de développement (configuration d'exemple)")


@app.command("lister")
def lister(
    statut: Optional[str] = typer.Option(None, "--statut", help="a_livrer, en_cours, echec, livre, morte"),
    destinataire: Optional[str] = typer.Option(None, "--destinataire", help="celles de cet organisme seulement"),
    limite: int = typer.Option(100, "--limite", help="nombre maximal de livraisons listées"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
) -> None:
    """Lister les livraisons (par défaut toutes; --statut morte pour les lettres mortes)."""
    services = _services(base, config, developpement)
    with services.moteur.connect() as connexion:
        lignes = livraisons.lister(connexion, destinataire=destinataire, statut=statut, limite=limite)
    for ligne in lignes:
        typer.echo(json.dumps(vue_livraison(ligne), ensure_ascii=False))


@app.command("relancer")
def relancer_commande(
    messages: list[str] = typer.Argument(None, help="identifiants des messages (ou --toutes)"),
    toutes: bool = typer.Option(False, "--toutes", help="toutes les lettres mortes"),
    destinataire: Optional[str] = typer.Option(None, "--destinataire", help="avec --toutes: celles de cet organisme"),
    operateur: str = typer.Option(..., "--operateur", help="qui relance (journalisé)"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
) -> None:
    """Remettre des lettres mortes en file, avec un budget de tentatives neuf."""
    services = _services(base, config, developpement)
    with services.moteur.begin() as connexion:
        ids = list(messages or [])
        if toutes:
            ids += [l.message_id for l in livraisons.lister(connexion, destinataire=destinataire, statut=livraisons.MORTE, limite=100_000)]
        if not ids:
            typer.secho("rien à relancer", err=True)
            raise typer.Exit(code=1)
        for message_id in ids:
            try:
                vue = relancer(connexion, message_id, journal=services.journal, horloge=services.horloge,
                               par=f"operateur:{operateur}")
            except Refus as refus:
                typer.secho(f"{message_id}: {refus.detail}", fg=typer.colors.RED, err=True)
                raise typer.Exit(code=1) from refus
            typer.echo(json.dumps(vue, ensure_ascii=False))
