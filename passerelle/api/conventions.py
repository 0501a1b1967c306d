"""The national caisses' administrators: suspend a convention on a breach (art. 3.3), resume it,
read its state.

Authenticated as every organisme request (RFC 9421, ``api/commun.py``); suspending or resuming
is for a key of profile ``administration`` of a national caisse party to the convention
(``habilitations/suspensions.py``); its state is visible to every organisme it concerns. Every
refusal is journaled; a suspension is in force on this replica at once, on the others within
their directory reload interval.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from passerelle.acheminement import suspensions as gestion
from passerelle.api.dependances import dependances, exiger_json, requete_bornee, suspensions
from passerelle.catalogue.validation import lire_json
from passerelle.erreurs import Introuvable, RefusHabilitation, RefusValidation, citer
from passerelle.habilitations.suspensions import PROFIL_ADMINISTRATION, concernes, partie_nationale
from passerelle.reception.etapes import Requete, authentifier, verifier
from passerelle.reception.refus import executer
from passerelle.signature.authentification import Appelant

router = APIRouter(tags=["conventions"])
IDENTIFIANT = Path(max_length=64, description="identifiant de la convention (config/conventions/)")


def _administrateur(g: gestion.GestionSuspensions, appelant: Appelant, identifiant: str) -> gestion.Demandeur:
    convention = gestion.convention_connue(g, identifiant)
    if appelant.cle.profil != PROFIL_ADMINISTRATION:
        raise RefusHabilitation(
            "administration_non_autorisee",
            f"suspendre ou reprendre une convention demande une clé de profil {PROFIL_ADMINISTRATION} d'une caisse "
            f"nationale; la clé {appelant.cle.keyid} a le profil {appelant.cle.profil}",
        )
    organismes = g.annuaire.actuel().organismes
    if not partie_nationale(convention, appelant.organisme, organismes):
        raise RefusHabilitation(
            "administration_non_autorisee",
            f"{appelant.organisme.code} n'est pas une caisse nationale partie à la convention {convention.id}",
        )
    return gestion.Demandeur(par=appelant.agent, organisme=appelant.organisme.code, keyid=appelant.cle.keyid, canal="api")


def _requete(recue: Requete, convention: str) -> Requete:
    """The request with the convention it names, for its journal entries (a refusal's too)."""
    contexte = recue.contexte.pour(empreinte=recue.contexte.empreinte, details={"convention": convention[:64]})
    return Requete(contexte, recue.message, recue.corps)


async def _changer(request: Request, g: gestion.GestionSuspensions, identifiant: str, operation: str,
                   action: Any) -> JSONResponse:
    deps = dependances(request)
    recue = await requete_bornee(request, deps, operation)
    await exiger_json(deps, recue, "la demande")
    requete = _requete(recue, identifiant)
    corps = requete.corps
    assert isinstance(corps, bytes)

    def dans_la_transaction(connexion: Connection) -> dict[str, Any]:
        appelant = authentifier(verifier(requete, deps), connexion, deps).appelant
        demandeur = _administrateur(g, appelant, identifiant)
        objet = lire_json(corps)
        if not isinstance(objet, dict) or set(objet) - {"motif"}:
            inconnus = sorted(set(objet) - {"motif"}) if isinstance(objet, dict) else []
            raise RefusValidation(
                "schema_invalide",
                'le corps est un objet JSON {"motif": "…"}'
                + (f" ; champ(s) inconnu(s) : {', '.join(citer(c) for c in inconnus)}" if inconnus else ""),
            )
        motif = json.loads(corps).get("motif")  # lire_json reads numbers as text: a motive is a JSON string
        resultat: dict[str, Any] = action(g, connexion, identifiant, motif, demandeur, g.horloge())
        return resultat

    resultat = await run_in_threadpool(executer, deps.journalisation, requete.contexte, dans_la_transaction)
    g.source.invalider()  # in force on this replica from the next request
    return JSONResponse(resultat)


@router.post(
    "/v1/conventions/{convention}/suspension",
    summary="Suspendre une convention sur manquement (art. 3.3) : tout échange qu'elle autorise est refusé",
)
async def suspendre(request: Request, convention: str = IDENTIFIANT,
                    g: gestion.GestionSuspensions = Depends(suspensions)) -> JSONResponse:
    return await _changer(request, g, convention, "suspension_convention", gestion.suspendre)


@router.post(
    "/v1/conventions/{convention}/reprise",
    summary="Reprendre les échanges d'une convention suspendue",
)
async def reprendre(request: Request, convention: str = IDENTIFIANT,
                    g: gestion.GestionSuspensions = Depends(suspensions)) -> JSONResponse:
    return await _changer(request, g, convention, "reprise_convention", gestion.reprendre)


@router.get(
    "/v1/conventions/{convention}",
    summary="État d'une convention : statut, suspension en vigueur (date, motif, auteur)",
)
async def lire(request: Request, convention: str = IDENTIFIANT,
               g: gestion.GestionSuspensions = Depends(suspensions)) -> JSONResponse:
    deps = dependances(request)
    requete = _requete(await requete_bornee(request, deps, "etat_convention"), convention)

    def dans_la_transaction(connexion: Connection) -> dict[str, Any]:
        appelant = authentifier(verifier(requete, deps), connexion, deps).appelant
        connue = gestion.convention_connue(g, convention)
        if appelant.organisme not in concernes(connue, g.annuaire.actuel().organismes):
            raise Introuvable("convention_inconnue", f"la convention {connue.id} ne concerne pas {appelant.organisme.code}")
        return gestion.etat(g, connexion, connue)

    return JSONResponse(await run_in_threadpool(executer, deps.journalisation, requete.contexte, dans_la_transaction))
