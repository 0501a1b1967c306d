"""valider_message: strict JSON, every schema fault in French, every business rule and its code."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passerelle.annuaire.modeles import Organisme
from tests.catalogue.exemples import catalogue_signaux_retraite
from passerelle.catalogue.validation import ContexteValidation, MessageValide, valider_message
from passerelle.erreurs import RefusValidation
from tests.catalogue.exemples import (
    ABSENT,
    CAF_042,
    CARSAT_RA,
    exemple_avis_depot,
    exemple_cloture_rdc,
    exemple_notification_retraite,
    exemple_passage_retraite,
    exemple_rdc,
    nir_fictif,
    table_age_legal,
)

AUJOURD_HUI = date(2026, 6, 15)
VERSION = "2023-04-14-lfrss2023"
CATALOGUE = catalogue_signaux_retraite()
EMETTEURS = {
    "rdc": CAF_042,
    "passage-retraite": CAF_042,
    "cloture-rdc": CARSAT_RA,
    "avis-depot": CARSAT_RA,
    "notification-retraite": CARSAT_RA,
}


def valider(
    flux: str,
    donnees: dict[str, Any] | bytes,
    *,
    emetteur: Organisme | None = None,
    jour: date = AUJOURD_HUI,
) -> MessageValide:
    corps = donnees if isinstance(donnees, bytes) else json.dumps(donnees).encode()
    contexte = ContexteValidation(emetteur or EMETTEURS[flux], jour, table_age_legal())
    return valider_message(CATALOGUE[flux], corps, contexte)


def refus(flux: str, donnees: dict[str, Any] | bytes, **options: Any) -> RefusValidation:
    with pytest.raises(RefusValidation) as erreur:
        valider(flux, donnees, **options)
    assert erreur.value.statut == 422
    assert erreur.value.erreurs, "a refusal always lists what is at fault"
    return erreur.value


def champs(erreur: RefusValidation) -> dict[str, str]:
    return {e.champ: e.message for e in erreur.erreurs}


# --- valid messages ---


@pytest.mark.parametrize(
    ("flux", "donnees", "version"),
    [
        ("rdc", exemple_rdc(AUJOURD_HUI), VERSION),
        ("passage-retraite", exemple_passage_retraite(AUJOURD_HUI), VERSION),
        ("cloture-rdc", exemple_cloture_rdc(), None),
        ("avis-depot", exemple_avis_depot(), None),
        ("notification-retraite", exemple_notification_retraite(), None),
    ],
)
def test_messages_valides(flux: str, donnees: dict[str, Any], version: str | None) -> None:
    message = valider(flux, donnees)
    assert message.flux == flux
    assert message.nir == donnees["nir_assure"]
    assert message.regles_version == version
    assert not {"destinataire", "en_reponse_a", "reference"} & set(message.donnees)
    attendu = {k: v for k, v in donnees.items() if k not in {"destinataire", "en_reponse_a"}}
    assert json.loads(json.dumps(message.donnees)) == {
        **attendu,
        **({"montant": "987.65"} if flux == "notification-retraite" else {}),
    }


def test_donnees_normalisees_et_sans_null() -> None:
    donnees = exemple_rdc(AUJOURD_HUI, email=None, nir_assure=ABSENT, reference="dossier 17")
    donnees["nir_assure"] = " ".join(nir_fictif(date.fromisoformat(donnees["date_naissance"])))
    message = valider("rdc", donnees)
    assert "email" not in message.donnees and "reference" not in message.donnees
    assert message.donnees["nir_assure"] == message.nir and " " not in message.nir
    assert message.modele.reference == "dossier 17"


def test_montants_exacts_en_chaines() -> None:
    corps = json.dumps(exemple_notification_retraite(montant=ABSENT, montant_total=ABSENT))
    corps = corps[:-1] + ', "montant_total": 1234.10, "montant": "0.1"}'
    message = valider("notification-retraite", corps.encode())
    assert message.donnees["montant_total"] == "1234.10"
    assert message.donnees["montant"] == "0.10"


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2045, 12, 31)))
def test_les_exemples_sont_dans_leur_fenetre_quel_que_soit_le_jour(jour: date) -> None:
    valider("rdc", exemple_rdc(jour), jour=jour)
    valider("passage-retraite", exemple_passage_retraite(jour), jour=jour)


# --- stage 1: JSON ---


@pytest.mark.parametrize(
    ("corps", "message"),
    [
        (b'{"code_caf": "042",}', "nom de champ entre guillemets doubles attendu (ligne 1, colonne 20"),
        (b'{\n  "code_caf" "042"\n}', "« : » attendu après le nom du champ (ligne 2, colonne 14"),
        (b'{"code_caf": "042"} {}', "données en trop"),
        (b'{"code_caf": "04', "chaîne non terminée"),
        (b'{"nom_assure": "\xe9"}', "texte UTF-8 attendu ; octet invalide à la position 16"),
        (b'\xef\xbb\xbf{"code_caf": "042"}', "BOM"),
        (b"", "corps vide"),
        (b"  \n", "corps vide"),
        (b'{"code_caf": "042", "code_caf": "069"}', "champ « code_caf » en double"),
        (b'{"montant": NaN}', "NaN n'est pas une valeur JSON"),
        (b'{"montant": -Infinity}', "-Infinity n'est pas une valeur JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "imbrication trop profonde"),
        (b'{"taux_incapacite_aah": 1' + b"0" * 5000 + b"}", "nombre hors des limites acceptées"),
    ],
)
def test_json_invalide(corps: bytes, message: str) -> None:
    erreur = refus("rdc", corps)
    assert erreur.code == "json_invalide"
    assert message in erreur.detail
    assert erreur.erreurs[0].champ == ""


@pytest.mark.parametrize("corps", [b"[]", b'"rdc"', b"null", b"42"])
def test_corps_qui_n_est_pas_un_objet(corps: bytes) -> None:
    erreur = refus("rdc", corps)
    assert erreur.code == "schema_invalide"
    assert champs(erreur) == {"": "objet JSON attendu (entre accolades)"}


# --- stage 2: schema ---


def test_toutes_les_erreurs_de_schema_sont_listees_en_francais() -> None:
    donnees = exemple_rdc(
        AUJOURD_HUI,
        civilite=ABSENT,
        nom_assure=ABSENT,
        type_allocation="ASS",
        code_postal="4200",
        zone_adresse1="x" * 101,
        date_naissance="14/05/1962",
        taux_incapacite_aah="80",
        email="",
        numero_allocataire="123",
    )
    erreur = refus("rdc", donnees)
    assert erreur.code == "schema_invalide"
    assert "schemas/rdc.schema.json" in erreur.detail
    assert champs(erreur) == {
        "civilite": "champ obligatoire absent",
        "nom_assure": "champ obligatoire absent",
        "type_allocation": "valeur non autorisée ; valeurs admises : « AAH », « RSA »",
        "code_postal": "format invalide : code postal français sur 5 chiffres, par exemple « 42000 »",
        "zone_adresse1": "trop long : 100 caractères au plus (101 reçus)",
        "date_naissance": "date invalide : attendu une chaîne AAAA-MM-JJ (ISO 8601) désignant "
        "un jour qui existe, par exemple « 1962-05-14 »",
        "taux_incapacite_aah": "nombre entier JSON attendu (sans guillemets ni partie décimale)",
        "email": "valeur vide interdite : un champ facultatif sans valeur s'omet (ou vaut null), "
        "il ne s'envoie pas vide",
        "numero_allocataire": "champ inconnu : ce flux n'a pas de champ de ce nom",
    }


def test_chemin_pointe_dans_les_listes() -> None:
    erreur = refus("cloture-rdc", exemple_cloture_rdc(regimes_affiliation=["MSA", ""]))
    assert set(champs(erreur)) == {"regimes_affiliation.1"}


@pytest.mark.parametrize(
    ("flux", "donnees"),
    [
        ("rdc", exemple_rdc(AUJOURD_HUI, civilite="Madame", code_commune="2a004", telephone1="04.77",
                            code_caf=42, code_pays="fr", nom_assure="A" * 200, prenoms_assure=None)),
        ("cloture-rdc", exemple_cloture_rdc(code_carsat="r", statut_rdc=True, date_taux_plein=20310101,
                                            regimes_affiliation="MSA", en_reponse_a="42",
                                            destinataire="Caf 042", reference="r" * 65)),
        ("avis-depot", exemple_avis_depot(reception_demande="oui", transfert_regime=["x"] * 51,
                                          mode_liquidation={"a": 1})),
        ("notification-retraite", exemple_notification_retraite(
            montant="12,50", montant_total=-1, date_effet="2027-02-30", type_montant=None,
            statut_demande="accord")),
        ("notification-retraite", exemple_notification_retraite(
            montant="1.005", montant_total="1e12", nir_assure=162054221812359)),
        ("notification-retraite", exemple_notification_retraite(montant="Infinity", montant_total=True)),
    ],
)
def test_chaque_erreur_de_schema_a_un_message_francais_dedie(flux: str, donnees: dict[str, Any]) -> None:
    erreur = refus(flux, donnees)
    assert erreur.code == "schema_invalide"
    for message in champs(erreur).values():
        assert "contrôle «" not in message, message  # the generic fallback
        assert "Input" not in message and "should" not in message


def test_les_messages_ne_recopient_pas_les_valeurs_recues() -> None:
    donnees = exemple_rdc(AUJOURD_HUI, email="claire@@secret", telephone1="secret", nom_assure="X" * 120)
    erreur = refus("rdc", donnees)
    assert "secret" not in repr(erreur.erreurs) + erreur.detail
    assert "XXX" not in repr(erreur.erreurs)


# --- nir_invalide ---


@pytest.mark.parametrize("flux", sorted(CATALOGUE))
def test_nir_seul_fautif(flux: str) -> None:
    exemples = {
        "rdc": exemple_rdc(AUJOURD_HUI),
        "passage-retraite": exemple_passage_retraite(AUJOURD_HUI),
        "cloture-rdc": exemple_cloture_rdc(),
        "avis-depot": exemple_avis_depot(),
        "notification-retraite": exemple_notification_retraite(),
    }
    donnees = exemples[flux]
    cle = int(donnees["nir_assure"][13:])
    donnees["nir_assure"] = donnees["nir_assure"][:13] + f"{cle % 97 + 1:02d}"
    erreur = refus(flux, donnees)
    assert erreur.code == "nir_invalide"
    assert list(champs(erreur)) == ["nir_assure"]
    assert "ne correspond pas aux 13 premiers caractères" in champs(erreur)["nir_assure"]


def test_nia_refuse() -> None:
    nir = exemple_rdc(AUJOURD_HUI)["nir_assure"]
    erreur = refus("rdc", exemple_rdc(AUJOURD_HUI, nir_assure="7" + nir[1:]))
    assert erreur.code == "nir_invalide"
    assert "NIA" in champs(erreur)["nir_assure"]


def test_nir_fautif_parmi_d_autres_erreurs() -> None:
    erreur = refus("rdc", exemple_rdc(AUJOURD_HUI, nir_assure="123", code_postal="1"))
    assert erreur.code == "schema_invalide"
    assert set(champs(erreur)) == {"nir_assure", "code_postal"}


@pytest.mark.parametrize("valeur", [ABSENT, None, 162054221812359])
def test_nir_absent_ou_pas_une_chaine(valeur: Any) -> None:
    assert refus("rdc", exemple_rdc(AUJOURD_HUI, nir_assure=valeur)).code == "schema_invalide"


# --- business rules ---


def test_nir_incoherent_avec_la_naissance() -> None:
    donnees = exemple_rdc(AUJOURD_HUI)
    naissance = date.fromisoformat(donnees["date_naissance"])
    donnees["nir_assure"] = nir_fictif(naissance.replace(month=naissance.month % 12 + 1))
    erreur = refus("rdc", donnees)
    assert erreur.code == "nir_incoherent"
    assert "mois de naissance du NIR" in champs(erreur)["nir_assure"]


@pytest.mark.parametrize("flux", ["rdc", "passage-retraite"])
def test_fenetre_aux_bornes(flux: str) -> None:
    naissance = date(1965, 6, 15)
    fenetre = table_age_legal().fenetre(flux, naissance)
    exemple = exemple_rdc if flux == "rdc" else exemple_passage_retraite
    donnees = exemple(naissance=naissance)
    valider(flux, donnees, jour=fenetre.ouverture)
    valider(flux, donnees, jour=fenetre.echeance)
    valider(flux, donnees, jour=fenetre.fermeture - timedelta(days=1))

    tot = refus(flux, donnees, jour=fenetre.ouverture - timedelta(days=1))
    tard = refus(flux, donnees, jour=fenetre.fermeture)
    assert tot.code == tard.code == "hors_fenetre"
    message = champs(tot)["date_naissance"]
    assert f"signalement {flux} trop tôt" in message
    dernier_jour = fenetre.fermeture - timedelta(days=1)
    assert f"du {fenetre.ouverture.isoformat()} au {dernier_jour.isoformat()} inclus" in message
    assert f"échéance le {fenetre.echeance.isoformat()}" in message
    assert f"table d'âge légal version {VERSION}" in message
    assert "trop tard" in champs(tard)["date_naissance"]


def test_fenetre_rdc_concrete() -> None:
    # Born 1968-01-01, legal age 64: rdc accepted 2027-01-01 .. 2031-12-31.
    donnees = exemple_rdc(naissance=date(1968, 1, 1))
    valider("rdc", donnees, jour=date(2027, 1, 1))
    assert "du 2027-01-01 au 2031-12-31 inclus (échéance le 2029-07-01)" in champs(
        refus("rdc", donnees, jour=date(2026, 12, 31))
    )["date_naissance"]


def test_code_caf_de_l_emetteur() -> None:
    erreur = refus("rdc", exemple_rdc(AUJOURD_HUI, code_caf="069"))
    assert erreur.code == "emetteur_incoherent"
    assert "caf-042" in champs(erreur)["code_caf"] and "« 042 »" in champs(erreur)["code_caf"]


def test_code_carsat_de_l_emetteur() -> None:
    erreur = refus("cloture-rdc", exemple_cloture_rdc(code_carsat="AL"))
    assert erreur.code == "emetteur_incoherent"
    assert set(champs(erreur)) == {"code_carsat"}


def test_type_d_emetteur_laisse_aux_conventions() -> None:
    """Who may send a flux is decided by habilitations/; validation only checks the number."""
    erreur = refus("rdc", exemple_rdc(AUJOURD_HUI), emetteur=CARSAT_RA)
    assert erreur.code == "emetteur_incoherent"
    assert set(champs(erreur)) == {"code_caf"}


def test_emetteur_sans_numero_dans_l_annuaire() -> None:
    anonyme = Organisme(code="caf-999", type="caf", nom="CAF sans numéro")
    erreur = refus("passage-retraite", exemple_passage_retraite(AUJOURD_HUI), emetteur=anonyme)
    assert erreur.code == "emetteur_incoherent"
    assert "ne donne pas de numéro" in champs(erreur)["code_caf"]


def test_cnav_et_cgss_peuvent_repondre() -> None:
    cnav = Organisme(code="cnav-idf", type="cnav", nom="Cnav Île-de-France", numero="IDF")
    valider("cloture-rdc", exemple_cloture_rdc(code_carsat="IDF"), emetteur=cnav)
    valider("avis-depot", exemple_avis_depot(), emetteur=cnav)


def test_rejet_sans_motif() -> None:
    erreur = refus("notification-retraite", exemple_notification_retraite(statut_demande="rejet"))
    assert erreur.code == "motif_rejet_manquant"
    assert set(champs(erreur)) == {"motif_rejet"}
    valider(
        "notification-retraite",
        exemple_notification_retraite(statut_demande="rejet", motif_rejet="Durée d'assurance insuffisante",
                                      montant=ABSENT, montant_total=ABSENT, type_montant=ABSENT),
    )


def test_attribution_avec_motif() -> None:
    erreur = refus("notification-retraite", exemple_notification_retraite(motif_rejet="sans objet"))
    assert erreur.code == "champ_incompatible"


@pytest.mark.parametrize(
    ("flux", "donnees", "attendu"),
    [
        ("cloture-rdc", exemple_cloture_rdc(en_reponse_a=ABSENT), "répond à un message rdc"),
        ("avis-depot", exemple_avis_depot(en_reponse_a=None), "répond à un message passage-retraite"),
        ("notification-retraite", exemple_notification_retraite(en_reponse_a=ABSENT), "passage-retraite"),
    ],
)
def test_reponse_sans_demande(flux: str, donnees: dict[str, Any], attendu: str) -> None:
    erreur = refus(flux, donnees)
    assert erreur.code == "reponse_sans_demande"
    assert attendu in champs(erreur)["en_reponse_a"]


def test_signalement_qui_pretend_repondre() -> None:
    erreur = refus("rdc", exemple_rdc(AUJOURD_HUI, en_reponse_a="3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f"))
    assert erreur.code == "champ_incompatible"
    assert set(champs(erreur)) == {"en_reponse_a"}


def test_date_de_reception() -> None:
    manquante = refus("avis-depot", exemple_avis_depot(date_reception_demande=ABSENT))
    assert manquante.code == "date_reception_manquante"
    assert set(champs(manquante)) == {"date_reception_demande"}
    en_trop = refus("avis-depot", exemple_avis_depot(reception_demande=False))
    assert en_trop.code == "champ_incompatible"
    valider("avis-depot", exemple_avis_depot(reception_demande=False, date_reception_demande=None))


def test_taux_d_incapacite_reserve_a_l_aah() -> None:
    erreur = refus("rdc", exemple_rdc(AUJOURD_HUI, type_allocation="RSA"))
    assert erreur.code == "champ_incompatible"
    assert set(champs(erreur)) == {"taux_incapacite_aah"}
    valider("rdc", exemple_rdc(AUJOURD_HUI, type_allocation="RSA", taux_incapacite_aah=ABSENT))
    valider("rdc", exemple_rdc(AUJOURD_HUI, type_allocation="AAH", taux_incapacite_aah=ABSENT))


def test_toutes_les_regles_en_une_reponse() -> None:
    donnees = exemple_rdc(AUJOURD_HUI, code_caf="069", type_allocation="RSA")
    naissance = date.fromisoformat(donnees["date_naissance"])
    donnees["nir_assure"] = nir_fictif(naissance.replace(year=naissance.year - 1))
    erreur = refus("rdc", donnees, jour=date(2050, 1, 1))
    assert erreur.code == "emetteur_incoherent"  # the first rule in REGLES order
    assert list(champs(erreur)) == ["code_caf", "nir_assure", "date_naissance", "taux_incapacite_aah"]
    assert "4 règle(s)" in erreur.detail
