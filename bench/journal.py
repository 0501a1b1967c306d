"""Journal figures: sequencer appends/s, inclusion-proof latency at 1M (10M) leaves, offline
verification of a 1M-entry export.

    python bench/journal.py                       # the three, default sizes
    python bench/journal.py --dix-millions        # also proofs at 10M leaves (a few minutes)
    python bench/journal.py --postgresql URL      # appends also on PostgreSQL

Targets of the issue: ≥ 10,000 appends/s batched; inclusion proof p99 < 2 ms at 1M leaves;
verify 1M entries in < 10 s. Entries are synthetic, ~400 bytes like the gateway's own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from passerelle.journal.merkle import ArbreCompact, hash_feuille, verifier_inclusion
from passerelle.journal.note import (
    Checkpoint,
    cle_verification_texte,
    signer_checkpoint,
)
from passerelle.journal.preuves import preuve_inclusion_stockee
from passerelle.journal.sequenceur import integrer
from passerelle.journal.verificateur import (
    FICHIER_CHECKPOINTS,
    FICHIER_CLE,
    FICHIER_ENTREES,
    FICHIER_FEUILLES,
    FICHIER_MANIFESTE,
    FORMAT,
    VERSION,
    verifier_export,
)
from passerelle.stockage.base import ouvrir
from passerelle.stockage.tables import (
    journal,
    journal_integration,
    journal_taille,
    metadata,
)

ORIGINE = "bench.passerelle/journal"
INSTANT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def entree(i: int) -> bytes:
    """~400 bytes shaped like an ``accepte`` entry (canonical JSON, keys sorted)."""
    aleas = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    return (
        '{"agent":"sophie.bernard@caf-042","cle":"caf-042-2026","convention":"cnaf-cnav-2019",'
        '"decision":"accepte","destinataire":"carsat-ra","details":{"regles":"2023-04-14-lfrss2023"},'
        f'"empreinte":"sha-256=:{aleas[:43]}=:","flux":"rdc",'
        f'"horodatage":"2026-11-23T10:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000000:06d}Z",'
        f'"message":"{aleas[:8]}-{aleas[8:12]}-4{aleas[13:16]}-8{aleas[17:20]}-{aleas[20:32]}",'
        f'"nir":"{aleas}","organisme":"caf-042","v":1}}'
    ).encode()


def _mediane(valeurs: list[float]) -> float:
    return statistics.median(valeurs)


# --------------------------------------------------------------------------- appends/s


def _base_remplie(url: str, n: int) -> sa.Engine:
    moteur = ouvrir(url)
    metadata.drop_all(moteur)
    metadata.create_all(moteur)
    with moteur.begin() as c:
        c.execute(sa.insert(journal_taille).values(id=1, taille=n))
        c.execute(sa.insert(journal_integration).values(id=1, taille=0))
        for debut in range(0, n, 20_000):
            c.execute(sa.insert(journal), [
                {"index": i, "horodatage": INSTANT, "entree": entree(i), "decision": "accepte",
                 "organisme": "caf-042", "destinataire": "carsat-ra", "flux": "rdc"}
                for i in range(debut, min(debut + 20_000, n))
            ])
    return moteur


def bench_ajouts(url: str, n: int, lot: int, repetitions: int) -> None:
    cle = Ed25519PrivateKey.generate()
    debits = []
    for _ in range(repetitions):
        moteur = _base_remplie(url, n)
        debut = time.perf_counter()
        integrees = 0
        while integrees < n:
            with moteur.begin() as c:
                r = integrer(c, cle, ORIGINE, ORIGINE, INSTANT, lot_max=lot, toutes_entrees=1000)
            integrees = r.taille
        debits.append(n / (time.perf_counter() - debut))
        moteur.dispose()
    print(f"séquenceur {moteur.dialect.name}: {n} entrées par lots de {lot} (nœuds insérés, un checkpoint "
          f"signé par lot, fsync à chaque commit) : {_mediane(debits):,.0f} ajouts/s (médiane de {repetitions})")

    entrees = [entree(i) for i in range(n)]
    bruts = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        arbre = ArbreCompact()
        for d in range(0, n, lot):
            arbre, _ = arbre.ajouter([hash_feuille(e) for e in entrees[d : d + lot]])
        bruts.append(n / (time.perf_counter() - debut))
    print(f"  coût brut en mémoire (hash des feuilles + ArbreCompact.ajouter) : {_mediane(bruts):,.0f} ajouts/s")


# --------------------------------------------------------------------------- proofs


def _arbre_sqlite(chemin: Path, n: int) -> bytes:
    """Every complete subtree of an n-leaf tree, bulk-inserted: what the sequencer would store."""
    moteur = ouvrir(f"sqlite:///{chemin}")
    metadata.create_all(moteur)
    moteur.dispose()
    connexion = sqlite3.connect(chemin)
    connexion.execute("PRAGMA journal_mode=WAL")
    connexion.execute("PRAGMA synchronous=OFF")  # building the fixture only
    arbre = ArbreCompact()
    for debut in range(0, n, 100_000):
        feuilles = [hash_feuille(entree(i)) for i in range(debut, min(debut + 100_000, n))]
        arbre, crees = arbre.ajouter(feuilles)
        connexion.executemany('INSERT INTO journal_noeuds (niveau, "index", hash) VALUES (?, ?, ?)',
                              [(c.niveau, c.index, c.hash) for c in crees])
    connexion.execute("INSERT INTO journal_integration (id, taille) VALUES (1, ?)", (n,))
    connexion.commit()
    connexion.close()
    return arbre.racine()


def bench_preuves(n: int, echantillon: int) -> None:
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / "arbre.db"
        debut = time.perf_counter()
        racine = _arbre_sqlite(chemin, n)
        construction = time.perf_counter() - debut
        moteur = ouvrir(f"sqlite:///{chemin}")
        alea = random.Random(7)
        durees, cpu = [], []
        with moteur.connect() as c:
            for _ in range(200):  # warm-up: SQLAlchemy's statement cache, SQLite's page cache
                preuve_inclusion_stockee(c, alea.randrange(n), n)
            for _ in range(echantillon):
                index = alea.randrange(n)
                t, u = time.perf_counter(), time.thread_time()
                preuve = preuve_inclusion_stockee(c, index, n)
                durees.append(time.perf_counter() - t)
                cpu.append(time.thread_time() - u)
                if len(durees) <= 50:
                    verifier_inclusion(index, n, hash_feuille(entree(index)), preuve.chemin, racine)
        moteur.dispose()

    def centiles(valeurs: list[float]) -> str:
        valeurs = sorted(valeurs)
        return f"p50 {valeurs[len(valeurs) // 2] * 1000:.3f} ms, p99 {valeurs[int(len(valeurs) * 0.99)] * 1000:.3f} ms"

    print(f"preuve d'inclusion, {n:,} feuilles (SQLite, {2 * n - n.bit_count():,} nœuds, construits en "
          f"{construction:.0f} s), {echantillon} preuves : temps réel {centiles(durees)} ; "
          f"temps processeur {centiles(cpu)}")


# --------------------------------------------------------------------------- offline verification


def _export_synthetique(dossier: Path, n: int, tous: int) -> None:
    cle = Ed25519PrivateKey.generate()
    arbre = ArbreCompact()
    notes = []
    with open(dossier / FICHIER_ENTREES, "wb") as f_e, open(dossier / FICHIER_FEUILLES, "wb") as f_f:
        for debut in range(0, n, tous):
            octets = [entree(i) for i in range(debut, min(debut + tous, n))]
            feuilles = [hash_feuille(e) for e in octets]
            arbre, _ = arbre.ajouter(feuilles)
            f_e.write(b"".join(e + b"\n" for e in octets))
            f_f.write(b"".join(feuilles))
            note = signer_checkpoint(Checkpoint(ORIGINE, arbre.taille, arbre.racine()), ORIGINE, cle)
            notes.append(json.dumps(note, ensure_ascii=False) + "\n")
    (dossier / FICHIER_CHECKPOINTS).write_text("".join(notes), encoding="utf-8")
    publique = cle.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    (dossier / FICHIER_CLE).write_text(cle_verification_texte(ORIGINE, publique) + "\n", encoding="utf-8")
    (dossier / FICHIER_MANIFESTE).write_text(json.dumps({
        "format": FORMAT, "version": VERSION, "origine": ORIGINE, "entrees": n, "checkpoints": len(notes),
        "exporte_le": "2026-11-23T10:00:00.000000Z",
    }))


def bench_verification(n: int, tous: int, repetitions: int) -> None:
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier)
        _export_synthetique(chemin, n, tous)
        taille = sum(f.stat().st_size for f in chemin.iterdir())
        durees = []
        for _ in range(repetitions):
            t = time.perf_counter()
            rapport = verifier_export(chemin)
            durees.append(time.perf_counter() - t)
            assert rapport.ok, rapport.texte()
    print(f"vérification hors ligne, {n:,} entrées ({taille / 1e6:.0f} Mo, un checkpoint toutes les {tous} "
          f"entrées, {n // tous} signatures) : {_mediane(durees):.2f} s (médiane de {repetitions})")


def main() -> None:
    parseur = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parseur.add_argument("--ajouts", type=int, default=200_000)
    parseur.add_argument("--lot", type=int, default=10_000)
    parseur.add_argument("--feuilles", type=int, default=1_000_000)
    parseur.add_argument("--dix-millions", action="store_true")
    parseur.add_argument("--verification", type=int, default=1_000_000)
    parseur.add_argument("--repetitions", type=int, default=3)
    parseur.add_argument("--postgresql", help="URL d'une base PostgreSQL jetable (ses tables sont recréées)")
    args = parseur.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} processeurs")
    with tempfile.TemporaryDirectory() as dossier:
        bench_ajouts(f"sqlite:///{dossier}/ajouts.db", args.ajouts, args.lot, args.repetitions)
    if args.postgresql:
        bench_ajouts(args.postgresql, args.ajouts, args.lot, args.repetitions)
    bench_preuves(args.feuilles, 2000)
    if args.dix_millions:
        bench_preuves(10_000_000, 2000)
    bench_verification(args.verification, 1000, args.repetitions)


if __name__ == "__main__":
    main()
