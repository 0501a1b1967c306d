"""The issue's main path: a CAF signs an ``rdc`` with an independent library; the Carsat pulls
it, acknowledges it, answers ``cloture-rdc``; the CAF pulls that. Both receipts verify against
the JWKS, and the journal holds every decision without a NIR in clear."""

from __future__ import annotations

import json

import sqlalchemy as sa
from http_message_signatures import HTTPMessageVerifier, algorithms
from http_message_signatures.resolvers import MappingKeyResolver

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client.client import cles_jwks
from passerelle.stockage.tables import journal, messages
from tests.api.signature_independante import bibliotheque_a_l_heure_du_test, entetes_signes
from tests.catalogue.exemples import exemple_cloture_rdc, exemple_rdc


def _cle(passerelle, keyid):  # type: ignore[no-untyped-def]
    return lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())


def _verifier_recu_avec_bibliotheque(passerelle, statut: int, entetes: dict, corps: bytes) -> None:  # type: ignore[no-untyped-def]
    """The receipt checked by the independent library against the keys published in the JWKS."""
    jwks = cles_jwks(passerelle.client.get("/.well-known/jwks.json").json())

    class Reponse:
        status_code = statut
        headers = dict(entetes)
        request = None

    verificateur = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys=jwks, private_keys={}),
    )
    resultats = verificateur.verify(Reponse(), body=corps, require_components=["@status", "content-type", "content-digest"])
    assert resultats and resultats[0].parameters["keyid"] in jwks


def test_rdc_puis_cloture_de_bout_en_bout(passerelle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    horloge = passerelle.horloge
    bibliotheque_a_l_heure_du_test(monkeypatch, horloge)
    donnees = exemple_rdc(aujourd_hui=horloge().date())
    donnees.pop("destinataire")  # routed by territory: caf-042 (Loire) → carsat-ra
    corps = json.dumps(donnees).encode()
    entetes = entetes_signes(
        _cle(passerelle, "caf-042-dev-2026"),
        "caf-042-dev-2026",
        methode="POST",
        url="http://testserver/v1/flux/rdc",
        corps=corps,
        agent="sophie.bernard@caf-042",
        instant=horloge(),
    )
    entetes["Idempotency-Key"] = "rdc-2026-0001"
    reponse = passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes)
    assert reponse.status_code == 202, reponse.text
    recu = reponse.json()
    assert recu["flux"] == "rdc" and recu["emetteur"] == "caf-042" and recu["destinataire"] == "carsat-ra"
    assert recu["statut"] == "recu" and recu["convention"] == "cnaf-cnav-2019"
    assert recu["empreinte"] == entetes["Content-Digest"]
    _verifier_recu_avec_bibliotheque(passerelle, reponse.status_code, dict(reponse.headers), reponse.content)

    carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    boite = carsat.boite()
    assert boite.statut == 200, boite.donnees
    [message] = boite.donnees["messages"]
    assert message["id"] == recu["id"] and message["emetteur"] == "caf-042"
    assert message["contenu"]["nir_assure"] == donnees["nir_assure"]
    assert "destinataire" not in message["contenu"]

    acquit = carsat.acquitter(recu["id"])
    assert acquit.statut == 200 and acquit.donnees["deja_acquitte"] is False
    assert carsat.acquitter(recu["id"]).donnees["deja_acquitte"] is True
    assert carsat.boite().donnees["messages"] == []

    horloge.avancer(minutes=20)  # the Carsat answers twenty minutes later
    cloture = carsat.envoyer("cloture-rdc", exemple_cloture_rdc(en_reponse_a=recu["id"], nir_assure=donnees["nir_assure"]))
    assert cloture.statut == 202, cloture.donnees
    assert cloture.donnees["destinataire"] == "caf-042"
    _verifier_recu_avec_bibliotheque(passerelle, cloture.statut, cloture.entetes, cloture.corps)

    caf = passerelle.organisme("caf-042", agent="sophie.bernard@caf-042")
    [retour] = caf.boite().donnees["messages"]
    assert retour["flux"] == "cloture-rdc" and retour["en_reponse_a"] == recu["id"]
    assert caf.acquitter(retour["id"]).statut == 200

    suivi = caf.message(recu["id"])
    assert suivi.statut == 200
    assert [h["decision"] for h in suivi.donnees["historique"]] == ["accepte", "consulte", "acquitte"]
    assert suivi.donnees["statut"] == "acquitte"

    with passerelle.services.moteur.connect() as c:
        decisions = [r.decision for r in c.execute(sa.select(journal.c.decision).order_by(journal.c.index))]
        entrees = b"".join(r.entree for r in c.execute(sa.select(journal.c.entree)))
        contenus = b"".join(r.contenu for r in c.execute(sa.select(messages.c.contenu)))
    assert decisions == ["accepte", "consulte", "acquitte", "accepte", "consulte", "acquitte"]
    assert donnees["nir_assure"].encode() not in entrees
    assert donnees["nir_assure"].encode() not in contenus  # encrypted at rest
    assert b"MARTIN" not in contenus


def test_recu_rejoue_a_l_identique_par_idempotence(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    premier = caf.envoyer("rdc", donnees, cle_idempotence="cle-1")
    second = caf.envoyer("rdc", donnees, cle_idempotence="cle-1")
    assert premier.statut == second.statut == 202
    assert premier.corps == second.corps
    assert premier.entetes["signature"] == second.entetes["signature"]
    autre = dict(donnees, nom_assure="DUPONT")
    conflit = caf.envoyer("rdc", autre, cle_idempotence="cle-1")
    assert conflit.statut == 422 and conflit.donnees["code"] == "idempotence_conflit"
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one() == 1
