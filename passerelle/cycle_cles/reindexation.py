"""After a blind-index key rotation: messages and cases re-indexed under the active key.

A message's NIR is read back from its payload (decrypted in memory, never logged); its new index
replaces the old one, and in the same transaction so do the index of its case (``dossiers``: the
case it opened, or the one it answers) and of the messages that answer it or tell about it under
the same old index (the gateway's deadline notices carry no NIR of their own). Purged messages cannot be re-indexed — their payload is gone —
and keep their old index, as do journal entries, which are immutable: both stay findable because
searches compute a NIR's index under every key the secrets still hold (``Journal.indexes_nir``).

Like the re-encryption: short journaled transactions, resumable, safe on several replicas. A
row's key id ``nir_cle`` NULL means the key of files from before rotations (``initiale``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.cycle_cles.rotation import Rotation
from passerelle.journal.ecriture import Decision
from passerelle.secrets_deploiement import INDEX_INITIALE
from passerelle.stockage.chiffrement import Chiffre, CleInconnue, Coffre
from passerelle.stockage.tables import dossiers, messages


@dataclass
class BilanReindexation:
    messages: int = 0
    dossiers: int = 0
    sans_nir: int = 0  # rows whose payload holds no NIR and whose request was not re-indexed
    incoherents: int = 0  # stored index does not match the payload's NIR under its key: left alone
    illisibles: int = 0  # payload under an at-rest key the secrets lack
    transactions: int = 0


def cle_de(colonne: sa.ColumnElement[str | None]) -> sa.ColumnElement[str]:
    return sa.func.coalesce(colonne, INDEX_INITIALE)


def a_reindexer(active: str) -> sa.ColumnElement[bool]:
    return sa.and_(messages.c.purge_le.is_(None), messages.c.nir_index.is_not(None), cle_de(messages.c.nir_cle) != active)


def _nir(coffre: Coffre, ident: str, chiffre: Chiffre) -> str | None:
    donnees = json.loads(coffre.dechiffrer(chiffre, ident.encode("ascii")))
    nir = donnees.get("nir_assure") if isinstance(donnees, dict) else None
    return nir if isinstance(nir, str) and nir.strip() else None


def _suivre(connexion: Connection, demande_id: str, ancien: str, neuf: str, active: str) -> tuple[int, int]:
    """The case of a re-indexed request and the messages about it under its old index."""
    dossiers_faits = connexion.execute(
        sa.update(dossiers).where(dossiers.c.demande_id == demande_id, dossiers.c.nir_index == ancien)
        .values(nir_index=neuf, nir_cle=active)
    ).rowcount
    suites = connexion.execute(
        sa.update(messages).where(messages.c.en_reponse_a == demande_id, messages.c.nir_index == ancien,
                                  messages.c.purge_le.is_(None))
        .values(nir_index=neuf, nir_cle=active)
    ).rowcount
    return dossiers_faits, suites


def reindexer(rotation: Rotation, *, lot: int | None = None, pause: float = 0.0) -> BilanReindexation:
    journal = rotation.journal
    active = journal.cle_index_active
    connues = set(journal.cles_index)
    lot = lot or rotation.lot
    bilan = BilanReindexation()
    apres = 0
    while True:
        with rotation.ecriture, rotation.moteur.begin() as connexion:
            lignes = connexion.execute(
                sa.select(messages.c.seq, messages.c.id, messages.c.contenu, messages.c.cle_chiffrement,
                          messages.c.cle_donnees, messages.c.nir_index, messages.c.nir_cle, messages.c.en_reponse_a)
                .where(messages.c.seq > apres, a_reindexer(active))
                .order_by(messages.c.seq).limit(lot).with_for_update(skip_locked=True)
            ).all()
            n_messages = n_dossiers = 0
            for seq, ident, contenu, cle, cle_donnees, ancien, ancienne_cle, repond_a in lignes:
                apres = seq
                ancienne_cle = ancienne_cle or INDEX_INITIALE
                chiffre = Chiffre(cle, bytes(contenu), bytes(cle_donnees) if cle_donnees is not None else None)
                try:
                    nir = _nir(rotation.coffre, ident, chiffre)
                except CleInconnue:
                    bilan.illisibles += 1
                    continue
                if nir is None:
                    bilan.sans_nir += 1  # a notice: re-indexed with its request, if that one is
                    continue
                if ancienne_cle in connues and journal.index_nir_sous(ancienne_cle, nir) != ancien:
                    bilan.incoherents += 1
                    continue
                neuf = journal.index_nir(nir)
                change = connexion.execute(
                    sa.update(messages).where(messages.c.seq == seq, messages.c.nir_index == ancien)
                    .values(nir_index=neuf, nir_cle=active)
                ).rowcount
                if change == 1:
                    n_messages += 1
                    d, s = _suivre(connexion, ident, ancien, neuf, active)
                    n_dossiers += d
                    n_messages += s
                    if repond_a is not None:  # the case it answers, whose request may be purged
                        n_dossiers += connexion.execute(
                            sa.update(dossiers).where(dossiers.c.demande_id == repond_a, dossiers.c.nir_index == ancien)
                            .values(nir_index=neuf, nir_cle=active)
                        ).rowcount
            if n_messages or n_dossiers:
                rotation.journal.ecrire(connexion, Decision(
                    decision="reindexation",
                    horodatage=rotation.horloge(),
                    details={"cle": active, "messages": n_messages, "dossiers": n_dossiers, "seq_jusqu_a": apres},
                ))
                bilan.transactions += 1
        bilan.messages += n_messages
        bilan.dossiers += n_dossiers
        if len(lignes) < lot:
            break
        if pause:
            time.sleep(pause)
    return bilan


def restants(connexion: Connection, active: str) -> dict[str, int]:
    """Live messages and cases still under another blind-index key."""
    m = connexion.execute(sa.select(sa.func.count()).where(a_reindexer(active))).scalar_one()
    d = connexion.execute(
        sa.select(sa.func.count()).where(dossiers.c.nir_index.is_not(None), cle_de(dossiers.c.nir_cle) != active)
    ).scalar_one()
    return {"messages": m, "dossiers": d}
