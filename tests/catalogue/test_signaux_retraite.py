"""The models of the five retirement signals: every annex field, formats, exact amounts."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tests.catalogue.exemples import catalogue_signaux_retraite
from passerelle.catalogue.signaux_retraite import (
    AvisDepot,
    ClotureRdc,
    Enveloppe,
    NotificationRetraite,
    SignalementPassageRetraite,
    SignalementRdc,
)
from tests.catalogue.exemples import (
    exemple_avis_depot,
    exemple_cloture_rdc,
    exemple_notification_retraite,
    exemple_passage_retraite,
    exemple_rdc,
)

AUJOURD_HUI = date(2026, 6, 15)

COORDONNEES = {
    "CodeCaf": "code_caf",
    "NIRAssuré": "nir_assure",
    "Civilité": "civilite",
    "NomAssuré": "nom_assure",
    "PrénomsAssuré": "prenoms_assure",
    "DateNaissance": "date_naissance",
    "NomMaritalAssuré": "nom_marital_assure",
    "TypeAdresse": "type_adresse",
    "RaisonSociale": "raison_sociale",
    "NomCommunication": "nom_communication",
    "PrénomCommunication": "prenom_communication",
    "ZoneAdresse1": "zone_adresse1",
    "ZoneAdresse2": "zone_adresse2",
    "Complément": "complement",
    "NuméroVoie": "numero_voie",
    "LieuDit": "lieu_dit",
    "CodePostal": "code_postal",
    "CodeCommune": "code_commune",
    "Localité": "localite",
    "Pays": "pays",
    "CodePays": "code_pays",
    "Téléphone1": "telephone1",
    "Téléphone2": "telephone2",
    "EMail": "email",
    "TypeAllocation": "type_allocation",
    "TauxIncapacitéAAH": "taux_incapacite_aah",
}

# Annex 1, item by item (plus the NIR of the person in every Carsat answer).
ANNEXE_1 = {
    "rdc": COORDONNEES,
    "passage-retraite": COORDONNEES,
    "cloture-rdc": {
        "NIRAssuré": "nir_assure",
        "CodeCARSAT": "code_carsat",
        "StatutRDC": "statut_rdc",
        "DateTauxPlein": "date_taux_plein",
        "RegimesAffiliation": "regimes_affiliation",
    },
    "avis-depot": {
        "NIRAssuré": "nir_assure",
        "TypeDemande": "type_demande",
        "ReceptionDemande": "reception_demande",
        "DateReceptionDemande": "date_reception_demande",
        "ModeLiquidation": "mode_liquidation",
        "TransfertRégime": "transfert_regime",
    },
    "notification-retraite": {
        "NIRAssuré": "nir_assure",
        "TypeDemande": "type_demande",
        "DateEffet": "date_effet",
        "StatutDemande": "statut_demande",
        "MotifRejet": "motif_rejet",
        "MontantTotal": "montant_total",
        "TypeMontant": "type_montant",
        "Montant": "montant",
    },
}

ENVELOPPE = {"destinataire", "en_reponse_a", "reference"}


@pytest.mark.parametrize("flux", sorted(ANNEXE_1))
def test_chaque_donnee_de_l_annexe_est_un_champ_documente(flux: str) -> None:
    modele = catalogue_signaux_retraite()[flux].modele
    assert issubclass(modele, Enveloppe)
    assert set(modele.model_fields) == ENVELOPPE | set(ANNEXE_1[flux].values())
    for nom_convention, champ in ANNEXE_1[flux].items():
        info = modele.model_fields[champ]
        assert info.description.startswith(f"{nom_convention} — "), champ
        assert info.title == nom_convention
        assert champ.isascii()


def test_le_nir_des_reponses_carsat_explique_pourquoi_il_est_la() -> None:
    description = ClotureRdc.model_fields["nir_assure"].description
    assert description.startswith("NIRAssuré — NIR de l'assuré / allocataire")
    assert "portent sur cette personne" in description
    assert ClotureRdc.model_fields["nir_assure"].is_required()


def _valider(modele: type[Enveloppe], donnees: dict[str, Any]) -> Enveloppe:
    return modele.model_validate_json(json.dumps(donnees))


@pytest.mark.parametrize(
    ("modele", "donnees"),
    [
        (SignalementRdc, exemple_rdc(AUJOURD_HUI)),
        (SignalementPassageRetraite, exemple_passage_retraite(AUJOURD_HUI)),
        (ClotureRdc, exemple_cloture_rdc()),
        (AvisDepot, exemple_avis_depot()),
        (NotificationRetraite, exemple_notification_retraite()),
    ],
)
def test_exemples_valides(modele: type[Enveloppe], donnees: dict[str, Any]) -> None:
    _valider(modele, donnees)


def test_l_exemple_rdc_remplit_chaque_champ() -> None:
    assert set(exemple_rdc(AUJOURD_HUI)) >= set(COORDONNEES.values())


def test_facultatifs_absents_ou_null() -> None:
    minimal = {
        "code_caf": "042",
        "nir_assure": "162054221812359",
        "civilite": "M",
        "nom_assure": "BERNARD",
        "prenoms_assure": "Jean",
        "date_naissance": "1962-05-14",
        "type_allocation": "RSA",
    }
    _valider(SignalementRdc, minimal)
    _valider(SignalementRdc, {**minimal, "email": None, "destinataire": None})


def test_espaces_retires_et_nir_normalise() -> None:
    modele = _valider(
        SignalementRdc,
        exemple_rdc(AUJOURD_HUI, nom_assure="  MARTIN ", nir_assure=" 2 65 09 42 218 123 23"),
    )
    assert modele.nom_assure == "MARTIN"
    assert modele.nir_assure == "265094221812323"


def test_identifiant_de_message_normalise_en_minuscules() -> None:
    modele = _valider(ClotureRdc, exemple_cloture_rdc(en_reponse_a="3F2B8C1E-5D4A-4C7B-9E1F-0A2B3C4D5E6F"))
    assert modele.en_reponse_a == "3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f"


@pytest.mark.parametrize(
    ("champ", "valeur", "type_erreur"),
    [
        ("code_caf", "42", "string_pattern_mismatch"),
        ("code_caf", 42, "string_type"),
        ("civilite", "Mme", "enum"),
        ("type_allocation", "ASS", "enum"),
        ("nom_assure", "", "string_too_short"),
        ("nom_assure", "   ", "string_too_short"),
        ("nom_assure", "A" * 101, "string_too_long"),
        ("nom_assure", "MARTIN\nDURAND", "string_pattern_mismatch"),
        ("date_naissance", "14/05/1962", "date_parsing"),
        ("date_naissance", "1962-02-30", "date_parsing"),
        ("date_naissance", -241056000, "date_type"),
        ("code_postal", "4200", "string_pattern_mismatch"),
        ("code_commune", "2a004", "string_pattern_mismatch"),
        ("code_commune", "2C004", "string_pattern_mismatch"),
        ("code_pays", "FRA", "string_pattern_mismatch"),
        ("telephone1", "04-77-00-00-00", "string_pattern_mismatch"),
        ("telephone1", "0" * 26, "string_too_long"),
        ("email", "claire.durand", "string_pattern_mismatch"),
        ("email", "a b@example.org", "string_pattern_mismatch"),
        ("taux_incapacite_aah", 101, "less_than_equal"),
        ("taux_incapacite_aah", -1, "greater_than_equal"),
        ("taux_incapacite_aah", "80", "int_type"),
        ("taux_incapacite_aah", 79.5, "int_type"),
        ("destinataire", "CAF_042", "string_pattern_mismatch"),
        ("en_reponse_a", "pas-un-uuid", "string_pattern_mismatch"),
        ("reference", "R" * 65, "string_too_long"),
        ("champ_inconnu", "x", "extra_forbidden"),
    ],
)
def test_formats_des_coordonnees(champ: str, valeur: Any, type_erreur: str) -> None:
    with pytest.raises(ValidationError) as refus:
        _valider(SignalementRdc, exemple_rdc(AUJOURD_HUI, **{champ: valeur}))
    assert [(e["loc"], e["type"]) for e in refus.value.errors()] == [((champ,), type_erreur)]


def test_code_commune_corse_et_outre_mer() -> None:
    for code in ("2A004", "2B033", "97411", "42218"):
        _valider(SignalementRdc, exemple_rdc(AUJOURD_HUI, code_commune=code))


@pytest.mark.parametrize(
    ("modele", "donnees", "champ", "valeur", "type_erreur"),
    [
        (ClotureRdc, exemple_cloture_rdc(), "code_carsat", "ra", "string_pattern_mismatch"),
        (ClotureRdc, exemple_cloture_rdc(), "statut_rdc", "oui", "enum"),
        (ClotureRdc, exemple_cloture_rdc(), "regimes_affiliation", "MSA", "list_type"),
        (ClotureRdc, exemple_cloture_rdc(), "regimes_affiliation", ["MSA", ""], "string_too_short"),
        (ClotureRdc, exemple_cloture_rdc(), "regimes_affiliation", ["x"] * 51, "too_long"),
        (AvisDepot, exemple_avis_depot(), "reception_demande", "true", "bool_type"),
        (AvisDepot, exemple_avis_depot(), "reception_demande", 1, "bool_type"),
        (AvisDepot, exemple_avis_depot(), "type_demande", "reversion", "enum"),
        (NotificationRetraite, exemple_notification_retraite(), "statut_demande", "accord", "enum"),
        (NotificationRetraite, exemple_notification_retraite(), "type_montant", "mensuel", "enum"),
        # An amount given as text must match the published pattern exactly (value_error).
        (NotificationRetraite, exemple_notification_retraite(), "montant", "12,50", "value_error"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", "1E3", "value_error"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", " 12.30 ", "value_error"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", -0.01, "greater_than_equal"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", "10.005", "value_error"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", 10.005, "decimal_max_places"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", "NaN", "value_error"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", True, "decimal_type"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", "1234567890.00", "value_error"),
        (NotificationRetraite, exemple_notification_retraite(), "montant", 1234567890.5,
         "decimal_whole_digits"),
    ],
)
def test_formats_des_reponses_carsat(
    modele: type[Enveloppe], donnees: dict[str, Any], champ: str, valeur: Any, type_erreur: str
) -> None:
    donnees[champ] = valeur
    with pytest.raises(ValidationError) as refus:
        _valider(modele, donnees)
    assert refus.value.errors()[0]["type"] == type_erreur
    assert refus.value.errors()[0]["loc"][0] == champ


def test_listes_vides_ou_omises() -> None:
    assert _valider(ClotureRdc, exemple_cloture_rdc(regimes_affiliation=[])).regimes_affiliation == []
    sans = exemple_cloture_rdc()
    del sans["regimes_affiliation"]
    assert _valider(ClotureRdc, sans).regimes_affiliation == []


# --- amounts: exact decimals, never through a float ---


def _montants(corps: str) -> NotificationRetraite:
    donnees = json.dumps(exemple_notification_retraite(montant=None, montant_total=None))
    return NotificationRetraite.model_validate_json(donnees[:-1] + ", " + corps + "}")


def test_montant_en_chaine_garde_ses_decimales() -> None:
    modele = _montants('"montant_total": "1234.10", "montant": "0.30"')
    assert isinstance(modele.montant_total, Decimal)
    assert modele.montant_total.as_tuple() == Decimal("1234.10").as_tuple()
    assert modele.montant.as_tuple() == Decimal("0.30").as_tuple()


def test_montant_en_nombre_json_lu_sans_float() -> None:
    modele = _montants('"montant_total": 1234.1, "montant": 0.3')
    assert isinstance(modele.montant_total, Decimal)
    assert modele.montant_total.as_tuple() == Decimal("1234.1").as_tuple()
    # Through a float, 0.3 would be 0.299999999999999988897769753748434595763683319091796875.
    assert modele.montant == Decimal("0.3") and modele.montant.as_tuple() == Decimal("0.3").as_tuple()
    assert Decimal(0.3) != Decimal("0.3")


def test_grand_montant_exact() -> None:
    modele = _montants('"montant_total": 987654321.99, "montant": "987654321.99"')
    assert modele.montant_total == modele.montant == Decimal("987654321.99")


def test_montants_serialises_en_chaines_a_deux_decimales() -> None:
    modele = _montants('"montant_total": 1234.1, "montant": 1e3')
    assert modele.model_dump(mode="json")["montant_total"] == "1234.10"
    assert modele.model_dump(mode="json")["montant"] == "1000.00"
    assert _montants('"montant": -0.00').model_dump(mode="json")["montant"] == "0.00"  # text "-0.00" breaks the pattern
    assert json.loads(modele.model_dump_json())["montant_total"] == "1234.10"
