"""One transaction per request, and the one place where a refusal is journaled.

A refusal raised at any step leaves nothing behind but its journal entry (and the nonce it
consumed, so the same signed request cannot be tried again): every business write of the
accept path comes after the last check.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus
from passerelle.habilitations.autorisation import autoriser_appelant
from passerelle.journal.ecriture import Decision
from passerelle.services import Services
from passerelle.signature.authentification import Appelant, admettre, verifier_appelant
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache
from passerelle.stockage import compteurs

T = TypeVar("T")


@dataclass
class Trace:
    """What is known of the request so far; filled in step by step for a refusal's entry."""

    operation: str
    requete_id: str
    keyid_annonce: str | None = None
    empreinte: str | None = None
    appelant: Appelant | None = None
    flux: str | None = None
    message: str | None = None
    destinataire: str | None = None
    nir: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    auditeur: str | None = None  # an authenticated auditor (not an organisme): its identifier


# The journal's columns for what a refused caller claimed (stockage/tables.py): a flux or a
# message id taken from the path is recorded cut to them, never failing the refusal's entry.
LONGUEUR_FLUX = 64
LONGUEUR_MESSAGE = 36


def _borne(valeur: str | None, longueur: int) -> str | None:
    return valeur[:longueur] if valeur else valeur


def decision_de_refus(trace: Trace, refus: Refus, services: Services) -> Decision:
    appelant = trace.appelant
    details: dict[str, object] = {"operation": trace.operation, "statut": refus.statut, "requete": trace.requete_id}
    details.update(trace.details)
    if appelant is None and trace.keyid_annonce:
        details["cle_annoncee"] = trace.keyid_annonce  # claimed, not proven
    if trace.auditeur:
        details["auditeur"] = trace.auditeur
    return Decision(
        decision="refuse",
        code=refus.code,
        horodatage=services.horloge(),
        flux=_borne(trace.flux, LONGUEUR_FLUX),
        message=_borne(trace.message, LONGUEUR_MESSAGE),
        organisme=appelant.organisme.code if appelant else None,
        destinataire=trace.destinataire,
        keyid=appelant.cle.keyid if appelant else None,
        agent=appelant.agent if appelant else trace.auditeur,
        robot=appelant.cle.robot if appelant else None,
        nir=trace.nir if appelant else None,
        empreinte=trace.empreinte,
        details=details,
    )


@dataclass(frozen=True)
class _Issue:
    """What ``operation`` gave inside the transaction: its result, or the refusal journaled."""

    resultat: object = None
    refus: Refus | None = None


def _dans_la_transaction(
    services: Services, trace: Trace, operation: Callable[[Connection, Trace], object], connexion: Connection
) -> _Issue:
    try:
        return _Issue(resultat=operation(connexion, trace))
    except Refus as refus:
        services.journal.ecrire(connexion, decision_de_refus(trace, refus, services))
        return _Issue(refus=refus)


def _conclure(services: Services, trace: Trace, issue: _Issue) -> Any:
    """Once committed: count the decision, then answer or raise the refusal."""
    if issue.refus is not None:
        services.metriques.decisions.labels(trace.operation, "refuse", issue.refus.code).inc()
        raise issue.refus
    services.metriques.decisions.labels(trace.operation, "ok", "").inc()
    return issue.resultat


def executer(services: Services, trace: Trace, operation: Callable[[Connection, Trace], T]) -> T:
    """Run ``operation`` in one transaction; on ``Refus``, commit the refusal's entry with
    what came before it (the nonce consumed), never a business write (they come last)."""
    with services.ecriture, services.moteur.begin() as connexion:
        issue = _dans_la_transaction(services, trace, operation, connexion)
    return _conclure(services, trace, issue)  # type: ignore[no-any-return]


async def executer_groupe(services: Services, trace: Trace, operation: Callable[[Connection, Trace], T]) -> T:
    """The same, committed together with the other operations queued meanwhile (group commit,
    ``stockage/ecriture_groupee.py``): for the short, frequent transactions of the accept path.
    ``operation`` may run twice (its group failed for another's fault): database writes only."""
    depart = copy.copy(trace)
    depart.details = dict(trace.details)

    def travail(connexion: Connection) -> _Issue:
        # A second run (its group failed for another's fault) starts from the same trace, so
        # a refusal then never names what the rolled-back first run had found.
        vars(trace).update(vars(depart), details=dict(depart.details))
        return _dans_la_transaction(services, trace, operation, connexion)

    issue = await services.groupe.soumettre(travail)
    return _conclure(services, trace, issue)  # type: ignore[no-any-return]


def journaliser_refus_seul(services: Services, trace: Trace, refus: Refus) -> None:
    """For refusals decided before any transaction (body too large, wrong content type)."""
    with services.ecriture, services.moteur.begin() as connexion:
        services.journal.ecrire(connexion, decision_de_refus(trace, refus, services))
    services.metriques.decisions.labels(trace.operation, "refuse", refus.code).inc()


def authentifier_appelant(
    services: Services, connexion: Connection, trace: Trace, message: MessageHttp, corps: bytes | CorpsHache
) -> Appelant:
    """Step 1 with the deployment's settings; the trace then names the proven caller."""
    return admettre_appelant(services, connexion, trace, verifier_appelant_requete(services, message, corps))


def verifier_appelant_requete(services: Services, message: MessageHttp, corps: bytes | CorpsHache) -> Appelant:
    """The part of step 1 that needs no database (signature, key, agent): the accept path
    runs it before queueing its transaction. ``admettre_appelant`` must follow, inside it."""
    return verifier_appelant(
        services.annuaire.actuel(),
        message,
        corps,
        services.horloge(),
        fenetre=services.reglages.fenetre_signature,
        derive=services.reglages.derive_horloge,
    )


def admettre_appelant(services: Services, connexion: Connection, trace: Trace, appelant: Appelant) -> Appelant:
    """The rest of step 1, in the transaction: the nonce is consumed (replay), then the trace
    names the proven caller.

    A robot (annex 2) is then held to its agreement here, once for every organisme endpoint:
    it names a human, it calls within its windows, at its rate — refusals journaled by
    ``executer`` like any other, with the robot and the technician it named."""
    admettre(connexion, appelant, fenetre=services.reglages.fenetre_signature, derive=services.reglages.derive_horloge)
    trace.appelant = appelant
    if appelant.cle.robot is not None:
        autoriser_appelant(
            appelant,
            services.annuaire.actuel().robots,
            services.horloge(),
            lambda nom, fenetre: compteurs.incrementer(connexion, nom, fenetre),
        )
    return appelant
