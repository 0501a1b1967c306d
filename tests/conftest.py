"""Shared fixtures: a database per test on SQLite and on PostgreSQL, a gateway on a fixed clock.

PostgreSQL: ``PASSERELLE_TEST_POSTGRESQL`` (default the local trust-auth ``test`` database).
When it cannot be reached the PostgreSQL variants are skipped — unless
``PASSERELLE_TEST_EXIGER_POSTGRESQL=1`` (set by ``.ci/run``), which turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

# A deeper fuzzing run: ``pytest --hypothesis-profile=profond tests/api/test_lots_proprietes.py``
# (the batch-body properties take this profile's number of examples instead of their bounded one).
settings.register_profile("profond", max_examples=1000, deadline=None)

RACINE = Path(__file__).resolve().parent.parent
URL_POSTGRESQL = os.environ.get("PASSERELLE_TEST_POSTGRESQL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
EXIGER_POSTGRESQL = os.environ.get("PASSERELLE_TEST_EXIGER_POSTGRESQL") == "1"
_postgresql_joignable: bool | None = None


def postgresql_joignable() -> bool:
    global _postgresql_joignable
    if _postgresql_joignable is None:
        try:
            moteur = sa.create_engine(URL_POSTGRESQL, connect_args={"connect_timeout": 3})
            with moteur.connect() as c:
                c.execute(sa.text("select 1"))
            moteur.dispose()
            _postgresql_joignable = True
        except Exception as exc:  # noqa: BLE001
            if EXIGER_POSTGRESQL:
                pytest.exit(f"PostgreSQL exigé mais injoignable ({URL_POSTGRESQL}): {exc}", returncode=3)
            _postgresql_joignable = False
    return _postgresql_joignable


@pytest.fixture(params=["sqlite", "postgresql"])
def url_base(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'passerelle.db'}"
        return
    if not postgresql_joignable():
        pytest.skip(f"PostgreSQL injoignable ({URL_POSTGRESQL}); PASSERELLE_TEST_EXIGER_POSTGRESQL=1 en fait une erreur")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(URL_POSTGRESQL)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separateur = "&" if "?" in URL_POSTGRESQL else "?"
    try:
        yield f"{URL_POSTGRESQL}{separateur}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class HorlogeTest:
    """A clock the tests move; gateway and clients read the same one."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant

    def timestamp(self) -> float:
        return self.instant.timestamp()

    def avancer(self, **duree: float) -> None:
        self.instant += timedelta(**duree)


@pytest.fixture
def horloge() -> HorlogeTest:
    return HorlogeTest(datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A private copy of the example configuration, so a test may revoke keys in it."""
    cible = tmp_path / "config"
    shutil.copytree(RACINE / "config", cible)
    return cible


@dataclass
class Passerelle:
    """A gateway under test, with its services and an HTTP client speaking to it in-process."""

    services: object
    client: object
    config: Path
    horloge: HorlogeTest

    def organisme(self, code: str, agent: str = "agent.test"):  # type: ignore[no-untyped-def]
        from passerelle.annuaire.cles import lire_privee_pem
        from passerelle.client import ClientPasserelle

        keyid = f"{code}-dev-2026"
        cle = lire_privee_pem((self.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
        return ClientPasserelle(
            "http://testserver", cle, keyid, agent, http=self.client, horloge=self.horloge.timestamp
        )


@pytest.fixture
def passerelle(url_base: str, config: Path, horloge: HorlogeTest) -> Iterator[Passerelle]:
    from fastapi.testclient import TestClient

    from passerelle.app import create_app
    from passerelle.reglages import Mode, Reglages
    from passerelle.services import construire_services

    # Background workers off: tests run delivery and sequencing rounds explicitly, on their clock.
    reglages = Reglages(mode=Mode.developpement, base=url_base, config=config, travaux_de_fond=False)
    services = construire_services(reglages, horloge=horloge)
    app = create_app(services=services)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Passerelle(services=services, client=client, config=config, horloge=horloge)
    services.moteur.dispose()


@pytest.fixture(scope="session")
def grappe_postgresql():  # type: ignore[no-untyped-def]
    """A private PostgreSQL cluster (tests/crash/outillage.py) for the tests that stop their
    database: the shared server is never stopped. One per session; each test creates its base."""
    from tests.crash.outillage import GrappePostgresql

    if not GrappePostgresql.disponible():
        if EXIGER_POSTGRESQL:
            pytest.fail("PostgreSQL exigé: binaires /usr/lib/postgresql/15/bin ou runuser absents")
        pytest.skip("binaires PostgreSQL 15 absents: pas de grappe privée")
    grappe = GrappePostgresql()
    grappe.demarrer()
    try:
        yield grappe
    finally:
        grappe.detruire()
