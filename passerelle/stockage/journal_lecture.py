"""Reading the journal's tables: stored tree nodes, the integrated size, checkpoints, entries,
export pages and search pages. Plain rows out; the proofs, the export's checks and the search's
criteria are the journal's (journal/preuves.py, journal/export.py, journal/recherche.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import journal, journal_checkpoints, journal_integration, journal_noeuds

# --------------------------------------------------------------------------- stored nodes

_PAR_REQUETE = 64
_NOEUDS = sa.select(journal_noeuds.c.niveau, journal_noeuds.c.index, journal_noeuds.c.hash).where(
    sa.or_(
        *(
            sa.and_(journal_noeuds.c.niveau == sa.bindparam(f"n{k}"), journal_noeuds.c.index == sa.bindparam(f"i{k}"))
            for k in range(_PAR_REQUETE)
        )
    )
)
"""One statement of fixed shape, built and compiled once: an OR of primary-key equalities (SQLite
scans the table for a row-value IN), unused slots padded with an address that does not exist.
Building the expression per proof cost more than the query itself."""


def lire_noeuds(connexion: Connection, adresses: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Fetch the given complete subtrees ``(niveau, index)`` in one round trip (per 64);
    absent ones are missing from the answer."""
    cles = sorted(set(adresses))
    stock: dict[tuple[int, int], bytes] = {}
    for debut in range(0, len(cles), _PAR_REQUETE):
        morceau = cles[debut : debut + _PAR_REQUETE]
        morceau += [(-1, -1)] * (_PAR_REQUETE - len(morceau))
        parametres = {}
        for k, (niveau, index) in enumerate(morceau):
            parametres[f"n{k}"], parametres[f"i{k}"] = niveau, index
        for niveau, index, h in connexion.execute(_NOEUDS, parametres):
            stock[(niveau, index)] = bytes(h)
    return stock


def taille_integree(connexion: Connection) -> int:
    return int(connexion.execute(sa.select(journal_integration.c.taille).where(journal_integration.c.id == 1)).scalar_one())


# --------------------------------------------------------------------------- checkpoints, entries


def dernier_checkpoint(connexion: Connection) -> str | None:
    """The latest signed note, verbatim, or None before the sequencer's first run."""
    return connexion.execute(
        sa.select(journal_checkpoints.c.note).order_by(journal_checkpoints.c.taille.desc()).limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class EntreeJournal:
    """One stored entry: the exact hashed bytes plus the columns that decide who may read it."""

    index: int
    octets: bytes
    organisme: str | None
    destinataire: str | None
    flux: str | None
    message: str | None
    nir_index: str | None


def lire_entree(connexion: Connection, index: int) -> EntreeJournal | None:
    ligne = connexion.execute(
        sa.select(
            journal.c.index,
            journal.c.entree,
            journal.c.organisme,
            journal.c.destinataire,
            journal.c.flux,
            journal.c.message_id,
            journal.c.nir_index,
        ).where(journal.c.index == index)
    ).first()
    if ligne is None:
        return None
    numero, octets, organisme, destinataire, flux, message, nir_index = ligne  # "index" is also a tuple method
    return EntreeJournal(int(numero), bytes(octets), organisme, destinataire, flux, message, nir_index)


# --------------------------------------------------------------------------- export


def notes_signees(connexion: Connection) -> tuple[list[str], int]:
    """Every signed note by size, and the latest checkpoint's size (0 before the first)."""
    notes = connexion.execute(sa.select(journal_checkpoints.c.note).order_by(journal_checkpoints.c.taille)).scalars().all()
    taille = connexion.execute(sa.select(sa.func.max(journal_checkpoints.c.taille))).scalar() or 0
    return list(notes), int(taille)


def page_export(connexion: Connection, debut: int, fin: int) -> tuple[list[tuple[int, bytes]], list[tuple[int, bytes]]]:
    """Entries and leaf hashes of ``[debut, fin)`` as stored, by index (gaps left for the caller)."""
    entrees = connexion.execute(
        sa.select(journal.c.index, journal.c.entree)
        .where(journal.c.index >= debut, journal.c.index < fin)
        .order_by(journal.c.index)
    ).all()
    feuilles = connexion.execute(
        sa.select(journal_noeuds.c.index, journal_noeuds.c.hash)
        .where(journal_noeuds.c.niveau == 0, journal_noeuds.c.index >= debut, journal_noeuds.c.index < fin)
        .order_by(journal_noeuds.c.index)
    ).all()
    return [(int(i), bytes(e)) for i, e in entrees], [(int(i), bytes(h)) for i, h in feuilles]


# --------------------------------------------------------------------------- search


@dataclass(frozen=True)
class FiltresJournal:
    """Equalities and a period on the journal's indexed columns; ``nir_indexes``: one person
    under each blind-index key (any of them matches)."""

    nir_indexes: tuple[str, ...] = ()
    agent: str | None = None
    robot: str | None = None
    flux: str | None = None
    decision: str | None = None
    message: str | None = None
    du: datetime | None = None
    au: datetime | None = None


def _filtres_communs(f: FiltresJournal) -> list[sa.ColumnElement[bool]]:
    filtres: list[sa.ColumnElement[bool]] = []
    if len(f.nir_indexes) > 1:
        filtres.append(journal.c.nir_index.in_(f.nir_indexes))
    for colonne, valeur in (
        (journal.c.nir_index, f.nir_indexes[0] if len(f.nir_indexes) == 1 else None),
        (journal.c.agent, f.agent),
        (journal.c.robot, f.robot),
        (journal.c.flux, f.flux),
        (journal.c.decision, f.decision),
        (journal.c.message_id, f.message),
    ):
        if valeur is not None:
            filtres.append(colonne == valeur)
    if f.du is not None:
        filtres.append(journal.c.horodatage >= f.du)
    if f.au is not None:
        filtres.append(journal.c.horodatage < f.au)
    return filtres


def _branches(organisme: str | None, portee: Sequence[str] | None) -> list[sa.ColumnElement[bool]]:
    """Each branch is one equality per organisme column, so each walks one index in order."""
    org, dest = journal.c.organisme, journal.c.destinataire
    if portee is None:
        return [sa.true()] if organisme is None else [org == organisme, dest == organisme]
    if organisme is None:
        return [org == o for o in portee] + [dest == o for o in portee]
    if organisme in portee:
        return [org == organisme, dest == organisme]
    # Outside the scope, X is visible only in exchanges with an organisme of the scope.
    return [sa.and_(org == organisme, dest == o) for o in portee] + [
        sa.and_(dest == organisme, org == o) for o in portee
    ]


def chercher(
    connexion: Connection,
    filtres: FiltresJournal,
    *,
    organisme: str | None,
    portee: Sequence[str] | None,
    ordre: Literal["desc", "asc"],
    apres: int | None,
    par_branche: int,
) -> dict[int, tuple[bytes, str | None, str | None]]:
    """Up to ``par_branche`` entries per branch past ``apres`` in ``ordre``: index → (bytes,
    organisme, destinataire). "Organisme X" (sent or received, within ``portee``) is one ordered
    branch per column, unless a NIR or a message id makes the rows few (one query, OR as filter)."""
    communs = _filtres_communs(filtres)
    if apres is not None:
        communs.append(journal.c.index < apres if ordre == "desc" else journal.c.index > apres)
    tri = journal.c.index.desc() if ordre == "desc" else journal.c.index.asc()
    colonnes = (journal.c.index, journal.c.entree, journal.c.organisme, journal.c.destinataire)
    if filtres.nir_indexes or filtres.message is not None:
        branches = [sa.or_(*_branches(organisme, portee))]
    else:
        branches = _branches(organisme, portee)
    lues: dict[int, tuple[bytes, str | None, str | None]] = {}
    for branche in branches:
        requete = sa.select(*colonnes).where(branche, *communs).order_by(tri).limit(par_branche)
        for index, entree, org, destinataire in connexion.execute(requete):
            lues[index] = (bytes(entree), org, destinataire)
    return lues
