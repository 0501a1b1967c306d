"""Annex 2's agreed windows as a pure decision, read in Paris time whatever the season."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from passerelle.annuaire.robots import PlageHoraire, Robot
from passerelle.habilitations.robots import (
    RefusHorsPlage,
    RefusTechnicienAbsent,
    dans_la_plage,
    verifier_plage,
    verifier_technicien,
)
from tests.robots.outils import SOIRS_DE_SEMAINE, WEEK_END

PARIS = ZoneInfo("Europe/Paris")
ROBOT = Robot(id="ad-caf042-09", organisme="caf-042", responsable="Hélène Vidal", plages=(SOIRS_DE_SEMAINE, WEEK_END),
              debit_par_minute=6)


def _paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("instant", "dedans"),
    [
        (_paris(2026, 11, 23, 19, 0), True),  # Monday 19:00: the window opens
        (_paris(2026, 11, 23, 18, 59), False),
        (_paris(2026, 11, 24, 6, 59), True),  # Tuesday early morning: Tuesday's own window
        (_paris(2026, 11, 24, 7, 0), False),  # 07:00 is closed (half-open window)
        (_paris(2026, 11, 23, 3, 0), True),  # Monday 03:00: Monday's window, not Sunday's
        (_paris(2026, 11, 28, 12, 0), True),  # Saturday noon: weekend
        (_paris(2026, 11, 29, 23, 59), True),  # Sunday night
        (_paris(2026, 11, 27, 12, 0), False),  # Friday noon
    ],
)
def test_plages_convenues(instant: datetime, dedans: bool) -> None:
    assert any(dans_la_plage(p, instant) for p in ROBOT.plages) is dedans


def test_heure_de_paris_ete_comme_hiver() -> None:
    # 19:00 in Paris is 18:00 UTC in winter and 17:00 UTC in summer: the window follows Paris.
    verifier_plage(ROBOT, datetime(2026, 11, 23, 18, 0, tzinfo=UTC))
    verifier_plage(ROBOT, datetime(2026, 6, 15, 17, 0, tzinfo=UTC))
    with pytest.raises(RefusHorsPlage) as hiver:
        verifier_plage(ROBOT, datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    assert hiver.value.code == "hors_plage_robot"
    # The night of the change to summer time (29 March 2026, 02:00 → 03:00) stays in window.
    verifier_plage(ROBOT, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))


def test_refus_hors_plage_dit_les_plages_en_heure_locale() -> None:
    with pytest.raises(RefusHorsPlage) as refus:
        verifier_plage(ROBOT, datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    erreur = refus.value
    assert erreur.code == "hors_plage_robot" and erreur.statut == 403
    assert erreur.detail == (
        "l'assistant digital ad-caf042-09 (caf-042) n'est autorisé que sur les plages convenues (heure "
        "locale Europe/Paris): du lundi au vendredi avant 07:00 et à partir de 19:00; samedi, dimanche "
        "toute la journée; il est 11:00 le lundi 23/11/2026"
    )


def test_plage_simple_et_fin_de_journee() -> None:
    journee = PlageHoraire(jours=frozenset({2}), de=time(12), a=time(14))
    assert dans_la_plage(journee, _paris(2026, 11, 25, 13, 0))
    assert not dans_la_plage(journee, _paris(2026, 11, 25, 14, 0))
    soir = PlageHoraire(jours=frozenset({2}), de=time(22), a=None)
    assert dans_la_plage(soir, _paris(2026, 11, 25, 23, 59)) and not dans_la_plage(soir, _paris(2026, 11, 26, 0, 1))


def test_le_robot_nomme_un_humain() -> None:
    verifier_technicien(ROBOT, "caf-042-ad-09", "claire.morel@caf-042")
    for lui_meme in ("ad-caf042-09", "AD-CAF042-09 ", "caf-042-ad-09"):
        with pytest.raises(RefusTechnicienAbsent) as refus:
            verifier_technicien(ROBOT, "caf-042-ad-09", lui_meme)
        assert refus.value.code == "technicien_absent"
