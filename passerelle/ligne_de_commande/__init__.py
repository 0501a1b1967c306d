"""What every command of ``passerelle`` shares: French help pages, one-line errors, exit codes
(docs/ligne-de-commande.md). Build groups with :class:`Application`, stop with :func:`erreur`."""

from passerelle.ligne_de_commande.application import Application
from passerelle.ligne_de_commande.options import imprimer_json, instant
from passerelle.ligne_de_commande.sorties import Echec, Sortie, erreur

__all__ = ["Application", "Echec", "Sortie", "erreur", "imprimer_json", "instant"]
