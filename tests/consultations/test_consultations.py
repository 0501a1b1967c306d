"""``POST /v1/consultations/{type}`` against a destination reached over real HTTP: the answer
signed and checked, the question and its outcome journaled (NIR as a blind index only), and
every way the destination can fail turned into its RFC 9457 problem."""

from __future__ import annotations

import json
import socket
from datetime import date

import pytest
import sqlalchemy as sa

from passerelle.stockage.tables import journal
from tests.acheminement.recepteur import ServeurRecepteur
from tests.acheminement.test_livraison import _pousser_vers
from tests.catalogue.exemples import nir_fictif
from tests.consultations.destinataire import Destinataire

NAISSANCE_PREPARE = date(1992, 4, 17)
NAISSANCE_ASPA = date(1961, 9, 10)  # 65 in September 2026; the test clock reads 2026-11-23


def question_carriere(**surcharges: object) -> dict[str, object]:
    donnees: dict[str, object] = {
        "nir_assure": nir_fictif(NAISSANCE_PREPARE),
        "prestation": "prepare",
        "du": "2023-12-01",
        "au": "2025-11-30",
        "reference": "prepare-2026-0042",
    }
    donnees.update(surcharges)
    return donnees


def question_aspa(**surcharges: object) -> dict[str, object]:
    donnees: dict[str, object] = {"nir_assure": nir_fictif(NAISSANCE_ASPA), "date_naissance": NAISSANCE_ASPA.isoformat()}
    donnees.update(surcharges)
    return donnees


@pytest.fixture
def destinataire(passerelle):  # type: ignore[no-untyped-def]
    publique = passerelle.services.secrets.cle_signature.public_key()
    destinataire = Destinataire(publique=publique, horloge=passerelle.horloge)
    with ServeurRecepteur(destinataire) as serveur:  # type: ignore[arg-type]
        _pousser_vers(passerelle, "carsat-ra", serveur.url)
        yield destinataire


def _entrees(passerelle, consultation_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        lignes = c.execute(sa.select(journal.c.entree).where(journal.c.message_id == consultation_id).order_by(journal.c.index))
        return [json.loads(bytes(e)) for (e,) in lignes]


def _derniere_entree(passerelle) -> dict:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        (entree,) = c.execute(sa.select(journal.c.entree).order_by(journal.c.index.desc()).limit(1)).one()
    return json.loads(bytes(entree))


def test_periodes_carriere_repondues_signees_et_journalisees(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042", "claire.martin@caf-042")
    reponse = caf.consulter("periodes-carriere", question_carriere())  # the client checks the signature
    assert reponse.statut == 200, reponse.donnees
    corps = reponse.donnees
    assert corps["emetteur"] == "caf-042" and corps["destinataire"] == "carsat-ra"  # routed by territory
    assert corps["convention"] == "cnaf-cnav-2019-prepare-clca" and corps["reference"] == "prepare-2026-0042"
    assert corps["reponse"]["source"] == "sngc" and len(corps["reponse"]["periodes"]) == 2
    assert "type_employeur" not in corps["reponse"]["periodes"][1]  # absent stays absent
    assert "signature" in reponse.entetes and "content-digest" in reponse.entetes
    # the destination got the question without the envelope (minimisation), signed by the gateway
    [question] = destinataire.recues
    assert question["type"] == "periodes-carriere" and question["emetteur"] == "caf-042"
    assert set(question["parametres"]) == {"nir_assure", "prestation", "du", "au"}
    assert destinataire.refus == []

    demandee, repondue = _entrees(passerelle, corps["id"])
    assert demandee["decision"] == "consultation_demandee" and repondue["decision"] == "consultation_repondue"
    assert demandee["flux"] == repondue["flux"] == "consultation:periodes-carriere"
    assert demandee["agent"] == repondue["agent"] == "claire.martin@caf-042"
    assert demandee["nir"] == repondue["nir"] == passerelle.services.journal.index_nir(nir_fictif(NAISSANCE_PREPARE))
    assert repondue["empreinte"] == corps["empreinte_reponse"] and demandee["empreinte"] == corps["empreinte"]
    assert repondue["details"]["demande"] == corps["journal_index_demande"]
    with passerelle.services.moteur.connect() as c:
        tout = b"".join(bytes(e) for (e,) in c.execute(sa.select(journal.c.entree)))
    assert nir_fictif(NAISSANCE_PREPARE).encode() not in tout  # never in clear


def test_statut_aspa_destinataire_nomme(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    reponse = passerelle.organisme("caf-069").consulter("statut-aspa", question_aspa(destinataire="carsat-ra"))
    assert reponse.statut == 200, reponse.donnees
    assert reponse.donnees["reponse"] == {"demande_deposee": True, "date_depot": "2026-09-14", "statut_demande": "en_cours"}
    assert reponse.donnees["convention"] == "cnaf-cnav-2019-aspa"


def test_question_commitee_avant_d_interroger(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    """No transaction is held while the destination thinks: the question's entry is already
    committed (visible from another connection) when the destination is asked."""
    vues: list[list[str]] = []

    def regarder() -> None:
        with passerelle.services.moteur.begin() as c:  # a write transaction would wait on SQLite
            vues.append([d for (d,) in c.execute(sa.select(journal.c.decision).order_by(journal.c.index))])

    destinataire.pendant = regarder
    assert passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere()).statut == 200
    assert vues == [["consultation_demandee"]]


def test_delai_depasse_504(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    passerelle.services.reglages.consultation_delai = 0.3
    destinataire.attente = 2.0
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 504 and reponse.est_probleme
    assert reponse.donnees["code"] == "consultation_delai_depasse"
    entree = _derniere_entree(passerelle)
    assert entree["decision"] == "consultation_echouee" and entree["code"] == "consultation_delai_depasse"
    assert entree["details"]["statut"] == 504 and entree["details"]["temporaire"] is True


def test_destinataire_en_panne_503(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    destinataire.statut = 503
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 503 and reponse.donnees["code"] == "destinataire_indisponible"
    assert "503" in reponse.donnees["detail"]


def test_destinataire_injoignable_503(passerelle) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    _pousser_vers(passerelle, "carsat-ra", f"http://127.0.0.1:{port}")
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 503 and reponse.donnees["code"] == "destinataire_indisponible"
    entree = _derniere_entree(passerelle)
    assert entree["decision"] == "consultation_echouee" and "cause" in entree["details"]


def test_destinataire_en_boite_503(passerelle) -> None:  # type: ignore[no-untyped-def]
    """The example directory: carsat-ra reads its inbox, it has no synchronous endpoint."""
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 503 and reponse.donnees["code"] == "consultation_non_prise_en_charge"


@pytest.mark.parametrize(
    "reponse_destinataire",
    [
        {"periodes": [], "source": "sngc", "nir_assure": "262054221812345"},  # more than the model allows
        {"periodes": [{"du": "2024-01-01", "au": "2024-12-31", "nature": "activite_salariee",
                       "regime": "regime_general", "trimestres": 9}], "source": "sngc"},  # 9 quarters in a year
        {"periodes": [{"du": "2019-01-01", "au": "2019-12-31", "nature": "avpf",
                       "regime": "regime_general", "trimestres": 4}], "source": "sngc"},  # not the period asked
        {"source": "sngc"},
    ],
)
def test_reponse_invalide_502(passerelle, destinataire, reponse_destinataire) -> None:  # type: ignore[no-untyped-def]
    destinataire.reponses["periodes-carriere"] = reponse_destinataire
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 502 and reponse.donnees["code"] == "reponse_destinataire_invalide"
    assert "262054221812345" not in reponse.donnees["detail"]  # fields named, values never quoted
    assert _derniere_entree(passerelle)["code"] == "reponse_destinataire_invalide"


def test_reponse_qui_n_est_pas_du_json_502(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    destinataire.corps_brut = b"<html>maintenance</html>"
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 502 and reponse.donnees["code"] == "reponse_destinataire_invalide"


def test_refus_du_destinataire_502(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    destinataire.statut = 400
    reponse = passerelle.organisme("caf-042").consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 502 and reponse.donnees["code"] == "consultation_refusee_par_destinataire"


@pytest.mark.parametrize(
    ("type_", "donnees", "statut", "code", "champs"),
    [
        ("periodes-carriere", question_carriere(nir_assure="262054221812399"), 422, "nir_invalide", {"nir_assure"}),
        ("periodes-carriere", question_carriere(prestation="rsa", du="01/12/2023"), 422, "schema_invalide", {"prestation", "du"}),
        ("periodes-carriere", question_carriere(du="2025-12-01", au="2025-01-01"), 422, "regle_consultation", {"au"}),
        ("periodes-carriere", question_carriere(du="2015-01-01"), 422, "regle_consultation", {"au"}),
        ("periodes-carriere", question_carriere(au="2027-01-31"), 422, "regle_consultation", {"au"}),
        ("statut-aspa", question_aspa(date_naissance="1975-03-02", nir_assure=nir_fictif(date(1975, 3, 2))), 422,
         "regle_consultation", {"date_naissance"}),
        ("statut-aspa", question_aspa(date_naissance="1961-10-10"), 422, "regle_consultation", {"nir_assure"}),
        ("statut-aspa", question_aspa(inconnu=1), 422, "schema_invalide", {"inconnu"}),
        ("revenus", question_aspa(), 404, "consultation_inconnue", set()),
    ],
)
def test_question_refusee(passerelle, destinataire, type_, donnees, statut, code, champs) -> None:  # type: ignore[no-untyped-def]
    reponse = passerelle.organisme("caf-042").consulter(type_, donnees)
    assert reponse.statut == statut and reponse.donnees["code"] == code, reponse.donnees
    assert {e["champ"] for e in reponse.donnees.get("erreurs", [])} == champs
    assert destinataire.recues == []  # nobody was asked
    entree = _derniere_entree(passerelle)
    assert entree["decision"] == "refuse" and entree["code"] == code


def test_autorisation(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    carsat = passerelle.organisme("carsat-ra")
    refus = carsat.consulter("statut-aspa", question_aspa(destinataire="caf-042"))
    assert refus.statut == 403 and refus.donnees["code"] == "sens_non_autorise"
    # caf-075 (Paris) is routed to cnav-idf, which the conventions allow: only the inbox refuses
    assert passerelle.organisme("caf-075").consulter("statut-aspa", question_aspa()).donnees["code"] == (
        "consultation_non_prise_en_charge"
    )
    sans_signature = passerelle.client.post("/v1/consultations/statut-aspa", content=json.dumps(question_aspa()),
                                            headers={"Content-Type": "application/json"})
    assert sans_signature.status_code == 401
    caf = passerelle.organisme("caf-042")
    texte = caf._http.post("/v1/consultations/statut-aspa", content=b"x", headers={"Content-Type": "text/plain"}, auth=caf._auth)
    assert texte.status_code == 415 and texte.json()["code"] == "type_contenu_non_supporte"
    assert destinataire.recues == []


def test_accord_local_puis_caduc(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    """caf-042/carsat-ra have a local ASPA agreement (2022); the national convention voids it
    and authorises in its place. Were the national one still to come, the local agreement would
    be the one in force — for its two parties only."""
    assert passerelle.organisme("caf-042").consulter("statut-aspa", question_aspa()).donnees["convention"] == "cnaf-cnav-2019-aspa"
    services = passerelle.services
    services.conventions = tuple(
        c.model_copy(update={"debut": date(2027, 1, 1)}) if c.id == "cnaf-cnav-2019-aspa" else c for c in services.conventions
    )
    reponse = passerelle.organisme("caf-042").consulter("statut-aspa", question_aspa())
    assert reponse.statut == 200 and reponse.donnees["convention"] == "caf-042-carsat-ra-aspa"
    reponse = passerelle.organisme("caf-069").consulter("statut-aspa", question_aspa())
    assert reponse.statut == 403 and reponse.donnees["code"] == "convention_hors_vigueur"
    assert "prend effet le 2027-01-01" in reponse.donnees["detail"]


def test_metriques_des_consultations(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    caf.consulter("periodes-carriere", question_carriere())
    destinataire.statut = 503
    caf.consulter("periodes-carriere", question_carriere())
    texte = passerelle.client.get("/metrics").text
    assert 'passerelle_decisions_total{code="",decision="repondue",operation="consultation"} 1.0' in texte
    assert 'passerelle_decisions_total{code="destinataire_indisponible",decision="echec",operation="consultation"} 1.0' in texte


def _robot(passerelle, technicien: str = "claire.martin@caf-042"):  # type: ignore[no-untyped-def]
    from passerelle.annuaire.cles import lire_privee_pem
    from passerelle.client import ClientPasserelle

    keyid = "caf-042-ad-01-dev-2026"
    cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    return ClientPasserelle("http://testserver", cle, keyid, technicien, http=passerelle.client,
                            horloge=passerelle.horloge.timestamp)


def test_robot_eopps_journalise_avec_son_technicien(passerelle, destinataire) -> None:  # type: ignore[no-untyped-def]
    """Annex 2: the CAF's career robot consults within its agreed window; both entries name the
    robot and the technician; outside the window nobody is asked."""
    horloge = passerelle.horloge
    refus = _robot(passerelle).consulter("periodes-carriere", question_carriere())  # Monday 11:00 in Paris
    assert refus.statut == 403 and refus.donnees["code"] == "hors_plage_robot"
    assert destinataire.recues == []
    horloge.instant = horloge.instant.replace(hour=20)  # 21:00 in Paris: within 19:00-07:00
    reponse = _robot(passerelle).consulter("periodes-carriere", question_carriere())
    assert reponse.statut == 200, reponse.donnees
    for entree in _entrees(passerelle, reponse.donnees["id"]):
        assert entree["robot"] == "ad-caf042-01" and entree["agent"] == "claire.martin@caf-042"
