"""The robot's rate counter is one database row per robot and minute, incremented atomically:
replicas share it, and concurrent requests never lose a count."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from passerelle.habilitations.robots import minute_de, secondes_avant_minute_suivante
from passerelle.stockage.base import migrer, ouvrir
from passerelle.stockage.compteurs import incrementer
from passerelle.stockage.tables import debit_robots

T = datetime(2026, 11, 23, 20, 0, 40, tzinfo=UTC)


def compter(connexion: sa.Connection, robot: str, instant: datetime) -> int:
    """What the request path counts for a robot: its counter, in the minute of ``instant``."""
    return incrementer(connexion, robot, minute_de(instant))


def test_compte_par_minute_et_purge(url_base: str) -> None:
    moteur = ouvrir(url_base)
    migrer(moteur)
    with moteur.begin() as c:
        assert [compter(c, "r1", T) for _ in range(3)] == [1, 2, 3]
        assert compter(c, "r2", T) == 1  # per robot
        assert compter(c, "r1", T + timedelta(seconds=20)) == 1  # next minute: a new window
    with moteur.begin() as c:
        compter(c, "r1", T + timedelta(hours=2))  # opening a new window purges the old ones
        minutes = sorted(m for (m,) in c.execute(sa.select(debit_robots.c.minute).where(debit_robots.c.robot == "r1")))
    assert minutes == [minute_de(T + timedelta(hours=2))]
    moteur.dispose()


def test_deux_repliques_concurrentes_ne_perdent_aucun_compte(url_base: str) -> None:
    # Two engines = two replicas on the same database, several threads each.
    moteurs = [ouvrir(url_base) for _ in range(2)]
    migrer(moteurs[0])
    vus: list[int] = []
    verrou = threading.Lock()

    def travail(moteur: sa.Engine) -> None:
        for _ in range(10):
            with moteur.begin() as c:
                n = compter(c, "r1", T)
            with verrou:
                vus.append(n)

    fils = [threading.Thread(target=travail, args=(moteurs[i % 2],)) for i in range(6)]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    assert sorted(vus) == list(range(1, 61))  # each request got its own count, none lost
    for moteur in moteurs:
        moteur.dispose()


def test_retry_after() -> None:
    assert secondes_avant_minute_suivante(T) == 20
    assert secondes_avant_minute_suivante(T.replace(second=0)) == 60
    assert secondes_avant_minute_suivante(T.replace(second=59, microsecond=500_000)) == 1
