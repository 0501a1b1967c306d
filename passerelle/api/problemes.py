"""RFC 9457 problem documents: the one place a refusal becomes an HTTP response."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import structlog

from passerelle.catalogue.traduction import traduire_erreurs
from passerelle.erreurs import ErreurChamp, Refus

journal_technique = structlog.get_logger("passerelle.erreurs")

MEDIA_PROBLEME = "application/problem+json"


def reponse(refus: Refus, request: Request) -> JSONResponse:
    requete_id = getattr(request.state, "requete_id", None)
    return JSONResponse(
        refus.probleme(request.url.path, requete_id),
        status_code=refus.statut,
        media_type=MEDIA_PROBLEME,
        headers=refus.entetes or None,
    )


def _erreurs_requete(exc: RequestValidationError) -> list[ErreurChamp]:
    """Query and header errors in French, like the payload's (same translation)."""
    return traduire_erreurs(exc.errors())


def installer(app: FastAPI) -> None:
    @app.exception_handler(Refus)
    async def _refus(request: Request, exc: Refus) -> JSONResponse:
        return reponse(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _parametres(request: Request, exc: RequestValidationError) -> JSONResponse:
        refus = Refus(
            code="parametre_invalide",
            detail="un paramètre de la requête est invalide",
            statut=400,
            erreurs=_erreurs_requete(exc),
        )
        return reponse(refus, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "ressource_inconnue", 405: "methode_non_autorisee"}
        refus = Refus(
            code=codes.get(exc.status_code, "erreur_http"),
            detail=str(exc.detail) if exc.status_code not in codes else
            ("cette adresse n'existe pas" if exc.status_code == 404 else "méthode non autorisée sur cette adresse"),
            statut=exc.status_code,
            titre="Requête refusée",
        )
        return reponse(refus, request)

    @app.exception_handler(Exception)
    async def _interne(request: Request, exc: Exception) -> JSONResponse:
        # The caller gets an id, the operator the traceback (never any payload: only the frames).
        journal_technique.exception("erreur_interne", requete=getattr(request.state, "requete_id", None), exc_info=exc)
        refus = Refus(
            code="erreur_interne",
            detail="erreur interne: rien n'a été enregistré; réessayez, et donnez l'identifiant de requête "
            "au support s'il persiste",
            statut=500,
            titre="Erreur interne",
        )
        # Answered by the outermost layer, outside the middleware that stamps every other answer:
        # the id the caller must give the support is set here.
        resultat = reponse(refus, request)
        requete_id = getattr(request.state, "requete_id", None)
        if requete_id:
            resultat.headers["x-request-id"] = requete_id
        return resultat


from pydantic import BaseModel, Field  # noqa: E402


class ErreurChampModele(BaseModel):
    champ: str = Field(description="chemin du champ fautif (notation pointée)")
    message: str


class Probleme(BaseModel):
    """RFC 9457 problem document, with the stable machine ``code`` of the wire contract."""

    type: str = Field(examples=["urn:passerelle:probleme:nir_invalide"])
    title: str
    status: int
    detail: str
    code: str = Field(examples=["signature_invalide"])
    instance: str | None = None
    requete: str | None = Field(default=None, description="identifiant de requête, à donner au support")
    erreurs: list[ErreurChampModele] | None = None


# The stable problem codes, by family: the OpenAPI document (passerelle/api/contrat.py) lists,
# for each operation and status, the codes it may answer. A code the gateway can give that is
# missing here is a contract drift (tests/contrat/ fails); docs/problemes.md explains each.
AUTHENTIFICATION = (
    "signature_absente", "signature_malformee", "algorithme_non_supporte", "parametre_manquant",
    "composant_manquant", "agent_absent", "signature_perimee", "signature_future", "cle_inconnue",
    "cle_revoquee", "cle_expiree", "cle_pas_encore_valide", "composant_absent", "composant_non_supporte",
    "signature_invalide", "empreinte_absente", "empreinte_malformee", "empreinte_incorrecte",
    "agent_invalide", "nonce_rejoue",
)
AUDITEUR = ("identifiants_invalides",)
ROBOT = ("technicien_absent", "hors_plage_robot")
DEBIT = ("debit_robot_depasse",)
HABILITATION = (
    "convention_hors_vigueur", "convention_caduque", "destinataire_non_autorise", "sens_non_autorise",
    "convention_absente", "profil_non_autorise", "champ_non_autorise",
)
LECTURE = ("json_invalide", "schema_invalide", "nir_invalide")
METIER = (
    "reponse_sans_demande", "champ_incompatible", "emetteur_incoherent", "nir_incoherent", "hors_fenetre",
    "motif_rejet_manquant", "date_reception_manquante",
    # demandes à délai (docs/demandes.md § 6)
    "formulaire_non_requis", "date_notification_future", "montant_superieur_au_rappel", "motif_inconnu",
    "periode_inversee", "periode_future", "periodes_chevauchantes", "periode_non_repondue",
    "periode_non_demandee", "periode_repondue_deux_fois", "periode_avpf_manquante", "periode_hors_demande",
)
ACHEMINEMENT = (
    "demande_inconnue", "reponse_inattendue", "destinataire_inconnu", "destinataire_indetermine",
    "destinataire_incoherent", "destinataire_non_pivot",
)
DEMANDES_409 = ("delai_depasse", "reponse_en_double")
CONSULTATION_ECHECS = {
    502: ("reponse_destinataire_invalide", "consultation_refusee_par_destinataire"),
    503: ("destinataire_indisponible", "consultation_non_prise_en_charge"),
    504: ("consultation_delai_depasse",),
}
