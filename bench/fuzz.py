#!/usr/bin/env python
"""Deep fuzzing run: schemathesis-generated requests against the gateway's own OpenAPI document.

The same generator and checks as the suite's ``tests/contrat/test_fuzz.py`` (see
``tests/contrat/fuzz.py``: requests signed RFC 9421 + RFC 9530 as the contract says with a key a
convention allows, plus unsigned, altered, stale, foreign-key, replayed and auditor requests),
but randomized and long, against a gateway in-process on a fresh database (SQLite in a temporary
folder, or a throwaway PostgreSQL schema) and the repository's example configuration, on the real
clock. It prints the counts by status and by problem code, every anomaly with a request to
replay, checks that the journal still verifies offline, and exits 1 on any 5xx, any refusal
without a problem ``code``, any answer the document does not describe, or a journal that does not
verify.

    python bench/fuzz.py [--requetes 20000] [--graine N] [--postgresql [URL]]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(RACINE))

import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from passerelle.app import create_app  # noqa: E402
from passerelle.reglages import Mode, Reglages  # noqa: E402
from passerelle.services import construire_services  # noqa: E402
from tests.contrat.fuzz import Fuzzeur  # noqa: E402

URL_POSTGRESQL = os.environ.get("PASSERELLE_TEST_POSTGRESQL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class HorlogeReelle:
    """The machine's clock, with the ``timestamp()`` the fuzzer signs with."""

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc)

    def timestamp(self) -> float:
        return time.time()


@dataclass
class Passerelle:
    services: object
    client: object
    config: Path
    horloge: HorlogeReelle


@contextmanager
def base(dossier: Path, postgresql: str | None) -> Iterator[str]:
    if postgresql is None:
        yield f"sqlite:///{dossier / 'passerelle.db'}"
        return
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgresql)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{postgresql}{'&' if '?' in postgresql else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requetes", type=int, default=20_000, help="nombre de cas générés (défaut 20000)")
    parser.add_argument("--graine", type=int, default=None, help="graine de Hypothesis (défaut: au hasard)")
    parser.add_argument("--postgresql", nargs="?", const=URL_POSTGRESQL, default=None,
                        help="PostgreSQL (schéma jetable) au lieu de SQLite; URL facultative")
    args = parser.parse_args()
    graine = args.graine if args.graine is not None else int.from_bytes(os.urandom(4), "big")
    dossier = Path(tempfile.mkdtemp(prefix="passerelle-fuzz-"))
    try:
        shutil.copytree(RACINE / "config", dossier / "config")
        with base(dossier, args.postgresql) as url:
            horloge = HorlogeReelle()
            reglages = Reglages(mode=Mode.developpement, base=url, config=dossier / "config", travaux_de_fond=False)
            services = construire_services(reglages, horloge=horloge)
            with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
                fuzzeur = Fuzzeur(Passerelle(services, client, dossier / "config", horloge), lever=False)
                fuzzeur.preparer()
                debut = time.perf_counter()

                @seed(graine)
                @settings(max_examples=args.requetes, deadline=None, database=None, phases=[Phase.generate],
                          suppress_health_check=list(HealthCheck))
                @given(data=st.data())
                def un_cas(data):  # type: ignore[no-untyped-def]
                    fuzzeur.cas(data)
                    if fuzzeur.bilan.requetes % 1000 == 0:
                        print(f"  … {fuzzeur.bilan.requetes} requêtes, {time.perf_counter() - debut:.0f} s", flush=True)

                un_cas()
                duree = time.perf_counter() - debut
                rapport = fuzzeur.verifier_journal(dossier / "export")
            services.moteur.dispose()  # type: ignore[attr-defined]
        return imprimer(fuzzeur, duree, graine, args, rapport)
    finally:
        shutil.rmtree(dossier, ignore_errors=True)


def imprimer(fuzzeur: Fuzzeur, duree: float, graine: int, args: argparse.Namespace, rapport: object) -> int:
    b = fuzzeur.bilan
    print(f"\nbase: {'PostgreSQL' if args.postgresql else 'SQLite'}   graine: {graine}   "
          f"opérations du document: {len(fuzzeur.operations)}")
    print(f"requêtes envoyées: {b.requetes} en {duree:.0f} s ({b.requetes / duree:.0f}/s); "
          f"cas que le client HTTP ne sait pas construire (non envoyés): {b.non_envoyables}")
    print("par accès: " + ", ".join(f"{k} {v}" for k, v in sorted(b.par_acces.items())))
    print("\npar statut:")
    for statut, nombre in sorted(b.par_statut.items()):
        print(f"  {statut}  {nombre}")
    print("\npar code de problème:")
    for (statut, code), nombre in sorted(b.par_code.items()):
        print(f"  {statut}  {code:<36} {nombre}")
    cinq = sum(n for s, n in b.par_statut.items() if s >= 500)
    journal_ok = bool(getattr(rapport, "ok", False))
    print(f"\n5xx: {cinq}   réponses non conformes ou sans code: {len(b.anomalies)}   "
          f"journal vérifié hors ligne: {'oui' if journal_ok else 'NON'}")
    for anomalie in b.anomalies[:50]:
        print("\n" + str(anomalie))
    if not journal_ok:
        print(rapport)
    return 1 if b.anomalies or cinq or not journal_ok else 0


if __name__ == "__main__":
    sys.exit(main())
