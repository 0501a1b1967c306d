"""AVPF enquiries end to end (convention Cnaf-Cnav 2019, art. 2.5), on both databases.

The Carsat does not know which CAF handles AVPF for its insured: it sends the enquiry without
a destinataire, with the person's département, and the gateway routes it to the pivot
designated in config/mutualisation.yaml (CAF de la Loire for the Rhône). Only that pivot may
answer. Past the 30-day delay the case is late, not closed: the answer is still taken, and the
journal says it came late.
"""

from __future__ import annotations

from typing import Any

from passerelle.app import echeancier_de
from passerelle.acheminement.echeances import traiter_echeances
from tests.demandes.exemples import (
    PERIODES_AVPF,
    avis,
    entrees_journal,
    exemple_enquete_avpf,
    exemple_reponse_avpf,
    motifs_avpf,
)


def _enqueter(passerelle: Any, emetteur: str = "carsat-ra", **surcharges: Any) -> dict[str, Any]:
    recu = passerelle.organisme(emetteur).envoyer("enquete-avpf", exemple_enquete_avpf(**surcharges))
    assert recu.statut == 202, recu.donnees
    return recu.donnees


def test_sans_destinataire_l_enquete_va_au_pivot_du_departement(passerelle) -> None:  # type: ignore[no-untyped-def]
    recu = _enqueter(passerelle)
    assert recu["destinataire"] == "caf-042" and recu["convention"] == "cnaf-cnav-2019"
    [recue] = passerelle.organisme("caf-042").boite().donnees["messages"]
    assert recue["id"] == recu["id"] and recue["flux"] == "enquete-avpf"
    assert recue["contenu"]["periodes"] == PERIODES_AVPF and recue["contenu"]["departement"] == "69"
    assert passerelle.organisme("caf-069").boite().donnees["messages"] == []  # the person's own CAF is not the pivot
    [accepte] = [e for e in entrees_journal(passerelle, recu["id"]) if e["decision"] == "accepte"]
    assert accepte["destinataire"] == "caf-042"
    assert accepte["details"]["regles"] == f"motifs-avpf {motifs_avpf().version}"


def test_pivot_ile_de_france(passerelle) -> None:  # type: ignore[no-untyped-def]
    recu = _enqueter(passerelle, "cnav-idf", departement="93")
    assert recu["destinataire"] == "caf-075"


def test_nommer_une_autre_caf_que_le_pivot_est_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    refus = passerelle.organisme("carsat-ra").envoyer("enquete-avpf", exemple_enquete_avpf(destinataire="caf-069"))
    assert refus.statut == 422 and refus.donnees["code"] == "destinataire_non_pivot"
    assert "caf-042" in refus.donnees["detail"]


def test_departement_sans_pivot_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    refus = passerelle.organisme("carsat-ra").envoyer("enquete-avpf", exemple_enquete_avpf(departement="2A"))
    assert refus.statut == 422 and refus.donnees["code"] == "destinataire_indetermine"
    assert "2A" in refus.donnees["detail"]


def test_seul_le_pivot_peut_repondre(passerelle) -> None:  # type: ignore[no-untyped-def]
    recu = _enqueter(passerelle)
    intrus = passerelle.organisme("caf-069").envoyer("reponse-avpf", exemple_reponse_avpf(recu["id"]))
    assert intrus.statut == 422 and intrus.donnees["code"] == "demande_inconnue"
    reponse = passerelle.organisme("caf-042").envoyer("reponse-avpf", exemple_reponse_avpf(recu["id"]))
    assert reponse.statut == 202 and reponse.donnees["destinataire"] == "carsat-ra"
    [recue] = passerelle.organisme("carsat-ra").boite().donnees["messages"]
    assert recue["en_reponse_a"] == recu["id"]
    assert recue["contenu"]["resultats"][0]["periodes_avpf"][0]["prestation"] == "CF"
    assert recue["contenu"]["resultats"][1] == {"periode": PERIODES_AVPF[1], "affiliation_avpf": False, "periodes_avpf": []}


def test_rappels_puis_retard_puis_reponse_tardive_acceptee(passerelle) -> None:  # type: ignore[no-untyped-def]
    carsat, pivot = passerelle.organisme("carsat-ra"), passerelle.organisme("caf-042")
    demande = _enqueter(passerelle)["id"]
    pivot.acquitter(demande)

    passerelle.horloge.avancer(days=23)  # 7 days before the 30-day deadline
    assert traiter_echeances(echeancier_de(passerelle.services)) == 1
    assert [a["evenement"] for a in avis(pivot)] == ["rappel"]
    assert [a["evenement"] for a in avis(carsat)] == ["rappel"]

    passerelle.horloge.avancer(days=5)  # 2 days before
    assert traiter_echeances(echeancier_de(passerelle.services)) == 1
    passerelle.horloge.avancer(days=2)  # the deadline
    assert traiter_echeances(echeancier_de(passerelle.services)) == 1
    assert traiter_echeances(echeancier_de(passerelle.services)) == 0
    for partie in (pivot, carsat):
        assert [a["evenement"] for a in avis(partie)] == ["rappel", "en_retard"]

    passerelle.horloge.avancer(days=10)
    assert traiter_echeances(echeancier_de(passerelle.services)) == 0  # late is said once
    tardive = pivot.envoyer("reponse-avpf", exemple_reponse_avpf(demande))
    assert tardive.statut == 202, tardive.donnees
    [accepte] = entrees_journal(passerelle, tardive.donnees["id"])
    assert accepte["decision"] == "accepte" and accepte["details"]["en_retard"] is True
    assert accepte["details"]["en_reponse_a"] == demande

    transitions = [e["decision"] for e in entrees_journal(passerelle, demande) if e["decision"] not in ("consulte", "acquitte")]
    assert transitions == ["accepte", "rappel", "rappel", "en_retard"]
    [retard] = [e for e in entrees_journal(passerelle, demande) if e["decision"] == "en_retard"]
    assert retard.get("code") is None and retard["destinataire"] == "caf-042"

    double = pivot.envoyer("reponse-avpf", exemple_reponse_avpf(demande))
    assert double.statut == 409 and double.donnees["code"] == "reponse_en_double"


def test_la_reponse_couvre_exactement_les_periodes_demandees(passerelle) -> None:  # type: ignore[no-untyped-def]
    pivot = passerelle.organisme("caf-042")
    demande = _enqueter(passerelle)["id"]
    complete = exemple_reponse_avpf(demande)

    oubli = exemple_reponse_avpf(demande, resultats=complete["resultats"][:1])
    refus = pivot.envoyer("reponse-avpf", oubli)
    assert refus.statut == 422 and refus.donnees["code"] == "periode_non_repondue"
    assert "du 1998-03-01 au 1999-08-31" in refus.donnees["erreurs"][0]["message"]

    ajout = exemple_reponse_avpf(demande)
    ajout["resultats"].append({"periode": {"debut": "2001-01-01", "fin": "2001-12-31"}, "affiliation_avpf": False})
    refus = pivot.envoyer("reponse-avpf", ajout)
    assert refus.statut == 422 and refus.donnees["code"] == "periode_non_demandee"
    assert refus.donnees["erreurs"][0]["champ"] == "resultats.2.periode"

    # Refusals leave the case open: the complete answer is then taken.
    assert pivot.envoyer("reponse-avpf", complete).statut == 202


def test_motif_hors_liste_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    refus = passerelle.organisme("carsat-ra").envoyer("enquete-avpf", exemple_enquete_avpf(motif="curiosite"))
    assert refus.statut == 422 and refus.donnees["code"] == "motif_inconnu"
    assert "report_absent" in refus.donnees["erreurs"][0]["message"]
    assert motifs_avpf().version in refus.donnees["erreurs"][0]["message"]


def test_une_caf_ne_lance_pas_d_enquete(passerelle) -> None:  # type: ignore[no-untyped-def]
    refus = passerelle.organisme("caf-069").envoyer("enquete-avpf", exemple_enquete_avpf())
    assert refus.statut == 403 and refus.donnees["code"] in ("convention_absente", "destinataire_non_autorise")
