"""After an at-rest key rotation: every live message brought under the active key.

An envelope row (its own data key) only has its 40-byte data key re-wrapped; a row from before
envelopes is decrypted and put in an envelope. The pass walks the messages by sequence number in
short transactions (``rotation_lot`` rows), each journaled with what it moved; it is resumable by
construction (it looks for rows not yet under the active key) and safe to run on several
replicas at once (rows another replica holds are skipped, each update checks the row is still
what it read). Purged rows have nothing left to re-encrypt.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from passerelle.cycle_cles.rotation import Rotation
from passerelle.journal.ecriture import Decision
from passerelle.stockage.chiffrement import Chiffre, CleInconnue
from passerelle.stockage.tables import messages


@dataclass
class BilanRechiffrement:
    messages: int = 0
    enveloppes_creees: int = 0  # rows from before envelopes, now in one
    par_cle: Counter[str] = field(default_factory=Counter)  # the keys they were under
    illisibles: Counter[str] = field(default_factory=Counter)  # rows under a key the secrets lack
    transactions: int = 0


def a_rechiffrer(active: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        messages.c.purge_le.is_(None),
        sa.or_(messages.c.cle_chiffrement != active, messages.c.cle_donnees.is_(None)),
    )


def rechiffrer(rotation: Rotation, *, lot: int | None = None, pause: float = 0.0,
               limite: int | None = None) -> BilanRechiffrement:
    """One pass over the messages (or ``limite`` rows at most); returns what it did."""
    coffre = rotation.coffre
    lot = lot or rotation.lot
    bilan = BilanRechiffrement()
    apres = 0
    while limite is None or bilan.messages < limite:
        taille = lot if limite is None else min(lot, limite - bilan.messages)
        with rotation.ecriture, rotation.moteur.begin() as connexion:
            lignes = connexion.execute(
                sa.select(messages.c.seq, messages.c.id, messages.c.contenu, messages.c.cle_chiffrement,
                          messages.c.cle_donnees)
                .where(messages.c.seq > apres, a_rechiffrer(coffre.active))
                .order_by(messages.c.seq).limit(taille).with_for_update(skip_locked=True)
            ).all()
            faits: Counter[str] = Counter()
            creees = 0
            for seq, ident, contenu, cle, cle_donnees in lignes:
                apres = seq
                ancien = Chiffre(cle, bytes(contenu), bytes(cle_donnees) if cle_donnees is not None else None)
                try:
                    neuf = coffre.reenvelopper(ancien, ident.encode("ascii"))
                except CleInconnue:
                    bilan.illisibles[cle] += 1
                    continue
                garde = [messages.c.seq == seq, messages.c.cle_chiffrement == cle, messages.c.purge_le.is_(None)]
                garde.append(messages.c.cle_donnees.is_(None) if cle_donnees is None else messages.c.cle_donnees.is_not(None))
                change = connexion.execute(
                    sa.update(messages).where(*garde)
                    .values(contenu=neuf.octets, cle_chiffrement=neuf.cle, cle_donnees=neuf.cle_donnees)
                )
                if change.rowcount == 1:
                    faits[cle] += 1
                    creees += cle_donnees is None
            if faits:
                rotation.journal.ecrire(connexion, Decision(
                    decision="rechiffrement",
                    horodatage=rotation.horloge(),
                    details={
                        "cle": coffre.active,
                        "messages": sum(faits.values()),
                        "avant": dict(sorted(faits.items())),
                        "enveloppes_creees": creees,
                        "seq_jusqu_a": apres,
                    },
                ))
                bilan.transactions += 1
        bilan.messages += sum(faits.values())
        bilan.enveloppes_creees += creees
        bilan.par_cle.update(faits)
        if len(lignes) < taille:
            break
        if pause:
            time.sleep(pause)
    return bilan
