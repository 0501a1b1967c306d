"""The journal endpoints: a receipt's journal_index provable once integrated, verified with an
independent RFC 9162 implementation (pymerkle) and with ours; consistency between two signed
checkpoints; entries visible to the organismes they name only, and that reading is journaled."""

from __future__ import annotations

import base64
import json

import sqlalchemy as sa
from pymerkle import InclusionProof, InmemoryTree

from passerelle.journal.merkle import (
    hash_feuille,
    verifier_coherence,
    verifier_inclusion,
)
from passerelle.journal.note import analyser_cle_verification, verifier_checkpoint
from passerelle.stockage.tables import journal
from tests.journal_api.conftest import envoyer_rdc, obtenir, sequencer


def _entrees(passerelle) -> list[bytes]:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return [bytes(e) for e in c.execute(sa.select(journal.c.entree).order_by(journal.c.index)).scalars()]


def _checkpoint(passerelle, organisme: str = "caf-042"):  # type: ignore[no-untyped-def]
    """The latest checkpoint as a client gets it, verified with the key the gateway publishes."""
    reponse = obtenir(passerelle, organisme, "/v1/journal/checkpoint")
    assert reponse.status_code == 200, reponse.text
    assert reponse.headers["content-type"] == "text/plain; charset=utf-8"
    nom, publique = analyser_cle_verification(reponse.headers["passerelle-cle-journal"])
    return verifier_checkpoint(reponse.text, nom, publique, nom)


def _chemin(donnees: dict) -> list[bytes]:  # type: ignore[type-arg]
    return [base64.b64decode(h, validate=True) for h in donnees["chemin"]]


def test_recu_prouvable_une_fois_integre(passerelle) -> None:  # type: ignore[no-untyped-def]
    recus = envoyer_rdc(passerelle, 5)
    index = recus[2]["journal_index"]

    avant = obtenir(passerelle, "caf-042", "/v1/journal/preuves/inclusion", index=index, taille=index + 1)
    assert avant.status_code == 409 and avant.json()["code"] == "taille_non_integree"

    sequencer(passerelle)
    checkpoint = _checkpoint(passerelle)
    reponse = obtenir(passerelle, "caf-042", "/v1/journal/preuves/inclusion", index=index, taille=checkpoint.taille)
    assert reponse.status_code == 200, reponse.text
    preuve = reponse.json()
    assert set(preuve) == {"index", "taille", "chemin"}
    assert (preuve["index"], preuve["taille"]) == (index, checkpoint.taille)
    chemin = _chemin(preuve)

    # the leaf: exactly the bytes the entry endpoint returns
    octets = obtenir(passerelle, "caf-042", f"/v1/journal/entrees/{index}").content
    feuille = hash_feuille(octets)
    verifier_inclusion(index, checkpoint.taille, feuille, chemin, checkpoint.racine)

    # independent RFC 9162 implementation: pymerkle (1-based indices, path starting with the leaf)
    oracle = InmemoryTree.init_from_entries(_entrees(passerelle)[: checkpoint.taille], algorithm="sha256")
    assert oracle.get_root(checkpoint.taille) == checkpoint.racine
    attendue = oracle.prove_inclusion(index + 1, checkpoint.taille)
    assert attendue.path[1:] == chemin
    InclusionProof("sha256", True, checkpoint.taille, index + 1, attendue.rule, [feuille, *chemin]).verify(
        feuille, checkpoint.racine, index=index + 1, size=checkpoint.taille
    )


def test_coherence_entre_deux_checkpoints(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 3)
    sequencer(passerelle)
    ancien = _checkpoint(passerelle)
    envoyer_rdc(passerelle, 4)
    sequencer(passerelle, forcer=True)
    nouveau = _checkpoint(passerelle, "carsat-ra")
    assert ancien.taille < nouveau.taille

    reponse = obtenir(passerelle, "carsat-ra", "/v1/journal/preuves/coherence", de=ancien.taille, a=nouveau.taille)
    assert reponse.status_code == 200, reponse.text
    preuve = reponse.json()
    assert set(preuve) == {"de", "a", "chemin"} and (preuve["de"], preuve["a"]) == (ancien.taille, nouveau.taille)
    verifier_coherence(ancien.taille, nouveau.taille, ancien.racine, nouveau.racine, _chemin(preuve))

    # pymerkle (its consistency proofs have another layout) agrees on both roots and their consistency
    oracle = InmemoryTree.init_from_entries(_entrees(passerelle)[: nouveau.taille], algorithm="sha256")
    assert (oracle.get_root(ancien.taille), oracle.get_root(nouveau.taille)) == (ancien.racine, nouveau.racine)
    oracle.prove_consistency(ancien.taille, nouveau.taille).verify(
        ancien.racine, nouveau.racine, prior_size=ancien.taille, later_size=nouveau.taille
    )

    for de, a in ((0, nouveau.taille), (nouveau.taille, nouveau.taille)):
        vide = obtenir(passerelle, "carsat-ra", "/v1/journal/preuves/coherence", de=de, a=a).json()
        assert vide == {"de": de, "a": a, "chemin": []}


def test_parametres_refuses_avec_un_code_precis(passerelle) -> None:  # type: ignore[no-untyped-def]
    absent = obtenir(passerelle, "caf-042", "/v1/journal/checkpoint")
    assert absent.status_code == 404 and absent.json()["code"] == "checkpoint_absent"
    envoyer_rdc(passerelle, 2)
    n = sequencer(passerelle).taille  # the refusal above is an entry too
    cas = [
        ("/v1/journal/preuves/inclusion", {"index": 2, "taille": 2}, 400, "index_hors_arbre"),
        ("/v1/journal/preuves/inclusion", {"index": 0, "taille": n + 1}, 409, "taille_non_integree"),
        ("/v1/journal/preuves/inclusion", {"index": -1, "taille": 2}, 400, "parametre_invalide"),
        ("/v1/journal/preuves/inclusion", {"index": 0}, 400, "parametre_invalide"),
        ("/v1/journal/preuves/inclusion", {"index": 0, "taille": 2**64}, 400, "parametre_invalide"),
        ("/v1/journal/preuves/coherence", {"de": 2, "a": 1}, 400, "tailles_inversees"),
        ("/v1/journal/preuves/coherence", {"de": 1, "a": n + 1}, 409, "taille_non_integree"),
        ("/v1/journal/preuves/coherence", {"de": "x", "a": 1}, 400, "parametre_invalide"),
    ]
    for chemin, parametres, statut, code in cas:
        reponse = obtenir(passerelle, "caf-042", chemin, **parametres)
        assert (reponse.status_code, reponse.json()["code"]) == (statut, code), (chemin, parametres)
        assert reponse.headers["content-type"] == "application/problem+json"
    # unsigned: 401, as on every organisme endpoint
    for chemin in ("/v1/journal/checkpoint", "/v1/journal/preuves/inclusion?index=0&taille=1", "/v1/journal/entrees/0"):
        reponse = passerelle.client.get(chemin)
        assert reponse.status_code == 401, chemin


def test_entree_visible_des_seuls_organismes_nommes_et_lecture_journalisee(passerelle) -> None:  # type: ignore[no-untyped-def]
    [recu] = envoyer_rdc(passerelle, 1)
    index = recu["journal_index"]
    stockee = _entrees(passerelle)[index]
    for organisme in ("caf-042", "carsat-ra"):  # emitter and destination of the message
        reponse = obtenir(passerelle, organisme, f"/v1/journal/entrees/{index}")
        assert reponse.status_code == 200 and reponse.content == stockee
        assert reponse.headers["content-type"] == "application/json"
    etrangere = obtenir(passerelle, "cnav-idf", f"/v1/journal/entrees/{index}")
    assert etrangere.status_code == 404 and etrangere.json()["code"] == "entree_inconnue"
    inexistante = obtenir(passerelle, "caf-042", "/v1/journal/entrees/999999")
    assert inexistante.status_code == 404 and inexistante.json()["code"] == "entree_inconnue"

    entrees = [json.loads(e) for e in _entrees(passerelle)]
    lectures = [e for e in entrees if e["decision"] == "consulte_journal"]
    assert [(e["organisme"], e["details"]["index"]) for e in lectures] == [("caf-042", index), ("carsat-ra", index)]
    assert all(e["nir"] == entrees[index]["nir"] and e["message"] == recu["id"] for e in lectures)
    refus = [e for e in entrees if e.get("code") == "entree_inconnue"]
    assert [e["organisme"] for e in refus] == ["cnav-idf", "caf-042"]
    # proofs and checkpoints reveal nothing personal: not journaled
    avant = len(entrees)
    sequencer(passerelle)
    obtenir(passerelle, "caf-042", "/v1/journal/checkpoint")
    obtenir(passerelle, "caf-042", "/v1/journal/preuves/inclusion", index=0, taille=1)
    assert len(_entrees(passerelle)) == avant


def test_cle_publiee_et_openapi(passerelle) -> None:  # type: ignore[no-untyped-def]
    cle = passerelle.client.get("/v1/journal/cle")
    assert cle.status_code == 200 and cle.headers["content-type"].startswith("text/plain")
    nom, _ = analyser_cle_verification(cle.text.splitlines()[0])
    assert nom == passerelle.services.reglages.origine_journal

    document = passerelle.client.get("/openapi.json").json()
    for chemin, codes in (
        ("/v1/journal/checkpoint", {"200", "401", "404"}),
        ("/v1/journal/preuves/inclusion", {"200", "400", "401", "409"}),
        ("/v1/journal/preuves/coherence", {"200", "400", "401", "409"}),
        ("/v1/journal/entrees/{index}", {"200", "400", "401", "404"}),
        ("/v1/journal/cle", {"200"}),
    ):
        operation = document["paths"][chemin]["get"]
        assert operation["summary"] and codes <= set(operation["responses"]), chemin
    assert "text/plain" in document["paths"]["/v1/journal/checkpoint"]["get"]["responses"]["200"]["content"]
