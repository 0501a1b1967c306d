"""Helpers of the minimisation and fraud tests: keys of a given profile, conventions edited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.annuaire.gestion import ajouter_cle
from passerelle.client import ClientPasserelle
from passerelle.habilitations.conventions import (
    charger_conventions,
    verifier_avec_le_registre,
)


def client_de_profil(passerelle: Any, organisme: str, profil: str, agent: str = "agent.test") -> ClientPasserelle:
    """A fresh key of ``organisme`` with ``profil``, registered in the test's directory."""
    privee = Ed25519PrivateKey.generate()
    keyid = f"{organisme}-{profil}-test"
    debut = passerelle.horloge() - timedelta(days=1)
    ajouter_cle(passerelle.config, organisme=organisme, keyid=keyid, publique=privee.public_key(), valide_du=debut,
                valide_au=debut + timedelta(days=365), developpement=True, profil=profil)
    return ClientPasserelle("http://testserver", privee, keyid, agent, http=passerelle.client,
                            horloge=passerelle.horloge.timestamp)


def client_dev(passerelle: Any, keyid: str, agent: str = "agent.test") -> ClientPasserelle:
    """A client with one of the development keys of config/developpement/cles/."""
    cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    return ClientPasserelle("http://testserver", cle, keyid, agent, http=passerelle.client,
                            horloge=passerelle.horloge.timestamp)


def restreindre(passerelle: Any, flux: str, champs_par_profil: dict[str, Any]) -> None:
    """Set ``champs_par_profil`` on the habilitations of ``flux`` in the test's conventions."""
    modifier_habilitations(passerelle, flux, champs_par_profil=champs_par_profil)


def modifier_habilitations(passerelle: Any, flux: str, **valeurs: Any) -> None:
    """Set ``valeurs`` on the habilitations of ``flux`` in the test's conventions, and reload
    them as a restart would (conventions are read at start-up, checked against the register)."""
    dossier = passerelle.config / "conventions"
    for chemin in dossier.glob("*.yaml"):
        contenu = yaml.safe_load(chemin.read_text(encoding="utf-8"))
        touche = False
        for habilitation in contenu.get("habilitations") or []:
            if flux in habilitation["flux"]:
                habilitation.update(valeurs)
                touche = True
        if touche:
            chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True, sort_keys=False), encoding="utf-8")
    services = passerelle.services
    conventions = charger_conventions(dossier)
    verifier_avec_le_registre(conventions, services.catalogue, getattr(services, "consultations", None))
    services.conventions = conventions
