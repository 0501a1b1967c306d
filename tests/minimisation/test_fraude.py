"""Art. 2.8: fraud signals travel between fraud-prevention agents only — the sender's key must
have the ``lutte-fraude`` profile, and at the destination only keys of that profile see them."""

from __future__ import annotations

from typing import Any

from passerelle.app import connecteurs_de, livreur_de
from tests.auditeurs.outils import nirs_de_test
from tests.minimisation.outils import client_dev
from tests.robots.outils import derniere_entree


def _signal(passerelle: Any, destinataire: str = "carsat-ra", **surcharges: Any) -> dict[str, Any]:
    donnees = {
        "destinataire": destinataire,
        "reference": "CTRL-2026-0412",
        "nir_assure": nirs_de_test(passerelle.horloge().date())[0],
        "nature": "non_residence",
        "periode_debut": "2025-01-01",
        "periode_fin": "2026-06-30",
        "montant_en_jeu": "8420.50",
        "description": "courriers retournés NPAI depuis 2025, retraite versée sur un compte à l'étranger",
    }
    donnees.update(surcharges)
    return donnees


def test_signal_d_une_cle_hors_lutte_fraude_refuse_et_journalise(passerelle) -> None:  # type: ignore[no-untyped-def]
    gestion = passerelle.organisme("caf-042", agent="sophie.bernard@caf-042")
    reponse = gestion.envoyer("suspicion-fraude", _signal(passerelle))
    assert reponse.statut == 403 and reponse.donnees["code"] == "profil_non_autorise"
    assert reponse.donnees["detail"] == (
        "le flux suspicion-fraude de caf-042 vers carsat-ra n'est ouvert qu'aux clés de profil lutte-fraude; "
        "la clé utilisée a le profil gestion"
    )
    entree = derniere_entree(passerelle, decision="refuse")
    assert entree["code"] == "profil_non_autorise" and entree["cle"] == "caf-042-dev-2026" and entree["flux"] == "suspicion-fraude"


def test_signal_lutte_fraude_accepte_et_lisible_des_seules_cles_lutte_fraude(passerelle) -> None:  # type: ignore[no-untyped-def]
    fraude_caf = client_dev(passerelle, "caf-042-fraude-dev-2026", agent="marc.blanc@caf-042")
    recu = fraude_caf.envoyer("suspicion-fraude", _signal(passerelle))
    assert recu.statut == 202, recu.donnees
    assert recu.donnees["convention"] == "cnaf-cnav-2019-lutte-fraude"
    assert derniere_entree(passerelle, decision="accepte")["convention"] == "cnaf-cnav-2019-lutte-fraude"

    gestion_carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    assert gestion_carsat.boite().donnees["messages"] == []  # not in a non-fraud key's listing
    refus = gestion_carsat.acquitter(recu.donnees["id"])  # nor can it take it out of the inbox
    assert refus.statut == 404 and refus.donnees["code"] == "message_inconnu"

    fraude_carsat = client_dev(passerelle, "carsat-ra-fraude-dev-2026", agent="nadia.kaci@carsat-ra")
    [message] = fraude_carsat.boite().donnees["messages"]
    assert message["id"] == recu.donnees["id"] and message["reference"] == "CTRL-2026-0412"
    assert message["contenu"]["nature"] == "non_residence" and message["contenu"]["montant_en_jeu"] == "8420.50"
    consulte = derniere_entree(passerelle, decision="consulte")
    assert consulte["cle"] == "carsat-ra-fraude-dev-2026" and consulte["message"] == recu.donnees["id"]
    assert fraude_carsat.acquitter(recu.donnees["id"]).statut == 200


def test_dans_les_deux_sens(passerelle) -> None:  # type: ignore[no-untyped-def]
    carsat = client_dev(passerelle, "carsat-ra-fraude-dev-2026")
    assert carsat.envoyer("suspicion-fraude", _signal(passerelle, "caf-042")).statut == 202
    cnav = client_dev(passerelle, "cnav-idf-fraude-dev-2026")
    assert cnav.envoyer("suspicion-fraude", _signal(passerelle, "caf-075")).statut == 202
    assert passerelle.organisme("caf-042").boite().donnees["messages"] == []
    assert len(client_dev(passerelle, "caf-042-fraude-dev-2026").boite().donnees["messages"]) == 1
    # Between two CAFs, no convention: the fraud flux is interbranch.
    caf = client_dev(passerelle, "caf-042-fraude-dev-2026")
    assert caf.envoyer("suspicion-fraude", _signal(passerelle, "caf-069")).donnees["code"] == "destinataire_non_autorise"


def test_signal_invalide_dit_chaque_champ(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = client_dev(passerelle, "caf-042-fraude-dev-2026")
    donnees = _signal(passerelle, periode_fin="2024-12-31", nature="soupcon", description="x" * 1001)
    del donnees["reference"]
    reponse = caf.envoyer("suspicion-fraude", donnees)
    assert reponse.statut == 422
    champs = {e["champ"] for e in reponse.donnees["erreurs"]}
    assert champs == {"periode_fin", "nature", "description", "reference"}
    sans_destinataire = _signal(passerelle)
    del sans_destinataire["destinataire"]
    assert caf.envoyer("suspicion-fraude", sans_destinataire).donnees["code"] == "destinataire_indetermine"


def test_jamais_pousse_a_un_systeme_hors_lutte_fraude(passerelle) -> None:  # type: ignore[no-untyped-def]
    """A push destination whose delivery profile may not read fraud signals never gets one: the
    delivery is dead at once, visibly, with what to change — not silently pushed, not lost."""
    import asyncio

    import yaml

    from passerelle.acheminement.livraison import livrer_une_fois

    chemin = passerelle.config / "annuaire" / "organismes.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    for organisme in contenu["organismes"]:
        if organisme["code"] == "carsat-ra":
            organisme["connecteur"] = {"type": "http", "url": "http://127.0.0.1:9/jamais", "timeout": 1}
    chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True))
    passerelle.services.annuaire._intervalle = 0
    recu = client_dev(passerelle, "caf-042-fraude-dev-2026").envoyer("suspicion-fraude", _signal(passerelle))
    assert recu.statut == 202

    async def tour() -> int:
        connecteurs = connecteurs_de(passerelle.services)
        try:
            return await livrer_une_fois(livreur_de(passerelle.services), connecteurs)
        finally:
            await connecteurs.fermer()

    assert asyncio.run(tour()) == 1
    entree = derniere_entree(passerelle, decision="mort")
    assert entree["message"] == recu.donnees["id"] and entree["code"] == "livraison_abandonnee"
    assert "profil de livraison gestion de carsat-ra n'est pas habilité" in entree["details"]["erreur"]
    suivi = client_dev(passerelle, "caf-042-fraude-dev-2026").message(recu.donnees["id"]).donnees
    assert suivi["statut"] == "mort"
