"""Auditors' search latency on a synthetic journal of 2M entries in SQLite: by NIR, by organisme
(all organismes, and an auditor scoped to two), and the next page by cursor.

    python bench/recherche.py                     # 2,000,000 entries, 300 queries per kind
    python bench/recherche.py --entrees 200000    # quicker
    python bench/recherche.py --base /tmp/j.db    # keep (and reuse) the database file

Target of the issue: "well under a second on a journal of millions of entries (indexes, not
scans)". Rows are bulk-inserted straight into ``journal`` (schema from the migrations, so with
every index of 0003); the queries are the ones ``GET /v1/journal/entrees`` runs
(``passerelle.journal.recherche.rechercher``), without HTTP. The query plans are printed so that
an index scan can be told from a table scan.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from passerelle.journal.ecriture import Journal, horodatage_texte
from passerelle.journal.recherche import Criteres, rechercher
from passerelle.stockage.base import migrer, ouvrir

CLE = bytes(range(32))
DEBUT = datetime(2025, 1, 1, tzinfo=timezone.utc)
CAFS = [f"caf-{n:03d}" for n in range(1, 102)]
CARSATS = [f"carsat-{n:02d}" for n in range(1, 17)]


def _nir(numero: int) -> str:
    debut = f"2{60 + numero % 10:02d}{1 + numero % 12:02d}42{1 + numero % 999:03d}{1 + (numero // 999) % 999:03d}"
    return debut + f"{97 - int(debut) % 97:02d}"


def remplir(chemin: Path, entrees: int, personnes: int) -> None:
    """Bulk insert: one transaction, executemany by 50k; ~1 entry per 15 s over the period."""
    moteur = ouvrir(f"sqlite:///{chemin}")
    migrer(moteur)
    moteur.dispose()
    journal = Journal(CLE)
    index_par_personne = [journal.index_nir(_nir(n)) for n in range(personnes)]
    alea = random.Random(42)
    base = sqlite3.connect(chemin)
    base.execute("PRAGMA journal_mode=WAL")
    base.execute("PRAGMA synchronous=OFF")
    base.execute("PRAGMA cache_size=-262144")
    # Indexes are rebuilt once at the end: far quicker than maintaining them row by row.
    index_sql = base.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='journal' AND sql IS NOT NULL"
    ).fetchall()
    for nom, _ in index_sql:
        base.execute(f'DROP INDEX "{nom}"')
    debut = time.perf_counter()
    lot: list[tuple[object, ...]] = []
    for index in range(entrees):
        caf = alea.choice(CAFS)
        carsat = CARSATS[CAFS.index(caf) % len(CARSATS)]
        sens = alea.random() < 0.7
        emetteur, destinataire = (caf, carsat) if sens else (carsat, caf)
        robot = f"ad-{caf}-{alea.randrange(3)}" if sens and alea.random() < 0.05 else None
        agent = f"agent{alea.randrange(40)}@{emetteur}"
        decision = alea.choice(("accepte", "consulte", "acquitte", "accepte", "refuse"))
        nir_index = index_par_personne[alea.randrange(personnes)]
        instant = DEBUT + timedelta(seconds=index * 15)
        contenu = {
            "v": 1, "horodatage": horodatage_texte(instant), "decision": decision, "flux": "rdc",
            "message": f"{index:08x}-0000-4000-8000-000000000000", "organisme": emetteur,
            "destinataire": destinataire, "cle": f"{emetteur}-2026", "agent": agent, "nir": nir_index,
            "empreinte": "sha-256=:" + "A" * 43 + "=:",
        }
        if robot:
            contenu["robot"] = robot
        octets = json.dumps(contenu, sort_keys=True, separators=(",", ":")).encode()
        lot.append((index, instant.strftime("%Y-%m-%d %H:%M:%S.%f"), octets, decision, None, "rdc", contenu["message"],
                    emetteur, destinataire, contenu["cle"], agent, robot, nir_index))
        if len(lot) == 50_000:
            base.executemany("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", lot)
            lot.clear()
            print(f"\r  {index + 1:>10,} entrées ({time.perf_counter() - debut:.0f} s)", end="", flush=True)
    if lot:
        base.executemany("INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", lot)
    base.execute("UPDATE journal_taille SET taille = ?", (entrees,))
    base.commit()
    print(f"\r  {entrees:,} entrées insérées en {time.perf_counter() - debut:.0f} s; index…", end="", flush=True)
    for _, sql in index_sql:
        base.execute(sql)
    base.execute("ANALYZE")
    base.commit()
    base.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    base.close()
    print(f"\r  {entrees:,} entrées et {len(index_sql)} index en {time.perf_counter() - debut:.0f} s")


def mesurer(nom: str, requetes: int, une: Callable[[int], int]) -> dict[str, float]:
    durees = []
    trouvees = 0
    for i in range(requetes):
        debut = time.perf_counter()
        trouvees += une(i)
        durees.append((time.perf_counter() - debut) * 1000)
    durees.sort()
    resultat = {
        "p50_ms": round(statistics.median(durees), 3),
        "p99_ms": round(durees[min(len(durees) - 1, int(len(durees) * 0.99))], 3),
        "max_ms": round(durees[-1], 3),
        "entrees_par_requete": round(trouvees / requetes, 1),
    }
    print(f"  {nom:44} p50 {resultat['p50_ms']:8.3f} ms   p99 {resultat['p99_ms']:8.3f} ms   "
          f"max {resultat['max_ms']:8.3f} ms   ({resultat['entrees_par_requete']} entrées/requête)")
    return resultat


def main() -> None:
    parametres = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parametres.add_argument("--entrees", type=int, default=2_000_000)
    parametres.add_argument("--personnes", type=int, default=200_000)
    parametres.add_argument("--requetes", type=int, default=300)
    parametres.add_argument("--base", type=Path, default=None, help="fichier SQLite (réutilisé s'il existe)")
    args = parametres.parse_args()
    chemin = args.base or Path(tempfile.mkdtemp(prefix="bench-recherche-")) / "journal.db"
    if not chemin.exists():
        print(f"journal synthétique: {chemin}")
        remplir(chemin, args.entrees, args.personnes)
    moteur = ouvrir(f"sqlite:///{chemin}")
    journal = Journal(CLE)
    alea = random.Random(7)
    with moteur.connect() as c:
        def par_nir(_: int) -> int:
            nir = journal.index_nir(_nir(alea.randrange(args.personnes)))
            return len(rechercher(c, Criteres(nir_index=nir), portee=None).entrees)

        def par_organisme(_: int) -> int:
            return len(rechercher(c, Criteres(organisme=alea.choice(CAFS)), portee=None).entrees)

        def portee_deux(_: int) -> int:
            caf = alea.choice(CAFS)
            portee = (caf, CARSATS[CAFS.index(caf) % len(CARSATS)])
            return len(rechercher(c, Criteres(), portee=portee).entrees)

        def page_suivante(_: int) -> int:
            premiere = rechercher(c, Criteres(organisme=alea.choice(CAFS)), portee=None, limite=50)
            return len(rechercher(c, Criteres(organisme=alea.choice(CAFS)), portee=None,
                                  curseur=premiere.curseur_suivant).entrees)

        def agent_periode(_: int) -> int:
            caf = alea.choice(CAFS)
            du = DEBUT + timedelta(days=alea.randrange(300))
            return len(rechercher(c, Criteres(agent=f"agent{alea.randrange(40)}@{caf}", du=du, au=du + timedelta(days=30)),
                                  portee=None).entrees)

        print(f"\nrecherche, {args.requetes} requêtes par ligne (page de 50, plus récentes d'abord):")
        resultats = {
            "nir": mesurer("par NIR (index aveugle)", args.requetes, par_nir),
            "organisme": mesurer("par organisme (émetteur ou destinataire)", args.requetes, par_organisme),
            "portee_deux_organismes": mesurer("auditeur limité à 2 organismes, sans critère", args.requetes, portee_deux),
            "page_suivante": mesurer("par organisme, 1re puis 2e page (curseur)", args.requetes, page_suivante),
            "agent_periode": mesurer("par agent sur 30 jours", args.requetes, agent_periode),
        }
        print("\nplans (EXPLAIN QUERY PLAN):")
        for sql in (
            "SELECT \"index\", entree FROM journal WHERE nir_index = 'x' AND \"index\" < 10 ORDER BY \"index\" DESC LIMIT 51",
            "SELECT \"index\", entree FROM journal WHERE organisme = 'caf-001' ORDER BY \"index\" DESC LIMIT 51",
            "SELECT \"index\", entree FROM journal WHERE destinataire = 'caf-001' ORDER BY \"index\" DESC LIMIT 51",
        ):
            plan = c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).fetchall()
            print(f"  {sql[:90]}…\n    → {' | '.join(str(p[-1]) for p in plan)}")
    moteur.dispose()
    taille = chemin.stat().st_size / 1e6
    print(f"\n{json.dumps({'entrees': args.entrees, 'base_mo': round(taille), **resultats}, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
