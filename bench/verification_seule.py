"""Point de comparaison de ``bench/accept.py``: un service FastAPI nu qui ne fait QUE vérifier
une signature Ed25519 sur le corps reçu, puis répond 202 avec un petit JSON.

Même cadre (FastAPI/Starlette), même serveur (uvicorn), même route que la passerelle
(``POST /v1/flux/{flux}``): l'écart mesuré est donc ce que la passerelle ajoute (RFC 9421,
Content-Digest, cache de rejeu, annuaire, convention, validation, chiffrement, journal,
validation durable, reçu signé) au strict minimum « lire le corps, vérifier une signature ».

La clé publique (32 octets bruts, base64url) vient de la variable d'environnement
``VERIFICATION_SEULE_CLE``; la signature (64 octets, base64) de l'en-tête ``X-Signature-Corps``.
Lancement: ``uvicorn --factory bench.verification_seule:creer_app`` (depuis la racine du dépôt).
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ENTETE_SIGNATURE = "x-signature-corps"
VARIABLE_CLE = "VERIFICATION_SEULE_CLE"


def lire_cle(texte: str) -> Ed25519PublicKey:
    brut = base64.urlsafe_b64decode(texte + "=" * (-len(texte) % 4))
    return Ed25519PublicKey.from_public_bytes(brut)


def creer_app(cle: Ed25519PublicKey | None = None) -> FastAPI:
    if cle is None:
        texte = os.environ.get(VARIABLE_CLE)
        if not texte:
            raise RuntimeError(f"{VARIABLE_CLE} doit donner la clé publique Ed25519 (base64url, 32 octets)")
        cle = lire_cle(texte)
    publique = cle
    app = FastAPI(title="verification-seule", openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/v1/flux/{flux}", status_code=202)
    async def recevoir(flux: str, request: Request) -> JSONResponse:
        corps = await request.body()
        entete = request.headers.get(ENTETE_SIGNATURE)
        if entete is None:
            return JSONResponse({"code": "signature_absente"}, status_code=401)
        try:
            publique.verify(base64.b64decode(entete, validate=True), corps)
        except (InvalidSignature, binascii.Error, ValueError):
            return JSONResponse({"code": "signature_invalide"}, status_code=401)
        return JSONResponse({"statut": "verifie", "flux": flux, "octets": len(corps)}, status_code=202)

    return app
