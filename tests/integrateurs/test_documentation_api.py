"""``/docs`` renders the API reference with no network: every script and style comes from the
gateway (packaged assets), checked in Debian's headless Chromium with every request to another
host blocked and counted. ``GET /`` is a French page pointing to the reference, health and keys.
Screenshot in tests/artefacts/docs.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.test_navigateur import ARGUMENTS, ARTEFACTS, CHROMIUM
from tests.integrateurs.conftest import PasserelleProcessus, arreter, demarrer, outil_manquant


@pytest.fixture
def passerelle_sqlite(tmp_path: Path) -> Iterator[PasserelleProcessus]:
    processus, passerelle = demarrer(f"sqlite:///{tmp_path / 'p.db'}", tmp_path)
    try:
        yield passerelle
    finally:
        arreter(processus)


def test_accueil_et_ressources_servies_par_la_passerelle(passerelle_sqlite: PasserelleProcessus) -> None:
    url = passerelle_sqlite.url
    accueil = httpx.get(f"{url}/")
    assert accueil.status_code == 200 and accueil.headers["content-type"].startswith("text/html")
    for lien in ('href="/docs"', 'href="/sante"', 'href="/.well-known/jwks.json"', 'lang="fr"'):
        assert lien in accueil.text
    for page in ("/docs", "/redoc"):
        html = httpx.get(f"{url}{page}").text
        assert "cdn." not in html and "googleapis" not in html and "https://" not in html.split("</head>")[0]
        assert "/docs/statique/" in html
    for fichier in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"):
        assert httpx.get(f"{url}/docs/statique/{fichier}").status_code == 200
    assert "/" not in httpx.get(f"{url}/openapi.json").json()["paths"]  # the pages are not API operations


def test_docs_rendu_sans_reseau_dans_chromium(passerelle_sqlite: PasserelleProcessus) -> None:
    if not CHROMIUM.exists():
        outil_manquant(f"Chromium absent ({CHROMIUM})", "chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        outil_manquant("paquet Python playwright absent", "chromium (et pip install playwright)")
        raise
    url = passerelle_sqlite.url
    operations = httpx.get(f"{url}/openapi.json").json()["paths"]
    nombre = sum(1 for chemin in operations.values() for m in chemin if m in ("get", "post", "put", "delete", "patch"))
    bloquees: list[str] = []

    def filtrer(route: Any) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            bloquees.append(route.request.url)
            route.abort()

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        navigateur = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS)
        try:
            page = navigateur.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            page.route("**/*", filtrer)
            page.goto(f"{url}/")
            with page.expect_navigation():
                page.get_by_role("link", name="Référence de l'API").click()
            assert page.url == f"{url}/docs"
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() == nombre
            assert page.get_by_text("/v1/flux/rdc").first.is_visible()  # one operation per flux (api/contrat.py)
            assert "passerelle" in page.locator(".info .title").inner_text()
            page.screenshot(path=str(ARTEFACTS / "docs.png"), full_page=False)
        finally:
            navigateur.close()
    assert bloquees == [], f"requêtes hors de la passerelle: {bloquees}"
    assert (ARTEFACTS / "docs.png").stat().st_size > 10_000
