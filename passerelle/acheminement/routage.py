"""Routing: the destination named by the sender, the sender of the request being answered, or
the organisme whose territory covers the sender's — as a pure function of the directory."""

from __future__ import annotations

from passerelle.annuaire.modeles import Annuaire, Organisme
from passerelle.erreurs import RefusValidation


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
) -> Organisme:
    """Decide the destination.

    ``demande`` is the ``destinataire`` the sender wrote (or None); ``reponse_a_emetteur`` the
    sender of the message being answered, when the flux is an answer: an answer always goes back
    to whoever asked, and naming someone else is an error rather than a silent re-route.
    """
    if reponse_a_emetteur is not None:
        if demande is not None and demande != reponse_a_emetteur:
            raise RefusValidation(
                "destinataire_incoherent",
                f"ce message répond à un message de {reponse_a_emetteur}: il ne peut être adressé à {demande}",
            )
        cible = annuaire.organisme(reponse_a_emetteur)
        if cible is None:
            raise RefusValidation(
                "destinataire_inconnu", f"l'organisme {reponse_a_emetteur} n'est plus dans l'annuaire"
            )
        return cible
    if demande is not None:
        cible = annuaire.organisme(demande)
        if cible is None:
            raise RefusValidation("destinataire_inconnu", f"l'organisme {demande!r} n'est pas dans l'annuaire")
        return cible
    return par_territoire(emetteur, types_destinataires, annuaire)
