"""The pure delay computation against the test quarter's vectors, plus its edge cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from passerelle.gouvernance.delais import Delais, mesurer
from passerelle.gouvernance.trimestre import Trimestre
from tests.gouvernance.vecteurs import ATTENDU_T3, FIN_T3, MUTUALISATIONS, dossier, dossiers_t3, t


def _chiffres(ligne: Delais) -> tuple[object, ...]:
    mediane = round(ligne.delai_median.total_seconds() / 86400, 2) if ligne.delai_median is not None else None
    return (ligne.ouverts, ligne.repondus, ligne.repondus_dans_delai, mediane, ligne.part_dans_delai,
            ligne.echus_sans_reponse, ligne.dont_expires, ligne.en_cours)


def test_trimestre_de_test() -> None:
    lignes = mesurer(dossiers_t3(), FIN_T3, MUTUALISATIONS)
    assert {(l.axe, l.organisme, l.flux, l.mutualisation): _chiffres(l) for l in lignes} == ATTENDU_T3
    assert [l.axe for l in lignes] == ["organisme", "organisme", "organisme", "pivot"]  # organismes first


def test_vu_plus_tard_les_reponses_tardives_comptent() -> None:
    """The same cases seen on 2026-11-01: case 6 answered (25 days, on time), cases 4 and 5 overdue."""
    [avpf] = [l for l in mesurer(dossiers_t3(), t(11, 1), MUTUALISATIONS) if l.flux == "enquete-avpf"]
    assert _chiffres(avpf) == (6, 4, 3, 22.5, 0.5, 2, 0, 0)


def test_cas_limites() -> None:
    assert mesurer([], FIN_T3) == []
    # answered exactly at the deadline: late, as for the case itself
    d = dossier(1, "enquete-avpf", t(7, 1), t(7, 31))
    [ligne] = mesurer([d], FIN_T3)
    assert ligne.repondus == 1 and ligne.repondus_dans_delai == 0 and ligne.part_dans_delai == 0.0
    # nothing decided yet: no share, no median
    [ligne] = mesurer([dossier(2, "enquete-avpf", t(9, 25))], FIN_T3)
    assert ligne.part_dans_delai is None and ligne.delai_median is None and ligne.en_cours == 1
    # a case opened after the instant did not exist yet; without a mutualisation map, no pivot line
    assert mesurer([dossier(3, "enquete-avpf", FIN_T3 + timedelta(seconds=1))], FIN_T3) == []
    assert all(l.axe == "organisme" for l in mesurer(dossiers_t3(), FIN_T3))


@pytest.mark.parametrize("texte", ["2026T1", "2026T2", "2026T3", "2026T4"])
def test_trimestres_lisibles(texte: str) -> None:
    trimestre = Trimestre.lire(texte)
    assert str(trimestre) == texte and (trimestre.fin - trimestre.debut).days in (90, 91, 92)


def test_bornes_du_trimestre() -> None:
    assert (Trimestre.lire("2026T3").debut, Trimestre.lire("2026T3").fin) == (t(7, 1, 0), FIN_T3)
    assert Trimestre.lire("2026T4").fin.year == 2027


@pytest.mark.parametrize("texte", ["2026t3", "2026-T3", "26T3", "2026T5", "2026T0", "2026T3 ", " 2026T3", "2026Q3", "T3", ""])
def test_trimestres_refuses(texte: str) -> None:
    with pytest.raises(ValueError, match="AAAAT1 à AAAAT4"):
        Trimestre.lire(texte)
