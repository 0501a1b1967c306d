"""What the request/answer flux share: periods of time, and rules that read the request.

An answer is checked against the request it answers — the periods asked, the amount
available. At acceptance the gateway hands the request's payload to the rules
(``ContexteValidation.demande_donnees``), as it was stored: dates as ``AAAA-MM-JJ`` strings,
amounts as strings with two decimals. A rule that needs it and does not get it (a message
validated alone, outside an acceptance) checks only what the answer says by itself: the
comparison belongs to the moment the gateway knows which request is answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from passerelle.catalogue.champs import Date, champ
from passerelle.catalogue.regles import Manquement
from passerelle.catalogue.signaux_retraite import Enveloppe

if TYPE_CHECKING:
    from passerelle.catalogue.registre import DefinitionFlux
    from passerelle.catalogue.validation import ContexteValidation

Regle = Callable[["DefinitionFlux", Enveloppe, "ContexteValidation"], list[Manquement]]


class Periode(BaseModel):
    """Période de jours, début et fin inclus (une année entière : du 01-01 au 12-31)."""

    # Docstrings of the nested models are in French: they are published in schemas/.

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    debut: Date = champ("Début", "premier jour de la période (AAAA-MM-JJ)")
    fin: Date = champ(
        "Fin", "dernier jour de la période, inclus (AAAA-MM-JJ) ; égal au début pour un seul jour"
    )

    @property
    def cle(self) -> tuple[str, str]:
        """The period as the stored request holds it: (début, fin) in ISO form."""
        return (self.debut.isoformat(), self.fin.isoformat())

    def chevauche(self, autre: Periode) -> bool:
        return self.debut <= autre.fin and autre.debut <= self.fin

    def contient(self, autre: Periode) -> bool:
        return self.debut <= autre.debut and autre.fin <= self.fin

    def __str__(self) -> str:
        return f"du {self.debut.isoformat()} au {self.fin.isoformat()}"


def periodes_inversees(periodes: Iterable[tuple[str, Periode]]) -> list[Manquement]:
    """``(field path, period)`` pairs whose end precedes their start."""
    return [
        Manquement(
            "periode_inversee",
            f"{chemin}.fin",
            f"la période finit ({periode.fin.isoformat()}) avant de commencer "
            f"({periode.debut.isoformat()}) : fin est le dernier jour, inclus, et suit debut",
        )
        for chemin, periode in periodes
        if periode.fin < periode.debut
    ]


def montant_demande(contexte: ContexteValidation, champ_demande: str) -> Decimal | None:
    """An amount of the request being answered, or None when the request is not known here."""
    donnees = contexte.demande_donnees
    if donnees is None or champ_demande not in donnees:
        return None
    try:
        return Decimal(str(donnees[champ_demande]))
    except InvalidOperation:
        return None


def plafond_de_la_demande(champ_reponse: str, champ_demande: str, code: str) -> Regle:
    """A rule: the answer's amount ``champ_reponse`` is at most the request's ``champ_demande``.

    The retention and the subrogation answers both say how much to keep out of an amount the
    request announced: more than that amount cannot be kept, and the excess would silently be
    lost by the caisse that pays. 0 is a valid answer (nothing to keep).
    """

    def regle(
        definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
    ) -> list[Manquement]:
        montant: Any = getattr(modele, champ_reponse, None)
        plafond = montant_demande(contexte, champ_demande)
        if montant is None or plafond is None or montant <= plafond:
            return []
        return [
            Manquement(
                code,
                champ_reponse,
                f"{champ_reponse} ({montant:.2f} €) dépasse le {champ_demande} annoncé par la "
                f"demande à laquelle ce message répond ({plafond:.2f} €) : on ne peut retenir "
                "plus que le montant disponible (0 est une réponse valide)",
            )
        ]

    regle.__name__ = f"regle_plafond_{champ_reponse}"
    regle.__doc__ = f"{champ_reponse} ≤ {champ_demande} de la demande (code {code})."
    return regle
