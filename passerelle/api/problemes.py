"""RFC 9457 problem documents: the one place a refusal becomes an HTTP response."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from passerelle.catalogue.traduction import traduire_erreurs
from passerelle.erreurs import ErreurChamp, Refus
from passerelle.stockage.base import base_indisponible

journal_technique = structlog.get_logger("passerelle.erreurs")

MEDIA_PROBLEME = "application/problem+json"


class ReponseProbleme(JSONResponse):
    """A problem document that always encodes: should a message ever quote text UTF-8 cannot
    hold (a lone surrogate the input boundary missed), it is sent with JSON escapes instead
    of failing — a refusal must never become a 500."""

    media_type = MEDIA_PROBLEME

    def render(self, content: Any) -> bytes:
        texte = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        try:
            return texte.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def document(refus: Refus, chemin: str | None, requete_id: str | None) -> tuple[bytes, dict[str, str]]:
    """The problem's bytes and headers, for the ASGI layer that answers before FastAPI does."""
    corps = ReponseProbleme(None).render(refus.probleme(chemin, requete_id))
    return corps, {"content-type": MEDIA_PROBLEME, "content-length": str(len(corps)), **refus.entetes}


def reponse(refus: Refus, request: Request) -> JSONResponse:
    requete_id = getattr(request.state, "requete_id", None)
    return ReponseProbleme(
        refus.probleme(request.url.path, requete_id),
        status_code=refus.statut,
        headers=refus.entetes or None,
    )


def erreur_interne() -> Refus:
    """What the caller of a request that failed for the gateway's own fault is told."""
    return Refus(
        code="erreur_interne",
        detail="erreur interne: rien n'a été enregistré; réessayez, et donnez l'identifiant de requête "
        "au support s'il persiste",
        statut=500,
        titre="Erreur interne",
    )


REESSAYER_APRES = "5"


def refus_base_indisponible() -> Refus:
    """503 for a database that is unreachable, saturated or too slow: retry, never a 5xx trace.

    Whether what was in flight got committed is unknown when the connection dropped during the
    commit: hence the advice to resend with the same Idempotency-Key, which answers with the
    original receipt if it was, and accepts the message once if it was not."""
    return Refus(
        code="base_indisponible",
        detail="la base de données de la passerelle est injoignable ou ne répond pas à temps; réessayez "
        "dans quelques secondes, avec la même Idempotency-Key pour un envoi (un message n'est jamais accepté "
        "deux fois sous la même clé)",
        statut=503,
        titre="Service indisponible",
        entetes={"retry-after": REESSAYER_APRES},
    )


def _erreurs_requete(exc: RequestValidationError) -> list[ErreurChamp]:
    """Query and header errors in French, like the payload's (same translation)."""
    return traduire_erreurs(exc.errors())


def installer(app: FastAPI, *, base_indisponible_signalee: Callable[[], None] = lambda: None) -> None:
    """The handlers turning refusals and failures into problem+json; ``base_indisponible_signalee``
    counts each request answered 503 because the database could not be reached."""

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

    @app.exception_handler(ClientDisconnect)
    async def _parti(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client left (or the server cut it: 408 delai_corps_depasse, passerelle/serveur/)
        # before the end of its body: nothing was recorded, nothing can be answered. Not an
        # internal error: 499, as the request line of the technical log says.
        refus = Refus(code="client_deconnecte", detail="le client s'est déconnecté avant la fin du corps",
                      statut=499, titre="Requête interrompue")
        return reponse(refus, request)

    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def _base(request: Request, exc: sa.exc.SQLAlchemyError) -> JSONResponse:
        if not base_indisponible(exc):
            raise exc  # a defect, not an outage: answered 500 by the ASGI layer (api/requetes.py)
        # One line, no traceback: an outage is an operating condition, not a bug.
        journal_technique.warning(
            "base_indisponible", requete=getattr(request.state, "requete_id", None),
            erreur=type(getattr(exc, "orig", None) or exc).__name__, detail=str(exc).splitlines()[0][:300],
        )
        base_indisponible_signalee()
        return reponse(refus_base_indisponible(), request)

    # No handler for Exception here: Starlette's would answer, then raise again to the server,
    # which closes the kept-alive connection. The ASGI layer (api/requetes.py) answers it.


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
    "convention_absente", "profil_non_autorise", "champ_non_autorise", "convention_suspendue",
)
LECTURE = ("json_invalide", "texte_invalide", "schema_invalide", "nir_invalide")
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
