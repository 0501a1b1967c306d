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

from sqlalchemy.engine import Connection

from passerelle.cycle_cles.rotation import Rotation
from passerelle.journal.ecriture import Decision
from passerelle.secrets_deploiement import INDEX_INITIALE
from passerelle.stockage import cles_donnees
from passerelle.stockage.chiffrement import Chiffre, CleInconnue, Coffre


@dataclass
class BilanReindexation:
    messages: int = 0
    dossiers: int = 0
    sans_nir: int = 0  # rows whose payload holds no NIR and whose request was not re-indexed
    incoherents: int = 0  # stored index does not match the payload's NIR under its key: left alone
    illisibles: int = 0  # payload under an at-rest key the secrets lack
    transactions: int = 0


def _nir(coffre: Coffre, ident: str, chiffre: Chiffre) -> str | None:
    donnees = json.loads(coffre.dechiffrer(chiffre, ident.encode("ascii")))
    nir = donnees.get("nir_assure") if isinstance(donnees, dict) else None
    return nir if isinstance(nir, str) and nir.strip() else None


def reindexer(rotation: Rotation, *, lot: int | None = None, pause: float = 0.0) -> BilanReindexation:
    journal = rotation.journal
    active = journal.cle_index_active
    connues = set(journal.cles_index)
    lot = lot or rotation.lot
    bilan = BilanReindexation()
    apres = 0
    while True:
        with rotation.ecriture, rotation.moteur.begin() as connexion:
            lignes = cles_donnees.a_reindexer(connexion, apres, active, INDEX_INITIALE, lot)
            n_messages = n_dossiers = 0
            for ligne in lignes:
                apres, ident, ancien, repond_a = ligne.seq, ligne.id, ligne.nir_index, ligne.en_reponse_a
                ancienne_cle = ligne.nir_cle or INDEX_INITIALE
                chiffre = Chiffre(ligne.cle_chiffrement, ligne.contenu, ligne.cle_donnees)
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
                if cles_donnees.reindexer_message(connexion, ligne.seq, ancien, neuf, active) == 1:
                    n_messages += 1
                    d, s = cles_donnees.reindexer_suites(connexion, ident, ancien, neuf, active)
                    n_dossiers += d
                    n_messages += s
                    if repond_a is not None:  # the case it answers, whose request may be purged
                        n_dossiers += cles_donnees.reindexer_dossier(connexion, repond_a, ancien, neuf, active)
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
    return cles_donnees.restants(connexion, active, INDEX_INITIALE)
