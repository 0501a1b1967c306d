"""Driving the console through its forms, as a browser without JavaScript would."""

from __future__ import annotations

import re
from typing import Any

import httpx

_JETON = re.compile(r'name="jeton" value="([^"]+)"')


def jeton(page: httpx.Response) -> str:
    trouve = _JETON.search(page.text)
    assert trouve, page.text
    return trouve.group(1)


def connecter(passerelle: Any, auditeur_jeton: str) -> httpx.Response:
    """Log in with the form; returns the page the browser lands on."""
    identifiant, secret = auditeur_jeton.split(".", 1)
    formulaire = passerelle.client.get("/console/connexion")
    assert formulaire.status_code == 200
    reponse = passerelle.client.post(
        "/console/connexion",
        data={"identifiant": identifiant, "secret": secret, "jeton": jeton(formulaire)},
        follow_redirects=False,
    )
    assert reponse.status_code == 303, reponse.text
    return passerelle.client.get(reponse.headers["location"])
