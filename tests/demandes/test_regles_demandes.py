"""The business rules of the retention, AVPF and subrogation flux, as pure functions.

No gateway here: ``valider_message`` with a hand-made context, the request's payload given as
``demande_donnees`` the way acceptance hands it over (the stored JSON of the request).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.avpf import MotifsInvalides, charger_motifs_avpf
from passerelle.catalogue.retenue import limite_formulaire
from passerelle.catalogue.validation import (
    ContexteValidation,
    MessageValide,
    valider_message,
)
from passerelle.erreurs import RefusValidation
from tests.catalogue.exemples import CAF_042, CARSAT_RA, catalogue, table_age_legal
from tests.demandes.exemples import (
    ABSENT,
    CAF_030,
    CPAM_030,
    PERIODES_AVPF,
    exemple_enquete_avpf,
    exemple_reponse_avpf,
    exemple_retenue_demande,
    exemple_retenue_reponse,
    exemple_subrogation_demande,
    exemple_subrogation_reponse,
    motifs_avpf,
)

AUJOURD_HUI = date(2026, 11, 23)
ID_DEMANDE = "0b7e6a52-91c4-4f0e-a3d1-5f2c9e8b7a61"
EMETTEURS = {
    "retenue-demande": CARSAT_RA, "retenue-reponse": CAF_042,
    "enquete-avpf": CARSAT_RA, "reponse-avpf": CAF_042,
    "subrogation-demande": CPAM_030, "subrogation-reponse": CAF_030,
}  # fmt: skip
NOUVEAUX_FLUX = tuple(EMETTEURS)


def valider(
    flux: str,
    donnees: dict[str, Any],
    *,
    demande: dict[str, Any] | None = None,
    jour: date = AUJOURD_HUI,
    motifs: Any = "config",
    emetteur: Organisme | None = None,
) -> MessageValide:
    """``demande``: the request's payload as sent; stored as the gateway stores it (validated)."""
    demande_donnees = None
    if demande is not None:
        flux_demande = catalogue()[flux].repond_a[0]
        demande_donnees = valider(flux_demande, demande, jour=jour).donnees
    contexte = ContexteValidation(
        emetteur or EMETTEURS[flux],
        jour,
        table_age_legal(),
        motifs_avpf=motifs_avpf() if motifs == "config" else motifs,
        demande_donnees=demande_donnees,
    )
    return valider_message(catalogue()[flux], json.dumps(donnees).encode(), contexte)


def refus(flux: str, donnees: dict[str, Any], **options: Any) -> RefusValidation:
    with pytest.raises(RefusValidation) as erreur:
        valider(flux, donnees, **options)
    assert erreur.value.erreurs
    return erreur.value


# --- the models are documented like the annex-1 ones ---------------------------------------


def _modeles(modele: type[BaseModel]) -> list[type[BaseModel]]:
    trouves = [modele]
    for champ in modele.model_fields.values():
        for candidat in (champ.annotation, *getattr(champ.annotation, "__args__", ())):
            if isinstance(candidat, type) and issubclass(candidat, BaseModel):
                trouves.extend(_modeles(candidat))
    return trouves


@pytest.mark.parametrize("flux", NOUVEAUX_FLUX)
def test_modeles_stricts_et_documentes(flux: str) -> None:
    for modele in _modeles(catalogue()[flux].modele):
        assert modele.model_config["extra"] == "forbid", modele
        for nom, champ in modele.model_fields.items():
            assert champ.description and champ.description.startswith(f"{champ.title} — "), (modele, nom)


def test_registre() -> None:
    registre = catalogue()
    assert (registre["retenue-demande"].reponse, registre["retenue-demande"].a_echeance) == ("retenue-reponse", "expire")
    assert (registre["enquete-avpf"].reponse, registre["enquete-avpf"].a_echeance) == ("reponse-avpf", "en_retard")
    assert registre["enquete-avpf"].mutualisation == "avpf"
    assert (registre["subrogation-demande"].reponse, registre["subrogation-demande"].a_echeance) == (
        "subrogation-reponse", "expire",
    )  # fmt: skip
    for reponse, demande in [
        ("retenue-reponse", "retenue-demande"), ("reponse-avpf", "enquete-avpf"),
        ("subrogation-reponse", "subrogation-demande"),
    ]:  # fmt: skip
        assert registre[reponse].repond_a == (demande,)


@pytest.mark.parametrize(
    ("flux", "donnees"),
    [
        ("retenue-demande", exemple_retenue_demande()),
        ("retenue-reponse", exemple_retenue_reponse(ID_DEMANDE)),
        ("enquete-avpf", exemple_enquete_avpf()),
        ("reponse-avpf", exemple_reponse_avpf(ID_DEMANDE)),
        ("subrogation-demande", exemple_subrogation_demande()),
        ("subrogation-reponse", exemple_subrogation_reponse(ID_DEMANDE)),
    ],
)
def test_les_exemples_passent(flux: str, donnees: dict[str, Any]) -> None:
    assert valider(flux, donnees).flux == flux


# --- retention: the one-month rule ----------------------------------------------------------


@pytest.mark.parametrize(
    ("effet", "limite"),
    [
        (date(2026, 12, 1), date(2026, 11, 1)),
        (date(2027, 1, 1), date(2026, 12, 1)),  # across the year
        (date(2027, 3, 31), date(2027, 2, 28)),  # clamped to the month's end
        (date(2028, 3, 31), date(2028, 2, 29)),  # leap year
        (date(2027, 5, 31), date(2027, 4, 30)),
    ],
)
def test_limite_un_mois_avant_l_effet(effet: date, limite: date) -> None:
    assert limite_formulaire(effet) == limite


@pytest.mark.parametrize(
    ("notification", "effet", "requis"),
    [
        ("2026-11-01", "2026-12-01", True),  # exactly one month before: not "more than"
        ("2026-10-31", "2026-12-01", False),  # one day more
        ("2026-02-28", "2026-03-31", True),  # boundary 28 February for an effect on 31 March
        ("2026-02-27", "2026-03-31", False),
        ("2026-11-16", "2026-10-01", True),  # notified after the effect: the usual late case
        ("2026-11-23", "2026-11-23", True),
    ],
)
def test_formulaire_requis_ou_non(notification: str, effet: str, requis: bool) -> None:
    donnees = exemple_retenue_demande(date_notification=notification, date_effet=effet)
    if requis:
        valider("retenue-demande", donnees)
    else:
        erreur = refus("retenue-demande", donnees)
        assert erreur.code == "formulaire_non_requis"
        assert erreur.erreurs[0].champ == "date_notification"
        assert "art. 2.3" in erreur.erreurs[0].message


def test_notification_a_venir_refusee() -> None:
    erreur = refus("retenue-demande", exemple_retenue_demande(date_notification="2026-11-24", date_effet="2026-12-01"))
    assert erreur.code == "date_notification_future"


@pytest.mark.parametrize("montant", ["1850.40", "0", 0, "0.00", 612.35, "1850.4"])
def test_montant_retenu_jusqu_au_rappel(montant: Any) -> None:
    valider("retenue-reponse", exemple_retenue_reponse(ID_DEMANDE, montant_retenue=montant), demande=exemple_retenue_demande())


@pytest.mark.parametrize("montant", ["1850.41", 1851, "99999.99"])
def test_montant_retenu_au_dela_du_rappel(montant: Any) -> None:
    erreur = refus(
        "retenue-reponse",
        exemple_retenue_reponse(ID_DEMANDE, montant_retenue=montant),
        demande=exemple_retenue_demande(),
    )
    assert erreur.code == "montant_superieur_au_rappel"
    assert erreur.erreurs[0].champ == "montant_retenue" and "1850.40 €" in erreur.erreurs[0].message


def test_sans_la_demande_le_plafond_n_est_pas_verifie() -> None:
    """Validated alone (no request at hand), the answer is checked for its form only."""
    valider("retenue-reponse", exemple_retenue_reponse(ID_DEMANDE, montant_retenue="99999.99"))


@pytest.mark.parametrize("montant", ["-1", "12.345", "1e3", "abc"])
def test_montant_mal_forme(montant: str) -> None:
    assert refus("retenue-reponse", exemple_retenue_reponse(ID_DEMANDE, montant_retenue=montant)).code == "schema_invalide"


# --- AVPF enquiry ---------------------------------------------------------------------------


def test_motif_de_la_liste_et_version_citee() -> None:
    message = valider("enquete-avpf", exemple_enquete_avpf(motif="enfant_handicape"))
    assert message.regles_version == f"motifs-avpf {motifs_avpf().version}"
    erreur = refus("enquete-avpf", exemple_enquete_avpf(motif="autre"))
    assert erreur.code == "motif_inconnu" and erreur.erreurs[0].champ == "motif"
    assert "« report_absent »" in erreur.erreurs[0].message


def test_sans_liste_de_motifs_aucune_enquete() -> None:
    erreur = refus("enquete-avpf", exemple_enquete_avpf(), motifs=None)
    assert erreur.code == "motif_inconnu" and "motifs-avpf.yaml" in erreur.erreurs[0].message


@pytest.mark.parametrize("departement", ["01", "2A", "2B", "69", "95", "971", "976"])
def test_departements_admis(departement: str) -> None:
    valider("enquete-avpf", exemple_enquete_avpf(departement=departement))


@pytest.mark.parametrize("departement", ["20", "00", "96", "6", "069", "970", "979", "2C", "rh"])
def test_departements_refuses(departement: str) -> None:
    erreur = refus("enquete-avpf", exemple_enquete_avpf(departement=departement))
    assert erreur.code == "schema_invalide"
    assert erreur.erreurs[0].champ == "departement" and "2A" in erreur.erreurs[0].message


def test_periodes_demandees() -> None:
    inversee = exemple_enquete_avpf(periodes=[{"debut": "1999-12-31", "fin": "1999-01-01"}])
    erreur = refus("enquete-avpf", inversee)
    assert erreur.code == "periode_inversee" and erreur.erreurs[0].champ == "periodes.0.fin"

    future = exemple_enquete_avpf(periodes=[{"debut": "2026-01-01", "fin": "2026-12-31"}])
    assert refus("enquete-avpf", future).code == "periode_future"
    valider("enquete-avpf", exemple_enquete_avpf(periodes=[{"debut": "2026-01-01", "fin": "2026-11-23"}]))

    chevauchement = exemple_enquete_avpf(periodes=[*PERIODES_AVPF, {"debut": "1999-08-31", "fin": "2000-12-31"}])
    erreur = refus("enquete-avpf", chevauchement)
    assert erreur.code == "periodes_chevauchantes" and erreur.erreurs[0].champ == "periodes.2"
    assert refus("enquete-avpf", exemple_enquete_avpf(periodes=[PERIODES_AVPF[0]] * 2)).code == "periodes_chevauchantes"

    assert refus("enquete-avpf", exemple_enquete_avpf(periodes=[])).code == "schema_invalide"
    assert refus("enquete-avpf", exemple_enquete_avpf(periodes=ABSENT)).code == "schema_invalide"
    annees = [{"debut": f"{a}-01-01", "fin": f"{a}-12-31"} for a in range(1960, 2011)]
    assert refus("enquete-avpf", exemple_enquete_avpf(periodes=annees)).code == "schema_invalide"  # 51 > 50
    assert valider("enquete-avpf", exemple_enquete_avpf(periodes=annees[:50]))


def test_nir_coherent_avec_la_naissance() -> None:
    """The common rule applies to the new flux because its fields are named like the others."""
    assert refus("enquete-avpf", exemple_enquete_avpf(date_naissance="1968-06-12")).code == "nir_incoherent"


# --- AVPF answer ----------------------------------------------------------------------------


def _resultat(periode: dict[str, str], *spans: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "periode": dict(periode),
        "affiliation_avpf": bool(spans),
        "periodes_avpf": [{"debut": d, "fin": f, "prestation": p} for d, f, p in spans],
    }


def repondre(*resultats: dict[str, Any]) -> MessageValide:
    return valider("reponse-avpf", exemple_reponse_avpf(ID_DEMANDE, resultats=list(resultats)), demande=exemple_enquete_avpf())


def refus_reponse(*resultats: dict[str, Any]) -> RefusValidation:
    with pytest.raises(RefusValidation) as erreur:
        repondre(*resultats)
    return erreur.value


def test_une_reponse_par_periode_dans_n_importe_quel_ordre() -> None:
    a, b = PERIODES_AVPF
    repondre(_resultat(b), _resultat(a, ("1995-03-01", "1995-09-30", "AEEH"), ("1995-11-01", "1995-12-31", "AJPP")))


def test_periode_oubliee_ajoutee_ou_repetee() -> None:
    a, b = PERIODES_AVPF
    erreur = refus_reponse(_resultat(a))
    assert erreur.code == "periode_non_repondue" and erreur.erreurs[0].champ == "resultats"
    erreur = refus_reponse(_resultat(a), _resultat(b), _resultat({"debut": "1995-01-01", "fin": "1995-12-30"}))
    assert erreur.code == "periode_non_demandee" and erreur.erreurs[0].champ == "resultats.2.periode"
    erreur = refus_reponse(_resultat(a), _resultat(b), _resultat(b))
    assert erreur.code == "periode_repondue_deux_fois" and erreur.erreurs[0].champ == "resultats.2.periode"


def test_affiliation_et_periodes_coherentes() -> None:
    a, b = PERIODES_AVPF
    sans_periode = {**_resultat(a), "affiliation_avpf": True}
    erreur = refus_reponse(sans_periode, _resultat(b))
    assert erreur.code == "periode_avpf_manquante" and erreur.erreurs[0].champ == "resultats.0.periodes_avpf"
    avec_periode = {**_resultat(a, ("1995-01-01", "1995-06-30", "AF")), "affiliation_avpf": False}
    assert refus_reponse(avec_periode, _resultat(b)).code == "champ_incompatible"


def test_periode_d_affiliation_dans_la_periode_demandee() -> None:
    a, b = PERIODES_AVPF
    erreur = refus_reponse(_resultat(a, ("1994-07-01", "1995-06-30", "CLCA")), _resultat(b))
    assert erreur.code == "periode_hors_demande" and erreur.erreurs[0].champ == "resultats.0.periodes_avpf.0"
    erreur = refus_reponse(_resultat(a, ("1995-06-30", "1995-01-01", "CLCA")), _resultat(b))
    assert erreur.code == "periode_inversee" and erreur.erreurs[0].champ == "resultats.0.periodes_avpf.0.fin"


def test_prestation_de_la_liste() -> None:
    a, b = PERIODES_AVPF
    erreur = refus_reponse(_resultat(a, ("1995-01-01", "1995-12-31", "RSA")), _resultat(b))
    assert erreur.code == "schema_invalide" and "PREPARE" in erreur.erreurs[0].message


# --- subrogation ----------------------------------------------------------------------------


def test_subrogation() -> None:
    demande = exemple_subrogation_demande()
    valider("subrogation-reponse", exemple_subrogation_reponse(ID_DEMANDE, montant_a_subroger="4820.00"), demande=demande)
    valider("subrogation-reponse", exemple_subrogation_reponse(ID_DEMANDE, montant_a_subroger="0"), demande=demande)
    erreur = refus(
        "subrogation-reponse", exemple_subrogation_reponse(ID_DEMANDE, montant_a_subroger="4820.01"), demande=demande
    )
    assert erreur.code == "montant_superieur_au_rappel" and erreur.erreurs[0].champ == "montant_a_subroger"
    inversee = exemple_subrogation_demande(periode={"debut": "2026-09-30", "fin": "2025-10-01"})
    assert refus("subrogation-demande", inversee).code == "periode_inversee"


# --- the list of motives ----------------------------------------------------------------------


def test_liste_des_motifs(tmp_path: Path) -> None:
    assert charger_motifs_avpf(tmp_path / "absent.yaml") is None
    liste = motifs_avpf()
    assert liste.version and "report_absent" in liste.codes and len(set(liste.codes)) == len(liste.codes)
    chemin = tmp_path / "motifs.yaml"
    chemin.write_text(
        "version: v\nen_vigueur_le: 2026-01-01\nsource: s\nmotifs:\n"
        "  - {code: a_b, libelle: x}\n  - {code: a_b, libelle: y}\n"
    )
    with pytest.raises(MotifsInvalides, match="en double"):
        charger_motifs_avpf(chemin)
    chemin.write_text("version: v\nen_vigueur_le: 2026-01-01\nsource: s\nmotifs:\n  - {code: A B, libelle: x}\n")
    with pytest.raises(MotifsInvalides):
        charger_motifs_avpf(chemin)
    chemin.write_text("version: v\nen_vigueur_le: 2026-01-01\nsource: s\nmotifs: []\n")
    with pytest.raises(MotifsInvalides):
        charger_motifs_avpf(chemin)
