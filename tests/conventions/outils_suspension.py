"""Helpers of the suspension tests: signed calls as a development key, the notices of an inbox,
the journal entries of a decision, and the journal verified offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client.signeur import SignatureRfc9421
from passerelle.journal.export import exporter
from passerelle.journal.sequenceur import cles_verification, integrer
from passerelle.journal.verificateur import verifier_export
from passerelle.stockage.tables import journal

CNAF = "cnaf-admin-dev-2026"
CNAV = "cnav-admin-dev-2026"
NATIONALE = "cnaf-cnav-2019"


def signe(p: Any, keyid: str, methode: str, chemin: str, corps: Any = None, *, agent: str = "claire.martin",
          type_contenu: str = "application/json") -> httpx.Response:
    cle = lire_privee_pem((p.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    auth = SignatureRfc9421(cle, keyid, agent, horloge=p.horloge.timestamp)
    if corps is None:
        return p.client.request(methode, chemin, auth=auth)
    contenu = corps if isinstance(corps, bytes) else json.dumps(corps, ensure_ascii=False).encode("utf-8")
    return p.client.request(methode, chemin, content=contenu, headers={"Content-Type": type_contenu}, auth=auth)


def suspendre(p: Any, keyid: str = CNAF, convention: str = NATIONALE, motif: Any = "audit CNIL en cours") -> httpx.Response:
    return signe(p, keyid, "POST", f"/v1/conventions/{convention}/suspension", {"motif": motif})


def reprendre(p: Any, keyid: str = CNAV, convention: str = NATIONALE, motif: Any = "mesures correctives constatées") -> httpx.Response:
    return signe(p, keyid, "POST", f"/v1/conventions/{convention}/reprise", {"motif": motif})


def avis(p: Any, keyid: str) -> list[dict[str, Any]]:
    """The suspension-convention notices of an inbox (content), acknowledged as read."""
    trouves = []
    reponse = signe(p, keyid, "GET", "/v1/boite?limite=100")
    assert reponse.status_code == 200, reponse.text
    for message in reponse.json()["messages"]:
        if message["flux"] == "suspension-convention":
            assert message["emetteur"] == "passerelle"
            trouves.append(message["contenu"])
            assert signe(p, keyid, "POST", f"/v1/boite/{message['id']}/acquittement").status_code == 200
    return trouves


def entrees(p: Any, *decisions: str) -> list[dict[str, Any]]:
    with p.services.moteur.connect() as c:
        return [json.loads(e) for e in c.execute(
            sa.select(journal.c.entree).where(journal.c.decision.in_(decisions)).order_by(journal.c.index)).scalars()]


def refus(p: Any, code: str) -> list[dict[str, Any]]:
    return [e for e in entrees(p, "refuse") if e["code"] == code]


def journal_verifie(p: Any, dossier: Path) -> Any:
    """Integrate everything, export, verify the export offline."""
    services = p.services
    origine = services.reglages.origine_journal
    with services.moteur.begin() as connexion:
        integrer(connexion, services.secrets.cle_signature, origine, origine, services.horloge(),
                 lot_max=100_000, toutes_entrees=1, toutes_secondes=0.0, forcer=True)
    secrets = services.secrets
    exporter(services.moteur, dossier, cles_verification(secrets.cles_signature, secrets.signature_active, origine),
             origine, services.horloge())
    return verifier_export(dossier)
