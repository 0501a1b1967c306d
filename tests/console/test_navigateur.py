"""End to end in a real headless Chromium: an auditor logs in with the keyboard only, searches a
NIR, sees every access to that person (a technician's and a robot's), opens the proof check and
reads "Preuve vérifiée". The results table fits a 1280 px screen, and dates read the French way
(JJ/MM/AAAA HH:MM:SS UTC) whatever the browser's locale, typed as well as shown. Screenshots are
kept in tests/artefacts/.

The gateway runs as a real uvicorn server on 127.0.0.1 with its own SQLite database and the
system clock. Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/run``); Playwright
only drives it. Without it the test is skipped here, and fails under CI (``CI=true``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

RACINE = Path(__file__).resolve().parents[2]
ARTEFACTS = RACINE / "tests" / "artefacts"
CHROMIUM = Path(os.environ.get("PASSERELLE_CHROMIUM", "/usr/bin/chromium"))
ARGUMENTS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SOUS_CI = os.environ.get("CI", "").lower() == "true"


def _manque(raison: str) -> None:
    if SOUS_CI:
        pytest.fail(f"{raison} — exigé sous CI (CI=true): .ci/run installe chromium (apt) et playwright (pip)")
    pytest.skip(f"{raison} (apt-get install chromium; pip install playwright)")


@pytest.fixture
def serveur(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A real gateway process-in-a-thread: uvicorn as `passerelle serve` builds it, SQLite,
    system clock, development secrets."""
    import uvicorn

    from passerelle.app import create_app
    from passerelle.reglages import Mode, Reglages
    from passerelle.serveur.lancement import configuration
    from passerelle.services import construire_services

    config = tmp_path / "config"
    shutil.copytree(RACINE / "config", config)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reglages = Reglages(
        mode=Mode.developpement, base=f"sqlite:///{tmp_path / 'passerelle.db'}", config=config,
        travaux_de_fond=False, console_cookie_securise=False, relecture_annuaire=0, hote="127.0.0.1", port=port,
    )
    services = construire_services(reglages)
    serveur = uvicorn.Server(configuration(create_app(services=services), reglages))
    fil = threading.Thread(target=serveur.run, daemon=True)
    fil.start()
    limite = time.monotonic() + 20
    while not serveur.started:
        if time.monotonic() > limite or not fil.is_alive():
            pytest.fail("le serveur uvicorn de test n'a pas démarré")
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "services": services, "config": config}
    finally:
        serveur.should_exit = True
        fil.join(timeout=10)
        services.moteur.dispose()


def _trafic(serveur: dict[str, Any]) -> dict[str, Any]:
    """A technician's rdc and a robot's rdc about the same person, another person, a read."""
    from datetime import datetime, timedelta, timezone

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from passerelle.annuaire.cles import lire_privee_pem
    from passerelle.annuaire.gestion import ajouter_cle
    from passerelle.client import ClientPasserelle
    from tests.auditeurs.outils import nirs_de_test
    from tests.catalogue.exemples import exemple_rdc, naissance_dans_fenetre

    url, config = serveur["url"], serveur["config"]
    aujourd_hui = datetime.now(timezone.utc).date()
    naissance = naissance_dans_fenetre("rdc", aujourd_hui)
    nir, autre, *_ = nirs_de_test(aujourd_hui)

    def client(keyid: str, cle: Any, agent: str) -> ClientPasserelle:
        return ClientPasserelle(url, cle, keyid, agent)

    def cle_dev(organisme: str) -> Any:
        return lire_privee_pem((config / "developpement" / "cles" / f"{organisme}-dev-2026.pem").read_bytes())

    from datetime import time as heure

    from passerelle.annuaire.gestion import declarer_robot
    from passerelle.annuaire.robots import JOURS, PlageHoraire, Robot

    # Annex 2: a robot key needs its robot declared; any hour here, the test runs at wall-clock time.
    declarer_robot(config, Robot(id="ad-caf042-07", organisme="caf-042", responsable="Responsable de test",
                                 debit_par_minute=600, plages=(PlageHoraire(frozenset(range(len(JOURS))), heure(0), None),)),
                   remplacer=True)
    robot = Ed25519PrivateKey.generate()
    debut = datetime.now(timezone.utc) - timedelta(days=1)
    ajouter_cle(config, organisme="caf-042", keyid="caf-042-ad-07", publique=robot.public_key(), valide_du=debut,
                valide_au=debut + timedelta(days=30), developpement=True, robot="ad-caf042-07")
    envois = [
        (client("caf-042-dev-2026", cle_dev("caf-042"), "sophie.bernard@caf-042"), nir),
        (client("caf-042-ad-07", robot, "claire.morel@caf-042"), nir),
        (client("caf-042-dev-2026", cle_dev("caf-042"), "sophie.bernard@caf-042"), autre),
    ]
    for c, qui in envois:
        with c:
            reponse = c.envoyer("rdc", exemple_rdc(aujourd_hui=aujourd_hui, naissance=naissance, nir_assure=qui))
            assert reponse.statut == 202, reponse.donnees
    with client("carsat-ra-dev-2026", cle_dev("carsat-ra"), "jean.petit@carsat-ra") as carsat:
        assert carsat.boite().statut == 200
    return {"nir": nir, "autre": autre}


def test_un_auditeur_trouve_chaque_acces_a_un_nir_et_voit_la_preuve_verifiee(serveur: dict[str, Any]) -> None:
    if not CHROMIUM.exists():
        _manque(f"Chromium absent ({CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _manque("paquet Python playwright absent")
        raise

    from passerelle.auditeurs import comptes
    from passerelle.app import sequenceur_de
    from passerelle.journal.sequenceur import sequencer
    from passerelle.stockage.tables import journal

    services = serveur["services"]
    donnees = _trafic(serveur)
    with services.moteur.begin() as c:
        _, secret = comptes.creer(c, "cnil-controle", "Contrôleuse CNIL", None, services.horloge())
    integration = sequencer(sequenceur_de(services), forcer=True)
    assert integration.checkpoint is not None
    index_nir = services.journal.index_nir(donnees["nir"])
    with services.moteur.connect() as c:
        acces = {
            r.index: r for r in c.execute(sa.select(journal).where(journal.c.nir_index == index_nir))
        }
    assert {r.agent for r in acces.values()} >= {"sophie.bernard@caf-042", "claire.morel@caf-042"}
    acces_robot = next(i for i, r in acces.items() if r.robot == "ad-caf042-07")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        navigateur = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS)
        try:
            # An English-speaking browser: the dates must still be French (formatted by the server).
            page = navigateur.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
            page.goto(f"{serveur['url']}/console/")
            assert page.url.endswith("/console/connexion")
            assert page.get_attribute("html", "lang") == "fr"
            # Keyboard only. The identifier field has the focus; before it, the skip link.
            assert page.evaluate("document.activeElement.id") == "identifiant"
            page.keyboard.press("Shift+Tab")
            assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "identifiant"
            page.keyboard.type("cnil-controle")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.id") == "secret"
            page.keyboard.type(secret)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url.endswith("/console/recherche"), page.url
            assert "cnil-controle" in page.inner_text("header")

            page.get_by_label("NIR de la personne").fill(donnees["nir"])
            # The period typed the French way (no date widget following the browser's locale).
            assert page.get_attribute("#champ-du", "type") == "text"
            from datetime import datetime, timedelta, timezone

            hier = datetime.now(timezone.utc) - timedelta(days=1)
            page.get_by_label("Du (inclus)").fill(f"{hier:%d/%m/%Y %H:%M:%S}")
            with page.expect_navigation():
                page.get_by_label("NIR de la personne").press("Enter")
            contenu = page.content()
            for index in acces:
                assert page.locator(f'a[href="/console/entrees/{index}"]').count() == 1, f"accès {index} absent"
            assert donnees["nir"] not in contenu and donnees["nir"] not in page.url
            assert "ad-caf042-07" in contenu and "claire.morel@caf-042" in contenu
            statut = page.get_by_role("status").inner_text()
            assert "Recherche limitée à la personne" in statut
            assert page.input_value("#champ-du") == f"{hier:%d/%m/%Y %H:%M:%S}"
            horodatages = page.locator("table time").all_inner_texts()
            assert horodatages and all(re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} UTC", h) for h in horodatages), horodatages
            # At 1280 px the whole table is on screen: no horizontal scrolling, no timestamp on two lines.
            defilement = page.evaluate("(() => { const d = document.querySelector('.defilement'); return [d.scrollWidth, d.clientWidth, document.documentElement.scrollWidth]; })()")
            assert defilement[0] <= defilement[1] and defilement[2] <= 1280, defilement
            hauteurs = page.evaluate("[...document.querySelectorAll('table time')].map(t => t.getClientRects().length)")
            assert set(hauteurs) == {1}, hauteurs
            page.screenshot(path=str(ARTEFACTS / "console-1280.png"), full_page=True)

            page.locator(f'a[href="/console/entrees/{acces_robot}/preuve"]').click()
            page.wait_for_load_state()
            verdict = page.get_by_role("status").inner_text()
            assert "preuve vérifiée" in verdict.lower(), verdict
            assert "non vérifiée" not in page.content()
            page.screenshot(path=str(ARTEFACTS / "console-preuve.png"), full_page=True)

            page.goto(f"{serveur['url']}/console/integrite")
            assert "Dernier checkpoint vérifié" in page.get_by_role("status").inner_text()
        finally:
            navigateur.close()
    assert (ARTEFACTS / "console-1280.png").stat().st_size > 10_000
    # Every page view above that read the journal is itself in the journal.
    with services.moteur.connect() as c:
        decisions = [r.decision for r in c.execute(sa.select(journal.c.decision).where(journal.c.agent == "cnil-controle"))]
    assert decisions.count("connexion_auditeur") == 1 and decisions.count("recherche_auditeur") >= 2
    assert httpx.get(f"{serveur['url']}/sante").status_code == 200
