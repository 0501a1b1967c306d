"""Business rules of the flux, checked once the message is well-formed.

Each rule is a small pure function of (flux definition, validated model, context) that returns
what it finds wrong — it never raises — so that every fault is reported in one answer and each
rule can be tested alone. A rule applies to any flux whose model has the fields it looks at:
a new flux gets the NIR/birth-date coherence or the emitter-number check for free by naming its
fields like the others.

Rules run in the order of :data:`REGLES`; when several fail, the refusal's ``code`` is the
first one's, and every fault is listed in ``erreurs``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from passerelle.catalogue.nir import nir_coherent_avec_naissance
from passerelle.catalogue.signaux_retraite import Enveloppe, StatutDemande, TypeAllocation

if TYPE_CHECKING:
    from passerelle.catalogue.registre import DefinitionFlux
    from passerelle.catalogue.validation import ContexteValidation

# Fields holding the emitter's own number in its branch (CodeCaf "042", CodeCARSAT "RA"): when a
# model has one, it must equal the authenticated emitter's ``numero`` in the directory.
CHAMPS_NUMERO_EMETTEUR: tuple[str, ...] = ("code_caf", "code_carsat")


@dataclass(frozen=True)
class Manquement:
    """One broken rule: its problem ``code``, the field at fault and the French explanation."""

    code: str
    champ: str
    message: str


def _a(modele: Enveloppe, *champs: str) -> bool:
    return _champs_du_modele(type(modele)).issuperset(champs)


@functools.cache
def _champs_du_modele(modele: type[Enveloppe]) -> frozenset[str]:
    # A model's fields never change once the class exists; pydantic's model_fields is a
    # property read through the metaclass, seven times per message.
    return frozenset(modele.model_fields)


def regle_reponse(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """An answer names the message it answers; a message that answers nothing names none."""
    if definition.repond_a and modele.en_reponse_a is None:
        attendus = " ou ".join(definition.repond_a)
        return [
            Manquement(
                "reponse_sans_demande",
                "en_reponse_a",
                f"le flux {definition.nom} répond à un message {attendus} : en_reponse_a doit "
                "donner l'identifiant de ce message, rendu dans son accusé de réception",
            )
        ]
    if not definition.repond_a and modele.en_reponse_a is not None:
        return [
            Manquement(
                "champ_incompatible",
                "en_reponse_a",
                f"le flux {definition.nom} ne répond à aucun autre message : retirer en_reponse_a",
            )
        ]
    return []


def regle_emetteur(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The caisse number written in the message is the authenticated emitter's own."""
    # Which kinds of organisme may send a flux is the conventions' decision (habilitations/),
    # not the catalogue's: here only the number written in the payload is checked.
    emetteur = contexte.emetteur
    manquements = []
    for champ in CHAMPS_NUMERO_EMETTEUR:
        if not _a(modele, champ):
            continue
        valeur = getattr(modele, champ)
        if emetteur.numero is None:
            message = (
                f"l'annuaire ne donne pas de numéro à l'organisme émetteur {emetteur.code} : "
                f"{champ} ne peut pas être vérifié ; l'exploitant de la passerelle doit le "
                "renseigner"
            )
        elif valeur != emetteur.numero:
            message = (
                f"{champ} « {valeur} » n'est pas celui de l'organisme émetteur authentifié "
                f"{emetteur.code} (« {emetteur.numero} ») : une caisse n'émet qu'en son nom"
            )
        else:
            continue
        manquements.append(Manquement("emetteur_incoherent", champ, message))
    return manquements


def regle_nir_naissance(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The NIR encodes the birth year and month: a mismatch means one of them is wrong."""
    if not _a(modele, "nir_assure", "date_naissance"):
        return []
    raison = nir_coherent_avec_naissance(
        getattr(modele, "nir_assure"), getattr(modele, "date_naissance")
    )
    return [Manquement("nir_incoherent", "nir_assure", raison)] if raison else []


def regle_fenetre(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """A signal is accepted only in its window around the legal age (table in config/regles)."""
    table = contexte.table_age_legal
    if definition.nom not in table.fenetres or not _a(modele, "date_naissance"):
        return []
    try:
        fenetre = table.fenetre(definition.nom, getattr(modele, "date_naissance"))
    except ValueError as erreur:
        return [Manquement("hors_fenetre", "date_naissance", str(erreur))]
    jour = contexte.aujourd_hui
    if fenetre.contient(jour):
        return []
    quand = "trop tôt" if jour < fenetre.ouverture else "trop tard"
    dernier_jour = fenetre.fermeture - timedelta(days=1)
    return [
        Manquement(
            "hors_fenetre",
            "date_naissance",
            f"signalement {definition.nom} {quand} le {jour.isoformat()} : pour cette date de "
            f"naissance il est accepté du {fenetre.ouverture.isoformat()} au "
            f"{dernier_jour.isoformat()} inclus (échéance le {fenetre.echeance.isoformat()}), "
            f"selon la table d'âge légal version {table.version}",
        )
    ]


def regle_motif_rejet(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """A rejection is motivated (the CAF must tell the person why); an attribution is not."""
    if not _a(modele, "statut_demande", "motif_rejet"):
        return []
    statut, motif = getattr(modele, "statut_demande"), getattr(modele, "motif_rejet")
    if statut == StatutDemande.REJET and motif is None:
        return [
            Manquement(
                "motif_rejet_manquant",
                "motif_rejet",
                "une demande rejetée doit porter son motif : renseigner motif_rejet",
            )
        ]
    if statut == StatutDemande.ATTRIBUTION and motif is not None:
        return [
            Manquement(
                "champ_incompatible",
                "motif_rejet",
                "motif_rejet n'a de sens que pour statut_demande « rejet » : le retirer",
            )
        ]
    return []


def regle_date_reception(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """A received application has a reception date; one not received has none."""
    if not _a(modele, "reception_demande", "date_reception_demande"):
        return []
    recue, date_reception = (
        getattr(modele, "reception_demande"),
        getattr(modele, "date_reception_demande"),
    )
    if recue and date_reception is None:
        return [
            Manquement(
                "date_reception_manquante",
                "date_reception_demande",
                "reception_demande vaut true : renseigner date_reception_demande (AAAA-MM-JJ)",
            )
        ]
    if not recue and date_reception is not None:
        return [
            Manquement(
                "champ_incompatible",
                "date_reception_demande",
                "reception_demande vaut false : date_reception_demande doit être absente",
            )
        ]
    return []


def regle_type_allocation(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The incapacity rate belongs to the AAH; sent with the RSA it would be data not needed."""
    if not _a(modele, "type_allocation", "taux_incapacite_aah"):
        return []
    if (
        getattr(modele, "type_allocation") != TypeAllocation.AAH
        and getattr(modele, "taux_incapacite_aah") is not None
    ):
        return [
            Manquement(
                "champ_incompatible",
                "taux_incapacite_aah",
                "taux_incapacite_aah ne concerne que l'AAH : le retirer quand type_allocation "
                "vaut « RSA » (minimisation des données)",
            )
        ]
    return []


Regle = Callable[["DefinitionFlux", Enveloppe, "ContexteValidation"], list[Manquement]]

REGLES: tuple[Regle, ...] = (
    regle_reponse,
    regle_emetteur,
    regle_nir_naissance,
    regle_fenetre,
    regle_motif_rejet,
    regle_date_reception,
    regle_type_allocation,
)


def appliquer_regles(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """Every fault of every rule, in the order of :data:`REGLES`, then the model's own.

    A model may carry rules of its own in a ``regles_du_flux`` class attribute (a tuple of
    :data:`Regle`): a new flux brings its rules in its module, without an edit here.
    """
    manquements: list[Manquement] = []
    for regle in (*REGLES, *getattr(type(modele), "regles_du_flux", ())):
        manquements.extend(regle(definition, modele, contexte))
    return manquements

