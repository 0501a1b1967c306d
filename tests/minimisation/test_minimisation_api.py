"""Minimisation at the gateway: an ``accueil`` reader gets only the fields its convention grants
it, a push to a system of that profile too, and the journal proves what was withheld — the
digest an auditor recomputes from the message itself."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import rfc8785
import yaml

from passerelle.app import connecteurs_de, livreur_de
from passerelle.acheminement.livraison import livrer_une_fois
from tests.acheminement.recepteur import Recepteur, ServeurRecepteur
from tests.catalogue.exemples import exemple_rdc
from tests.minimisation.outils import client_de_profil, restreindre
from tests.robots.outils import derniere_entree

ACCUEIL = ["nir_assure", "civilite", "nom_assure", "prenoms_assure", "date_naissance", "code_caf"]


def _empreinte(retenues: dict) -> str:  # type: ignore[type-arg]
    """Recomputed here from the standards alone: SHA-256 of the RFC 8785 JSON, RFC 9530 form."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(rfc8785.dumps(retenues)).digest()).decode() + ":"


def test_lecteur_accueil_coupe_et_journal_prouve_ce_qui_est_retenu(passerelle) -> None:  # type: ignore[no-untyped-def]
    restreindre(passerelle, "rdc", {"accueil": ACCUEIL, "gestion": "*", "lutte-fraude": "*"})
    accueil = client_de_profil(passerelle, "carsat-ra", "accueil", agent="lea.roux@carsat-ra")
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert recu.statut == 202, recu.donnees

    # A management key reads it whole (and nothing is withheld in its entry)...
    [entier] = passerelle.organisme("carsat-ra").boite().donnees["messages"]
    assert "taux_incapacite_aah" in entier["contenu"] and "email" in entier["contenu"]
    assert "retenu" not in derniere_entree(passerelle, decision="consulte")["details"]

    # ...the reception desk only what the convention grants it.
    [coupe] = accueil.boite().donnees["messages"]
    assert sorted(coupe["contenu"]) == sorted(ACCUEIL)
    assert {k: coupe["contenu"][k] for k in ACCUEIL} == {k: entier["contenu"][k] for k in ACCUEIL}
    assert coupe["id"] == entier["id"] and coupe["empreinte"] == entier["empreinte"]  # the sender's digest, unchanged
    entree = derniere_entree(passerelle, decision="consulte")
    assert entree["cle"] == "carsat-ra-accueil-test" and entree["agent"] == "lea.roux@carsat-ra"
    retenues = {k: v for k, v in entier["contenu"].items() if k not in ACCUEIL}
    assert entree["details"]["retenu"] == {
        "champs": sorted(retenues),
        "empreinte": _empreinte(retenues),
        "profil": "accueil",
    }
    assert retenues["email"] not in json.dumps(entree)  # the digest, never the values


def test_profil_non_nomme_ne_recoit_rien_de_la_charge(passerelle) -> None:  # type: ignore[no-untyped-def]
    restreindre(passerelle, "rdc", {"accueil": ACCUEIL})  # gestion not named: default deny
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert recu.statut == 202
    [vide] = passerelle.organisme("carsat-ra").boite().donnees["messages"]
    assert vide["contenu"] == {} and vide["id"] == recu.donnees["id"]
    assert "nir_assure" in derniere_entree(passerelle, decision="consulte")["details"]["retenu"]["champs"]


def test_livraison_poussee_coupee_au_profil_de_livraison(passerelle) -> None:  # type: ignore[no-untyped-def]
    restreindre(passerelle, "rdc", {"accueil": ACCUEIL, "gestion": "*"})
    recepteur = Recepteur(publique=passerelle.services.secrets.cle_signature.public_key(), horloge=passerelle.horloge)
    with ServeurRecepteur(recepteur) as serveur:
        chemin = passerelle.config / "annuaire" / "organismes.yaml"
        contenu = yaml.safe_load(chemin.read_text())
        for organisme in contenu["organismes"]:
            if organisme["code"] == "carsat-ra":
                organisme["connecteur"] = {"type": "http", "url": serveur.url, "timeout": 5}
                organisme["profil_livraison"] = "accueil"
        chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True))
        passerelle.services.annuaire._intervalle = 0
        donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
        recu = passerelle.organisme("caf-042").envoyer("rdc", donnees)
        assert recu.statut == 202, recu.donnees

        async def tour() -> int:
            connecteurs = connecteurs_de(passerelle.services)
            try:
                return await livrer_une_fois(livreur_de(passerelle.services), connecteurs)
            finally:
                await connecteurs.fermer()

        assert asyncio.run(tour()) == 1
    pousse = recepteur.recus[recu.donnees["id"]]
    assert sorted(pousse["contenu"]) == sorted(ACCUEIL)
    entree = derniere_entree(passerelle, decision="livre")
    envoyes = {k: v for k, v in donnees.items() if k != "destinataire"}  # the payload, without the envelope
    retenues = {k: v for k, v in envoyes.items() if k not in ACCUEIL}
    assert entree["details"]["retenu"] == {"champs": sorted(retenues), "empreinte": _empreinte(retenues), "profil": "accueil"}


def test_champ_non_autorise_a_l_emission(passerelle) -> None:  # type: ignore[no-untyped-def]
    """Minimisation at the source: a field the habilitation does not let the sender send is
    refused (403 champ_non_autorise, each field named), and nothing is stored."""
    from tests.catalogue.exemples import ABSENT
    from tests.minimisation.outils import modifier_habilitations

    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    permis = sorted(k for k in donnees if k not in {"destinataire", "email", "telephone2"})
    modifier_habilitations(passerelle, "rdc", champs_emis=permis)
    caf = passerelle.organisme("caf-042")
    reponse = caf.envoyer("rdc", donnees)
    assert reponse.statut == 403 and reponse.donnees["code"] == "champ_non_autorise"
    assert [e["champ"] for e in reponse.donnees["erreurs"]] == ["email", "telephone2"]
    assert derniere_entree(passerelle, decision="refuse")["code"] == "champ_non_autorise"
    assert passerelle.organisme("carsat-ra").boite().donnees["messages"] == []
    assert caf.envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date(), email=ABSENT, telephone2=ABSENT)).statut == 202
