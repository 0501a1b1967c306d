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
from passerelle.catalogue.avpf import MotifsAvpf, charger_motifs_avpf
from tests.catalogue.exemples import ABSENT, _appliquer, nir_fictif

__all__ = ["ABSENT"]

CHEMIN_MOTIFS = Path(__file__).resolve().parents[2] / "config" / "regles" / "motifs-avpf.yaml"

CAF_030 = Organisme(code="caf-030", type="caf", nom="CAF du Gard", departements=("30",), numero="030")
CPAM_030 = Organisme(code="cpam-030", type="cpam", nom="CPAM du Gard", departements=("30",))

NIR_RETENUE = nir_fictif(date(1964, 9, 3), sexe=1)
NAISSANCE_AVPF = date(1968, 5, 12)
NIR_AVPF = nir_fictif(NAISSANCE_AVPF, departement="69", commune="381")
NIR_INVALIDITE = nir_fictif(date(1979, 2, 20), departement="30", commune="189")


@cache
def motifs_avpf() -> MotifsAvpf:
    motifs = charger_motifs_avpf(CHEMIN_MOTIFS)
    assert motifs is not None
    return motifs


def exemple_retenue_demande(**surcharges: Any) -> dict[str, Any]:
    """carsat-ra → caf-042: a pension notified after its date of effect, back-pay available."""
    donnees = {
        "destinataire": "caf-042",
        "reference": "RET-2026-000123",
        "nir_assure": NIR_RETENUE,
        "date_notification": "2026-11-16",
        "date_effet": "2026-10-01",
        "montant_rappel_disponible": "1850.40",
    }
    return _appliquer(donnees, surcharges)


def exemple_retenue_reponse(en_reponse_a: str, **surcharges: Any) -> dict[str, Any]:
    """caf-042 → carsat-ra: withhold part of the back-pay."""
    donnees = {"en_reponse_a": en_reponse_a, "nir_assure": NIR_RETENUE, "montant_retenue": "612.35"}
    return _appliquer(donnees, surcharges)


PERIODES_AVPF = [
    {"debut": "1995-01-01", "fin": "1995-12-31"},
    {"debut": "1998-03-01", "fin": "1999-08-31"},
]


def exemple_enquete_avpf(**surcharges: Any) -> dict[str, Any]:
    """carsat-ra → the AVPF pivot of the Rhône (no destinataire: routed by mutualisation)."""
    donnees = {
        "reference": "AVPF-2026-0042",
        "nir_assure": NIR_AVPF,
        "nom_assure": "BERNARD",
        "prenoms_assure": "Sophie Anne",
        "nom_marital_assure": "ROUX",
        "date_naissance": NAISSANCE_AVPF.isoformat(),
        "departement": "69",
        "periodes": [dict(p) for p in PERIODES_AVPF],
        "motif": "report_absent",
    }
    return _appliquer(donnees, surcharges)


def exemple_reponse_avpf(en_reponse_a: str, **surcharges: Any) -> dict[str, Any]:
    """The pivot's answer: AVPF found (complément familial) on the first period, none on the second."""
    donnees = {
        "en_reponse_a": en_reponse_a,
        "nir_assure": NIR_AVPF,
        "resultats": [
            {
                "periode": dict(PERIODES_AVPF[0]),
                "affiliation_avpf": True,
                "periodes_avpf": [{"debut": "1995-01-01", "fin": "1995-12-31", "prestation": "CF"}],
            },
            {"periode": dict(PERIODES_AVPF[1]), "affiliation_avpf": False, "periodes_avpf": []},
        ],
    }
    return _appliquer(donnees, surcharges)


def exemple_subrogation_demande(**surcharges: Any) -> dict[str, Any]:
    """cpam-030 → caf-030 (no destinataire: the CAF of the CPAM's territory)."""
    donnees = {
        "nir_assure": NIR_INVALIDITE,
        "periode": {"debut": "2025-10-01", "fin": "2026-09-30"},
        "montant_rappel_invalidite": "4820.00",
    }
    return _appliquer(donnees, surcharges)


def exemple_subrogation_reponse(en_reponse_a: str, **surcharges: Any) -> dict[str, Any]:
    donnees = {"en_reponse_a": en_reponse_a, "nir_assure": NIR_INVALIDITE, "montant_a_subroger": "3150.00"}
    return _appliquer(donnees, surcharges)


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
