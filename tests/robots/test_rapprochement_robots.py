"""Annex 2's reconciliation end to end: the retirement side logs robot, NIR and time; the
gateway's journal of the same accesses (a signal sent, an inbox read) names the technician."""

from __future__ import annotations

from datetime import timedelta

from passerelle.auditeurs.rapprochement import rapprocher
from tests.catalogue.exemples import exemple_cloture_rdc, exemple_rdc
from tests.robots.outils import SOIR, TECHNICIEN, robot_caf


def test_le_rapprochement_nomme_le_technicien_de_chaque_acces_robot(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.horloge.instant = SOIR
    robot = robot_caf(passerelle)
    donnees = exemple_rdc(aujourd_hui=SOIR.date())
    nir = donnees["nir_assure"]
    envoi = SOIR
    recu = robot.envoyer("rdc", donnees)
    assert recu.statut == 202, recu.donnees
    passerelle.horloge.avancer(minutes=5)
    carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    assert carsat.envoyer("cloture-rdc", exemple_cloture_rdc(en_reponse_a=recu.donnees["id"], nir_assure=nir)).statut == 202
    passerelle.horloge.avancer(minutes=5)
    lecture = passerelle.horloge()
    autre_robot = robot_caf(passerelle, "ad-caf042-10", technicien="paul.henry@caf-042")
    assert len(autre_robot.boite().donnees["messages"]) == 1  # read by another robot, another technician

    # The retirement side's log: accessor (the robot), NIR, time — a few seconds off ours.
    csv = "identifiant_accedant;nir;horodatage\n"
    csv += f"ad-caf042-09;{nir};{(envoi + timedelta(seconds=3)):%Y-%m-%dT%H:%M:%SZ}\n"
    csv += f"ad-caf042-10;{nir};{(lecture + timedelta(seconds=2)):%Y-%m-%dT%H:%M:%SZ}\n"
    services = passerelle.services
    with services.moteur.begin() as connexion:
        resultat = rapprocher(connexion, services.journal, csv.encode(), tolerance=60, horodatage=services.horloge(),
                              operateur="auditeur.cnav")
    assert [(p.ligne.accedant, p.acces.agent, p.acces.decision) for p in resultat.paires] == [
        ("ad-caf042-09", TECHNICIEN, "accepte"),
        ("ad-caf042-10", "paul.henry@caf-042", "consulte"),
    ]
    assert resultat.lignes_seules == [] and resultat.acces_seuls == [] and resultat.rejetees == []
