"""Values read from the command line and written back: a date option, a JSON output."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional

import typer

from passerelle.ligne_de_commande.sorties import Sortie, erreur

__all__ = ["imprimer_json", "instant"]


def instant(texte: Optional[str]) -> Optional[datetime]:
    """An ISO date or date-time from the command line; UTC when no zone is given."""
    if texte is None:
        return None
    try:
        valeur = datetime.fromisoformat(texte.replace("Z", "+00:00"))
    except ValueError:
        erreur(f"date illisible: {texte!r} (attendu: AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SSZ)", Sortie.USAGE)
    return valeur if valeur.tzinfo else valeur.replace(tzinfo=timezone.utc)


def imprimer_json(valeur: object) -> None:
    """``--json``: the value on standard output, indented, for a script."""
    typer.echo(json.dumps(valeur, ensure_ascii=False, indent=2, default=str))
