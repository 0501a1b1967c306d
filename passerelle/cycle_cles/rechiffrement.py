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

from passerelle.cycle_cles.rotation import Rotation
from passerelle.journal.ecriture import Decision
from passerelle.stockage import cles_donnees
from passerelle.stockage.chiffrement import Chiffre, CleInconnue


@dataclass
class BilanRechiffrement:
    messages: int = 0
    enveloppes_creees: int = 0  # rows from before envelopes, now in one
    par_cle: Counter[str] = field(default_factory=Counter)  # the keys they were under
    illisibles: Counter[str] = field(default_factory=Counter)  # rows under a key the secrets lack
    transactions: int = 0


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
            lignes = cles_donnees.a_rechiffrer(connexion, apres, coffre.active, taille)
            faits: Counter[str] = Counter()
            creees = 0
            for ligne in lignes:
                apres = ligne.seq
                ancien = Chiffre(ligne.cle, ligne.contenu, ligne.cle_donnees)
                try:
                    neuf = coffre.reenvelopper(ancien, ligne.id.encode("ascii"))
                except CleInconnue:
                    bilan.illisibles[ligne.cle] += 1
                    continue
                if cles_donnees.remplacer_chiffre(connexion, ligne, neuf.octets, neuf.cle, neuf.cle_donnees):
                    faits[ligne.cle] += 1
                    creees += ligne.cle_donnees is None
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
