"""``passerelle organismes …``: the organismes of the directory (config/annuaire/)."""

from __future__ import annotations

from pathlib import Path

import typer

from passerelle.annuaire.chargement import charger_annuaire
from passerelle.ligne_de_commande import Application
from passerelle.ligne_de_commande import imprimer_json as _imprimer_json

organismes_app = Application(help="Organismes de l'annuaire")

ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")


@organismes_app.command("lister")
def organismes_lister(config: Path = ConfigOption, json_: bool = JsonOption) -> None:
    """Lister les organismes: code, type, nom et départements couverts (acheminement par territoire)."""
    annuaire = charger_annuaire(config, developpement=True)
    if json_:
        _imprimer_json([
            {"code": o.code, "type": o.type, "nom": o.nom, "numero": o.numero, "departements": list(o.departements)}
            for o in sorted(annuaire.organismes.values(), key=lambda o: o.code)
        ])
        return
    for o in sorted(annuaire.organismes.values(), key=lambda o: o.code):
        typer.echo(f"{o.code:12} {o.type:7} {o.nom} — départements {', '.join(o.departements)}")
