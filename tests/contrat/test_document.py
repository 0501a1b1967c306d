"""The OpenAPI document against what the gateway really is: its registries, the published
schemas, the shipped examples, the problem codes its source can raise, its real content types.
(What the running gateway answers is checked against the document by the fuzzing, test_fuzz.py.)"""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from passerelle.api.contrat import CODES_LIGNE_LOT, OPERATIONS, codes_du_document
from tests.catalogue import exemples as ex
from tests.consultations.test_consultations import question_aspa, question_carriere
from tests.demandes import exemples as exd

RACINE = Path(__file__).resolve().parents[2]
ID = "3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f"


@pytest.fixture
def document(passerelle) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return passerelle.client.get("/openapi.json").json()


def _resoudre(valeur: Any, racine: dict[str, Any]) -> Any:
    """Every local reference replaced by what it names (the schemas here are not recursive)."""
    if isinstance(valeur, dict):
        if "$ref" in valeur:
            cible: Any = racine
            for partie in valeur["$ref"].removeprefix("#/").split("/"):
                cible = cible[partie]
            return _resoudre({**cible, **{k: v for k, v in valeur.items() if k != "$ref"}}, racine)
        return {k: _resoudre(v, racine) for k, v in valeur.items() if k != "$defs"}
    if isinstance(valeur, list):
        return [_resoudre(v, racine) for v in valeur]
    return valeur


def _validateur(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


def test_une_operation_par_flux_par_lot_et_par_consultation(passerelle, document) -> None:  # type: ignore[no-untyped-def]
    chemins = document["paths"]
    assert not [c for c in chemins if c in ("/v1/flux/{flux}", "/v1/lots/{flux}", "/v1/consultations/{type}")]
    for nom in passerelle.services.catalogue:
        corps = chemins[f"/v1/flux/{nom}"]["post"]["requestBody"]["content"]
        assert set(corps) == {"application/json"}
        assert corps["application/json"]["schema"] == {"$ref": f"#/components/schemas/Flux_{nom.replace('-', '_')}"}
        lot = chemins[f"/v1/lots/{nom}"]["post"]
        assert set(lot["requestBody"]["content"]) == {"application/x-ndjson", "text/csv"}
        assert lot["requestBody"]["content"]["application/x-ndjson"]["schema"]["items"] == corps["application/json"]["schema"]
        assert set(lot["responses"]["200"]["content"]) == {"application/x-ndjson"}
        cle = next(x for x in lot["parameters"] if x["name"] == "Idempotency-Key")
        assert cle["required"] is True
    for nom in passerelle.services.consultations:
        assert chemins[f"/v1/consultations/{nom}"]["post"]["requestBody"]["required"] is True
    ids = [op["operationId"] for ops in chemins.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_les_corps_de_flux_sont_les_schemas_publies(passerelle, document) -> None:  # type: ignore[no-untyped-def]
    for nom in passerelle.services.catalogue:
        publie = json.loads((RACINE / "schemas" / f"{nom}.schema.json").read_text(encoding="utf-8"))
        attendu = _resoudre({k: v for k, v in publie.items() if k not in ("$schema", "$id")}, publie)
        dans_le_document = _resoudre(document["components"]["schemas"][f"Flux_{nom.replace('-', '_')}"], document)
        assert dans_le_document == attendu, nom


def _exemples(jour: date) -> dict[str, list[dict[str, Any]]]:
    return {
        "rdc": [ex.exemple_rdc(aujourd_hui=jour)],
        "passage-retraite": [ex.exemple_passage_retraite(aujourd_hui=jour)],
        "cloture-rdc": [ex.exemple_cloture_rdc()],
        "avis-depot": [ex.exemple_avis_depot()],
        "notification-retraite": [ex.exemple_notification_retraite()],
        "retenue-demande": [exd.exemple_retenue_demande()],
        "retenue-reponse": [exd.exemple_retenue_reponse(ID)],
        "enquete-avpf": [exd.exemple_enquete_avpf()],
        "reponse-avpf": [exd.exemple_reponse_avpf(ID)],
        "subrogation-demande": [exd.exemple_subrogation_demande()],
        "subrogation-reponse": [exd.exemple_subrogation_reponse(ID)],
    }


def test_les_exemples_du_projet_sont_acceptes_par_le_document(passerelle, document) -> None:  # type: ignore[no-untyped-def]
    jour = passerelle.horloge().date()
    for nom, liste in _exemples(jour).items():
        schema = document["paths"][f"/v1/flux/{nom}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        lot = document["paths"][f"/v1/lots/{nom}"]["post"]["requestBody"]["content"]["application/x-ndjson"]["schema"]
        for exemple in liste:
            assert not list(_validateur(document, schema).iter_errors(exemple)), nom
        assert _validateur(document, lot).is_valid(liste)
        # and the document refuses what the gateway refuses for its schema
        assert not _validateur(document, schema).is_valid({**liste[0], "champ_inconnu": 1}), nom
    questions = {"periodes-carriere": question_carriere(), "statut-aspa": question_aspa()}
    assert set(questions) == set(passerelle.services.consultations)
    for nom, question in questions.items():
        schema = document["paths"][f"/v1/consultations/{nom}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert not list(_validateur(document, schema).iter_errors(question)), nom
    # the example of each problem response is a problem of the document's schema, with a listed code
    for ops in document["paths"].values():
        for op in ops.values():
            for reponse in op["responses"].values():
                probleme = reponse.get("content", {}).get("application/problem+json")
                if probleme and probleme["example"]["code"] != "…":
                    assert _validateur(document, probleme["schema"]).is_valid(probleme["example"])


def test_aucun_422_par_defaut_du_cadre(passerelle, document) -> None:  # type: ignore[no-untyped-def]
    """A malformed parameter is a 400 parametre_invalide: FastAPI's 422 must not be advertised."""
    assert "HTTPValidationError" not in json.dumps(document)
    for chemin, ops in document["paths"].items():
        for methode, op in ops.items():
            if "422" in op["responses"]:
                assert "requestBody" in op, (methode, chemin)
            # a parameter FastAPI checks (a query parameter, a typed path parameter) may be malformed
            if any(p["in"] == "query" or p["schema"].get("type") != "string" for p in op.get("parameters", [])
                   if p["in"] in ("query", "path")):
                assert "parametre_invalide" in codes_du_document(document)[(methode, chemin, 400)], (methode, chemin)
    r = passerelle.client.get("/v1/boite", params={"limite": "beaucoup"})
    assert r.status_code == 400 and r.json()["code"] == "parametre_invalide"


def test_chaque_operation_signee_dit_ses_refus_et_ses_en_tetes(document) -> None:  # type: ignore[no-untyped-def]
    for chemin, ops in document["paths"].items():
        for methode, op in ops.items():
            reponses = op["responses"]
            assert {"408", "431"} <= set(reponses), (methode, chemin)
            noms = {p["name"] for p in op.get("parameters", [])}
            if "Signature" in noms:
                assert {"401", "403", "413", "429", "500"} <= set(reponses), (methode, chemin)
                assert {"Signature-Input", "Passerelle-Agent"} <= noms
                assert "nonce_rejoue" in codes_du_document(document)[(methode, chemin, 401)]
                assert reponses["429"]["headers"]["Retry-After"]["required"] is True
            if "requestBody" in op:
                assert "Content-Digest" in noms and "415" in reponses, (methode, chemin)
            for statut, reponse in reponses.items():
                assert reponse["headers"]["X-Request-Id"]["required"] is True
                if statut[0] in "45" and chemin != "/sante":  # /sante's 503 is its own JSON state
                    schema = reponse["content"]["application/problem+json"]["schema"]
                    assert schema["allOf"][0] == {"$ref": "#/components/schemas/Probleme"}
    probleme = document["components"]["schemas"]["Probleme"]
    assert {"type", "title", "status", "detail", "code"} <= set(probleme["required"])
    assert {"erreurs", "requete", "instance"} <= set(probleme["properties"])
    signes = document["paths"]["/v1/flux/rdc"]["post"]["responses"]["202"]["headers"]
    assert {"Signature", "Signature-Input", "Content-Digest"} <= set(signes)


def test_types_de_contenu_reels(passerelle, document) -> None:  # type: ignore[no-untyped-def]
    chemins = document["paths"]
    assert set(chemins["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    assert set(chemins["/v1/journal/checkpoint"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    assert set(chemins["/v1/journal/cle"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    assert passerelle.client.get("/metrics").headers["content-type"].startswith("text/plain")
    assert passerelle.client.get("/v1/journal/cle").headers["content-type"].startswith("text/plain")


def test_chaque_route_a_son_operation(passerelle) -> None:  # type: ignore[no-untyped-def]
    """What FastAPI routes is what the contract describes (document_openapi also refuses a route
    it has no entry for)."""
    from fastapi.openapi.utils import get_openapi

    app = passerelle.client.app
    while not hasattr(app, "routes"):
        app = app.app
    brut = get_openapi(title="t", version="0", routes=app.routes)["paths"]
    routes = {(m, chemin) for chemin, ops in brut.items() for m in ops}
    catalogue = {("post", "/v1/flux/{flux}"), ("post", "/v1/lots/{flux}"), ("post", "/v1/consultations/{type}")}
    assert routes - catalogue == set(OPERATIONS) and catalogue <= routes


# --- problem codes: source → contract → docs ---------------------------------------------

CONSTRUCTEURS = re.compile(r"^(Refus\w*|RefusAuthentification|RefusHabilitation|RefusValidation|Introuvable|Conflit|"
                           r"Manquement|ConsultationImpossible)$")
CODE = re.compile(r"^[a-z][a-z0-9_]+$")
HORS_API = {
    "jeton_csrf_invalide",  # the auditors' web console (HTML forms), not in the API document
    "client_deconnecte",  # 499: the client left before the end of its body; no one reads that answer
}


def codes_du_source() -> dict[str, str]:
    """Every literal problem code the source hands to a refusal (code → where)."""
    trouves: dict[str, str] = {}
    for fichier in sorted((RACINE / "passerelle").rglob("*.py")):
        for noeud in ast.walk(ast.parse(fichier.read_text(encoding="utf-8"))):
            if not isinstance(noeud, ast.Call):
                continue
            nom = getattr(noeud.func, "id", getattr(noeud.func, "attr", ""))
            candidats = [kw.value for kw in noeud.keywords if kw.arg == "code"]
            if CONSTRUCTEURS.match(nom) and noeud.args:
                candidats.append(noeud.args[0])
            for valeur in candidats:
                if isinstance(valeur, ast.Constant) and isinstance(valeur.value, str) and CODE.match(valeur.value):
                    trouves.setdefault(valeur.value, f"{fichier.relative_to(RACINE)}:{noeud.lineno}")
    return trouves


def test_chaque_code_du_source_est_au_contrat(document) -> None:  # type: ignore[no-untyped-def]
    contrat = {c for codes in codes_du_document(document).values() for c in codes} | set(CODES_LIGNE_LOT)
    contrat |= set(re.findall(r"`([a-z_]+)`", document["info"]["description"]))  # paths outside the document
    source = codes_du_source()
    assert len(source) > 60  # the scan does find the refusals
    manquants = {c: ou for c, ou in source.items() if c not in contrat and c not in HORS_API}
    assert not manquants, f"codes absents du document OpenAPI (passerelle/api/problemes.py): {manquants}"


def test_chaque_code_du_contrat_est_explique(document) -> None:  # type: ignore[no-untyped-def]
    docs = (RACINE / "docs" / "problemes.md").read_text(encoding="utf-8") + (RACINE / "docs" / "demandes.md").read_text(encoding="utf-8")
    expliques = set(re.findall(r"`([a-z][a-z0-9_]+)`", docs))
    contrat = {c for codes in codes_du_document(document).values() for c in codes}
    assert not contrat - expliques, "codes du document sans explication dans docs/problemes.md"


def test_erreur_interne_conforme_au_document(passerelle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A 500 is answered by the outermost layer: it still carries the X-Request-Id the document
    promises (the id to give the support), and is the document's problem."""
    import schemathesis

    from passerelle.acheminement import boite
    from tests.contrat.fuzz import CONTROLES
    from tests.journal_api.conftest import obtenir

    def panne(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(boite, "lire_boite", panne)
    reponse = obtenir(passerelle, "carsat-ra", "/v1/boite")
    assert reponse.status_code == 500 and reponse.json()["code"] == "erreur_interne"
    assert reponse.headers["x-request-id"] == reponse.json()["requete"]
    document = passerelle.client.get("/openapi.json").json()
    operation = schemathesis.openapi.from_dict(document)["/v1/boite"]["GET"]
    operation.Case().validate_response(reponse, checks=CONTROLES[1:])  # all but "no 5xx"
