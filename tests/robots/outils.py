"""Helpers of the robot tests: declare a robot with its agreement, register its key, sign as it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.gestion import ajouter_cle
from passerelle.annuaire.gestion import declarer_robot
from passerelle.annuaire.robots import PlageHoraire, Robot
from passerelle.client import ClientPasserelle
from passerelle.stockage.tables import journal

# The convention's usual agreement: weekday nights and weekends, Paris time.
SOIRS_DE_SEMAINE = PlageHoraire(jours=frozenset(range(5)), de=time(19), a=time(7))
WEEK_END = PlageHoraire(jours=frozenset({5, 6}), de=time(0), a=None)
# Monday 23 November 2026: 21:00 in Paris (UTC+1 in winter) is inside, 11:00 is outside.
SOIR = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
MATIN = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TECHNICIEN = "claire.morel@caf-042"


def robot_caf(passerelle: Any, identifiant: str = "ad-caf042-09", *, debit: int = 6,
              organisme: str = "caf-042", technicien: str = TECHNICIEN) -> ClientPasserelle:
    """Declare the robot (weekday nights and weekends), register a key for it; its client."""
    declarer_robot(passerelle.config, Robot(
        id=identifiant, organisme=organisme, responsable="Hélène Vidal (helene.vidal@caf-042.example)",
        plages=(SOIRS_DE_SEMAINE, WEEK_END), debit_par_minute=debit,
    ), remplacer=True)
    privee = Ed25519PrivateKey.generate()
    keyid = f"{organisme}-{identifiant}-test"
    debut = passerelle.horloge() - timedelta(days=1)
    ajouter_cle(passerelle.config, organisme=organisme, keyid=keyid, publique=privee.public_key(),
                valide_du=debut, valide_au=debut + timedelta(days=365), developpement=True, robot=identifiant)
    return ClientPasserelle("http://testserver", privee, keyid, technicien, http=passerelle.client,
                            horloge=passerelle.horloge.timestamp)


def derniere_entree(passerelle: Any, **filtre: str) -> dict[str, Any]:
    """The latest journal entry (the hashed bytes, parsed), optionally of a decision/code."""
    requete = sa.select(journal.c.entree).order_by(journal.c.index.desc())
    for colonne, valeur in filtre.items():
        requete = requete.where(journal.c[colonne] == valeur)
    with passerelle.services.moteur.connect() as connexion:
        return json.loads(connexion.execute(requete.limit(1)).scalar_one())
