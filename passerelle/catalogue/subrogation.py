"""Legal subrogation on invalidity back-pay between a CPAM and a CAF (CAF/CPAM du Gard).

When a CPAM grants an invalidity pension with retroactive effect, the CAF has paid minimum
income benefits (RSA, AAH) for the same months; the CAF is subrogated in the person's rights
for what it advanced, so the CPAM asks it how much of the back-pay to pay to the CAF rather
than to the person. Same pattern as the retention form of the Cnaf-Cnav convention (art. 2.3):
a request announcing an amount, an answer saying how much to keep (at most that amount, 0
allowed), within a delay fixed by the local convention, after which the CPAM pays everything
to the person.

This module is *all* the code the flow needed: a model per message and, on the answer, the
same ceiling rule as the retention's. Routing, the case deadline and its reminders, the notices
to both parties, the journal and delivery come from the register entry (``config/flux.yaml``),
the local convention (``config/conventions/caf-cpam-gard-subrogation.yaml``) and the
directory — see ``tests/demandes/test_subrogation_configuration.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from passerelle.catalogue.champs import Montant, champ
from passerelle.catalogue.demandes import (
    Periode,
    Regle,
    periodes_inversees,
    plafond_de_la_demande,
)
from passerelle.catalogue.nir import Nir
from passerelle.catalogue.regles import Manquement
from passerelle.catalogue.signaux_retraite import Enveloppe

if TYPE_CHECKING:
    from passerelle.catalogue.registre import DefinitionFlux
    from passerelle.catalogue.validation import ContexteValidation


def regle_periode_rappel(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The back-pay period is a real span of days."""
    return periodes_inversees([("periode", cast("SubrogationDemande", modele).periode)])


class SubrogationDemande(Enveloppe):
    """CPAM → CAF: an invalidity back-pay is about to be paid; how much goes to the CAF?"""

    regles_du_flux: ClassVar[tuple[Regle, ...]] = (regle_periode_rappel,)

    nir_assure: Nir = champ("NIRAssuré", "NIR de l'assuré titulaire de la pension d'invalidité")
    periode: Periode = champ(
        "PériodeRappel", "période couverte par le rappel de pension d'invalidité (jours inclus)"
    )
    montant_rappel_invalidite: Montant = champ(
        "MontantRappelInvalidité",
        "montant du rappel de pension d'invalidité pour cette période, en euros (chaîne "
        "« 1234.56 » de préférence ; 2 décimales au plus)",
    )


class SubrogationReponse(Enveloppe):
    """CAF → CPAM: the amount the CAF is subrogated for (answers a subrogation-demande)."""

    regles_du_flux: ClassVar[tuple[Regle, ...]] = (
        plafond_de_la_demande("montant_a_subroger", "montant_rappel_invalidite", "montant_superieur_au_rappel"),
    )

    nir_assure: Nir = champ("NIRAssuré", "NIR de l'assuré : celui de la demande à laquelle ce message répond")
    montant_a_subroger: Montant = champ(
        "MontantASubroger",
        "montant des prestations versées par la CAF sur la période, à lui verser sur le rappel, "
        "en euros ; au plus le montant du rappel ; 0 : rien à subroger",
    )
