#!/usr/bin/env python
"""Instructions executed per accepted message, counted by valgrind's callgrind: an A/B measure
that a busy machine does not blur (repeatable to a few tenths of a percent, where wall-clock
and CPU-time figures of ``accept.py`` move by 10 to 20 % from one run to the next).

The gateway runs in this process (``create_app`` in development mode, the repository's
``config/``, a fresh SQLite file or a throwaway PostgreSQL schema, background workers off),
driven through ``httpx.ASGITransport``: no network, no server process. Every request is signed
before counting starts (``signer_requete``, key ``caf-042-dev-2026``, fresh nonce each), the same
``rdc`` body for all. Instrumentation is switched on (``callgrind_control -i on``) only after
start-up and the warm-up requests, so the count covers N acceptances: the route, the pipeline,
the group commit, the signed receipt — and the in-process HTTP client, the same for every
variant. It does not count PostgreSQL's own work (another process) nor time spent waiting.

Every answer must be a 202; the count is printed as instructions per message. To compare two
versions, run this script from each checkout (or with ``PYTHONPATH`` on the other one).

    python bench/instructions.py [--requetes 200] [--echauffement 50] [--base postgresql+psycopg://…/test]
"""

from __future__ import annotations

import argparse
import binascii
import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
if str(RACINE) not in sys.path:
    sys.path.insert(0, str(RACINE))

KEYID = "caf-042-dev-2026"
CHEMIN = "/v1/flux/rdc"
# The C function of the busy wait while callgrind_control switches counting on: the gateway never
# calls it, it calls nothing, and its own cost is taken off the total (callgrind_annotate), so the
# wait, whose length depends on scheduling, does not blur the figure.
ATTENTE = "binascii_crc_hqx"


def _signer(cle, corps: bytes, n: int) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    from passerelle.signature.signature import signer_requete

    maintenant = int(time.time())
    lot = []
    for _ in range(n):
        entetes = {"Content-Type": "application/json", "Passerelle-Agent": "bench.instructions@caf-042"}
        entetes.update(signer_requete(methode="POST", chemin=CHEMIN, requete="", entetes=entetes, corps=corps,
                                      cle=cle, keyid=KEYID, maintenant=maintenant, nonce=secrets.token_urlsafe(16)))
        lot.append(entetes)
    return lot


def _instrumenter() -> None:
    """Switch callgrind's instrumentation on for this process. callgrind_control talks to the
    process through valgrind's gdbserver, which this process only polls while it runs code:
    keep it busy meanwhile rather than blocked in a wait."""
    fini = threading.Event()
    resultat: list[subprocess.CompletedProcess[bytes]] = []

    def appeler() -> None:
        resultat.append(subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True))
        fini.set()

    threading.Thread(target=appeler, daemon=True).start()
    tampon = bytes(1 << 17)
    while not fini.is_set():  # the time this takes varies: its cost is left out of the count (ATTENTE)
        binascii.crc_hqx(tampon, 0)
    if resultat[0].returncode != 0:
        raise RuntimeError(f"callgrind_control: {resultat[0].stderr.decode(errors='replace')}")


def enfant(args: argparse.Namespace) -> int:
    """Runs under valgrind: the gateway in-process, N acceptances counted."""
    import httpx

    from passerelle.annuaire.cles import lire_privee_pem
    from passerelle.app import create_app
    from passerelle.reglages import Mode, Reglages
    from passerelle.services import construire_services
    from tests.catalogue.exemples import exemple_rdc

    config = Path(args.dossier) / "config"
    shutil.copytree(RACINE / "config", config)
    reglages = Reglages(mode=Mode.developpement, base=args.url, config=config, travaux_de_fond=False)
    services = construire_services(reglages)
    app = create_app(services=services)
    cle = lire_privee_pem((config / "developpement" / "cles" / f"{KEYID}.pem").read_bytes())
    corps = json.dumps(exemple_rdc(aujourd_hui=datetime.now(UTC).date()), ensure_ascii=False).encode("utf-8")
    echauffement, mesurees = _signer(cle, corps, args.echauffement), _signer(cle, corps, args.requetes)

    async def envoyer(client: httpx.AsyncClient, lot: list[dict[str, str]]) -> list[int]:
        return [(await client.post(CHEMIN, content=corps, headers=entetes)).status_code for entetes in lot]

    async def principal() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://passerelle") as client:
                statuts = await envoyer(client, echauffement)
                _instrumenter()
                statuts += await envoyer(client, mesurees)
        return statuts

    statuts = asyncio.run(principal())
    services.moteur.dispose()
    autres = [s for s in statuts if s != 202]
    if autres:
        print(f"INVALIDE: {len(autres)} réponses autres que 202 ({sorted(set(autres))})", file=sys.stderr)
        return 1
    return 0


def _base(option: str | None, dossier: Path) -> tuple[str, str, object]:
    if option is None:
        return f"sqlite:///{dossier / 'bench.db'}", "SQLite", None
    import sqlalchemy as sa

    schema = f"bench_instr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(option)
    with admin.begin() as connexion:
        connexion.execute(sa.text(f"CREATE SCHEMA {schema}"))
    return f"{option}{'&' if '?' in option else '?'}options=-csearch_path%3D{schema}", "PostgreSQL", (admin, schema)


def main() -> int:
    analyse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    analyse.add_argument("--requetes", type=int, default=200, help="acceptations comptées (200)")
    analyse.add_argument("--echauffement", type=int, default=50, help="acceptations avant le comptage (50)")
    analyse.add_argument("--base", default=None, help="URL PostgreSQL (schéma jetable); par défaut SQLite")
    analyse.add_argument("--enfant", action="store_true", help=argparse.SUPPRESS)
    analyse.add_argument("--url", help=argparse.SUPPRESS)
    analyse.add_argument("--dossier", help=argparse.SUPPRESS)
    args = analyse.parse_args()
    if args.requetes < 1 or args.echauffement < 0:
        analyse.error("--requetes ≥ 1 et --echauffement ≥ 0")
    if args.enfant:
        return enfant(args)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (callgrind) est nécessaire: apt install valgrind", file=sys.stderr)
        return 2
    dossier = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    url, nom, nettoyage = _base(args.base, dossier)
    sortie = dossier / "callgrind.out"
    try:
        debut = time.monotonic()
        fini = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={sortie}",
             sys.executable, __file__, "--enfant", "--url", url, "--dossier", str(dossier),
             "--requetes", str(args.requetes), "--echauffement", str(args.echauffement)],
            capture_output=True, cwd=RACINE, text=True,
        )  # fmt: skip
        if fini.returncode != 0:
            print(fini.stderr[-3000:], file=sys.stderr)
            return 1
        texte = sortie.read_text(errors="replace")
        total = re.search(r"^(?:totals|summary):\s+(\d+)", texte, re.MULTILINE)
        if total is None:
            print("compte de callgrind introuvable", file=sys.stderr)
            return 1
        annote = subprocess.run(["callgrind_annotate", "--threshold=100", str(sortie)], capture_output=True, text=True)
        attente = [int(n.replace(",", "")) for n in re.findall(rf"^\s*([\d,]+)\s.*:{ATTENTE}\b", annote.stdout, re.MULTILINE)]
        if annote.returncode != 0:  # no line for it: the wait ended before counting began
            print(f"callgrind_annotate: {annote.stderr[-2000:]}", file=sys.stderr)
            return 1
        par_message = (int(total.group(1)) - sum(attente)) / args.requetes
        print(f"{nom}: {par_message / 1e6:.3f} M instructions par message accepté "
              f"({args.requetes} comptés après {args.echauffement} d'échauffement; {time.monotonic() - debut:.0f} s "
              f"sous valgrind; racine {RACINE})")
        return 0
    finally:
        if nettoyage is not None:
            import sqlalchemy as sa

            admin, schema = nettoyage  # type: ignore[misc]
            with admin.begin() as connexion:
                connexion.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
        shutil.rmtree(dossier, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
