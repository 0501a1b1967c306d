"""The suspensions as a replica sees them: the table read again once the interval has passed on
the injected clock (or when the clock went back), the previous view kept when a read fails; the
rows themselves: one suspension per convention, the second refused without writing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from passerelle.stockage import suspensions as stockage
from passerelle.stockage.base import DelaisBase, lecture, migrer, ouvrir
from passerelle.stockage.suspensions import SourceSuspensions, Suspension
from tests.conftest import HorlogeTest

LE = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def _suspension(convention: str = "cnaf-cnav-2019", motif: str = "audit") -> Suspension:
    return Suspension(convention=convention, suspendue_le=LE, motif=motif, par="claire.martin", organisme="cnaf",
                      journal_index=3)


@pytest.fixture
def moteur(url_base: str):  # type: ignore[no-untyped-def]
    moteur = ouvrir(url_base)
    migrer(moteur)
    yield moteur
    moteur.dispose()


def test_une_suspension_par_convention(moteur) -> None:  # type: ignore[no-untyped-def]
    with moteur.begin() as c:
        assert stockage.inserer(c, _suspension())
        assert not stockage.inserer(c, _suspension(motif="second"))  # already suspended: nothing written
        stockage.noter_index(c, "cnaf-cnav-2019", 9)
    with moteur.begin() as c:
        assert stockage.lire(c, "cnaf-cnav-2019") == Suspension(
            convention="cnaf-cnav-2019", suspendue_le=LE, motif="audit", par="claire.martin", organisme="cnaf",
            journal_index=9)
        assert stockage.supprimer(c, "cnaf-cnav-2019") is not None
        assert stockage.supprimer(c, "cnaf-cnav-2019") is None
        assert stockage.lire_toutes(c) == {}


def test_relue_a_l_intervalle_de_l_horloge(moteur) -> None:  # type: ignore[no-untyped-def]
    horloge = HorlogeTest(LE)
    source = SourceSuspensions(moteur, intervalle=5.0, horloge=horloge)
    assert dict(source.actuel()) == {}
    with moteur.begin() as c:
        stockage.inserer(c, _suspension())
    assert dict(source.actuel()) == {}  # the view of this interval
    horloge.avancer(seconds=4.999)
    assert dict(source.actuel()) == {}
    horloge.avancer(seconds=0.001)
    assert list(source.actuel()) == ["cnaf-cnav-2019"]  # read again at the interval

    with moteur.begin() as c:
        stockage.supprimer(c, "cnaf-cnav-2019")
    horloge.avancer(seconds=-60)  # the clock went back: read again rather than trust the old view
    assert dict(source.actuel()) == {}

    with moteur.begin() as c:
        stockage.inserer(c, _suspension("autre"))
    source.invalider()  # this process changed the table: read on the next call
    assert list(source.actuel()) == ["autre"]
    with moteur.begin() as c:  # read through the caller's transaction
        stockage.supprimer(c, "autre")
        source.invalider()
        assert dict(source.actuel(c)) == {}


def test_une_lecture_echouee_garde_la_vue_precedente(moteur) -> None:  # type: ignore[no-untyped-def]
    horloge = HorlogeTest(LE)
    with moteur.begin() as c:
        stockage.inserer(c, _suspension())
    source = SourceSuspensions(moteur, intervalle=1.0, horloge=horloge)
    assert list(source.actuel()) == ["cnaf-cnav-2019"]
    with moteur.begin() as c:
        c.execute(sa.text("ALTER TABLE suspensions RENAME TO suspensions_ailleurs"))
    horloge.avancer(seconds=1)
    assert list(source.actuel()) == ["cnaf-cnav-2019"]  # kept, logged, tried again next time
    with moteur.begin() as c:
        c.execute(sa.text("ALTER TABLE suspensions_ailleurs RENAME TO suspensions"))
        stockage.supprimer(c, "cnaf-cnav-2019")
    assert dict(source.actuel()) == {}

    neuve = SourceSuspensions(moteur, intervalle=1.0, horloge=lambda: LE + timedelta(days=1))
    with moteur.begin() as c:
        c.execute(sa.text("ALTER TABLE suspensions RENAME TO suspensions_ailleurs"))
    with pytest.raises(sa.exc.SQLAlchemyError):  # no view yet: the request fails as any other would
        neuve.actuel()


def test_relue_sans_attendre_l_ecrivain(url_base: str) -> None:
    """The refresh takes no write lock: on SQLite it used to open ``BEGIN IMMEDIATE`` and, on
    the event loop, wait out the busy timeout (30 s) behind the group commit that was itself
    waiting for the loop. Here the busy timeout is 1 ms: waiting for the lock would fail."""
    moteur = ouvrir(url_base, DelaisBase(verrou=0.001))
    migrer(moteur)
    try:
        with moteur.begin() as c:
            stockage.inserer(c, _suspension())
        source = SourceSuspensions(moteur, intervalle=5.0, horloge=HorlogeTest(LE))
        with moteur.begin() as ecrivain:  # a write transaction holds the lock meanwhile
            stockage.inserer(ecrivain, _suspension("pas-encore-validee"))
            assert list(source.actuel()) == ["cnaf-cnav-2019"]  # the committed rows, without waiting
    finally:
        moteur.dispose()


def test_une_lecture_ne_bloque_pas_l_ecrivain(url_base: str) -> None:
    """The other way round: a read-only connection held open never keeps a writer out."""
    moteur = ouvrir(url_base, DelaisBase(verrou=0.001))
    migrer(moteur)
    try:
        with lecture(moteur) as lectrice:
            assert stockage.lire_toutes(lectrice) == {}
            with moteur.begin() as ecrivain:
                stockage.inserer(ecrivain, _suspension())
        with lecture(moteur) as lectrice:
            assert list(stockage.lire_toutes(lectrice)) == ["cnaf-cnav-2019"]
    finally:
        moteur.dispose()
