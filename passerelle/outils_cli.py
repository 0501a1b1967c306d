"""Former home of the command-line helpers, now in :mod:`passerelle.ligne_de_commande`
(``erreur`` and ``Sortie`` in ``sorties.py``, ``instant`` in ``options.py``).

Only re-exports, kept while command groups written on other branches still import this name;
new code imports ``passerelle.ligne_de_commande``.
"""

from __future__ import annotations

from passerelle.ligne_de_commande.options import instant
from passerelle.ligne_de_commande.sorties import Sortie, erreur

__all__ = ["Sortie", "erreur", "instant"]
