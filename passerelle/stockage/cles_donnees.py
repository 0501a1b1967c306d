"""The rows under the deployment's keys: messages' at-rest key (``cle_chiffrement``, envelope
``cle_donnees``) and blind-index key (``nir_cle``), cases' blind-index key. Read by key, walked
by sequence number in short batches, and rewritten only if still as read — for the rotation
passes (cycle_cles/). ``initiale``: the key a NULL ``nir_cle`` stands for (files from before
rotations), given by the caller."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import dossiers, messages


def cle_de(colonne: sa.ColumnElement[str | None], initiale: str) -> sa.ColumnElement[str]:
    return sa.func.coalesce(colonne, initiale)


# --------------------------------------------------------------------------- usage per key


def usage_chiffrement(connexion: Connection) -> list[tuple[str, int, int]]:
    """(at-rest key, live messages under it, of which without a data key)."""
    rows = connexion.execute(
        sa.select(messages.c.cle_chiffrement, sa.func.count(),
                  sa.func.sum(sa.case((messages.c.cle_donnees.is_(None), 1), else_=0)))
        .where(messages.c.purge_le.is_(None)).group_by(messages.c.cle_chiffrement)
    )
    return [(cle, int(n), int(sans or 0)) for cle, n, sans in rows]


@dataclass(frozen=True)
class UsageIndexLignes:
    messages_vivants: dict[str, int]
    messages_purges: dict[str, int]
    dossiers: dict[str, int]


def usage_index(connexion: Connection, initiale: str) -> UsageIndexLignes:
    """Per blind-index key: live and purged messages indexed under it, and cases."""
    cle = cle_de(messages.c.nir_cle, initiale)
    vivants: dict[str, int] = {}
    purges: dict[str, int] = {}
    for ident, purge, n in connexion.execute(
        sa.select(cle, messages.c.purge_le.is_not(None), sa.func.count())
        .where(messages.c.nir_index.is_not(None)).group_by(cle, messages.c.purge_le.is_not(None))
    ):
        cible = purges if purge else vivants
        cible[ident] = cible.get(ident, 0) + n
    cle_d = cle_de(dossiers.c.nir_cle, initiale)
    d = dict(connexion.execute(
        sa.select(cle_d, sa.func.count()).where(dossiers.c.nir_index.is_not(None)).group_by(cle_d)
    ).all())
    return UsageIndexLignes(vivants, purges, d)


# --------------------------------------------------------------------------- re-encryption


def _a_rechiffrer(active: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        messages.c.purge_le.is_(None),
        sa.or_(messages.c.cle_chiffrement != active, messages.c.cle_donnees.is_(None)),
    )


@dataclass(frozen=True)
class LigneChiffree:
    seq: int
    id: str
    contenu: bytes
    cle: str
    cle_donnees: bytes | None


def a_rechiffrer(connexion: Connection, apres: int, active: str, taille: int) -> list[LigneChiffree]:
    """Live messages past ``apres`` not yet in an envelope under ``active``, by sequence;
    rows another replica holds are skipped."""
    lignes = connexion.execute(
        sa.select(messages.c.seq, messages.c.id, messages.c.contenu, messages.c.cle_chiffrement,
                  messages.c.cle_donnees)
        .where(messages.c.seq > apres, _a_rechiffrer(active))
        .order_by(messages.c.seq).limit(taille).with_for_update(skip_locked=True)
    ).all()
    return [LigneChiffree(seq, ident, bytes(contenu), cle, bytes(cd) if cd is not None else None)
            for seq, ident, contenu, cle, cd in lignes]


def remplacer_chiffre(connexion: Connection, lue: LigneChiffree, octets: bytes, cle: str, cle_donnees: bytes | None) -> bool:
    """Write the new ciphertext if the row is still as read (same key, envelope or not, live)."""
    garde = [messages.c.seq == lue.seq, messages.c.cle_chiffrement == lue.cle, messages.c.purge_le.is_(None)]
    garde.append(messages.c.cle_donnees.is_(None) if lue.cle_donnees is None else messages.c.cle_donnees.is_not(None))
    change = connexion.execute(
        sa.update(messages).where(*garde).values(contenu=octets, cle_chiffrement=cle, cle_donnees=cle_donnees)
    )
    return change.rowcount == 1


# --------------------------------------------------------------------------- re-indexing


def _a_reindexer(active: str, initiale: str) -> sa.ColumnElement[bool]:
    return sa.and_(messages.c.purge_le.is_(None), messages.c.nir_index.is_not(None),
                   cle_de(messages.c.nir_cle, initiale) != active)


@dataclass(frozen=True)
class LigneIndexee:
    seq: int
    id: str
    contenu: bytes
    cle_chiffrement: str
    cle_donnees: bytes | None
    nir_index: str
    nir_cle: str | None
    en_reponse_a: str | None


def a_reindexer(connexion: Connection, apres: int, active: str, initiale: str, lot: int) -> list[LigneIndexee]:
    """Live messages past ``apres`` indexed under another key than ``active``, by sequence;
    rows another replica holds are skipped."""
    lignes = connexion.execute(
        sa.select(messages.c.seq, messages.c.id, messages.c.contenu, messages.c.cle_chiffrement,
                  messages.c.cle_donnees, messages.c.nir_index, messages.c.nir_cle, messages.c.en_reponse_a)
        .where(messages.c.seq > apres, _a_reindexer(active, initiale))
        .order_by(messages.c.seq).limit(lot).with_for_update(skip_locked=True)
    ).all()
    return [LigneIndexee(seq, ident, bytes(contenu), cle, bytes(cd) if cd is not None else None, ni, nc, ra)
            for seq, ident, contenu, cle, cd, ni, nc, ra in lignes]


def reindexer_message(connexion: Connection, seq: int, ancien: str, neuf: str, active: str) -> int:
    return connexion.execute(
        sa.update(messages).where(messages.c.seq == seq, messages.c.nir_index == ancien)
        .values(nir_index=neuf, nir_cle=active)
    ).rowcount


def reindexer_suites(connexion: Connection, demande_id: str, ancien: str, neuf: str, active: str) -> tuple[int, int]:
    """The case of a re-indexed request and the live messages about it under its old index."""
    dossiers_faits = reindexer_dossier(connexion, demande_id, ancien, neuf, active)
    suites = connexion.execute(
        sa.update(messages).where(messages.c.en_reponse_a == demande_id, messages.c.nir_index == ancien,
                                  messages.c.purge_le.is_(None))
        .values(nir_index=neuf, nir_cle=active)
    ).rowcount
    return dossiers_faits, suites


def reindexer_dossier(connexion: Connection, demande_id: str, ancien: str, neuf: str, active: str) -> int:
    return connexion.execute(
        sa.update(dossiers).where(dossiers.c.demande_id == demande_id, dossiers.c.nir_index == ancien)
        .values(nir_index=neuf, nir_cle=active)
    ).rowcount


def restants(connexion: Connection, active: str, initiale: str) -> dict[str, int]:
    """Live messages and cases still under another blind-index key."""
    m = connexion.execute(sa.select(sa.func.count()).where(_a_reindexer(active, initiale))).scalar_one()
    d = connexion.execute(
        sa.select(sa.func.count()).where(dossiers.c.nir_index.is_not(None), cle_de(dossiers.c.nir_cle, initiale) != active)
    ).scalar_one()
    return {"messages": m, "dossiers": d}
