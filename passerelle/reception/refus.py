"""The one place where a refusal is journaled, and the transactions that guarantee it.

A request carries an immutable :class:`ContexteRequete` (operation, request id, the key it
claims, its body's digest). Each step of the path knows a little more — the proven caller, the
flux, the destination, the person's NIR, the message id: a refusal is raised as
:class:`Refuse`, the :class:`Refus` paired with :class:`Connu`, what the furthest step reached
knew, and is journaled with exactly that.

A refusal at any step leaves nothing behind but its journal entry (and the nonce it consumed,
so the same signed request cannot be tried again): every business write of the path comes
after its last check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus
from passerelle.journal import decisions
from passerelle.journal.ecriture import Decision, Journal
from passerelle.observabilite import Metriques
from passerelle.signature.authentification import Appelant
from passerelle.stockage.transactions import Transactions

T = TypeVar("T")


@dataclass(frozen=True)
class ContexteRequete:
    """What is known of a request before any check: never changes afterwards."""

    operation: str
    requete_id: str
    keyid_annonce: str | None = None  # claimed, not proven: journaled only for an unproven caller
    empreinte: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)  # e.g. a batch line: its batch and number

    def pour(self, *, operation: str | None = None, empreinte: str | None = None,
             details: Mapping[str, object] | None = None) -> ContexteRequete:
        """A part of this request taken alone (a batch line): same id, its own digest and details."""
        return ContexteRequete(operation or self.operation, self.requete_id, self.keyid_annonce, empreinte,
                               dict(details or {}))


@dataclass(frozen=True)
class Connu:
    """What the furthest step reached knows of the request, for its refusal's entry."""

    appelant: Appelant | None = None
    flux: str | None = None
    destinataire: str | None = None
    nir: str | None = None
    message: str | None = None
    auditeur: str | None = None  # an authenticated auditor (not an organisme): its identifier
    details: Mapping[str, object] = field(default_factory=dict)

    def avec(self, **valeurs: Any) -> Connu:
        return replace(self, **valeurs)


class Refuse(Exception):
    """A refusal raised by a step, with what that step knew."""

    def __init__(self, refus: Refus, connu: Connu) -> None:
        super().__init__(refus)
        self.refus = refus
        self.connu = connu


class au_stade:  # noqa: N801 — read as a phrase: ``with au_stade(lambda: lu.connu):``
    """A ``Refus`` raised inside becomes a :class:`Refuse` knowing ``connu`` (one raised by a
    further step, already paired, passes through unchanged). ``connu`` may be given as a
    function: what is known is then built only for a refusal, never on the accepted path."""

    __slots__ = ("_connu",)

    def __init__(self, connu: Connu | Callable[[], Connu]) -> None:
        self._connu = connu

    def __enter__(self) -> None:
        return None

    def __exit__(self, type_: object, erreur: BaseException | None, trace: object) -> bool:
        if isinstance(erreur, Refus):
            connu = self._connu if isinstance(self._connu, Connu) else self._connu()
            raise Refuse(erreur, connu) from None
        return False


@dataclass(frozen=True)
class Journalisation:
    """What journaling a refusal and running a request's transaction need."""

    transactions: Transactions
    journal: Journal
    metriques: Metriques
    horloge: Callable[[], datetime]


def decision_de_refus(contexte: ContexteRequete, refuse: Refuse, instant: datetime) -> Decision:
    refus, connu = refuse.refus, refuse.connu
    details: dict[str, object] = {"operation": contexte.operation, "statut": refus.statut, "requete": contexte.requete_id}
    details.update(contexte.details)
    details.update(connu.details)
    if connu.appelant is None and contexte.keyid_annonce:
        details["cle_annoncee"] = contexte.keyid_annonce  # claimed, not proven
    if connu.auditeur:
        details["auditeur"] = connu.auditeur
    return decisions.refusee(
        code=refus.code,
        instant=instant,
        details=details,
        appelant=connu.appelant,
        auditeur=connu.auditeur,
        flux=connu.flux,
        message=connu.message,
        destinataire=connu.destinataire,
        nir=connu.nir,
        empreinte=contexte.empreinte,
    )


def _paire(erreur: Refus | Refuse) -> Refuse:
    return erreur if isinstance(erreur, Refuse) else Refuse(erreur, Connu())


def journaliser_refus(j: Journalisation, connexion: Connection, contexte: ContexteRequete, erreur: Refus | Refuse) -> Refus:
    """Write the refusal's entry in the caller's transaction; the refusal, to answer with."""
    refuse = _paire(erreur)
    j.journal.ecrire(connexion, decision_de_refus(contexte, refuse, j.horloge()))
    return refuse.refus


@dataclass(frozen=True)
class _Issue:
    """What ``operation`` gave inside the transaction: its result, or the refusal journaled."""

    resultat: object = None
    refus: Refus | None = None


def _dans_la_transaction(j: Journalisation, contexte: ContexteRequete, operation: Callable[[Connection], object],
                         connexion: Connection) -> _Issue:
    try:
        return _Issue(resultat=operation(connexion))
    except (Refus, Refuse) as erreur:
        return _Issue(refus=journaliser_refus(j, connexion, contexte, erreur))


def _conclure(j: Journalisation, contexte: ContexteRequete, issue: _Issue) -> Any:
    """Once committed: count the decision, then answer or raise the refusal."""
    if issue.refus is not None:
        j.metriques.decisions.labels(contexte.operation, "refuse", issue.refus.code).inc()
        raise issue.refus
    j.metriques.decisions.labels(contexte.operation, "ok", "").inc()
    return issue.resultat


def executer(j: Journalisation, contexte: ContexteRequete, operation: Callable[[Connection], T]) -> T:
    """Run ``operation`` in one transaction; on a refusal, commit its entry with what came
    before it (the nonce consumed), never a business write (they come last); raise it."""
    with j.transactions.ecrire() as connexion:
        issue = _dans_la_transaction(j, contexte, operation, connexion)
    return _conclure(j, contexte, issue)  # type: ignore[no-any-return]


async def executer_groupe(j: Journalisation, contexte: ContexteRequete, operation: Callable[[Connection], T]) -> T:
    """The same, committed together with the other operations queued meanwhile (group commit).
    ``operation`` may run twice (its group failed for another's fault): database work only;
    nothing it learnt the first time survives, since what a refusal knows is its own value."""
    issue = await j.transactions.en_groupe(lambda connexion: _dans_la_transaction(j, contexte, operation, connexion))
    return _conclure(j, contexte, issue)  # type: ignore[no-any-return]


def journaliser_refus_seul(j: Journalisation, contexte: ContexteRequete, erreur: Refus | Refuse) -> None:
    """For refusals decided before any transaction (body too large, wrong content type)."""
    with j.transactions.ecrire() as connexion:
        refus = journaliser_refus(j, connexion, contexte, erreur)
    j.metriques.decisions.labels(contexte.operation, "refuse", refus.code).inc()
