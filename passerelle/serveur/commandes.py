"""``passerelle serve``: run the gateway (the HTTP server of :mod:`passerelle.serveur.lancement`
around the application of :func:`passerelle.app.create_app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from passerelle.reglages import Mode, Reglages


def serve(
    developpement: bool = typer.Option(False, "--developpement", help="accepter les clés et secrets de développement "
                                       "de config/developpement/ (essai local; refusés sans cette option)"),
    hote: Optional[str] = typer.Option(None, "--hote", help="adresse d'écoute (défaut: PASSERELLE_HOTE ou 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="port d'écoute (défaut: PASSERELLE_PORT ou 8000)"),
    base: Optional[str] = typer.Option(None, "--base", help="URL SQLAlchemy (défaut: PASSERELLE_BASE ou sqlite:///passerelle.db)"),
    config: Optional[Path] = typer.Option(None, "--config", help="dossier de configuration (défaut: PASSERELLE_CONFIG ou config)"),
    secrets: Optional[Path] = typer.Option(None, "--secrets", help="fichier de secrets (défaut: PASSERELLE_SECRETS)"),
) -> None:
    """Démarrer la passerelle (SQLite et config/ par défaut); « en écoute » n'est affiché qu'une fois le
    port réservé."""
    from sqlalchemy.engine import make_url

    from passerelle.serveur.lancement import configuration, servir

    from passerelle.app import create_app
    from passerelle.ligne_de_commande import erreur
    from passerelle.ligne_de_commande.ecoute import ouvrir_ecoute
    from passerelle.ligne_de_commande.erreurs import traduire
    from passerelle.stockage.base import normaliser_url

    surcharges: dict[str, object] = {}
    if developpement:
        surcharges["mode"] = Mode.developpement
    for nom, valeur in (("hote", hote), ("port", port), ("base", base), ("config", config), ("secrets", secrets)):
        if valeur is not None:
            surcharges[nom] = valeur
    reglages = Reglages(**surcharges)  # a malformed PASSERELLE_* is one line (ligne_de_commande/erreurs.py)
    prise = ouvrir_ecoute(reglages.hote, reglages.port)
    try:
        try:
            application = create_app(reglages)
        except Exception as exc:  # noqa: BLE001 — said in one line if a person can act on it
            traduit = traduire(exc)
            if traduit is None:
                raise
            erreur(f"démarrage refusé: {traduit[0]}", traduit[1])
        base_affichee = make_url(normaliser_url(reglages.base)).render_as_string(hide_password=True)
        typer.echo(f"passerelle en écoute sur http://{reglages.hote}:{reglages.port} (mode {reglages.mode.value}, "
                   f"base {base_affichee}; documentation: http://{reglages.hote}:{reglages.port}/docs)", err=True)
        metriques = application.state.services.metriques
        servir(configuration(application, reglages, signaler=metriques.signaler_refus_serveur), sockets=[prise])
    finally:
        prise.close()
