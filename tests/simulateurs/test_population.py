"""The fictional allocataires: well-formed NIRs, signals in their window on the day they are sent."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from connecteurs.simulateurs.population import (
    LOT,
    PASSAGE,
    RDC,
    UNITAIRE,
    generer_population,
    naissance_pour,
)
from passerelle.catalogue.nir import nir_coherent_avec_naissance, normaliser_nir
from passerelle.catalogue.validation import ContexteValidation, valider_message
from passerelle.erreurs import RefusValidation
from tests.catalogue.exemples import (
    CAF_042,
    catalogue_signaux_retraite,
    table_age_legal,
)

DEBUT, FIN = date(2026, 1, 1), date(2027, 1, 1)


@pytest.fixture(scope="module")
def population():  # type: ignore[no-untyped-def]
    return generer_population(table_age_legal(), DEBUT, FIN, 300, graine=7, erreurs=4)


def test_chaque_signal_est_accepte_le_jour_ou_il_part(population) -> None:  # type: ignore[no-untyped-def]
    catalogue = catalogue_signaux_retraite()
    for allocataire in population:
        contexte = ContexteValidation(emetteur=CAF_042, aujourd_hui=allocataire.envoi, table_age_legal=table_age_legal())
        corps = json.dumps(allocataire.donnees).encode()
        if allocataire.erreur_saisie:
            with pytest.raises(RefusValidation) as refus:
                valider_message(catalogue[allocataire.flux], corps, contexte)
            assert refus.value.code == "nir_invalide"
            continue
        valide = valider_message(catalogue[allocataire.flux], corps, contexte)
        assert valide.regles_version == table_age_legal().version
        assert table_age_legal().fenetre(allocataire.flux, allocataire.naissance).echeance == allocataire.echeance


def test_nir_fictifs_bien_formes_et_distincts(population) -> None:  # type: ignore[no-untyped-def]
    nirs = [a.donnees["nir_assure"] for a in population if not a.erreur_saisie]
    assert len(set(nirs)) == len(nirs)
    for allocataire in population:
        if allocataire.erreur_saisie:
            continue
        nir = normaliser_nir(allocataire.donnees["nir_assure"])
        assert nir_coherent_avec_naissance(nir, allocataire.naissance) is None
        assert nir[0] == ("2" if allocataire.donnees["civilite"] == "MME" else "1")


def test_repartition_sur_l_annee(population) -> None:  # type: ignore[no-untyped-def]
    modes = Counter((a.flux, a.mode) for a in population)
    assert modes[(PASSAGE, UNITAIRE)] == 150 and modes[(RDC, LOT)] > modes[(RDC, UNITAIRE)] > 0
    assert all(DEBUT <= a.echeance < FIN for a in population)
    assert all(a.envoi == a.echeance.replace(day=1) for a in population if a.mode == LOT)
    assert len({a.echeance.month for a in population if a.flux == PASSAGE}) >= 6
    assert sum(a.erreur_saisie for a in population) == 4
    assert all(a.mode == LOT for a in population if a.erreur_saisie)
    types = Counter(a.donnees["type_allocation"] for a in population)
    assert types["AAH"] and types["RSA"]
    assert all(("taux_incapacite_aah" in a.donnees) == (a.donnees["type_allocation"] == "AAH") for a in population)


def test_deterministe() -> None:
    une = generer_population(table_age_legal(), DEBUT, FIN, 40, graine=3)
    autre = generer_population(table_age_legal(), DEBUT, FIN, 40, graine=3)
    assert une == autre


def test_pas_d_echeance_rdc_quand_l_age_legal_saute() -> None:
    """The 2023 reform adds 3 months per generation: some months have no rdc due date at all."""
    assert naissance_pour(table_age_legal(), RDC, date(2026, 11, 15)) is None
    assert naissance_pour(table_age_legal(), RDC, date(2026, 5, 15)) is not None
