"""Auditors search the journal through ``GET /v1/journal/entrees``: criteria, blind index, scope,
paging, and every query itself journaled."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import rfc8785
import sqlalchemy as sa

from passerelle.journal.merkle import hash_feuille
from passerelle.stockage.tables import journal
from tests.auditeurs.outils import bearer, chercher, creer_auditeur, nirs_de_test, rdc
from tests.journal_api.conftest import sequencer


def _trafic(passerelle: Any) -> dict[str, Any]:
    """caf-042 → carsat-ra about A and B; caf-069 → carsat-ra about C; carsat reads and acks."""
    a, b, c, _ = nirs_de_test(passerelle.horloge().date())
    caf = passerelle.organisme("caf-042", agent="sophie.bernard@caf-042")
    recu_a = rdc(passerelle, caf, a)
    passerelle.horloge.avancer(minutes=5)
    recu_b = rdc(passerelle, caf, b)
    passerelle.horloge.avancer(minutes=5)
    caf069 = passerelle.organisme("caf-069", agent="luc.roux@caf-069")
    recu_c = rdc(passerelle, caf069, c, code_caf="069")
    passerelle.horloge.avancer(minutes=5)
    carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    assert carsat.boite().statut == 200
    assert carsat.acquitter(recu_a["id"]).statut == 200
    refus = caf.envoyer("rdc", {"nir_assure": "123"})
    assert refus.statut == 422
    return {"a": a, "b": b, "c": c, "recus": (recu_a, recu_b, recu_c)}


def _entrees(reponse: Any) -> list[dict[str, Any]]:
    assert reponse.status_code == 200, reponse.text
    return reponse.json()["entrees"]


def _tout(passerelle: Any, jeton: str, **criteres: Any) -> list[dict[str, Any]]:
    """Every page of a search, following the cursor."""
    entrees: list[dict[str, Any]] = []
    curseur = None
    while True:
        parametres = dict(criteres, **({"curseur": curseur} if curseur else {}))
        corps = chercher(passerelle, jeton, **parametres).json()
        entrees.extend(corps["entrees"])
        curseur = corps["curseur_suivant"]
        if curseur is None:
            return entrees


def _stockees(passerelle: Any, condition: Any = sa.true()) -> list[Any]:
    with passerelle.services.moteur.connect() as c:
        return list(c.execute(sa.select(journal).where(condition).order_by(journal.c.index.desc())))


def test_recherche_par_nir_en_clair_trouve_tout_par_l_index_aveugle(passerelle) -> None:  # type: ignore[no-untyped-def]
    t = _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "cnil-1")
    index_a = passerelle.services.journal.index_nir(t["a"])
    attendues = [r.index for r in _stockees(passerelle, journal.c.nir_index == index_a)]
    assert len(attendues) >= 1
    groupe = " ".join([t["a"][0], t["a"][1:3], t["a"][3:5], t["a"][5:7], t["a"][7:10], t["a"][10:13], t["a"][13:]])
    for forme in (t["a"], groupe, t["a"].lower()):
        entrees = _entrees(chercher(passerelle, jeton, nir=forme))
        # The searches themselves are now entries about A too (newest first): who looked at A.
        trouvees = [e["index"] for e in entrees if e["entree"]["decision"] != "recherche_auditeur"]
        assert trouvees == attendues
        assert all(e["entree"]["nir"] == index_a for e in entrees)
    assert _entrees(chercher(passerelle, jeton, nir_index=index_a))[0]["entree"]["decision"] == "recherche_auditeur"
    invalide = chercher(passerelle, jeton, nir="2640342218123")
    assert invalide.status_code == 400 and invalide.json()["code"] == "criteres_invalides"
    assert invalide.json()["erreurs"][0]["champ"] == "nir" and "15 caractères" in invalide.json()["erreurs"][0]["message"]


def test_les_entrees_sont_les_octets_stockes(passerelle) -> None:  # type: ignore[no-untyped-def]
    _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "cnil-1")
    reponse = chercher(passerelle, jeton, flux="rdc", decision="accepte")
    stockees = {r.index: bytes(r.entree) for r in _stockees(passerelle)}
    assert b'"entree":' + stockees[reponse.json()["entrees"][0]["index"]] in reponse.content
    for e in _entrees(reponse):
        assert rfc8785.dumps(e["entree"]) == stockees[e["index"]]
        assert base64.b64decode(e["feuille"]) == hash_feuille(stockees[e["index"]])
    assert reponse.headers["cache-control"] == "no-store"


def test_chaque_critere(passerelle) -> None:  # type: ignore[no-untyped-def]
    t = _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "cnil-1")
    recu_a, _, recu_c = t["recus"]

    def indices(**criteres: Any) -> set[int]:
        return {e["index"] for e in _tout(passerelle, jeton, **criteres)}

    def attendus(condition: Any) -> set[int]:
        return {r.index for r in _stockees(passerelle, condition)}

    # Each search adds its own entry at the end: compare with what existed before it.
    avant = max(attendus(sa.true()))
    limite = journal.c.index <= avant
    assert {i for i in indices(organisme="caf-042") if i <= avant} == attendus(
        limite & ((journal.c.organisme == "caf-042") | (journal.c.destinataire == "caf-042")))
    assert {i for i in indices(organisme="carsat-ra") if i <= avant} == attendus(
        limite & ((journal.c.organisme == "carsat-ra") | (journal.c.destinataire == "carsat-ra")))
    assert indices(agent="luc.roux@caf-069") == {recu_c["journal_index"]}
    assert indices(decision="refuse", organisme="caf-042") == attendus(
        (journal.c.decision == "refuse") & (journal.c.organisme == "caf-042"))
    assert indices(message=recu_a["id"]) == attendus(journal.c.message_id == recu_a["id"])
    assert len(indices(message=recu_a["id"])) == 3  # accepted, read, acknowledged
    assert indices(flux="rdc", organisme="caf-069") == {recu_c["journal_index"]}
    debut = passerelle.horloge() - timedelta(minutes=12)
    fin = debut + timedelta(minutes=4)
    assert indices(du=debut.isoformat(), au=fin.isoformat(), flux="rdc") == {t["recus"][1]["journal_index"]}
    assert indices(robot="aucun-robot") == set()
    naif = chercher(passerelle, jeton, du="2026-11-23T10:00:00")
    assert naif.status_code == 400 and naif.json()["erreurs"][0]["champ"] == "du"


def test_portee_d_un_auditeur_limite_a_caf_042(passerelle) -> None:  # type: ignore[no-untyped-def]
    t = _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "caf042-audit", ["caf-042"])
    vues = _tout(passerelle, jeton)
    assert vues and all("caf-042" in (e["entree"].get("organisme"), e["entree"].get("destinataire")) for e in vues)
    invisibles = _stockees(passerelle, (journal.c.organisme != "caf-042") & (journal.c.destinataire != "caf-042"))
    assert {r.organisme for r in invisibles} >= {"carsat-ra", "caf-069"}
    assert not {r.index for r in invisibles} & {e["index"] for e in vues}
    assert _entrees(chercher(passerelle, jeton, nir=t["c"])) == []  # caf-069's person
    assert _entrees(chercher(passerelle, jeton, organisme="caf-069")) == []
    # carsat-ra outside the scope: only its exchanges with caf-042.
    avec_carsat = _tout(passerelle, jeton, organisme="carsat-ra")
    assert avec_carsat and all({e["entree"].get("organisme"), e["entree"].get("destinataire")} == {"caf-042", "carsat-ra"} for e in avec_carsat)
    carsat_seule = next(r.index for r in invisibles if r.organisme == "carsat-ra")
    lue = passerelle.client.get(f"/v1/journal/entrees/{carsat_seule}", headers=bearer(jeton))
    assert lue.status_code == 404 and lue.json()["code"] == "entree_inconnue"
    visible = vues[0]["index"]
    lue = passerelle.client.get(f"/v1/journal/entrees/{visible}", headers=bearer(jeton))
    assert lue.status_code == 200 and lue.content == next(bytes(r.entree) for r in _stockees(passerelle, journal.c.index == visible))


def test_pagination_par_curseur_dans_les_deux_ordres(passerelle) -> None:  # type: ignore[no-untyped-def]
    _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "cnil-1", ["caf-042", "carsat-ra"])
    tout = [e["index"] for e in _tout(passerelle, jeton, limite=200, au="2100-01-01T00:00:00Z", decision="accepte")]
    pages = [e["index"] for e in _tout(passerelle, jeton, limite=1, decision="accepte")]
    assert pages == tout == sorted(tout, reverse=True) and len(tout) == 3
    montant = [e["index"] for e in _tout(passerelle, jeton, limite=2, ordre="asc", decision="accepte")]
    assert montant == sorted(tout)
    premiere = chercher(passerelle, jeton, limite=2, organisme="carsat-ra").json()
    assert len(premiere["entrees"]) == 2 and premiere["curseur_suivant"]
    mauvais = chercher(passerelle, jeton, curseur=premiere["curseur_suivant"], ordre="asc")
    assert mauvais.status_code == 400 and mauvais.json()["code"] == "curseur_invalide"
    assert chercher(passerelle, jeton, curseur="!!!").json()["code"] == "curseur_invalide"
    assert chercher(passerelle, jeton, limite=500).status_code == 400


def test_chaque_requete_d_auditeur_est_journalisee_sans_nir_en_clair(passerelle) -> None:  # type: ignore[no-untyped-def]
    t = _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "cnil-1")
    avant = len(_stockees(passerelle))
    chercher(passerelle, jeton, nir=t["b"], flux="rdc")
    chercher(passerelle, jeton, organisme="caf-042", limite=1)
    premiere = _stockees(passerelle, journal.c.decision == "accepte")[0].index
    assert passerelle.client.get(f"/v1/journal/entrees/{premiere}", headers=bearer(jeton)).status_code == 200
    nouvelles = _stockees(passerelle)[: len(_stockees(passerelle)) - avant]
    assert [r.decision for r in nouvelles] == ["recherche_auditeur"] * 3
    lecture, organisme, nir = (json.loads(r.entree) for r in nouvelles)
    index_b = passerelle.services.journal.index_nir(t["b"])
    assert nir["agent"] == "cnil-1" and nir["nir"] == index_b
    assert nir["details"]["criteres"] == {"nir_index": index_b, "flux": "rdc"} and nir["details"]["canal"] == "api"
    assert nir["details"]["auditeur"] == "cnil-1" and nir["details"]["portee"] == ["*"]
    assert organisme["details"]["criteres"] == {"organisme": "caf-042"} and organisme["details"]["resultats"] == 1
    assert lecture["details"] == {"auditeur": "cnil-1", "canal": "api", "index": premiere, "operation": "lecture_entree", "portee": ["*"]}
    tout = b"".join(bytes(r.entree) for r in _stockees(passerelle))
    assert t["b"].encode() not in tout


def test_refus_d_authentification_journalise_sans_dire_lequel(passerelle) -> None:  # type: ignore[no-untyped-def]
    jeton = creer_auditeur(passerelle, "cnil-1")
    identifiant, secret = jeton.split(".", 1)
    essais = [
        {},
        {"Authorization": "Basic Y25pbC0xOng="},
        bearer(f"{identifiant}.{secret}x"),
        bearer(f"inconnu.{secret}"),
    ]
    for entetes in essais:
        reponse = passerelle.client.get("/v1/journal/entrees", headers=entetes)
        assert reponse.status_code == 401, reponse.text
        assert reponse.json()["code"] == "identifiants_invalides"
        assert reponse.headers["www-authenticate"].startswith("Bearer")
        assert reponse.headers["content-type"].startswith("application/problem+json")
    refus = [json.loads(r.entree) for r in reversed(_stockees(passerelle, journal.c.decision == "refuse"))]
    assert [r["code"] for r in refus] == ["identifiants_invalides"] * 4
    assert [r["details"].get("auditeur_annonce") for r in refus] == [None, None, "cnil-1", "inconnu"]
    assert all("agent" not in r for r in refus)
    assert secret.encode() not in b"".join(bytes(r.entree) for r in _stockees(passerelle))
    # A refusal after authentication names the proven auditor.
    assert chercher(passerelle, jeton, nir="1").status_code == 400
    dernier = json.loads(_stockees(passerelle)[0].entree)
    assert dernier["decision"] == "refuse" and dernier["code"] == "criteres_invalides" and dernier["agent"] == "cnil-1"


def test_checkpoint_et_preuves_pour_un_auditeur(passerelle) -> None:  # type: ignore[no-untyped-def]
    _trafic(passerelle)
    jeton = creer_auditeur(passerelle, "cnil-1", ["caf-042"])
    sequencer(passerelle, forcer=True)
    note = passerelle.client.get("/v1/journal/checkpoint", headers=bearer(jeton))
    assert note.status_code == 200 and note.text.startswith(passerelle.services.reglages.origine_journal)
    taille = int(note.text.splitlines()[1])
    preuve = passerelle.client.get("/v1/journal/preuves/inclusion", params={"index": 0, "taille": taille}, headers=bearer(jeton))
    assert preuve.status_code == 200 and preuve.json()["taille"] == taille
    assert passerelle.client.get("/v1/journal/checkpoint", headers=bearer(jeton + "x")).status_code == 401
