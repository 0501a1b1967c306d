"""Valid payloads of the request/answer flux (retention, AVPF, subrogation), and small helpers.

Plain functions like :mod:`tests.catalogue.exemples`: each returns a fresh dict, keyword
arguments override fields and ``ABSENT`` removes one. The dates fit the gateway clock of the
``passerelle`` fixture (2026-11-23): the pension took effect on 2026-10-01 and was notified on
2026-11-16 (late: a retention form is due), the AVPF periods are long past.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue import exemples as paquet
from passerelle.catalogue.avpf import MotifsAvpf, charger_motifs_avpf
from passerelle.catalogue.exemples import NAISSANCE_AVPF, NIR_AVPF, NIR_INVALIDITE, NIR_RETENUE
from tests.catalogue.exemples import ABSENT, _appliquer

__all__ = ["ABSENT", "NAISSANCE_AVPF", "NIR_AVPF", "NIR_INVALIDITE", "NIR_RETENUE"]

CHEMIN_MOTIFS = Path(__file__).resolve().parents[2] / "config" / "regles" / "motifs-avpf.yaml"
JOUR = date(2026, 11, 23)  # the ``horloge`` fixture's day

CAF_030 = Organisme(code="caf-030", type="caf", nom="CAF du Gard", departements=("30",), numero="030")
CPAM_030 = Organisme(code="cpam-030", type="cpam", nom="CPAM du Gard", departements=("30",))

PERIODES_AVPF = [dict(p) for p in paquet.PERIODES_AVPF]


@cache
def motifs_avpf() -> MotifsAvpf:
    motifs = charger_motifs_avpf(CHEMIN_MOTIFS)
    assert motifs is not None
    return motifs


def exemple_retenue_demande(**surcharges: Any) -> dict[str, Any]:
    """carsat-ra → caf-042: a pension notified after its date of effect, back-pay available."""
    return _appliquer(paquet.retenue_demande(JOUR), surcharges)


def exemple_retenue_reponse(en_reponse_a: str, **surcharges: Any) -> dict[str, Any]:
    """caf-042 → carsat-ra: withhold part of the back-pay."""
    return _appliquer(paquet.retenue_reponse(en_reponse_a), surcharges)


def exemple_enquete_avpf(**surcharges: Any) -> dict[str, Any]:
    """carsat-ra → the AVPF pivot of the Rhône (no destinataire: routed by mutualisation)."""
    return _appliquer(paquet.enquete_avpf(), surcharges)


def exemple_reponse_avpf(en_reponse_a: str, **surcharges: Any) -> dict[str, Any]:
    """The pivot's answer: AVPF found (complément familial) on the first period, none on the second."""
    return _appliquer(paquet.reponse_avpf(en_reponse_a), surcharges)


def exemple_subrogation_demande(**surcharges: Any) -> dict[str, Any]:
    """cpam-030 → caf-030 (no destinataire: the CAF of the CPAM's territory)."""
    return _appliquer(paquet.subrogation_demande(JOUR), surcharges)


def exemple_subrogation_reponse(en_reponse_a: str, **surcharges: Any) -> dict[str, Any]:
    return _appliquer(paquet.subrogation_reponse(en_reponse_a), surcharges)


# --- reading what the gateway did -----------------------------------------------------------


def entrees_journal(passerelle: Any, message: str | None = None) -> list[dict[str, Any]]:
    """The journal entries (canonical JSON, decoded), in order; only one message's if given."""
    from passerelle.stockage.tables import journal

    requete = sa.select(journal.c.entree).order_by(journal.c.index)
    if message is not None:
        requete = requete.where(journal.c.message_id == message)
    with passerelle.services.moteur.connect() as connexion:
        return [json.loads(ligne.entree) for ligne in connexion.execute(requete)]


def avis(client: Any) -> list[dict[str, Any]]:
    """The avis-echeance notices in an organisme's inbox (content), acknowledged as read."""
    trouves = []
    for message in client.boite(limite=100).donnees["messages"]:
        if message["flux"] == "avis-echeance":
            trouves.append({**message["contenu"], "en_reponse_a": message["en_reponse_a"]})
            assert client.acquitter(message["id"]).statut == 200
    return trouves
