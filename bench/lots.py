#!/usr/bin/env python
"""Batch figure: lines/s accepted for a 200,000-line ``rdc`` batch, against a raw batched SQLite
insert of the very same rows, in the same run.

Accept side (what is measured): ``POST /v1/lots/rdc`` to a real ``passerelle serve`` process
(SQLite, WAL + synchronous=FULL), the NDJSON body streamed from disk by the reference client —
from the first byte sent to the last byte of the signed per-line answer. It includes spooling the
body while hashing it, the RFC 9421 check, and for every line the whole accept path of a single
message (strict JSON, model, business rules, legal-age window, convention, routing, AES-GCM
encryption, journal entry) committed in chunks of ``lot_tranche`` lines. The background workers
(sequencer, delivery) run, as in production (``--sans-travaux`` stops them: the sequencer then
no longer competes for the one SQLite writer). Server CPU per line (user + system of the
gateway process, all threads) is printed beside the rate. The lines are valid ``rdc`` messages for *today* (tests/catalogue/exemples),
each a distinct fictional person; the gateway runs on its real clock, so no clock is faked.

Raw side (the floor): the ``messages`` and ``journal`` rows the gateway wrote, read back and
prebuilt in memory before the clock starts, then inserted into a fresh base of the same schema
(same indexes) with ``executemany``, one transaction per chunk of the same size, same PRAGMAs
(WAL, synchronous=FULL). Its rate is expressed in batch lines/s (one message row + one journal
row per line).

Peak RSS of the accepting process (VmHWM of the server) is printed beside the body size, to show
that the batch is streamed, not held in memory. ``--profil N`` profiles the accept of N lines
in-process (cProfile, ``traiter_lot`` called directly on a fixed clock) and prints the top costs.

    python bench/lots.py [--lignes 200000] [--tranche 500] [--sans-travaux] [--profil 20000]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
if str(RACINE) not in sys.path:
    sys.path.insert(0, str(RACINE))

import httpx
import sqlalchemy as sa

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client import ClientPasserelle
from passerelle.stockage.tables import journal, messages, metadata
from tests.catalogue.exemples import exemple_rdc, naissance_dans_fenetre, nir_fictif

KEYID = "caf-042-dev-2026"
CIBLE_RATIO = 0.5  # issue 12: batch lines at least half the raw insert, workers running


def ecrire_lot(chemin: Path, lignes: int, aujourd_hui: date) -> int:
    """N valid rdc lines, a distinct fictional person each; streamed to disk. Returns bytes."""
    naissance = naissance_dans_fenetre("rdc", aujourd_hui)
    with chemin.open("wb") as fichier:
        for i in range(lignes):
            commune, ordre = divmod(i, 999)
            nir = nir_fictif(naissance, commune=f"{1 + commune % 998:03d}", ordre=f"{ordre + 1:03d}")
            donnees = exemple_rdc(naissance=naissance, nir_assure=nir, reference=f"bench-{i}")
            fichier.write(json.dumps(donnees, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
    return chemin.stat().st_size


def _port_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vmhwm(pid: int) -> int:
    """Peak resident set size of a process, in bytes (Linux /proc)."""
    for ligne in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ligne.startswith("VmHWM:"):
            return int(ligne.split()[1]) * 1024
    return 0


def _cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by ``pid``."""
    champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")


def accepter_par_http(dossier: Path, config: Path, lot: Path, tranche: int, travaux: bool, base: str) -> tuple[float, dict, tuple[int, int], float]:  # type: ignore[type-arg]
    port = _port_libre()
    env = {**os.environ, "PASSERELLE_LOT_TRANCHE": str(tranche), "PASSERELLE_TRAVAUX_DE_FOND": str(travaux).lower()}
    journal_serveur = (dossier / "passerelle.log").open("wb")
    serveur = subprocess.Popen(
        [sys.executable, "-m", "passerelle.cli", "serve", "--developpement", "--port", str(port),
         "--base", base, "--config", str(config)],
        stdout=journal_serveur, stderr=subprocess.STDOUT, cwd=dossier, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/sante", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("la passerelle n'a pas démarré: " + (dossier / "passerelle.log").read_text()[-2000:])
        au_repos = _vmhwm(serveur.pid)
        cle = lire_privee_pem((config / "developpement" / "cles" / f"{KEYID}.pem").read_bytes())
        with ClientPasserelle(url, cle, KEYID, "bench.lots@caf-042", timeout=None) as client:  # type: ignore[arg-type]
            debut, cpu_debut = time.perf_counter(), _cpu(serveur.pid)
            reponse = client.envoyer_lot("rdc", lot, cle_lot=f"bench-{int(time.time())}")
            duree, cpu = time.perf_counter() - debut, _cpu(serveur.pid) - cpu_debut
        if reponse.statut != 200:
            raise RuntimeError(f"lot refusé: {reponse.statut} {reponse.donnees}")
        return duree, reponse.donnees["resume"], (au_repos, _vmhwm(serveur.pid)), cpu
    finally:
        serveur.send_signal(signal.SIGTERM)
        try:
            serveur.wait(30)
        except subprocess.TimeoutExpired:
            serveur.kill()
        journal_serveur.close()


def lignes_ecrites(base: str, tranche: int) -> tuple[list[tuple[list[tuple], list[tuple]]], list[str], list[str]]:  # type: ignore[type-arg]
    """The messages and journal rows of the accepted lines, as the gateway wrote them, in chunks."""
    colonnes_m = [c.name for c in messages.columns if c.name != "seq"]
    colonnes_j = [c.name for c in journal.columns]
    moteur = sa.create_engine(base)
    with moteur.connect() as source:
        lignes_m = [tuple(r) for r in source.execute(
            sa.select(*(messages.c[c] for c in colonnes_m)).order_by(messages.c.seq))]
        par_message = {r[0]: tuple(r) for r in source.execute(
            sa.select(journal.c.message_id, *(journal.c[c] for c in colonnes_j)).where(journal.c.decision == "accepte"))}
    moteur.dispose()
    tranches = []
    for debut in range(0, len(lignes_m), tranche):
        bloc = lignes_m[debut : debut + tranche]
        tranches.append((bloc, [par_message[m[0]][1:] for m in bloc]))
    return tranches, colonnes_m, colonnes_j


def inserer_brut_postgresql(url: str, tranches: list, colonnes_m: list[str], colonnes_j: list[str]) -> float:  # type: ignore[type-arg]
    """The same rows into an empty schema of the same tables: one transaction per chunk, each
    table's rows in one executemany (SQLAlchemy's multi-row insert over psycopg)."""
    moteur = sa.create_engine(url)
    metadata.create_all(moteur)
    try:
        debut = time.perf_counter()
        for bloc_m, bloc_j in tranches:
            with moteur.begin() as connexion:
                connexion.execute(messages.insert(), [dict(zip(colonnes_m, r, strict=True)) for r in bloc_m])
                connexion.execute(journal.insert(), [dict(zip(colonnes_j, r, strict=True)) for r in bloc_j])
        return time.perf_counter() - debut
    finally:
        moteur.dispose()


def schema_jetable(url: str) -> tuple[str, Callable[[], None]]:
    """A URL on a fresh PostgreSQL schema, and what drops it."""
    schema = f"bench_lots_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connexion:
        connexion.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def supprimer() -> None:
        with admin.begin() as connexion:
            connexion.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", supprimer


def inserer_brut(dossier: Path, tranches: list, colonnes_m: list[str], colonnes_j: list[str]) -> float:  # type: ignore[type-arg]
    cible = dossier / "brut.db"
    moteur = sa.create_engine(f"sqlite:///{cible}")
    metadata.create_all(moteur)  # same tables, same indexes
    moteur.dispose()
    connexion = sqlite3.connect(cible, isolation_level=None)
    connexion.execute("PRAGMA journal_mode=WAL")
    connexion.execute("PRAGMA synchronous=FULL")
    sql_m = f"INSERT INTO messages ({', '.join(colonnes_m)}) VALUES ({', '.join('?' * len(colonnes_m))})"
    sql_j = (f"INSERT INTO journal ({', '.join(chr(34) + c + chr(34) for c in colonnes_j)}) "
             f"VALUES ({', '.join('?' * len(colonnes_j))})")
    debut = time.perf_counter()
    for bloc_m, bloc_j in tranches:
        connexion.execute("BEGIN IMMEDIATE")
        connexion.executemany(sql_m, bloc_m)
        connexion.executemany(sql_j, bloc_j)
        connexion.execute("COMMIT")
    duree = time.perf_counter() - debut
    connexion.close()
    return duree


def profiler(dossier: Path, config: Path, lignes: int, tranche: int) -> str:
    """cProfile of the accept of ``lignes`` lines, in-process (traiter_lot on a fixed clock)."""
    from passerelle.reception.etapes import Requete
    from passerelle.reception.lots import NDJSON, traiter_lot
    from passerelle.reception.refus import Connu, ContexteRequete
    from passerelle.reglages import Mode, Reglages
    from passerelle.services import construire_services
    from passerelle.signature.base import MessageHttp
    from passerelle.signature.contenu import CorpsHache, empreinte_de
    from passerelle.signature.signature import signer_requete

    instant = datetime.now(UTC)
    lot = dossier / "profil.ndjson"
    ecrire_lot(lot, lignes, instant.date())
    reglages = Reglages(mode=Mode.developpement, base=f"sqlite:///{dossier / 'profil.db'}", config=config,
                        travaux_de_fond=False, lot_tranche=tranche)
    services = construire_services(reglages, horloge=lambda: instant)
    hache = CorpsHache()
    with lot.open("rb") as f:
        while morceau := f.read(1 << 16):
            hache.ajouter(morceau)
    entetes = {"content-type": "application/x-ndjson", "idempotency-key": "profil", "passerelle-agent": "bench"}
    cle = lire_privee_pem((config / "developpement" / "cles" / f"{KEYID}.pem").read_bytes())
    entetes.update({k.lower(): v for k, v in signer_requete(
        methode="POST", chemin="/v1/lots/rdc", requete="", entetes=entetes, corps=hache, cle=cle, keyid=KEYID,
        maintenant=int(instant.timestamp())).items()})
    message = MessageHttp("POST", "/v1/lots/rdc", "", entetes)
    profil = cProfile.Profile()
    debut = time.perf_counter()
    profil.enable()
    requete = Requete(ContexteRequete("lot", "profil", KEYID, empreinte_de(hache)), message, hache, Connu(flux="rdc"))
    resultat = traiter_lot(services.chemin, requete, lot, "rdc", "profil", NDJSON)
    profil.disable()
    duree = time.perf_counter() - debut
    services.moteur.dispose()
    sortie = io.StringIO()
    statistiques = pstats.Stats(profil, stream=sortie)
    statistiques.sort_stats("tottime").print_stats(25)
    statistiques.sort_stats("cumulative").print_stats(30)
    return (f"profil en processus: {resultat.resume['acceptees']} lignes en {duree:.1f} s sous cProfile "
            f"({resultat.resume['acceptees'] / duree:,.0f} lignes/s, ralenti par le profileur)\n" + sortie.getvalue())


def main() -> int:
    parseur = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parseur.add_argument("--lignes", type=int, default=200_000)
    parseur.add_argument("--tranche", type=int, default=500, help="lignes par transaction (PASSERELLE_LOT_TRANCHE)")
    parseur.add_argument("--sans-travaux", action="store_true",
                         help="arrêter le séquenceur et le livreur pendant le lot (par défaut ils tournent, comme en production)")
    parseur.add_argument("--base", default=None,
                         help="URL PostgreSQL (p. ex. postgresql+psycopg://postgres@127.0.0.1:5432/test): passerelle et "
                         "insertion brute y travaillent chacune dans un schéma jetable; par défaut SQLite")
    parseur.add_argument("--profil", type=int, default=0, help="profiler l'acceptation de N lignes en processus")
    parseur.add_argument("--garder", type=Path, help="dossier de travail à garder (sinon temporaire)")
    args = parseur.parse_args()
    dossier = args.garder or Path(tempfile.mkdtemp(prefix="bench-lots-"))
    dossier.mkdir(parents=True, exist_ok=True)
    config = dossier / "config"
    if not config.exists():
        shutil.copytree(RACINE / "config", config)
    nettoyages: list[Callable[[], None]] = []
    try:
        if args.profil:
            print(profiler(dossier, config, args.profil, args.tranche))
            return 0
        lot = dossier / "lot.ndjson"
        t0 = time.perf_counter()
        octets = ecrire_lot(lot, args.lignes, date.today())
        print(f"lot: {args.lignes:,} lignes rdc valides, {octets / 1e6:,.0f} Mo (écrit en {time.perf_counter() - t0:.0f} s)")
        if args.base:
            base, supprimer = schema_jetable(args.base)
            nettoyages.append(supprimer)
            nom_base = "PostgreSQL"
        else:
            base, nom_base = f"sqlite:///{dossier / 'passerelle.db'}", "SQLite WAL+FULL"
        duree, resume, rss, cpu = accepter_par_http(dossier, config, lot, args.tranche, not args.sans_travaux, base)
        if resume["acceptees"] != args.lignes:
            print(f"INVALIDE: {resume}")
            return 1
        accept = args.lignes / duree
        tranches, colonnes_m, colonnes_j = lignes_ecrites(base, args.tranche)
        cpu_brut_debut = time.process_time()
        if args.base:
            cible, supprimer = schema_jetable(args.base)
            nettoyages.append(supprimer)
            brut_duree = inserer_brut_postgresql(cible, tranches, colonnes_m, colonnes_j)
        else:
            brut_duree = inserer_brut(dossier, tranches, colonnes_m, colonnes_j)
        cpu_brut = time.process_time() - cpu_brut_debut
        brut = args.lignes / brut_duree
        ratio = accept / brut
        travaux = "travaux de fond arrêtés" if args.sans_travaux else "séquenceur et livreur actifs"
        print(f"acceptation (POST /v1/lots/rdc, processus réel, {nom_base}, tranches de {args.tranche}, {travaux}):")
        print(f"  {args.lignes:,} lignes en {duree:.1f} s = {accept:,.0f} lignes/s; "
              f"CPU serveur {1e6 * cpu / args.lignes:,.0f} µs par ligne")
        print(f"  pic RSS du serveur: {rss[1] / 1e6:,.0f} Mo (démarré: {rss[0] / 1e6:,.0f} Mo) pour un corps de "
              f"{octets / 1e6:,.0f} Mo : le lot n'est pas tenu en mémoire")
        print(f"insertion brute des mêmes lignes (messages + journal, executemany par {args.tranche}, {nom_base}):")
        print(f"  {args.lignes:,} lignes en {brut_duree:.1f} s = {brut:,.0f} lignes/s; "
              f"CPU {1e6 * cpu_brut / args.lignes:,.0f} µs par ligne")
        print(f"ratio acceptation / insertion brute = {ratio:.3f} (cible ≥ {CIBLE_RATIO}); "
              f"CPU par ligne: {cpu / max(cpu_brut, 1e-9):.1f}× l'insertion brute; charge moyenne "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return 0 if ratio >= CIBLE_RATIO else 2
    finally:
        for nettoyer in nettoyages:
            try:
                nettoyer()
            except Exception as exc:  # noqa: BLE001
                print(f"nettoyage impossible: {exc}", file=sys.stderr)
        if args.garder is None:
            shutil.rmtree(dossier, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
