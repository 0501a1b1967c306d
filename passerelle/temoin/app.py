"""The ``passerelle temoin`` process: a small ASGI app speaking C2SP tlog-witness (docs/temoins.md).

Configuration (one YAML file, paths relative to it)::

    nom: temoin.carsat-ra.exemple          # the witness's key name
    cle: temoin.pem                        # its Ed25519 private key (PKCS#8 PEM)
    base: sqlite:///temoin.db              # its own durable state
    journaux:                              # the logs it witnesses: their note verifier keys
      - caf.exemple/journal+1a2b3c4d+AW…

``POST /add-checkpoint`` answers the cosignature line (``text/plain``); refusals are
problem+json with a stable ``code``, except the spec's 409 for an unexpected ``old`` size whose
body is the known size (``text/x.tlog.size``). ``GET /cle`` gives the witness's verifier key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.erreurs import TYPE_PROBLEME
from passerelle.journal.note import NoteInvalide, analyser_cle_verification
from passerelle.stockage.base import ouvrir
from passerelle.stockage.temoin import creer_schema
from passerelle.journal.cosignature_temoin import cle_temoin_texte
from passerelle.temoin.protocole import MEDIA_TAILLE, RefusTemoin, traiter_demande

__all__ = ["ConfigTemoin", "ConfigTemoinInvalide", "charger_config", "creer_app_temoin"]

journal_technique = structlog.get_logger("passerelle.temoin")


class ConfigTemoinInvalide(ValueError):
    pass


@dataclass(frozen=True)
class ConfigTemoin:
    nom: str
    cle: Ed25519PrivateKey
    base: str
    journaux: dict[str, list[Ed25519PublicKey]]

    def cle_verification(self) -> str:
        return cle_temoin_texte(self.nom, self.cle.public_key())


def charger_config(chemin: Path) -> ConfigTemoin:
    try:
        brut = yaml.safe_load(chemin.read_text("utf-8")) or {}
        nom, cle, base = str(brut["nom"]), Path(str(brut["cle"])), str(brut.get("base", "sqlite:///temoin.db"))
        privee = lire_privee_pem((chemin.parent / cle).read_bytes())
        journaux: dict[str, list[Ed25519PublicKey]] = {}
        for texte in brut.get("journaux") or []:
            origine, publique = analyser_cle_verification(str(texte))
            journaux.setdefault(origine, []).append(publique)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, NoteInvalide) as exc:
        raise ConfigTemoinInvalide(f"{chemin} : {type(exc).__name__} {exc}") from None
    return ConfigTemoin(nom, privee, base, journaux)


def _probleme(refus: RefusTemoin) -> Response:
    if refus.taille_connue is not None:  # the spec's answer, that clients parse
        return PlainTextResponse(f"{refus.taille_connue}\n", status_code=409, media_type=MEDIA_TAILLE)
    corps = {"type": TYPE_PROBLEME + refus.code, "title": "Checkpoint refusé par le témoin", "status": refus.statut,
             "detail": refus.detail, "code": refus.code}
    return JSONResponse(corps, status_code=refus.statut, media_type="application/problem+json")


def creer_app_temoin(config: ConfigTemoin, horloge: Callable[[], datetime], moteur: Engine | None = None) -> FastAPI:
    moteur = moteur or ouvrir(config.base)
    creer_schema(moteur)
    app = FastAPI(title="passerelle témoin", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.moteur = moteur

    def ajouter(corps: bytes) -> tuple[str | None, RefusTemoin | None]:
        with moteur.begin() as connexion:
            return traiter_demande(connexion, corps, nom=config.nom, cle=config.cle, journaux=config.journaux,
                                   instant=horloge())

    @app.post("/add-checkpoint")
    async def ajouter_checkpoint(request: Request) -> Response:
        try:
            ligne, refus = await run_in_threadpool(ajouter, await request.body())
        except RefusTemoin as exc:
            ligne, refus = None, exc
        if refus is not None:
            journal_technique.warning("checkpoint_refuse", code=refus.code, detail=refus.detail)
            return _probleme(refus)
        return PlainTextResponse(ligne, media_type="text/plain; charset=utf-8")

    @app.get("/cle")
    async def cle() -> PlainTextResponse:
        return PlainTextResponse(config.cle_verification() + "\n", media_type="text/plain; charset=utf-8")

    return app
