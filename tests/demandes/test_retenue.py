"""The retention form end to end (convention Cnaf-Cnav 2019, art. 2.3), on both databases.

carsat-ra asks caf-042 how much of a pension back-pay to withhold; the convention gives the
CAF 15 days (reminders 5 days and 1 day before). The clock is moved and the deadline worker run
by hand: reminders reach both inboxes, the deadline expires the case, and from then on the
Carsat withholds nothing — a late answer is refused with ``delai_depasse``.
"""

from __future__ import annotations

from typing import Any

from passerelle.app import echeancier_de
from passerelle.acheminement.echeances import traiter_echeances
from tests.demandes.exemples import (
    avis,
    entrees_journal,
    exemple_retenue_demande,
    exemple_retenue_reponse,
)


def _demander(passerelle: Any, **surcharges: Any) -> str:
    recu = passerelle.organisme("carsat-ra").envoyer("retenue-demande", exemple_retenue_demande(**surcharges))
    assert recu.statut == 202, recu.donnees
    assert recu.donnees["destinataire"] == "caf-042"
    assert recu.donnees["convention"] == "cnaf-cnav-2019"
    return recu.donnees["id"]


def _echeances(passerelle: Any) -> int:
    return traiter_echeances(echeancier_de(passerelle.services))


def test_rappels_puis_expiration_puis_reponse_tardive_refusee(passerelle) -> None:  # type: ignore[no-untyped-def]
    carsat, caf = passerelle.organisme("carsat-ra"), passerelle.organisme("caf-042")
    demande = _demander(passerelle)
    [recue] = caf.boite().donnees["messages"]
    assert recue["id"] == demande and recue["contenu"]["montant_rappel_disponible"] == "1850.40"

    assert _echeances(passerelle) == 0
    passerelle.horloge.avancer(days=9, hours=23)
    assert _echeances(passerelle) == 0  # first reminder is due 5 days before the 15-day deadline

    passerelle.horloge.avancer(hours=1)  # day 10: first reminder
    assert _echeances(passerelle) == 1
    for partie in (caf, carsat):
        [rappel] = avis(partie)
        assert rappel["evenement"] == "rappel" and rappel["demande"] == demande
        assert rappel["en_reponse_a"] == demande
        assert rappel["flux_reponse"] == "retenue-reponse"
        assert rappel["demandeur"] == "carsat-ra" and rappel["repondant"] == "caf-042"
        assert rappel["echeance"] == "2026-12-08T10:00:00.000000Z"

    passerelle.horloge.avancer(days=4)  # day 14: second reminder
    assert _echeances(passerelle) == 1
    assert [a["evenement"] for a in avis(caf)] == ["rappel"]
    assert [a["evenement"] for a in avis(carsat)] == ["rappel"]

    passerelle.horloge.avancer(days=1)  # day 15: the agreed delay is over
    assert _echeances(passerelle) == 1
    assert _echeances(passerelle) == 0  # once
    for partie in (caf, carsat):
        [expire] = avis(partie)
        assert expire["evenement"] == "expire" and "refusée" in expire["consequence"]

    tardive = caf.envoyer("retenue-reponse", exemple_retenue_reponse(demande))
    assert tardive.statut == 409 and tardive.donnees["code"] == "delai_depasse"
    assert "2026-12-08 10:00" in tardive.donnees["detail"]

    journal = entrees_journal(passerelle, demande)
    transitions = [(e["decision"], e.get("code")) for e in journal if e["decision"] != "consulte"]
    assert transitions == [
        ("accepte", None), ("rappel", None), ("rappel", None), ("expire", "delai_depasse"),
    ]  # fmt: skip
    for entree in journal[1:]:
        if entree["decision"] in ("rappel", "expire"):
            assert entree["destinataire"] == "caf-042" and entree["convention"] == "cnaf-cnav-2019"
            assert entree["details"] == {"demandeur": "carsat-ra", "echeance": "2026-12-08T10:00:00.000000Z"}
    refus = [e for e in entrees_journal(passerelle) if e["decision"] == "refuse"]
    assert refus[-1]["code"] == "delai_depasse" and refus[-1]["flux"] == "retenue-reponse"


def test_reponse_tardive_refusee_meme_sans_passage_du_traitement(passerelle) -> None:  # type: ignore[no-untyped-def]
    """The deadline is a fact of the case, not of the worker: no round needed to refuse."""
    demande = _demander(passerelle)
    passerelle.horloge.avancer(days=15)
    tardive = passerelle.organisme("caf-042").envoyer("retenue-reponse", exemple_retenue_reponse(demande))
    assert tardive.statut == 409 and tardive.donnees["code"] == "delai_depasse"


def test_reponse_dans_le_delai_puis_en_double(passerelle) -> None:  # type: ignore[no-untyped-def]
    carsat, caf = passerelle.organisme("carsat-ra"), passerelle.organisme("caf-042")
    demande = _demander(passerelle)
    passerelle.horloge.avancer(days=3)
    reponse = caf.envoyer("retenue-reponse", exemple_retenue_reponse(demande))
    assert reponse.statut == 202, reponse.donnees
    assert reponse.donnees["destinataire"] == "carsat-ra"  # an answer goes back to who asked
    [recue] = carsat.boite().donnees["messages"]
    assert recue["en_reponse_a"] == demande and recue["contenu"]["montant_retenue"] == "612.35"

    double = caf.envoyer("retenue-reponse", exemple_retenue_reponse(demande, montant_retenue="0"))
    assert double.statut == 409 and double.donnees["code"] == "reponse_en_double"

    passerelle.horloge.avancer(days=30)  # an answered case has no reminder nor deadline any more
    assert _echeances(passerelle) == 0
    assert avis(caf) == [] and avis(carsat) == []
    [accepte] = [e for e in entrees_journal(passerelle, reponse.donnees["id"]) if e["decision"] == "accepte"]
    assert accepte["details"]["en_reponse_a"] == demande and "en_retard" not in accepte["details"]


def test_montant_zero_accepte(passerelle) -> None:  # type: ignore[no-untyped-def]
    demande = _demander(passerelle)
    reponse = passerelle.organisme("caf-042").envoyer("retenue-reponse", exemple_retenue_reponse(demande, montant_retenue=0))
    assert reponse.statut == 202, reponse.donnees
    [recue] = passerelle.organisme("carsat-ra").boite().donnees["messages"]
    assert recue["contenu"]["montant_retenue"] == "0.00"


def test_montant_egal_au_rappel_accepte_au_dela_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    demande = _demander(passerelle)
    trop = caf.envoyer("retenue-reponse", exemple_retenue_reponse(demande, montant_retenue="1850.41"))
    assert trop.statut == 422 and trop.donnees["code"] == "montant_superieur_au_rappel"
    [erreur] = trop.donnees["erreurs"]
    assert erreur["champ"] == "montant_retenue" and "1850.40" in erreur["message"]
    juste = caf.envoyer("retenue-reponse", exemple_retenue_reponse(demande, montant_retenue=1850.4))
    assert juste.statut == 202, juste.donnees


def test_formulaire_non_requis_quand_notifie_plus_d_un_mois_avant_l_effet(passerelle) -> None:  # type: ignore[no-untyped-def]
    carsat = passerelle.organisme("carsat-ra")
    refus = carsat.envoyer(
        "retenue-demande", exemple_retenue_demande(date_notification="2026-10-31", date_effet="2026-12-01")
    )
    assert refus.statut == 422 and refus.donnees["code"] == "formulaire_non_requis"
    assert refus.donnees["erreurs"][0]["champ"] == "date_notification"
    assert "2026-11-01" in refus.donnees["erreurs"][0]["message"]
    # Exactly one month before is not "more than" one month: the form is due.
    _demander(passerelle, date_notification="2026-11-01", date_effet="2026-12-01")
    assert entrees_journal(passerelle)[-1]["decision"] == "accepte"


def test_la_carsat_nomme_la_caf(passerelle) -> None:  # type: ignore[no-untyped-def]
    """carsat-ra covers several CAF: without a destinataire there is no one CAF to choose."""
    refus = passerelle.organisme("carsat-ra").envoyer("retenue-demande", exemple_retenue_demande(destinataire=None))
    assert refus.statut == 422 and refus.donnees["code"] == "destinataire_indetermine"
    assert "nommez le destinataire" in refus.donnees["detail"]


def test_lot_de_reponses_decide_chaque_ligne(passerelle) -> None:  # type: ignore[no-untyped-def]
    """A CAF answering its forms in one NDJSON batch: each line is decided as if sent alone,
    including a second answer to the same form inside the same batch."""
    import json

    premiere, seconde = _demander(passerelle), _demander(passerelle)
    lignes = [
        exemple_retenue_reponse(premiere, montant_retenue="100.00"),
        exemple_retenue_reponse(seconde, montant_retenue="9999.00"),
        exemple_retenue_reponse(seconde, montant_retenue="0"),
        exemple_retenue_reponse(premiere, montant_retenue="50.00"),
    ]
    corps = b"".join(json.dumps(ligne).encode() + b"\n" for ligne in lignes)
    reponse = passerelle.organisme("caf-042").envoyer_lot("retenue-reponse", corps, cle_lot="retenues-2026-11-23")
    assert reponse.statut == 200, reponse.donnees
    resultats = reponse.donnees["resultats"]
    assert ["id" in r for r in resultats] == [True, False, True, False]
    assert resultats[1]["probleme"]["code"] == "montant_superieur_au_rappel"
    assert resultats[3]["probleme"]["code"] == "reponse_en_double"


def test_lot_csv_de_formulaires(passerelle) -> None:  # type: ignore[no-untyped-def]
    """Flat flux take CSV batches, headed with the fields' names (NIRAssuré, DateEffet...);
    each accepted line opens its own case."""
    import csv
    import io

    from passerelle.catalogue.colonnes import colonnes

    modele = passerelle.services.catalogue["retenue-demande"].modele
    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, delimiter=";")
    ecrivain.writerow([colonne for colonne, _ in colonnes(modele)])
    for surcharges in ({}, {"date_notification": "2026-08-01"}, {"montant_rappel_disponible": "0.5"}):
        donnees = exemple_retenue_demande(**surcharges)
        ecrivain.writerow([str(donnees.get(champ, "")) for _, champ in colonnes(modele)])
    reponse = passerelle.organisme("carsat-ra").envoyer_lot(
        "retenue-demande", tampon.getvalue().encode(), cle_lot="csv-retenues", type_contenu="text/csv"
    )
    assert reponse.statut == 200, reponse.donnees
    resultats = reponse.donnees["resultats"]
    assert ["id" in r for r in resultats] == [True, False, True]
    assert resultats[1]["probleme"]["code"] == "formulaire_non_requis"
    assert "DateNotification" in tampon.getvalue().splitlines()[0]
    passerelle.horloge.avancer(days=10)
    assert _echeances(passerelle) == 2
