"""The console over HTTP: login with CSRF, search by NIR without echoing it, proof verified,
export journaled, sessions that end, pages in French with protective headers."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import sqlalchemy as sa

from passerelle.auditeurs import comptes
from passerelle.stockage.tables import auditeurs_sessions, journal
from tests.auditeurs.outils import creer_auditeur, nirs_de_test, rdc
from tests.console.outils import connecter, jeton
from tests.journal_api.conftest import sequencer


def _trafic(passerelle: Any) -> tuple[str, str, list[int]]:
    a, b, *_ = nirs_de_test(passerelle.horloge().date())
    caf = passerelle.organisme("caf-042", agent="sophie.bernard@caf-042")
    recus = [rdc(passerelle, caf, a), rdc(passerelle, caf, b)]
    carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    carsat.boite()
    carsat.acquitter(recus[0]["id"])
    with passerelle.services.moteur.connect() as c:
        index_a = passerelle.services.journal.index_nir(a)
        indices = [r.index for r in c.execute(sa.select(journal.c.index).where(journal.c.nir_index == index_a))]
    return a, b, indices


def _derniere(passerelle: Any) -> dict[str, Any]:
    with passerelle.services.moteur.connect() as c:
        return json.loads(c.execute(sa.select(journal.c.entree).order_by(journal.c.index.desc()).limit(1)).scalar_one())


def test_connexion_recherche_par_nir_preuve_et_export(passerelle) -> None:  # type: ignore[no-untyped-def]
    a, b, indices = _trafic(passerelle)
    auditeur = creer_auditeur(passerelle, "cnil-1")
    accueil = connecter(passerelle, auditeur)
    assert accueil.status_code == 200 and "Recherche dans le journal" in accueil.text
    assert '<html lang="fr">' in accueil.text and 'href="#contenu"' in accueil.text
    assert accueil.headers["content-security-policy"].startswith("default-src 'none'")
    assert accueil.headers["cache-control"] == "no-store" and accueil.headers["x-frame-options"] == "DENY"
    assert _derniere(passerelle)["decision"] == "connexion_auditeur"
    cookie = next(c for c in passerelle.client.cookies.jar if c.name == "passerelle_console")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/console"

    resultats = passerelle.client.post("/console/recherche", data={"nir": a, "jeton": jeton(accueil)})
    assert resultats.status_code == 200, resultats.text
    for index in indices:
        assert f'href="/console/entrees/{index}"' in resultats.text
    assert a not in resultats.text and b not in resultats.text
    index_a = passerelle.services.journal.index_nir(a)
    assert f'name="nir_index" value="{index_a}"' in resultats.text
    recherche = _derniere(passerelle)
    assert recherche["decision"] == "recherche_auditeur" and recherche["details"]["canal"] == "console"
    assert recherche["details"]["criteres"] == {"nir_index": index_a} and recherche["nir"] == index_a

    non_integree = passerelle.client.get(f"/console/entrees/{indices[0]}/preuve")
    assert non_integree.status_code == 200 and "Preuve non vérifiée" in non_integree.text
    sequencer(passerelle, forcer=True)
    preuve = passerelle.client.get(f"/console/entrees/{indices[0]}/preuve")
    assert preuve.status_code == 200 and "Preuve vérifiée" in preuve.text and "Preuve non vérifiée" not in preuve.text
    assert _derniere(passerelle)["details"]["operation"] == "verification_preuve"
    integrite = passerelle.client.get("/console/integrite")
    assert "Dernier checkpoint vérifié" in integrite.text

    chronologie = passerelle.client.post("/console/chronologie", data={"nir_index": index_a, "jeton": jeton(accueil)})
    assert chronologie.status_code == 200
    positions = [chronologie.text.index(f'href="/console/entrees/{i}"') for i in sorted(indices)]
    assert positions == sorted(positions)  # oldest first

    export = passerelle.client.post(
        "/console/export", data={"nir_index": index_a, "garder_personne": "1", "jeton": jeton(accueil)}
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    lignes = list(csv.DictReader(io.StringIO(export.text), delimiter=";"))
    entrees_a = [int(x["index"]) for x in lignes if x["decision"] != "recherche_auditeur"]
    assert entrees_a == sorted(indices) and all(x["nir"] == index_a for x in lignes)
    assert a not in export.text
    fait = _derniere(passerelle)
    assert fait["decision"] == "export_auditeur" and fait["details"]["resultats"] == len(lignes)


def test_portee_dans_la_console(passerelle) -> None:  # type: ignore[no-untyped-def]
    _trafic(passerelle)
    with passerelle.services.moteur.connect() as c:
        carsat_seule = c.execute(
            sa.select(journal.c.index).where(journal.c.organisme == "carsat-ra", journal.c.destinataire == "carsat-ra")
        ).scalars().first()
    page = connecter(passerelle, creer_auditeur(passerelle, "caf042-audit", ["caf-042"]))
    resultats = passerelle.client.post("/console/recherche", data={"organisme": "carsat-ra", "jeton": jeton(page)})
    assert f'href="/console/entrees/{carsat_seule}"' not in resultats.text
    assert passerelle.client.get(f"/console/entrees/{carsat_seule}").status_code == 404


def test_csrf_et_fin_de_session(passerelle) -> None:  # type: ignore[no-untyped-def]
    auditeur = creer_auditeur(passerelle, "cnil-1")
    page = connecter(passerelle, auditeur)
    sans_jeton = passerelle.client.post("/console/recherche", data={"organisme": "caf-042"})
    assert sans_jeton.status_code == 403 and "Formulaire refusé" in sans_jeton.text
    assert _derniere(passerelle)["code"] == "jeton_csrf_invalide" and _derniere(passerelle)["agent"] == "cnil-1"
    faux = passerelle.client.post("/console/recherche", data={"organisme": "caf-042", "jeton": "x" * 43})
    assert faux.status_code == 403
    erreur = passerelle.client.post("/console/recherche", data={"nir": "2640", "jeton": jeton(page)})
    assert erreur.status_code == 400 and "15 caractères" in erreur.text and 'role="alert"' in erreur.text
    # Logout ends the session server-side: the old cookie opens nothing any more.
    ancien = passerelle.client.cookies.get("passerelle_console")
    passerelle.client.post("/console/deconnexion", data={"jeton": jeton(page)}, follow_redirects=False)
    passerelle.client.cookies.set("passerelle_console", ancien, path="/console")
    assert passerelle.client.get("/console/recherche", follow_redirects=False).headers["location"] == "/console/connexion"
    # Deactivation too.
    page = connecter(passerelle, auditeur)
    with passerelle.services.moteur.begin() as c:
        comptes.desactiver(c, "cnil-1", passerelle.horloge())
        assert c.execute(sa.select(sa.func.count()).select_from(auditeurs_sessions)).scalar_one() == 0
    assert passerelle.client.get("/console/recherche", follow_redirects=False).status_code == 303
    # A forged cookie is ignored.
    passerelle.client.cookies.set("passerelle_console", "abc.def", path="/console")
    assert passerelle.client.get("/console/integrite", follow_redirects=False).status_code == 303


def test_connexion_refusee_et_formulaire_expire(passerelle) -> None:  # type: ignore[no-untyped-def]
    auditeur = creer_auditeur(passerelle, "cnil-1")
    identifiant, secret = auditeur.split(".", 1)
    formulaire = passerelle.client.get("/console/connexion")
    assert re.search(r'<label for="identifiant">', formulaire.text) and 'autocomplete="current-password"' in formulaire.text
    mauvais = passerelle.client.post(
        "/console/connexion", data={"identifiant": identifiant, "secret": "faux", "jeton": jeton(formulaire)}
    )
    assert mauvais.status_code == 401 and "Identifiant ou secret invalide" in mauvais.text
    refus = _derniere(passerelle)
    assert refus["decision"] == "refuse" and refus["code"] == "identifiants_invalides"
    assert refus["details"]["auditeur_annonce"] == "cnil-1" and "faux" not in json.dumps(refus)
    passerelle.client.cookies.clear()
    expire = passerelle.client.post("/console/connexion", data={"identifiant": identifiant, "secret": secret, "jeton": "x"})
    assert expire.status_code == 403 and "expiré" in expire.text


def test_ce_que_les_organismes_ecrivent_est_echappe(passerelle) -> None:  # type: ignore[no-untyped-def]
    a, *_ = nirs_de_test(passerelle.horloge().date())
    piege = '<img src=x onerror="alert(1)">@caf-042'
    rdc(passerelle, passerelle.organisme("caf-042", agent=piege), a)
    page = connecter(passerelle, creer_auditeur(passerelle, "cnil-1"))
    resultats = passerelle.client.post("/console/recherche", data={"organisme": "caf-042", "jeton": jeton(page)})
    assert piege not in resultats.text and "&lt;img src=x onerror=" in resultats.text
    entree = passerelle.client.get("/console/entrees/0")
    assert piege not in entree.text and "&lt;img" in entree.text
