"""Suspending a convention on a breach (art. 3.3) and resuming it: one transaction each, with
its journal entry and the notice ``suspension-convention`` for every party and its national
caisses, put in place for delivery like any other message (``acheminement/remise.py``).

Used by the command line (the operator, ``passerelle conventions suspendre|reprendre``) and by
the API of the national caisses' administrators (``api/conventions.py``). The decision that
refuses the exchanges is ``habilitations/decision.py: decider``, on the suspensions each replica
re-reads at its directory interval (``stockage/suspensions.py: SourceSuspensions``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.acheminement.remise import enregistrer_message
from passerelle.erreurs import Conflit, Introuvable, RefusValidation, citer
from passerelle.habilitations.conventions import Convention
from passerelle.habilitations.suspensions import (
    LONGUEUR_MOTIF,
    concernes,
    convention_de,
    motif_valide,
    texte_instant,
)
from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.journal.ecriture import Decision, Journal
from passerelle.stockage.chiffrement import Coffre
from passerelle.stockage import suspensions as stockage
from passerelle.stockage.suspensions import Suspension

FLUX_AVIS = "suspension-convention"
EMETTEUR_PASSERELLE = "passerelle"
CONSEQUENCES = {
    "suspension": "tout échange autorisé par cette convention est refusé (403 convention_suspendue) jusqu'à la reprise",
    "reprise": "les échanges autorisés par cette convention sont de nouveau acceptés",
}


@dataclass(frozen=True)
class GestionSuspensions:
    """What suspending and resuming need (built once by gestion.py)."""

    conventions: tuple[Convention, ...]
    annuaire: SourceAnnuaire
    journal: Journal
    coffre: Coffre  # the notices are stored like any message, encrypted
    keyid: str  # the gateway's active signing key, named on the notices it issues
    horloge: Callable[[], datetime]
    source: stockage.SourceSuspensions  # this replica's view, refreshed at once after a change


@dataclass(frozen=True)
class Demandeur:
    """Who asks: an agent of a national caisse (``organisme``, ``keyid``) or the operator."""

    par: str
    organisme: str | None = None
    keyid: str | None = None
    canal: str = "cli"


def convention_connue(gestion: GestionSuspensions, identifiant: str) -> Convention:
    convention = convention_de(gestion.conventions, identifiant)
    if convention is None:
        raise Introuvable(
            "convention_inconnue",
            f"aucune convention {citer(identifiant)} ({', '.join(sorted(c.id for c in gestion.conventions))})",
        )
    return convention


def _motif(motif: object) -> str:
    texte = motif_valide(motif)
    if texte is None:
        raise RefusValidation(
            "motif_invalide",
            f"le motif est obligatoire : un texte de 1 à {LONGUEUR_MOTIF} caractères (il est journalisé et "
            "communiqué aux parties)",
        )
    return texte


def etat(gestion: GestionSuspensions, connexion: Connection, convention: Convention) -> dict[str, Any]:
    """What ``GET /v1/conventions/{id}`` and ``conventions lister`` say of a convention now."""
    suspension = stockage.lire(connexion, convention.id)
    return {
        "id": convention.id,
        "intitule": convention.intitule,
        "statut": convention.statut.value,
        "suspendue": suspension is not None,
        "suspension": None if suspension is None else vue(suspension),
    }


def vue(suspension: Suspension) -> dict[str, Any]:
    return {
        "suspendue_le": texte_instant(suspension.suspendue_le),
        "motif": suspension.motif,
        "par": suspension.par,
        "organisme": suspension.organisme,
        "journal_index": suspension.journal_index,
    }


def _aviser(
    gestion: GestionSuspensions,
    connexion: Connection,
    convention: Convention,
    donnees: dict[str, Any],
    index: int,
    instant: datetime,
) -> list[str]:
    """The notice in place for every party and national caisse; their codes."""
    avises = []
    for organisme in concernes(convention, gestion.annuaire.actuel().organismes):
        enregistrer_message(
            gestion.coffre,
            connexion,
            message_id=str(uuid.uuid4()),
            flux=FLUX_AVIS,
            emetteur=EMETTEUR_PASSERELLE,
            destinataire=organisme,
            keyid=gestion.keyid,
            agent=EMETTEUR_PASSERELLE,
            donnees={k: v for k, v in donnees.items() if v is not None},
            empreinte="",
            instant=instant,
            journal_index=index,
            nir_index=None,
        )
        avises.append(organisme.code)
    return avises


def suspendre(
    gestion: GestionSuspensions, connexion: Connection, identifiant: str, motif: object, demandeur: Demandeur, instant: datetime
) -> dict[str, Any]:
    """Suspend now; 409 convention_deja_suspendue (nothing written) when it already is."""
    convention = convention_connue(gestion, identifiant)
    texte = _motif(motif)
    deja = stockage.lire(connexion, convention.id)
    if deja is not None:
        raise Conflit("convention_deja_suspendue", _deja(deja))
    donnees = {
        "evenement": "suspension", "convention": convention.id, "intitule": convention.intitule,
        "suspendue_le": texte_instant(instant), "motif": texte, "par": demandeur.par,
        "organisme": demandeur.organisme, "consequence": CONSEQUENCES["suspension"],
    }
    # The row first: a suspension made meanwhile through another replica is refused here,
    # before anything else is written (a refusal commits its own journal entry only).
    if not stockage.inserer(connexion, Suspension(convention=convention.id, suspendue_le=instant, motif=texte,
                                                  par=demandeur.par, organisme=demandeur.organisme, journal_index=0)):
        deja = stockage.lire(connexion, convention.id)
        raise Conflit("convention_deja_suspendue", _deja(deja) if deja else f"la convention {convention.id} est déjà suspendue")
    index = gestion.journal.ecrire(connexion, Decision(
        decision="convention_suspendue", horodatage=instant, organisme=demandeur.organisme, keyid=demandeur.keyid,
        agent=demandeur.par, convention=convention.id, details={"motif": texte, "canal": demandeur.canal},
    ))
    stockage.noter_index(connexion, convention.id, index)
    avises = _aviser(gestion, connexion, convention, donnees, index, instant)
    return {**etat(gestion, connexion, convention), "journal_index": index, "avises": avises}


def _deja(suspension: Suspension) -> str:
    return (
        f"la convention {suspension.convention} est déjà suspendue depuis le {texte_instant(suspension.suspendue_le)} "
        f"par {suspension.par} : {suspension.motif}; rien n'a été changé"
    )


def reprendre(
    gestion: GestionSuspensions, connexion: Connection, identifiant: str, motif: object, demandeur: Demandeur, instant: datetime
) -> dict[str, Any]:
    """Resume now; 409 convention_non_suspendue (nothing written) when it is not suspended."""
    convention = convention_connue(gestion, identifiant)
    texte = _motif(motif)
    suspension = stockage.supprimer(connexion, convention.id)
    if suspension is None:
        raise Conflit(
            "convention_non_suspendue", f"la convention {convention.id} n'est pas suspendue : rien n'a été changé"
        )
    index = gestion.journal.ecrire(connexion, Decision(
        decision="convention_reprise", horodatage=instant, organisme=demandeur.organisme, keyid=demandeur.keyid,
        agent=demandeur.par, convention=convention.id,
        details={"motif": texte, "canal": demandeur.canal, "suspendue_le": texte_instant(suspension.suspendue_le),
                 "suspension": suspension.journal_index},
    ))
    donnees = {
        "evenement": "reprise", "convention": convention.id, "intitule": convention.intitule,
        "suspendue_le": texte_instant(suspension.suspendue_le), "reprise_le": texte_instant(instant), "motif": texte,
        "par": demandeur.par, "organisme": demandeur.organisme, "consequence": CONSEQUENCES["reprise"],
    }
    avises = _aviser(gestion, connexion, convention, donnees, index, instant)
    return {**etat(gestion, connexion, convention), "journal_index": index, "avises": avises}
