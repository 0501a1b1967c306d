"""The API reference served by the gateway itself, and its home page.

``/docs`` (Swagger UI) and ``/redoc`` load their scripts and styles from the gateway, not from a
CDN: a gateway runs inside the caisses' networks, often without internet, and an integrator must
still read its contract there. The assets are those shipped by the ``fastapi-offline`` package
(MIT; Swagger UI and Redoc themselves are under their own licences, Apache 2.0 and MIT), served
as static files. ``GET /`` is a small French page pointing to the reference, health and keys.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from passerelle import __version__

STATIQUE = "/docs/statique"
router = APIRouter(include_in_schema=False)


def dossier_statique() -> Path:
    """Swagger UI and Redoc as shipped by ``fastapi-offline`` (a declared dependency)."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/docs")
async def swagger() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="passerelle — référence de l'API",
        swagger_js_url=f"{STATIQUE}/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIQUE}/swagger-ui.css",
        swagger_favicon_url=f"{STATIQUE}/favicon.png",
        # No call to the public validator: nothing leaves the machine that reads the page.
        swagger_ui_parameters={"validatorUrl": None, "docExpansion": "list", "defaultModelsExpandDepth": 0},
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="passerelle — référence de l'API",
        redoc_js_url=f"{STATIQUE}/redoc.standalone.js",
        redoc_favicon_url=f"{STATIQUE}/favicon.png",
        with_google_fonts=False,
    )


ACCUEIL = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>passerelle — échanges sécurisés entre organismes de sécurité sociale</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #161616; }}
h1 {{ font-size: 1.5rem; }} a {{ color: #000091; }} code {{ font-size: .95em; }} li {{ margin: .35rem 0; }}
</style>
</head>
<body>
<main>
<h1>passerelle <small>version {version}</small></h1>
<p>Passerelle d'échanges sécurisés entre organismes de sécurité sociale (CAF, Carsat, Cnav…).
Chaque requête d'un organisme est signée (RFC 9421, Ed25519) ; chaque accusé de réception est signé
par la passerelle.</p>
<ul>
<li><a href="/docs">Référence de l'API</a> (Swagger UI, servie par la passerelle, sans réseau) —
 aussi en <a href="/redoc">Redoc</a> et en <a href="/openapi.json">OpenAPI JSON</a></li>
<li><a href="/sante">Santé</a> (<code>GET /sante</code>) et <a href="/metrics">métriques</a> (Prometheus)</li>
<li><a href="/.well-known/jwks.json">Clés publiques de la passerelle</a> (JWKS), pour vérifier ses accusés</li>
<li><a href="/console/">Console des auditeurs</a></li>
</ul>
<p>Pour intégrer : <code>docs/integration.md</code> du dépôt (signature, accusés, erreurs), des corps prêts
dans <code>docs/exemples/</code> et des clients en Java, Node.js et shell dans <code>docs/clients/</code>.</p>
</main>
</body>
</html>
"""


@router.get("/")
async def accueil() -> HTMLResponse:
    return HTMLResponse(
        ACCUEIL.format(version=__version__),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff"},
    )


def installer(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(STATIQUE, StaticFiles(directory=dossier_statique()), name="documentation_statique")
