"""Routing: the destination named by the sender, the sender of the request being answered, or
the organisme whose territory covers the sender's — as a pure function of the directory."""

from __future__ import annotations

from datetime import date

from passerelle.annuaire.modeles import Annuaire, Organisme
from passerelle.annuaire.mutualisation import TableMutualisation
from passerelle.erreurs import RefusValidation, citer


def pivot_de(table: TableMutualisation, activite: str, departement: object, jour: date) -> str:
    """The pivot for the person's département (the ``departement`` field of the message)."""
    if not isinstance(departement, str) or not departement:
        raise RefusValidation(
            "destinataire_indetermine",
            f"l'activité {activite} est mutualisée: le champ departement (département de la personne) "
            "désigne le pivot qui la traite",
        )
    pivot = table.pivot(activite, departement, jour)
    if pivot is None:
        raise RefusValidation(
            "destinataire_indetermine",
            f"aucun pivot {activite} n'est désigné pour le département {citer(departement)} le {jour.isoformat()} "
            f"(table de mutualisation {table.version})",
        )
    return pivot


def par_territoire(emetteur: Organisme, types: tuple[str, ...], annuaire: Annuaire) -> Organisme:
    """The one organisme of an allowed kind whose départements include one of the sender's."""
    couverts = set(emetteur.departements)
    candidats = sorted(
        (o for o in annuaire.organismes.values() if o.type in types and couverts.intersection(o.departements)),
        key=lambda o: o.code,
    )
    if len(candidats) == 1:
        return candidats[0]
    if not candidats:
        raise RefusValidation(
            "destinataire_indetermine",
            f"aucun organisme de type {', '.join(types)} ne couvre le territoire de {emetteur.code} "
            f"({', '.join(emetteur.departements) or 'aucun département'}): nommez le destinataire",
        )
    raise RefusValidation(
        "destinataire_indetermine",
        f"plusieurs organismes couvrent le territoire de {emetteur.code} "
        f"({', '.join(o.code for o in candidats)}): nommez le destinataire",
    )


def choisir_destinataire(
    *,
    emetteur: Organisme,
    demande: str | None,
    reponse_a_emetteur: str | None,
    types_destinataires: tuple[str, ...],
    annuaire: Annuaire,
    pivot: str | None = None,
) -> Organisme:
    """Decide the destination.

    ``demande`` is the ``destinataire`` the sender wrote (or None); ``reponse_a_emetteur`` the
    sender of the message being answered, when the flux is an answer: an answer always goes back
    to whoever asked, and naming someone else is an error rather than a silent re-route.
    ``pivot``: for a mutualised activity, the organisme designated for the person's département.
    """
    if reponse_a_emetteur is not None:
        if demande is not None and demande != reponse_a_emetteur:
            raise RefusValidation(
                "destinataire_incoherent",
                f"ce message répond à un message de {reponse_a_emetteur}: il ne peut être adressé à {citer(demande)}",
            )
        cible = annuaire.organisme(reponse_a_emetteur)
        if cible is None:
            raise RefusValidation(
                "destinataire_inconnu", f"l'organisme {reponse_a_emetteur} n'est plus dans l'annuaire"
            )
        return cible
    if pivot is not None:
        if demande is not None and demande != pivot:
            raise RefusValidation(
                "destinataire_non_pivot",
                f"cette activité est mutualisée: le pivot désigné est {pivot}, pas {citer(demande)} (ne nommez pas le destinataire)",
            )
        cible = annuaire.organisme(pivot)
        if cible is None:
            raise RefusValidation("destinataire_inconnu", f"le pivot {pivot} n'est plus dans l'annuaire")
        return cible
    if demande is not None:
        cible = annuaire.organisme(demande)
        if cible is None:
            raise RefusValidation("destinataire_inconnu", f"l'organisme {citer(demande)} n'est pas dans l'annuaire")
        return cible
    return par_territoire(emetteur, types_destinataires, annuaire)
