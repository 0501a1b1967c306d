"""The one function through which every decision reaches the journal.

An entry is RFC 8785 canonical JSON: who, what, about whom (keyed blind index of the NIR), when,
the decision and its code, and the payload's digest — never the payload, never a NIR in clear.
The bytes stored are exactly the bytes that the Merkle tree will hash. Appends take the next
dense leaf index inside the caller's transaction, so an entry exists if and only if the
decision it records was committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.journal.canonique import canonique
from passerelle.journal.index_aveugle import index_nir
from passerelle.stockage.journal_ajout import LigneJournal, ajouter

VERSION_ENTREE = 1


@dataclass(frozen=True)
class Decision:
    """What happened, as the caller knows it; ``nir`` is in clear here and only here."""

    decision: str  # accepte, refuse, consulte, acquitte...
    horodatage: datetime
    code: str | None = None
    flux: str | None = None
    message: str | None = None
    organisme: str | None = None
    destinataire: str | None = None
    keyid: str | None = None
    agent: str | None = None
    robot: str | None = None
    nir: str | None = None
    nir_index: str | None = None  # when only the index is known (a stored message)
    empreinte: str | None = None
    convention: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def horodatage_texte(instant: datetime) -> str:
    """RFC 3339 UTC with microseconds, the one textual form of time in entries and receipts
    (``%Y-%m-%dT%H:%M:%S.%fZ``; written with ``isoformat``, several times faster than strftime)."""
    return instant.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entree_canonique(decision: Decision, cle_index: bytes) -> tuple[bytes, str | None]:
    """The entry's bytes (RFC 8785) and the NIR's blind index, if any."""
    nir_index = index_nir(cle_index, decision.nir) if decision.nir else decision.nir_index
    contenu: dict[str, Any] = {
        "v": VERSION_ENTREE,
        "horodatage": horodatage_texte(decision.horodatage),
        "decision": decision.decision,
        "code": decision.code,
        "flux": decision.flux,
        "message": decision.message,
        "organisme": decision.organisme,
        "destinataire": decision.destinataire,
        "cle": decision.keyid,
        "agent": decision.agent,
        "robot": decision.robot,
        "nir": nir_index,
        "empreinte": decision.empreinte,
        "convention": decision.convention,
        "details": decision.details or None,
    }
    propre = {k: v for k, v in contenu.items() if v is not None}
    return canonique(propre), nir_index


class Journal:
    """Writes decisions; holds the blind-index keys so no caller ever handles NIR hashing.

    Every new index is computed with the active key. The other keys (kept after a rotation) index
    nothing new: journal entries are immutable, so the entries they indexed stay findable only by
    recomputing a NIR's index under each of them (:meth:`indexes_nir`, used by searches).
    """

    def __init__(self, cle_index: bytes | dict[str, bytes], active: str | None = None) -> None:
        cles = cle_index if isinstance(cle_index, dict) else {"initiale": cle_index}
        active = active if active is not None else next(iter(cles))
        if active not in cles:
            raise ValueError(f"clé d'index aveugle active {active!r} absente")
        for ident, cle in cles.items():
            if len(cle) < 32:
                raise ValueError(f"la clé d'index aveugle {ident!r} doit faire au moins 32 octets")
        self._cles = dict(cles)
        self._cle_index = cles[active]
        self.cle_index_active = active

    @property
    def cles_index(self) -> tuple[str, ...]:
        """Ids of the blind-index keys, the active one first."""
        return (self.cle_index_active, *sorted(k for k in self._cles if k != self.cle_index_active))

    def index_nir(self, nir: str) -> str:
        return index_nir(self._cle_index, nir)

    def index_nir_sous(self, cle: str, nir: str) -> str:
        return index_nir(self._cles[cle], nir)

    def indexes_nir(self, nir: str) -> tuple[str, ...]:
        """The NIR's index under every key, the active one first: one person, whenever indexed."""
        return tuple(index_nir(self._cles[k], nir) for k in self.cles_index)

    def ecrire(self, connexion: Connection, decision: Decision) -> int:
        """Append one entry in the caller's transaction; return its leaf index."""
        octets, nir_index = entree_canonique(decision, self._cle_index)
        return ajouter(connexion, LigneJournal(
            horodatage=decision.horodatage,
            entree=octets,
            decision=decision.decision,
            code=decision.code,
            flux=decision.flux,
            message_id=decision.message,
            organisme=decision.organisme,
            destinataire=decision.destinataire,
            keyid=decision.keyid,
            agent=decision.agent,
            robot=decision.robot,
            nir_index=nir_index,
        ))
