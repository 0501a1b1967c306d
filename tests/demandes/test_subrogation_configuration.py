"""A request/answer flow added as configuration: CPAM → CAF subrogation (CAF/CPAM du Gard).

FLUX.md § 2 asks that the CPAM–CAF subrogation on invalidity back-pay be added "as
configuration plus a schema, not as new plumbing". What was added for it:

- ``passerelle/catalogue/subrogation.py``: the two models (the schema) and the ceiling rule;
- ``config/flux.yaml``: ``subrogation-demande`` (``reponse: subrogation-reponse``,
  ``a_echeance: expire``, ``destinataires: [caf]``) and ``subrogation-reponse``;
- ``config/conventions/caf-cpam-gard-subrogation.yaml``: a local convention naming the two
  caisses by code, with the answer delay (P21D) and reminders (7 and 2 days before);
- ``config/annuaire/organismes.yaml``: ``caf-030`` and ``cpam-030`` (and their dev keys).

No line of routing, deadline, journal, delivery or storage code names it — checked below —
and yet the request is routed by territory, opens a case, gets reminders in both inboxes,
expires, and a late answer is refused, exactly like the Cnaf-Cnav retention form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from passerelle.app import echeancier_de
from passerelle.acheminement.echeances import traiter_echeances
from tests.demandes.exemples import (
    avis,
    entrees_journal,
    exemple_subrogation_demande,
    exemple_subrogation_reponse,
)

PAQUET = Path(__file__).resolve().parents[2] / "passerelle"


def test_aucune_plomberie_ne_connait_ce_flux() -> None:
    """Only the catalogue (models and their rules) mentions subrogation."""
    hors_catalogue = [
        chemin.relative_to(PAQUET).as_posix()
        for chemin in PAQUET.rglob("*.py")
        if "subrogation" in chemin.read_text(encoding="utf-8").lower()
        and chemin.parent.name != "catalogue"
    ]
    assert hors_catalogue == []


def _demander(passerelle: Any) -> str:
    recu = passerelle.organisme("cpam-030").envoyer("subrogation-demande", exemple_subrogation_demande())
    assert recu.statut == 202, recu.donnees
    assert recu.donnees["destinataire"] == "caf-030"  # the one CAF of the CPAM's territory
    assert recu.donnees["convention"] == "caf-cpam-gard-subrogation"
    return recu.donnees["id"]


def test_rappels_expiration_et_reponse_tardive_refusee(passerelle) -> None:  # type: ignore[no-untyped-def]
    cpam, caf = passerelle.organisme("cpam-030"), passerelle.organisme("caf-030")
    demande = _demander(passerelle)
    [recue] = caf.boite().donnees["messages"]
    assert recue["id"] == demande and recue["contenu"]["montant_rappel_invalidite"] == "4820.00"

    passerelle.horloge.avancer(days=14)  # 7 days before the 21-day deadline
    assert traiter_echeances(echeancier_de(passerelle.services)) == 1
    passerelle.horloge.avancer(days=5)  # 2 days before
    assert traiter_echeances(echeancier_de(passerelle.services)) == 1
    passerelle.horloge.avancer(days=2)  # the deadline
    assert traiter_echeances(echeancier_de(passerelle.services)) == 1
    for partie in (caf, cpam):
        notices = avis(partie)
        assert [a["evenement"] for a in notices] == ["rappel", "rappel", "expire"]
        assert {a["convention"] for a in notices} == {"caf-cpam-gard-subrogation"}
        assert {a["flux_reponse"] for a in notices} == {"subrogation-reponse"}

    tardive = caf.envoyer("subrogation-reponse", exemple_subrogation_reponse(demande))
    assert tardive.statut == 409 and tardive.donnees["code"] == "delai_depasse"
    transitions = [e["decision"] for e in entrees_journal(passerelle, demande) if e["decision"] in ("accepte", "rappel", "expire")]
    assert transitions == ["accepte", "rappel", "rappel", "expire"]


def test_reponse_dans_le_delai_plafonnee_au_rappel(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-030")
    demande = _demander(passerelle)
    trop = caf.envoyer("subrogation-reponse", exemple_subrogation_reponse(demande, montant_a_subroger="4820.01"))
    assert trop.statut == 422 and trop.donnees["code"] == "montant_superieur_au_rappel"
    assert caf.envoyer("subrogation-reponse", exemple_subrogation_reponse(demande)).statut == 202
    [recue] = passerelle.organisme("cpam-030").boite().donnees["messages"]
    assert recue["en_reponse_a"] == demande and recue["contenu"]["montant_a_subroger"] == "3150.00"


def test_portee_locale(passerelle) -> None:  # type: ignore[no-untyped-def]
    """The local convention names its two caisses: no other CAF receives, no Carsat sends."""
    vers_loire = passerelle.organisme("cpam-030").envoyer(
        "subrogation-demande", exemple_subrogation_demande(destinataire="caf-042")
    )
    assert vers_loire.statut == 403 and vers_loire.donnees["code"] == "destinataire_non_autorise"
    carsat = passerelle.organisme("carsat-ra").envoyer(
        "subrogation-demande", exemple_subrogation_demande(destinataire="caf-030")
    )
    assert carsat.statut == 403 and carsat.donnees["code"] == "convention_absente"
