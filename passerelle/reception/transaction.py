"""The endpoints around the request path (inbox, journal, deliveries, console): one transaction
per request, refusals journaled by :mod:`passerelle.reception.refus` like those of the path.

Their work fills a :class:`Trace` as it goes (the message id of the path, an auditor's name);
at a refusal it becomes the :class:`~passerelle.reception.refus.Connu` journaled. The request
path itself (``reception/chemin.py``) carries immutable results instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus
from passerelle.reception import refus as refus_
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.etapes import Authentifie, Requete, authentifier, verifier
from passerelle.reception.refus import Connu, ContexteRequete, Refuse
from passerelle.signature.authentification import Appelant
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache

T = TypeVar("T")


@dataclass
class Trace:
    """What the work of an endpoint learnt so far; for a refusal's entry."""

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

    def contexte(self) -> ContexteRequete:
        return ContexteRequete(self.operation, self.requete_id, self.keyid_annonce, self.empreinte)

    def connu(self) -> Connu:
        return Connu(appelant=self.appelant, flux=self.flux, destinataire=self.destinataire, nir=self.nir,
                     message=self.message, auditeur=self.auditeur, details=dict(self.details))


class _ServicesAvecChemin(Protocol):  # the container's one attribute used here (services.py builds it)
    @property
    def chemin(self) -> DependancesChemin: ...


def executer(services: _ServicesAvecChemin, trace: Trace, operation: Callable[[Connection, Trace], T]) -> T:
    """Run ``operation`` in one transaction; on a refusal, commit its entry (naming what the
    trace knew) with what came before it (the nonce consumed), never a business write."""

    def dans_la_transaction(connexion: Connection) -> T:
        try:
            return operation(connexion, trace)
        except Refus as refus:
            raise Refuse(refus, trace.connu()) from None

    return refus_.executer(services.chemin.journalisation, trace.contexte(), dans_la_transaction)


def authentifier_requete(deps: DependancesChemin, connexion: Connection, trace: Trace, message: MessageHttp,
                         corps: bytes | CorpsHache) -> Authentifie:
    """The path's first two steps (signature, then nonce and robots) for any organisme
    endpoint; the trace then names the proven caller."""
    requete = Requete(trace.contexte(), message, corps, Connu(flux=trace.flux))
    authentifie = authentifier(verifier(requete, deps), connexion, deps)
    trace.appelant = authentifie.appelant
    return authentifie


def authentifier_appelant(services: _ServicesAvecChemin, connexion: Connection, trace: Trace, message: MessageHttp,
                          corps: bytes | CorpsHache) -> Appelant:
    return authentifier_requete(services.chemin, connexion, trace, message, corps).appelant
