"""``passerelle rapport --trimestre 2026T3 [--format csv|json] [--sortie F]``: the quarterly
report of answer delays, read from the gateway's database (docs/gouvernance.md)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
import typer

from passerelle.catalogue.registre import charger_catalogue
from passerelle.gouvernance.rapport import TrimestreAVenir, en_csv, en_json, etablir
from passerelle.gouvernance.trimestre import Trimestre
from passerelle.reglages import Reglages
from passerelle.stockage.base import lecture, ouvrir


def _erreur(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def rapport(
    trimestre: str = typer.Option(..., "--trimestre", help="trimestre civil, AAAAT1 à AAAAT4 (p. ex. 2026T3)"),
    format_: str = typer.Option("csv", "--format", help="csv (RFC 4180) ou json"),
    sortie: Optional[Path] = typer.Option(None, "--sortie", help="fichier à écrire (défaut: sortie standard)"),
    arrete_au: Optional[str] = typer.Option(
        None, "--arrete-au", help="instant d'observation AAAA-MM-JJTHH:MM:SSZ (défaut: maintenant), pour refaire un rapport provisoire"
    ),
    base: Optional[str] = typer.Option(None, "--base", help="URL SQLAlchemy (défaut: PASSERELLE_BASE)"),
    config: Optional[Path] = typer.Option(None, "--config", help="dossier de configuration (défaut: PASSERELLE_CONFIG)"),
) -> None:
    """Délais de réponse du trimestre, par organisme et flux puis par pivot: demandes ouvertes dans
    le trimestre, vues à la fin du trimestre (ou maintenant s'il n'est pas fini)."""
    if format_ not in ("csv", "json"):
        _erreur(f"format inconnu: {format_!r} (csv ou json)")
    try:
        periode = Trimestre.lire(trimestre)
    except ValueError as exc:
        _erreur(str(exc))
        raise
    maintenant = datetime.now(timezone.utc)
    if arrete_au is not None:
        try:
            maintenant = datetime.fromisoformat(arrete_au.replace("Z", "+00:00"))
        except ValueError:
            _erreur(f"instant illisible: {arrete_au!r} (attendu AAAA-MM-JJTHH:MM:SSZ)")
        if maintenant.tzinfo is None:
            maintenant = maintenant.replace(tzinfo=timezone.utc)
    surcharges: dict[str, object] = {}
    if base is not None:
        surcharges["base"] = base
    if config is not None:
        surcharges["config"] = config
    reglages = Reglages(**surcharges)  # type: ignore[arg-type]
    catalogue = charger_catalogue(reglages.config / "flux.yaml")
    mutualisations = {nom: d.mutualisation for nom, d in catalogue.items() if d.mutualisation}
    moteur = ouvrir(reglages.base)
    try:
        with lecture(moteur) as connexion:
            etabli = etablir(connexion, periode, maintenant, mutualisations)
    except TrimestreAVenir as exc:
        _erreur(str(exc))
        raise
    except sa.exc.SQLAlchemyError as exc:
        _erreur(f"base illisible ({type(exc).__name__}): la passerelle a-t-elle déjà démarré sur cette base ?")
        raise
    finally:
        moteur.dispose()
    texte = en_json(etabli) if format_ == "json" else en_csv(etabli)
    if sortie is None:
        sys.stdout.write(texte)
    else:
        sortie.write_text(texte, encoding="utf-8", newline="")
        etat = "provisoire, " if etabli.provisoire else ""
        typer.echo(f"rapport {periode} ({etat}arrêté au {etabli.arrete_au:%Y-%m-%d %H:%M} UTC, "
                   f"{len(etabli.lignes)} lignes) écrit dans {sortie}", err=True)
