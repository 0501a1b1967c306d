"""The OpenAPI document describes every endpoint, the flux bodies and the problem responses."""

from __future__ import annotations


def test_openapi_complet(passerelle) -> None:  # type: ignore[no-untyped-def]
    document = passerelle.client.get("/openapi.json").json()
    chemins = document["paths"]
    for chemin in ("/v1/flux/rdc", "/v1/lots/rdc", "/v1/consultations/statut-aspa", "/v1/boite",
                   "/v1/boite/{message_id}/acquittement", "/v1/messages/{message_id}", "/.well-known/jwks.json",
                   "/sante", "/metrics"):
        assert chemin in chemins, chemin
    depot = chemins["/v1/flux/rdc"]["post"]
    assert {"202", "401", "403", "413", "422", "429"} <= set(depot["responses"])
    assert "application/problem+json" in depot["responses"]["422"]["content"]
    assert depot["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Flux_rdc"}
    rdc = document["components"]["schemas"]["Flux_rdc"]
    assert "nir_assure" in rdc["properties"] and "NIRAssuré" in rdc["properties"]["nir_assure"]["description"]
    for nom in passerelle.services.catalogue:
        assert f"/v1/flux/{nom}" in chemins and f"/v1/lots/{nom}" in chemins


def test_jwks_et_sante(passerelle) -> None:  # type: ignore[no-untyped-def]
    jwks = passerelle.client.get("/.well-known/jwks.json").json()
    [cle] = jwks["keys"]
    assert cle["kty"] == "OKP" and cle["crv"] == "Ed25519" and cle["kid"] == "passerelle-dev-2026"
    assert "d" not in cle
    sante = passerelle.client.get("/sante").json()
    assert sante["statut"] == "ok" and sante["journal_taille"] == 0


def test_erreurs_du_cadre_en_probleme(passerelle) -> None:  # type: ignore[no-untyped-def]
    r = passerelle.client.get("/v1/inexistant")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "ressource_inconnue"
    r = passerelle.client.delete("/v1/boite")
    assert r.status_code == 405 and r.json()["code"] == "methode_non_autorisee"


def test_boite_pagination(passerelle) -> None:  # type: ignore[no-untyped-def]
    from tests.catalogue.exemples import exemple_rdc

    caf = passerelle.organisme("caf-042")
    ids = [caf.envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date())).donnees["id"] for _ in range(5)]
    carsat = passerelle.organisme("carsat-ra")
    vus, curseur = [], None
    while True:
        page = carsat.boite(curseur=curseur, limite=2)
        assert page.statut == 200, page.donnees
        vus += [m["id"] for m in page.donnees["messages"]]
        curseur = page.donnees["curseur_suivant"]
        if curseur is None:
            break
    assert vus == ids  # oldest first, each once
    assert carsat.boite(curseur="n'importe-quoi").donnees["code"] == "curseur_invalide"
    assert passerelle.organisme("cnav-idf").boite().donnees["messages"] == []


def test_metriques(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.client.post("/v1/flux/rdc", content=b"{}", headers={"Content-Type": "application/json"})
    texte = passerelle.client.get("/metrics").text
    assert 'passerelle_decisions_total{code="signature_absente",decision="refuse",operation="depot"} 1.0' in texte
