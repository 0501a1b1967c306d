"""The register of flux: the one place where a flux is declared.

A new flux is a model and one entry here; validation, the published schemas and (for the
caller) the request/response checks all read this register, so none of them needs a list of
flux of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from passerelle.catalogue.signaux_retraite import (
    AvisDepot,
    ClotureRdc,
    Enveloppe,
    NotificationRetraite,
    SignalementPassageRetraite,
    SignalementRdc,
)

# In Île-de-France the Cnav itself acts as the Carsat; overseas, the CGSS.
TYPES_CAISSES_RETRAITE: tuple[str, ...] = ("carsat", "cgss", "cnav")


@dataclass(frozen=True)
class DefinitionFlux:
    """One flux: its name on the wire (``/v1/flux/{nom}``), its model and who may exchange it.

    ``repond_a`` names the flux whose message ``en_reponse_a`` must designate; when it is not
    empty, ``en_reponse_a`` is required (validation checks its presence; the caller, who has
    the database, checks that the message exists, is of one of these flux and is about the
    same NIR). ``types_destinataires``: the directory kinds (``carsat``...) among which the
    gateway routes by territory when the sender names no destination. Who may send what to
    whom is not said here: that is the conventions' decision (habilitations/).
    """

    nom: str
    modele: type[Enveloppe]
    description: str
    repond_a: tuple[str, ...] = ()
    types_destinataires: tuple[str, ...] = ()


def catalogue_signaux_retraite() -> dict[str, DefinitionFlux]:
    """The retirement-transition signals (convention Cnaf-Cnav 2019, art. 2.1, annex 1)."""
    definitions = (
        DefinitionFlux(
            nom="rdc",
            modele=SignalementRdc,
            description=(
                "Signalement 1 « régularisation de carrière conventionnelle » (CAF → Carsat) : "
                "coordonnées d'un allocataire AAH ou RSA, 30 mois avant l'âge légal de départ "
                "à la retraite (convention Cnaf-Cnav 2019, art. 2.1 et annexe 1)."
            ),
            types_destinataires=TYPES_CAISSES_RETRAITE,
        ),
        DefinitionFlux(
            nom="cloture-rdc",
            modele=ClotureRdc,
            description=(
                "Retour de la Carsat sur la régularisation de carrière (Carsat → CAF) : la "
                "personne a répondu ou non, date du taux plein, régimes d'affiliation. Répond "
                "à un message rdc (en_reponse_a obligatoire)."
            ),
            repond_a=("rdc",),
            types_destinataires=("caf",),
        ),
        DefinitionFlux(
            nom="passage-retraite",
            modele=SignalementPassageRetraite,
            description=(
                "Signalement 2 « passage à la retraite » (CAF → Carsat) : coordonnées de "
                "l'allocataire, 7 mois avant l'âge légal ou l'âge du taux plein sans condition "
                "de durée ; déclenche l'envoi d'une demande de retraite à l'assuré."
            ),
            types_destinataires=TYPES_CAISSES_RETRAITE,
        ),
        DefinitionFlux(
            nom="avis-depot",
            modele=AvisDepot,
            description=(
                "Retour de la Carsat sur la demande de retraite (Carsat → CAF) : demande reçue "
                "ou non, sa date, mode de liquidation, transferts vers d'autres régimes. "
                "Répond à un message passage-retraite (en_reponse_a obligatoire)."
            ),
            repond_a=("passage-retraite",),
            types_destinataires=("caf",),
        ),
        DefinitionFlux(
            nom="notification-retraite",
            modele=NotificationRetraite,
            description=(
                "Retour de la Carsat sur l'attribution de la retraite (Carsat → CAF), en fin "
                "d'instruction : attribution ou rejet motivé, date d'effet, montants en euros. "
                "Répond à un message passage-retraite (en_reponse_a obligatoire)."
            ),
            repond_a=("passage-retraite",),
            types_destinataires=("caf",),
        ),
    )
    return {definition.nom: definition for definition in definitions}
