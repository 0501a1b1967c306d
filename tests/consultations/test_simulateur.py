"""The simulated Carsat answers the gateway's consultations from fictional data that always fits
the answer models — directly, and through the gateway over HTTP with its signature checked."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import httpx

from connecteurs.simulateurs import consultations as simulees
from connecteurs.simulateurs.carsat import SCHEMA as SCHEMA_CARSAT
from connecteurs.simulateurs.carsat import CarsatSimulee, CleGateway
from connecteurs.simulateurs.commun import Arret, Magasin
from passerelle.consultations.modeles import (
    DemandePeriodesCarriere,
    ReponsePeriodesCarriere,
    ReponseStatutAspa,
)
from tests.acheminement.recepteur import ServeurRecepteur
from tests.acheminement.test_livraison import _pousser_vers
from tests.catalogue.exemples import nir_fictif, table_age_legal
from tests.consultations.test_consultations import question_aspa, question_carriere
from tests.simulateurs.test_bout_en_bout import HorlogeSimulee


def _question(type_: str, parametres: dict[str, object]) -> bytes:
    return json.dumps({"type": type_, "emetteur": "caf-042", "destinataire": "carsat-ra", "parametres": parametres}).encode()


def test_reponses_fictives_conformes_aux_modeles() -> None:
    deposees = 0
    for i in range(300):
        naissance = date(1960, 1, 1) + timedelta(days=37 * i)
        parametres = {"nir_assure": nir_fictif(naissance, ordre=f"{i % 999 + 1:03d}"), "prestation": "clca",
                      "du": "2021-02-01", "au": "2025-12-31"}
        statut, corps = simulees.repondre("periodes-carriere", _question("periodes-carriere", parametres))
        assert statut == 200
        reponse = ReponsePeriodesCarriere.model_validate_json(json.dumps(corps))
        assert reponse.manquements(DemandePeriodesCarriere.model_validate_json(json.dumps(parametres))) == []
        statut, corps = simulees.repondre("statut-aspa", _question("statut-aspa", {
            "nir_assure": parametres["nir_assure"], "date_naissance": naissance.isoformat()}))
        assert statut == 200
        deposees += ReponseStatutAspa.model_validate_json(json.dumps(corps)).demande_deposee
    assert 150 < deposees < 270  # about 70 %
    # deterministic per NIR
    assert simulees.repondre("statut-aspa", _question("statut-aspa", question_aspa())) == simulees.repondre(
        "statut-aspa", _question("statut-aspa", question_aspa()))
    assert simulees.repondre("revenus", b"{}")[0] == 404
    assert simulees.repondre("statut-aspa", b"{}")[0] == 400


def test_par_la_passerelle(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cles = CleGateway(passerelle.client)
    cles.charger()
    carsat = CarsatSimulee(Magasin(tmp_path / "carsat.db", SCHEMA_CARSAT), HorlogeSimulee(passerelle.horloge),
                           table_age_legal(), cles, passerelle.organisme("carsat-ra"), None, Arret())
    with ServeurRecepteur(carsat.application()) as serveur:  # type: ignore[arg-type]
        _pousser_vers(passerelle, "carsat-ra", serveur.url)
        caf = passerelle.organisme("caf-042")
        carriere = caf.consulter("periodes-carriere", question_carriere())
        assert carriere.statut == 200, carriere.donnees
        assert carriere.donnees["reponse"]["source"] == "sngc"
        aspa = caf.consulter("statut-aspa", question_aspa())
        assert aspa.statut == 200 and isinstance(aspa.donnees["reponse"]["demande_deposee"], bool)
        # not signed by the gateway: refused by the simulated Carsat
        faux = httpx.post(f"{serveur.url}/consultations/statut-aspa", content=_question("statut-aspa", question_aspa()))
        assert faux.status_code == 401
