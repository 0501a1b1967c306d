"""The case state machine, as pure functions: deadlines, reminders, late and expired answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from passerelle.catalogue import dossiers
from passerelle.erreurs import Conflit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _dossier(a_echeance: str = "expire", rappels: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1))):
    return dossiers.ouvrir(
        demande_id="d1", flux_demande="retenue-demande", flux_reponse="retenue-reponse", demandeur="carsat-ra",
        repondant="caf-042", convention="c", instant=T0, delai=timedelta(days=15), rappels_avant=rappels,
        a_echeance=a_echeance, nir_index=None,
    )


def test_ouverture() -> None:
    d = _dossier()
    assert d.echeance == T0 + timedelta(days=15)
    assert d.rappels == (T0 + timedelta(days=8), T0 + timedelta(days=14))
    assert d.prochain_evenement == T0 + timedelta(days=8)
    assert _dossier(rappels=(timedelta(days=20),)).rappels == ()  # a reminder before opening is dropped


def test_rappels_puis_expiration() -> None:
    d = _dossier()
    d, evts = dossiers.evenements_dus(d, T0 + timedelta(days=7))
    assert evts == []
    d, evts = dossiers.evenements_dus(d, T0 + timedelta(days=8))
    assert [e.nature for e in evts] == ["rappel"] and d.prochain_evenement == T0 + timedelta(days=14)
    d, evts = dossiers.evenements_dus(d, T0 + timedelta(days=14, hours=1))
    assert [e.nature for e in evts] == ["rappel"] and d.prochain_evenement == d.echeance
    d, evts = dossiers.evenements_dus(d, d.echeance)
    assert [e.nature for e in evts] == ["expire"] and d.statut == "expire" and d.prochain_evenement is None
    assert dossiers.evenements_dus(d, d.echeance + timedelta(days=1))[1] == []


def test_rappels_manques_envoyes_une_fois() -> None:
    """A worker down for a week sends one reminder, not a burst, and none after the deadline."""
    d, evts = dossiers.evenements_dus(_dossier(), T0 + timedelta(days=14, hours=2))
    assert [e.nature for e in evts] == ["rappel"] and d.rappels_envoyes == 2
    d, evts = dossiers.evenements_dus(_dossier(), T0 + timedelta(days=30))
    assert [e.nature for e in evts] == ["expire"]


def test_reponse_a_temps_tardive_double() -> None:
    d = dossiers.repondre(_dossier(), "r1", T0 + timedelta(days=3))
    assert d.statut == "repondu" and not d.repondu_en_retard and d.prochain_evenement is None
    with pytest.raises(Conflit) as refus:
        dossiers.repondre(d, "r2", T0 + timedelta(days=4))
    assert refus.value.code == "reponse_en_double"
    with pytest.raises(Conflit) as refus:
        dossiers.repondre(_dossier(), "r1", T0 + timedelta(days=15))  # expired even if the worker has not run
    assert refus.value.code == "delai_depasse"
    late, _ = dossiers.evenements_dus(_dossier("en_retard"), T0 + timedelta(days=16))
    assert late.statut == "en_retard"
    repondu = dossiers.repondre(late, "r1", T0 + timedelta(days=17))
    assert repondu.statut == "repondu" and repondu.repondu_en_retard
