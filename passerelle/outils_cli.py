"""Small helpers shared by the command-line modules: a fatal error and a date option."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from passerelle.ligne_de_commande.sorties import Sortie, erreur

__all__ = ["Sortie", "erreur", "instant"]


def instant(texte: Optional[str]) -> Optional[datetime]:
    """An ISO date or date-time from the command line; UTC when no zone is given."""
    if texte is None:
        return None
    try:
        valeur = datetime.fromisoformat(texte.replace("Z", "+00:00"))
    except ValueError:
        erreur(f"date illisible: {texte!r} (attendu: AAAA-MM-JJ ou AAAA-MM-JJTHH:MM:SSZ)", Sortie.USAGE)
    return valeur if valeur.tzinfo else valeur.replace(tzinfo=timezone.utc)
