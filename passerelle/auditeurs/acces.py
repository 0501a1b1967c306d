"""An auditor's request, from its ``Authorization`` header to its own journal entry.

Auditors are watched like everyone else: whatever they read (a search, an entry, a timeline, an
export, a reconciliation) is recorded before the answer leaves, in the same transaction, with the
criteria — the person only as a blind index, never in clear. The entry names the person's index
in its ``nir`` column too, so "who looked at this person" is itself a search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.auditeurs.comptes import (
    Auditeur,
    authentifier,
    identifiant_annonce,
    lire_jeton,
)
from passerelle.journal.ecriture import Decision, Journal
from passerelle.reception.transaction import Trace

RECHERCHE = "recherche_auditeur"
EXPORT = "export_auditeur"
CONNEXION = "connexion_auditeur"


def est_requete_auditeur(autorisation: str | None) -> bool:
    """An organisme signs (RFC 9421); an auditor presents a bearer token: tell them apart."""
    return bool(autorisation) and autorisation.lstrip().lower().startswith("bearer ")  # type: ignore[union-attr]


def auditeur_depuis_requete(
    connexion: Connection, autorisation: str | None, trace: Trace | None = None
) -> Auditeur:
    """Authenticate ``Authorization: Bearer <identifiant>.<secret>``; fails closed with 401.

    The trace is filled so that a refusal is journaled with the identifier that was *claimed*
    (in details only), and later refusals with the auditor proven here (as the agent).
    """
    if trace is not None:
        annonce = identifiant_annonce(autorisation)
        if annonce:
            trace.details["auditeur_annonce"] = annonce
    identifiant, secret = lire_jeton(autorisation)
    auditeur = authentifier(connexion, identifiant, secret)
    if trace is not None:
        trace.details.pop("auditeur_annonce", None)
        trace.auditeur = auditeur.identifiant
    return auditeur


@dataclass(frozen=True)
class TemoinAuditeurs:
    """What journals an auditor's action: the journal (its blind index, its writer) and the clock."""

    journal: Journal
    horloge: Callable[[], datetime]


def journaliser(
    temoin: TemoinAuditeurs,
    connexion: Connection,
    auditeur: Auditeur,
    decision: str,
    details: dict[str, Any],
    *,
    nir_index: str | None = None,
) -> int:
    """One entry for one auditor action, in the caller's transaction; returns its leaf index."""
    contenu = {"auditeur": auditeur.identifiant, "portee": list(auditeur.portee or ["*"])}
    contenu.update(details)
    return temoin.journal.ecrire(
        connexion,
        Decision(
            decision=decision,
            horodatage=temoin.horloge(),
            agent=auditeur.identifiant,
            nir_index=nir_index,
            details=contenu,
        ),
    )
