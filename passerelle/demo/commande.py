"""The ``passerelle demo`` command (typer); the work is in :mod:`passerelle.demo.deroulement`."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    allocataires: int = typer.Option(400, "--allocataires", min=10, max=5000, help="allocataires fictifs de la CAF"),
    duree: float = typer.Option(60.0, "--duree", min=10, help="secondes réelles pour l'année simulée"),
    graine: int = typer.Option(2026, "--graine", help="graine de la population fictive"),
    config: Path = typer.Option(Path("config"), "--config", help="configuration d'exemple à copier"),
    dossier: Path | None = typer.Option(None, "--dossier", help="garder bases, journaux et export ici (dossier vide)"),
) -> None:
    """Démonstration: la passerelle (SQLite) et deux caisses simulées (CAF, Carsat) le temps d'une année
    accélérée; imprime un résumé vérifié (code de sortie 0 si tout concorde)."""
    from passerelle.demo.deroulement import OptionsDemo, executer

    code = executer(OptionsDemo(allocataires=allocataires, duree=duree, graine=graine,
                                config=config, dossier=dossier))
    raise typer.Exit(code=code)
