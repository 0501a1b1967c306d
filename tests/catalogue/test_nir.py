"""NIR checks: fictional numbers in the real format, one test per refusal reason, and the key."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from stdnum.fr import nir as nir_stdnum

from passerelle.catalogue.nir import Nir, calculer_cle, nir_coherent_avec_naissance, normaliser_nir

# Fictional NIRs; keys cross-checked with python-stdnum (an independent implementation).
VALIDES = {
    "162054221812359": "homme né en mai 1962 à Saint-Étienne (42218)",
    "265096912304588": "femme née en septembre 1965 à Lyon (69123)",
    "276122A00401288": "née en décembre 1976 en Corse-du-Sud (2A)",
    "276122B03300726": "née en décembre 1976 en Haute-Corse (2B)",
    "155032000401226": "né en mars 1955 en Corse, avant la bi-départementalisation (20)",
    "164059935001205": "né en mai 1964 à l'étranger (99, pays 350)",
    "268059741102507": "née en mai 1968 à La Réunion (974, commune 11)",
    "162354221812354": "mois fictif 35 (état civil incomplet)",
    "265754221812312": "mois fictif 75",
    "299999999999945": "bornes hautes de chaque partie",
}


@pytest.mark.parametrize("nir", sorted(VALIDES))
def test_nir_valides(nir: str) -> None:
    assert normaliser_nir(nir) == nir
    assert nir_stdnum.is_valid(nir)


def test_espaces_et_minuscules_toleres() -> None:
    assert normaliser_nir(" 1 62 05 42 218 123 59 ") == "162054221812359"
    assert normaliser_nir("2 76 12 2a 004 012 88") == "276122A00401288"
    assert normaliser_nir("2\u00a076 12 2b 033 007 26") == "276122B03300726"


@pytest.mark.parametrize(
    ("nir", "raison"),
    [
        ("16205422181235", "15 caractères"),
        ("1620542218123590", "15 caractères"),
        ("", "15 caractères"),
        ("16205422181235X", "caractère non autorisé en position 15"),
        ("1620542A8123591", "caractère non autorisé en position 8"),
        ("16205A221812359", "caractère non autorisé en position 6"),
        ("162053A21812359", "caractère non autorisé en position 7"),
        ("162054-21812359", "caractère non autorisé en position 7"),
        ("16205४221812359", "caractère non autorisé en position 6"),
        ("762054221812359", "numéro d'inscription d'attente (NIA)"),
        ("862054221812359", "numéro d'inscription d'attente (NIA)"),
        ("362054221812359", "premier chiffre du NIR (sexe) doit être 1 ou 2"),
        ("062054221812359", "premier chiffre du NIR (sexe) doit être 1 ou 2"),
        ("162004221812359", "mois de naissance"),
        ("162134221812359", "mois de naissance"),
        ("162194221812359", "mois de naissance"),
        ("162434221812359", "mois de naissance"),
        ("162494221812359", "mois de naissance"),
        ("162050021812359", "département de naissance du NIR"),
        ("162059821812359", "département de naissance du NIR"),
        ("176122000401288", "depuis 1976 la Corse est codée 2A ou 2B"),
        ("199122000401288", "depuis 1976 la Corse est codée 2A ou 2B"),
        ("162054200012359", "code commune"),
        ("162054221800059", "numéro d'ordre"),
        ("162054221812300", "attendu 01 à 97"),
        ("162054221812398", "attendu 01 à 97"),
        ("162054221812358", "ne correspond pas aux 13 premiers caractères"),
        ("162054221812395", "ne correspond pas aux 13 premiers caractères"),
    ],
)
def test_refus_avec_la_raison(nir: str, raison: str) -> None:
    with pytest.raises(ValueError, match=raison.replace("(", r"\(").replace(")", r"\)")):
        normaliser_nir(nir)


def test_nia_message_explique_le_refus() -> None:
    with pytest.raises(ValueError) as refus:
        normaliser_nir("762054221812359")
    assert "temporaire" in str(refus.value)
    assert "pas accepté pour ces flux" in str(refus.value)


def test_corse_2a_2b_avant_76_garde_par_le_nir_seul_et_refuse_avec_la_date() -> None:
    # 2A with year 65 is right for a birth in 2065 and wrong in 1965: the number alone
    # cannot tell, the birth date can (see the module docstring).
    debut = "165032A004012"
    nir = f"{debut}{calculer_cle(debut):02d}"
    assert normaliser_nir(nir) == nir
    raison = nir_coherent_avec_naissance(nir, date(1965, 3, 10))
    assert raison is not None and "« 20 »" in raison
    assert nir_coherent_avec_naissance("276122A00401288", date(1976, 12, 1)) is None


def test_corse_20_refuse_avec_une_date_de_naissance_apres_1976() -> None:
    assert nir_coherent_avec_naissance("155032000401226", date(1955, 3, 2)) is None
    raison = nir_coherent_avec_naissance("155032000401226", date(2055, 3, 2))
    assert raison is not None and "2A ou 2B" in raison


def test_cle_corse_calculee_avec_19_et_18() -> None:
    assert calculer_cle("276122A004012") == 97 - 2761219004012 % 97
    assert calculer_cle("276122B033007") == 97 - 2761218033007 % 97


def test_coherence_annee_et_mois() -> None:
    nir = "162054221812359"
    assert nir_coherent_avec_naissance(nir, date(1962, 5, 31)) is None
    assert "année" in nir_coherent_avec_naissance(nir, date(1963, 5, 1))
    assert "mois" in nir_coherent_avec_naissance(nir, date(1962, 6, 1))
    les_deux = nir_coherent_avec_naissance(nir, date(1963, 6, 1))
    assert "année" in les_deux and "mois" in les_deux


def test_coherence_annee_sur_deux_chiffres_seulement() -> None:
    assert nir_coherent_avec_naissance("162054221812359", date(2062, 5, 1)) is None


def test_mois_fictif_ne_contredit_aucun_mois() -> None:
    assert nir_coherent_avec_naissance("162354221812354", date(1962, 11, 30)) is None
    assert nir_coherent_avec_naissance("265754221812312", date(1965, 1, 1)) is None


class _AvecNir(BaseModel):
    nir: Nir


def test_type_pydantic_normalise_et_refuse_en_francais() -> None:
    assert _AvecNir(nir="1 62 05 42 218 123 59").nir == "162054221812359"
    with pytest.raises(ValidationError) as refus:
        _AvecNir(nir="762054221812359")
    erreur = refus.value.errors()[0]
    assert erreur["type"] == "value_error"
    assert "NIA" in str(erreur["ctx"]["error"])


def test_type_pydantic_refuse_un_nombre_json() -> None:
    with pytest.raises(ValidationError):
        _AvecNir.model_validate_json('{"nir": 162054221812359}')


# --- the key detects every single-digit error ---

_DEPARTEMENTS = (
    [f"{n:02d}" for n in range(1, 20)] + [f"{n:02d}" for n in range(21, 98)] + ["99"]
)


@st.composite
def nirs_valides(draw: st.DrawFn) -> str:
    sexe = draw(st.sampled_from("12"))
    annee = draw(st.integers(0, 99))
    mois = draw(st.one_of(st.integers(1, 12), st.integers(20, 42), st.integers(50, 99)))
    corses = ["2A", "2B"] if annee >= 76 else ["20", "2A", "2B"]
    departement = draw(st.sampled_from(_DEPARTEMENTS + corses))
    commune = draw(st.integers(1, 999))
    ordre = draw(st.integers(1, 999))
    debut = f"{sexe}{annee:02d}{mois:02d}{departement}{commune:03d}{ordre:03d}"
    return f"{debut}{calculer_cle(debut):02d}"


@given(nirs_valides())
def test_tout_nir_bien_forme_est_accepte(nir: str) -> None:
    assert normaliser_nir(nir) == nir
    assert nir_stdnum.is_valid(nir)


@given(nirs_valides(), st.data())
def test_un_chiffre_altere_est_refuse(nir: str, data: st.DataObject) -> None:
    positions = [i for i, caractere in enumerate(nir) if caractere.isdigit()]
    position = data.draw(st.sampled_from(positions), label="position")
    chiffre = data.draw(
        st.sampled_from([c for c in "0123456789" if c != nir[position]]), label="chiffre"
    )
    altere = nir[:position] + chiffre + nir[position + 1 :]
    with pytest.raises(ValueError):
        normaliser_nir(altere)
