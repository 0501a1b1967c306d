"""Helpers of the auditors' tests: accounts, robot keys, traffic about known NIRs."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.gestion import ajouter_cle
from passerelle.annuaire.gestion import declarer_robot
from passerelle.annuaire.robots import JOURS, PlageHoraire, Robot
from passerelle.auditeurs import comptes
from passerelle.client import ClientPasserelle
from tests.catalogue.exemples import exemple_rdc, naissance_dans_fenetre, nir_fictif


def creer_auditeur(passerelle: Any, identifiant: str, organismes: list[str] | None = None, nom: str = "Auditeur de test") -> str:
    """A new account; returns its bearer token ``identifiant.secret``."""
    services = passerelle.services
    with services.moteur.begin() as connexion:
        _, secret = comptes.creer(connexion, identifiant, nom, organismes, services.horloge())
    return f"{identifiant}.{secret}"


def bearer(jeton: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jeton}"}


def chercher(passerelle: Any, jeton: str, **parametres: Any) -> httpx.Response:
    return passerelle.client.get("/v1/journal/entrees", params=parametres, headers=bearer(jeton))


def nirs_de_test(aujourd_hui: date, nombre: int = 4) -> list[str]:
    """Distinct valid NIRs whose holders are in the ``rdc`` window on ``aujourd_hui``."""
    naissance = naissance_dans_fenetre("rdc", aujourd_hui)
    return [nir_fictif(naissance, ordre=f"{101 + i:03d}") for i in range(nombre)]


def rdc(passerelle: Any, client: ClientPasserelle, nir: str, **surcharges: Any) -> dict[str, Any]:
    """An accepted ``rdc`` about ``nir`` from ``client``; its receipt."""
    aujourd_hui = passerelle.horloge().date()
    naissance = naissance_dans_fenetre("rdc", aujourd_hui)
    donnees = exemple_rdc(aujourd_hui=aujourd_hui, naissance=naissance, nir_assure=nir, **surcharges)
    reponse = client.envoyer("rdc", donnees)
    assert reponse.statut == 202, reponse.donnees
    return reponse.donnees


def ajouter_robot(passerelle: Any, robot: str, organisme: str = "caf-042") -> tuple[str, Ed25519PrivateKey]:
    """Declare the robot (any hour, high rate: these tests are about the journal, not annex 2's
    windows — see tests/robots/) and register its key in the test's private directory."""
    declarer_robot(passerelle.config, Robot(
        id=robot, organisme=organisme, responsable="Responsable de test", debit_par_minute=600,
        plages=(PlageHoraire(jours=frozenset(range(len(JOURS))), de=time(0), a=None),),
    ), remplacer=True)
    privee = Ed25519PrivateKey.generate()
    keyid = f"{organisme}-{robot}"
    debut = passerelle.horloge() - timedelta(days=1)
    ajouter_cle(
        passerelle.config, organisme=organisme, keyid=keyid, publique=privee.public_key(),
        valide_du=debut, valide_au=debut + timedelta(days=365), developpement=True, robot=robot,
    )
    return keyid, privee


def client_robot(passerelle: Any, keyid: str, privee: Ed25519PrivateKey, technicien: str) -> ClientPasserelle:
    """The robot signs with its own key and names the technician it works for."""
    return ClientPasserelle(
        "http://testserver", privee, keyid, technicien, http=passerelle.client, horloge=passerelle.horloge.timestamp
    )
