"""Fictional answers of the simulated Carsat to the gateway's synchronous consultations.

Deterministic per NIR (a hash, never a real record): the same question always gets the same
answer, so a demonstration can be replayed and a test can predict it. The shapes are those of
:mod:`passerelle.consultations.modeles`; nothing here is read from a real career.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request

from passerelle.signature.base import MessageHttp

# (nature, regime, type_employeur): the kinds of periods a simulated career is made of.
_PERIODES = (
    ("activite_salariee", "regime_general", "entreprise_privee"),
    ("activite_salariee", "regime_general", "entreprise_privee"),
    ("activite_salariee", "regime_general", "particulier_employeur"),
    ("activite_salariee", "msa_salaries", "entreprise_privee"),
    ("activite_independante", "independants", None),
    ("chomage_indemnise", "regime_general", None),
    ("maladie_maternite", "regime_general", None),
    ("avpf", "regime_general", None),
)


def message_http(request: Request) -> MessageHttp:
    """The request as the signature verifier reads it (raw path, headers joined)."""
    entetes: dict[str, str] = {}
    for nom, valeur in request.headers.raw:
        cle, texte = nom.decode("latin-1").lower(), valeur.decode("latin-1").strip()
        entetes[cle] = f"{entetes[cle]}, {texte}" if cle in entetes else texte
    chemin = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0]
    return MessageHttp(request.method, chemin, request.scope.get("query_string", b"").decode("latin-1"), entetes)


def _hasard(nir: str, type_: str) -> random.Random:
    return random.Random(hashlib.sha256(f"{type_}:{nir}".encode()).digest())


def periodes_carriere(parametres: dict[str, Any]) -> dict[str, Any]:
    """A career over the period asked: consecutive periods, each within it, quarters plausible."""
    du, au = date.fromisoformat(parametres["du"]), date.fromisoformat(parametres["au"])
    hasard = _hasard(parametres["nir_assure"], "periodes-carriere")
    periodes: list[dict[str, Any]] = []
    debut = du + timedelta(days=hasard.randint(0, 60))
    while debut <= au and len(periodes) < 6:
        fin = min(au, debut + timedelta(days=hasard.randint(90, 700)))
        nature, regime, employeur = hasard.choice(_PERIODES)
        mois = (fin.year - debut.year) * 12 + fin.month - debut.month + 1
        periode: dict[str, Any] = {
            "du": debut.isoformat(), "au": fin.isoformat(), "nature": nature, "regime": regime,
            "trimestres": min(mois // 3, 4 * (fin.year - debut.year + 1)),
        }
        if employeur:
            periode["type_employeur"] = employeur
        periodes.append(periode)
        debut = fin + timedelta(days=hasard.randint(1, 120))  # a gap: not every day is validated
    return {"periodes": periodes, "source": "sngc"}


def statut_aspa(parametres: dict[str, Any]) -> dict[str, Any]:
    """Filed in 70 % of cases, around the 65th birthday; most filed applications are granted."""
    hasard = _hasard(parametres["nir_assure"], "statut-aspa")
    if hasard.random() >= 0.7:
        return {"demande_deposee": False}
    naissance = date.fromisoformat(parametres["date_naissance"])
    anniversaire = naissance.replace(year=naissance.year + 65) if (naissance.month, naissance.day) != (2, 29) \
        else date(naissance.year + 65, 3, 1)
    depot = anniversaire - timedelta(days=hasard.randint(0, 150))
    statut = hasard.choices(("en_cours", "attribuee", "rejetee"), weights=(3, 6, 1))[0]
    return {"demande_deposee": True, "date_depot": depot.isoformat(), "statut_demande": statut}


REPONDEURS = {"periodes-carriere": periodes_carriere, "statut-aspa": statut_aspa}


def repondre(type_: str, corps: bytes) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body for ``POST /consultations/{type}`` (docs/connecteurs.md § 4)."""
    repondeur = REPONDEURS.get(type_)
    if repondeur is None:
        return 404, {"type": "urn:carsat-ra:probleme:consultation_inconnue", "status": 404, "code": "consultation_inconnue"}
    try:
        parametres = json.loads(corps)["parametres"]
        return 200, repondeur(parametres)
    except (ValueError, KeyError, TypeError):
        return 400, {"type": "urn:carsat-ra:probleme:consultation_illisible", "status": 400, "code": "consultation_illisible"}
