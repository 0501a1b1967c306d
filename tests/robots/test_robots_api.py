"""Annex 2 at the gateway: a robot calls within its agreed windows, at its agreed rate, naming
the technician behind it — and every access, allowed or refused, is journaled with the robot
and that technician, on every organisme endpoint (send, batch, inbox...)."""

from __future__ import annotations

import json
import uuid

from tests.catalogue.exemples import exemple_cloture_rdc, exemple_rdc
from tests.robots.outils import MATIN, SOIR, TECHNICIEN, derniere_entree, robot_caf


def test_hors_plage_refuse_et_journalise(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.horloge.instant = MATIN  # Monday 11:00 in Paris: peak hours
    robot = robot_caf(passerelle)
    reponse = robot.envoyer("rdc", exemple_rdc(aujourd_hui=MATIN.date()))
    assert reponse.statut == 403 and reponse.est_probleme
    assert reponse.donnees["code"] == "hors_plage_robot"
    assert "avant 07:00 et à partir de 19:00" in reponse.donnees["detail"]
    assert "il est 11:00 le lundi 23/11/2026" in reponse.donnees["detail"]
    entree = derniere_entree(passerelle, decision="refuse")
    assert entree["code"] == "hors_plage_robot" and entree["robot"] == "ad-caf042-09"
    assert entree["agent"] == TECHNICIEN and entree["organisme"] == "caf-042" and entree["flux"] == "rdc"
    # The inbox too: one hook for every organisme endpoint.
    assert robot.boite().donnees["code"] == "hors_plage_robot"
    assert derniere_entree(passerelle, decision="refuse")["details"]["operation"] == "boite"
    # The same key's human colleagues are not concerned: only robot keys have windows.
    assert passerelle.organisme("caf-042").boite().statut == 200


def test_debit_depasse_429_retry_after_journalise(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.horloge.instant = SOIR.replace(second=40)
    robot = robot_caf(passerelle, debit=2)
    assert robot.boite().statut == 200
    assert robot.boite().statut == 200
    trop = robot.boite()
    assert trop.statut == 429 and trop.donnees["code"] == "debit_robot_depasse"
    assert trop.entetes["retry-after"] == "20"  # seconds to the next minute window
    assert "limité à 2 requêtes par minute" in trop.donnees["detail"]
    entree = derniere_entree(passerelle, decision="refuse")
    assert entree["code"] == "debit_robot_depasse" and entree["robot"] == "ad-caf042-09" and entree["agent"] == TECHNICIEN
    assert entree["details"]["statut"] == 429
    passerelle.horloge.avancer(seconds=19)
    assert robot.boite().statut == 429  # attempts count: still the same minute
    passerelle.horloge.avancer(seconds=1)
    assert robot.boite().statut == 200  # a new window


def test_un_robot_ne_se_nomme_pas_lui_meme(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.horloge.instant = SOIR
    robot = robot_caf(passerelle, technicien="ad-caf042-09")
    reponse = robot.boite()
    assert reponse.statut == 403 and reponse.donnees["code"] == "technicien_absent"
    assert derniere_entree(passerelle, decision="refuse")["robot"] == "ad-caf042-09"


def test_dans_sa_plage_accepte_et_chaque_acces_porte_robot_et_technicien(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.horloge.instant = SOIR
    robot = robot_caf(passerelle)
    donnees = exemple_rdc(aujourd_hui=SOIR.date())
    recu = robot.envoyer("rdc", donnees)
    assert recu.statut == 202, recu.donnees
    accepte = derniere_entree(passerelle, decision="accepte")
    assert accepte["robot"] == "ad-caf042-09" and accepte["agent"] == TECHNICIEN
    assert accepte["cle"] == "caf-042-ad-caf042-09-test" and accepte["horodatage"].startswith("2026-11-23T20:00")
    assert accepte["nir"] == passerelle.services.journal.index_nir(donnees["nir_assure"])  # blind index, never in clear
    assert donnees["nir_assure"] not in json.dumps(accepte)
    # The Carsat answers; the robot reads the CAF's inbox: the read is a robot access too.
    carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    reponse = carsat.envoyer("cloture-rdc", exemple_cloture_rdc(en_reponse_a=recu.donnees["id"], nir_assure=donnees["nir_assure"]))
    assert reponse.statut == 202, reponse.donnees
    boite = robot.boite().donnees["messages"]
    assert [m["id"] for m in boite] == [reponse.donnees["id"]]
    consulte = derniere_entree(passerelle, decision="consulte")
    assert consulte["robot"] == "ad-caf042-09" and consulte["agent"] == TECHNICIEN and consulte["organisme"] == "caf-042"
    assert consulte["nir"] == accepte["nir"]


def test_lot_d_un_robot_hors_plage_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.horloge.instant = MATIN
    robot = robot_caf(passerelle)
    ligne = json.dumps(exemple_rdc(aujourd_hui=MATIN.date())).encode()
    reponse = robot.envoyer_lot("rdc", ligne + b"\n", cle_lot=str(uuid.uuid4()))
    assert reponse.statut == 403 and reponse.donnees["code"] == "hors_plage_robot"
    assert derniere_entree(passerelle, decision="refuse")["robot"] == "ad-caf042-09"
