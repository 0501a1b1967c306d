"""The legal-age table of config/regles: generations at each boundary, windows, file checks."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from passerelle.catalogue.age_legal import (
    Duree,
    Fenetre,
    ajouter_mois,
    charger_table_age_legal,
    table_depuis_donnees,
)
from tests.catalogue.exemples import CHEMIN_TABLE_AGE_LEGAL, table_age_legal

JOUR = timedelta(days=1)


def test_metadonnees_de_la_table() -> None:
    table = table_age_legal()
    assert table.version == "2023-04-14-lfrss2023"
    assert table.en_vigueur_le == date(2023, 9, 1)
    assert "2023-270" in table.source and "LFRSS 2023" in table.source
    assert "2026" in table.avertissement and "avant toute mise en production" in table.avertissement
    assert table.age_taux_plein_automatique == Duree(67, 0)
    assert set(table.fenetres) == {"rdc", "passage-retraite"}


@pytest.mark.parametrize(
    ("naissance", "age", "date_age_legal"),
    [
        (date(1955, 6, 15), Duree(62, 0), date(2017, 6, 15)),
        (date(1961, 8, 31), Duree(62, 0), date(2023, 8, 31)),
        (date(1961, 9, 1), Duree(62, 3), date(2023, 12, 1)),
        (date(1961, 12, 31), Duree(62, 3), date(2024, 3, 31)),
        (date(1962, 1, 1), Duree(62, 6), date(2024, 7, 1)),
        (date(1962, 12, 31), Duree(62, 6), date(2025, 6, 30)),  # 31 June → 30 June
        (date(1963, 1, 1), Duree(62, 9), date(2025, 10, 1)),
        (date(1963, 12, 31), Duree(62, 9), date(2026, 9, 30)),
        (date(1964, 1, 1), Duree(63, 0), date(2027, 1, 1)),
        (date(1964, 12, 31), Duree(63, 0), date(2027, 12, 31)),
        (date(1965, 1, 1), Duree(63, 3), date(2028, 4, 1)),
        (date(1965, 12, 31), Duree(63, 3), date(2029, 3, 31)),
        (date(1966, 1, 1), Duree(63, 6), date(2029, 7, 1)),
        (date(1966, 12, 31), Duree(63, 6), date(2030, 6, 30)),
        (date(1967, 1, 1), Duree(63, 9), date(2030, 10, 1)),
        (date(1967, 12, 31), Duree(63, 9), date(2031, 9, 30)),
        (date(1968, 1, 1), Duree(64, 0), date(2032, 1, 1)),
        (date(1990, 7, 14), Duree(64, 0), date(2054, 7, 14)),
    ],
)
def test_age_legal_a_chaque_borne(naissance: date, age: Duree, date_age_legal: date) -> None:
    table = table_age_legal()
    assert table.age_legal(naissance) == age
    assert table.date_age_legal(naissance) == date_age_legal


@pytest.mark.parametrize(
    ("naissance", "attendu"),
    [
        (date(1964, 2, 29), date(2027, 2, 28)),  # 2027 is a common year: clamped
        (date(1968, 2, 29), date(2032, 2, 29)),  # 2032 is a leap year
        (date(1962, 8, 31), date(2025, 2, 28)),  # + 62 years 6 months: 31 February → 28
    ],
)
def test_fin_de_mois_et_29_fevrier(naissance: date, attendu: date) -> None:
    assert table_age_legal().date_age_legal(naissance) == attendu


def test_ajouter_mois() -> None:
    assert ajouter_mois(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert ajouter_mois(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert ajouter_mois(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert ajouter_mois(date(2025, 1, 15), -13) == date(2023, 12, 15)


def test_taux_plein_automatique() -> None:
    assert table_age_legal().date_taux_plein_automatique(date(1964, 2, 29)) == date(2031, 2, 28)
    assert table_age_legal().date_taux_plein_automatique(date(1968, 5, 3)) == date(2035, 5, 3)


def test_fenetres_rdc_et_passage_retraite() -> None:
    table = table_age_legal()
    naissance = date(1968, 1, 1)  # legal age 64: 2032-01-01
    assert table.fenetre("rdc", naissance) == Fenetre(
        ouverture=date(2027, 1, 1),  # 59 years: 30 months before the due date
        echeance=date(2029, 7, 1),  # 61 years 6 months: 30 months before the legal age
        fermeture=date(2032, 1, 1),  # the legal age itself, excluded
    )
    assert table.fenetre("passage-retraite", naissance) == Fenetre(
        ouverture=date(2030, 6, 1),  # 12 months before the due date
        echeance=date(2031, 6, 1),  # 63 years 5 months: 7 months before the legal age
        fermeture=date(2035, 1, 1),  # 67 years, excluded
    )


def test_fenetre_des_generations_a_62_ans() -> None:
    fenetre = table_age_legal().fenetre("rdc", date(1958, 12, 31))
    assert fenetre == Fenetre(date(2015, 12, 31), date(2018, 6, 30), date(2020, 12, 31))


def test_fenetre_calculee_depuis_la_naissance_sans_derive() -> None:
    # Born 31 August 1962 (62 years 6 months): due date at 60 years = 31 August 2022,
    # not the clamped legal-age date (28 February 2025) minus 30 months (28 August 2022).
    assert table_age_legal().fenetre("rdc", date(1962, 8, 31)).echeance == date(2022, 8, 31)


@pytest.mark.parametrize("flux", ["rdc", "passage-retraite"])
def test_bornes_de_fenetre(flux: str) -> None:
    fenetre = table_age_legal().fenetre(flux, date(1965, 6, 15))
    assert not fenetre.contient(fenetre.ouverture - JOUR)
    assert fenetre.contient(fenetre.ouverture)
    assert fenetre.contient(fenetre.echeance)
    assert fenetre.contient(fenetre.fermeture - JOUR)
    assert not fenetre.contient(fenetre.fermeture)


def test_flux_sans_fenetre() -> None:
    with pytest.raises(ValueError, match="ne définit pas de fenêtre pour le flux « avis-depot »"):
        table_age_legal().fenetre("avis-depot", date(1965, 1, 1))


# --- file checks ---


def _donnees() -> dict[str, Any]:
    return yaml.safe_load(CHEMIN_TABLE_AGE_LEGAL.read_text(encoding="utf-8"))


def _modifie(modification: Any) -> dict[str, Any]:
    donnees = copy.deepcopy(_donnees())
    modification(donnees)
    return donnees


@pytest.mark.parametrize(
    ("modification", "message"),
    [
        (lambda d: d["generations"][3].update(ne_a_partir_du=date(1963, 2, 1)), "sans trou ni chevauchement"),
        (lambda d: d["generations"][3].update(ne_a_partir_du=date(1962, 6, 1)), "sans trou ni chevauchement"),
        (lambda d: d["generations"].pop(4), r"generations\[4\].*sans trou"),
        (lambda d: d["generations"][-1].update(ne_avant=date(2000, 1, 1)), "doit rester ouverte"),
        (lambda d: d["generations"][2].update(ne_avant=date(1962, 1, 1)), "période vide ou inversée"),
        (lambda d: d["generations"][2]["age"].update(mois=12), r"generations\[2\]\.age\.mois"),
        (lambda d: d["generations"][2].update(ne_avant="1963-13-01"), "date AAAA-MM-JJ"),
        (lambda d: d["generations"][2].pop("age"), r"clé\(s\) manquante\(s\) \['age'\]"),
        (lambda d: d["generations"][2].update(agee=1), r"clé\(s\) inconnue\(s\) \['agee'\]"),
        (lambda d: d.pop("version"), "version"),
        (lambda d: d.update(version=" "), "texte non vide"),
        (lambda d: d.update(en_vigueur_le=None), "en_vigueur_le"),
        (lambda d: d.update(generations=[]), "liste non vide"),
        (lambda d: d["fenetres"]["rdc"].update(fermeture="age_pivot"), "fermeture"),
        (lambda d: d["fenetres"]["rdc"].update(avance_max_mois=-1), "avance_max_mois"),
        (lambda d: d["fenetres"]["rdc"].update(avance_max_mois=True), "avance_max_mois"),
        (lambda d: d.update(age_taux_plein_automatique={"annees": 63, "mois": 0}), "plus grand âge légal"),
    ],
)
def test_table_invalide_refusee_precisement(modification: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        table_depuis_donnees(_modifie(modification))


def test_chargement_depuis_un_fichier(tmp_path: Path) -> None:
    chemin = tmp_path / "age-legal.yaml"
    chemin.write_text(yaml.safe_dump(_donnees()), encoding="utf-8")
    assert charger_table_age_legal(chemin) == table_age_legal()


def test_fichier_absent_ou_illisible(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lecture impossible"):
        charger_table_age_legal(tmp_path / "absent.yaml")
    chemin = tmp_path / "casse.yaml"
    chemin.write_text("version: [", encoding="utf-8")
    with pytest.raises(ValueError, match="YAML invalide"):
        charger_table_age_legal(chemin)


def test_erreur_nomme_le_fichier(tmp_path: Path) -> None:
    chemin = tmp_path / "age-legal.yaml"
    donnees = _modifie(lambda d: d["generations"][3].update(ne_a_partir_du=date(1963, 2, 1)))
    chemin.write_text(yaml.safe_dump(donnees), encoding="utf-8")
    with pytest.raises(ValueError, match=str(chemin)):
        charger_table_age_legal(chemin)


def test_premiere_generation_bornee() -> None:
    donnees = _modifie(lambda d: d["generations"][0].update(ne_a_partir_du=date(1940, 1, 1)))
    table = table_depuis_donnees(donnees)
    with pytest.raises(ValueError, match="aucune génération"):
        table.age_legal(date(1939, 12, 31))
