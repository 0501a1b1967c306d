"""The retention form (convention Cnaf-Cnav 2019, art. 2.3): recovering the CAF's advance from
the pension back-pay.

The CAF keeps paying while the pension is not granted; to be repaid without asking the person,
it has the Carsat withhold part of the back-pay (*rappel*). The Carsat sends the form only when
the pension was notified late — not more than one month before its date of effect (otherwise
the CAF had time to stop its payments and there is nothing to recover): a form for an early
notification is refused with ``formulaire_non_requis``. The CAF answers with the exact amount
to withhold, at most the back-pay available (0: nothing), within the delay the national caisses
agreed (the convention's ``delai_reponse``). Past that delay the Carsat does not withhold:
the case expires and a late answer is refused (``delai_depasse``, register ``a_echeance:
expire``) — no rule here, the generic case machinery does it.

"More than one month before": the notification day is before the date of effect moved back by
one calendar month, computed in one step from the date of effect with
:func:`~passerelle.catalogue.age_legal.ajouter_mois` (the day clamped to the month's end:
effect on 31 March → boundary 28 or 29 February). Notified exactly one month before is not
"more than" one month: the form is due.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar, cast

from passerelle.catalogue.age_legal import ajouter_mois
from passerelle.catalogue.champs import Date, Montant, champ
from passerelle.catalogue.demandes import Regle, plafond_de_la_demande
from passerelle.catalogue.nir import Nir
from passerelle.catalogue.regles import Manquement
from passerelle.catalogue.signaux_retraite import Enveloppe

if TYPE_CHECKING:
    from passerelle.catalogue.registre import DefinitionFlux
    from passerelle.catalogue.validation import ContexteValidation


def limite_formulaire(date_effet: date) -> date:
    """The earliest notification day for which a retention form is sent (date of effect - 1 month)."""
    return ajouter_mois(date_effet, -1)


def regle_formulaire_requis(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """No form when the pension was notified more than one month before its date of effect."""
    demande = cast("RetenueDemande", modele)
    limite = limite_formulaire(demande.date_effet)
    if demande.date_notification >= limite:
        return []
    return [
        Manquement(
            "formulaire_non_requis",
            "date_notification",
            f"pension notifiée le {demande.date_notification.isoformat()}, plus d'un mois avant "
            f"sa date d'effet ({demande.date_effet.isoformat()}) : la Carsat ne transmet pas de "
            "formulaire de retenue (convention Cnaf-Cnav 2019, art. 2.3) ; il n'est requis que "
            f"pour une notification à partir du {limite.isoformat()}",
        )
    ]


def regle_notification_passee(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The form follows the notification: a notification day still to come is a mistake."""
    demande = cast("RetenueDemande", modele)
    if demande.date_notification <= contexte.aujourd_hui:
        return []
    return [
        Manquement(
            "date_notification_future",
            "date_notification",
            f"date de notification postérieure au {contexte.aujourd_hui.isoformat()} : le "
            "formulaire de retenue suit la notification de la pension",
        )
    ]


class RetenueDemande(Enveloppe):
    """Carsat → CAF: the pension was notified late; how much of the back-pay should be kept?"""

    regles_du_flux: ClassVar[tuple[Regle, ...]] = (regle_notification_passee, regle_formulaire_requis)

    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de l'assuré / allocataire dont la pension est notifiée : 15 caractères, sans espace",
    )
    date_notification: Date = champ(
        "DateNotification", "date de notification de la pension à l'assuré (AAAA-MM-JJ)"
    )
    date_effet: Date = champ("DateEffet", "date d'effet de la pension (AAAA-MM-JJ)")
    montant_rappel_disponible: Montant = champ(
        "MontantRappelDisponible",
        "montant du rappel de pension disponible pour une retenue, en euros (chaîne « 1234.56 » "
        "de préférence, ou nombre JSON ; 2 décimales au plus)",
    )


class RetenueReponse(Enveloppe):
    """CAF → Carsat: the exact amount to withhold (answers a retenue-demande)."""

    regles_du_flux: ClassVar[tuple[Regle, ...]] = (
        plafond_de_la_demande("montant_retenue", "montant_rappel_disponible", "montant_superieur_au_rappel"),
    )

    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de l'assuré / allocataire : celui de la demande de retenue à laquelle ce message répond",
    )
    montant_retenue: Montant = champ(
        "MontantRetenue",
        "montant exact à retenir sur le rappel de pension, en euros, au plus le montant du rappel "
        "disponible de la demande ; 0 : rien à retenir",
    )
