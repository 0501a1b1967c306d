"""The journal read as C2SP tlog-tiles by an independent client (tests/tuiles/client_tuiles.py).

Done means: a client that shares no code with the gateway fetches the checkpoint and the tiles,
checks the signature, recomputes the root, proves inclusion of entries read from the entry
bundles and proves the consistency of two checkpoints — all from tiles alone.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from passerelle.journal.ecriture import Decision
from tests.auditeurs.outils import bearer, creer_auditeur
from tests.journal_api.conftest import obtenir, sans_sequenceur_de_fond, sequencer  # noqa: F401
from tests.tuiles import client_tuiles as ct

PREFIXE = "/v1/journal/tlog/"


def ecrire_entrees(passerelle: Any, nombre: int) -> None:
    """``nombre`` journal entries at once (an auditor's reads), faster than as many requests."""
    services = passerelle.services
    with services.moteur.begin() as connexion:
        for numero in range(nombre):
            services.journal.ecrire(connexion, Decision(
                decision="consulte_journal", horodatage=services.horloge(), organisme="caf-042",
                agent="test", details={"numero": numero}))


def lecteur(passerelle: Any, jeton: str) -> ct.Lire:
    def lire(chemin: str) -> bytes:
        reponse = passerelle.client.get(PREFIXE + chemin, headers=bearer(jeton))
        if reponse.status_code != 200:
            raise ct.Echec(f"{chemin} : {reponse.status_code} {reponse.text}")
        return reponse.content
    return lire


def checkpoint(passerelle: Any, jeton: str) -> ct.Point:
    cle = passerelle.client.get("/v1/journal/cle").text.splitlines()[0]
    return ct.verifier_checkpoint(lecteur(passerelle, jeton)("checkpoint"), cle)


def test_adresses_des_tuiles_selon_la_specification() -> None:
    from passerelle.journal.tuiles import Tuile, TuileInvalide, analyser_chemin, chemin_index, chemin_tuile

    assert chemin_index(1234067) == "x001/x234/067" == ct.adresse(1234067)
    assert chemin_index(0) == "000" and chemin_index(999) == "999" and chemin_index(1000) == "x001/000"
    assert analyser_chemin("0/x001/x234/067") == Tuile(0, 1234067)
    assert analyser_chemin("2/005.p/17") == Tuile(2, 5, 17)
    assert analyser_chemin("entries/x001/000.p/255") == Tuile(None, 1000, 255)
    assert chemin_tuile(Tuile(None, 1000, 255)) == "tile/entries/x001/000.p/255"
    for mauvais in ("0/x000/001", "0/1", "0/0001", "64/000", "01/000", "0/000.p/0", "0/000.p/256",
                    "0/000.p/07", "entries/x1/000", "0/000/", "0", "0/000.p", "-1/000"):
        with pytest.raises(TuileInvalide):
            analyser_chemin(mauvais)


def test_client_independant_lit_le_journal_par_les_tuiles(passerelle) -> None:  # type: ignore[no-untyped-def]
    jeton = creer_auditeur(passerelle, "notaire")
    ecrire_entrees(passerelle, 300)
    sequencer(passerelle, forcer=True)
    ancien = checkpoint(passerelle, jeton)
    assert ancien.origine == passerelle.services.reglages.origine_journal and ancien.taille >= 300

    ecrire_entrees(passerelle, 313)
    sequencer(passerelle, forcer=True)
    point = checkpoint(passerelle, jeton)
    assert point.taille > 512 + 88  # two full level-0 tiles and a partial one; a partial level-1 tile

    client = ct.ClientTuiles(lecteur(passerelle, jeton), point.taille)
    assert client.racine() == point.racine
    assert "tile/1/000.p/2" in client.lectures and "tile/0/001" not in client.lectures  # level 1 spares reads

    # every entry of the bundles is a leaf of the level-0 tiles, and provable from tiles
    entrees = [e for n in range(point.taille // 256) for e in client.paquet(n, 256)]
    entrees += client.paquet(point.taille // 256, point.taille % 256)
    assert len(entrees) == point.taille
    for index in (0, 1, 255, 256, 300, 511, 512, point.taille - 1):
        h = ct.feuille(entrees[index])
        assert client.hash_stocke(0, index) == h
        ct.verifier_inclusion(index, point.taille, h, client.inclusion(index), point.racine)
        with pytest.raises(ct.Echec):
            ct.verifier_inclusion(index, point.taille, ct.feuille(entrees[index] + b" "), client.inclusion(index),
                                  point.racine)
    # the gateway's own proof API says the same thing
    api = obtenir(passerelle, "caf-042", "/v1/journal/preuves/inclusion", index=300, taille=point.taille).json()
    assert [ct.base64.b64decode(h) for h in api["chemin"]] == client.inclusion(300)

    # the old checkpoint is a prefix of the new one: consistency proved from the new tiles
    ct.verifier_coherence(ancien.taille, point.taille, ancien.racine, point.racine, client.coherence(ancien.taille))
    with pytest.raises(ct.Echec):
        ct.verifier_coherence(ancien.taille, point.taille, ct.feuille(b"autre"), point.racine,
                              client.coherence(ancien.taille))


def test_en_tetes_refus_et_acces(passerelle) -> None:  # type: ignore[no-untyped-def]
    jeton = creer_auditeur(passerelle, "notaire")
    restreint = creer_auditeur(passerelle, "local", organismes=["caf-042"])
    ecrire_entrees(passerelle, 260)
    sequencer(passerelle, forcer=True)
    taille = checkpoint(passerelle, jeton).taille
    partielle = taille - 256

    def get(chemin: str, qui: str = jeton) -> httpx.Response:
        return passerelle.client.get(PREFIXE + chemin, headers=bearer(qui))

    complete = get("tile/0/000")
    assert complete.status_code == 200 and len(complete.content) == 256 * 32
    assert complete.headers["content-type"] == "application/octet-stream"
    assert "immutable" in complete.headers["cache-control"]
    assert "immutable" not in get(f"tile/0/001.p/{partielle}").headers["cache-control"]
    assert get("tile/0/001.p/1").content == get(f"tile/0/001.p/{partielle}").content[:32]  # a prefix is served

    for chemin in (f"tile/0/001.p/{partielle + 1}", "tile/0/001", "tile/1/000", "tile/entries/001",
                   "tile/0/x000/001", "tile/0/1", "tile/abc/000", "tile/entries/002"):
        refus = get(chemin)
        assert refus.status_code == 404, chemin
        assert refus.headers["content-type"].startswith("application/problem+json")
        assert refus.json()["code"] == "tuile_inconnue"

    # hashes for every authenticated caller, as the checkpoint; entries only for a full-scope auditor
    organisme = obtenir(passerelle, "carsat-ra", PREFIXE + "tile/0/000")
    assert organisme.status_code == 200 and organisme.content == complete.content
    assert obtenir(passerelle, "carsat-ra", PREFIXE + "checkpoint").status_code == 200
    for refus in (obtenir(passerelle, "caf-042", PREFIXE + "tile/entries/000"), get("tile/entries/000", restreint)):
        assert refus.status_code == 403 and refus.json()["code"] == "tuiles_entrees_reservees"
    assert passerelle.client.get(PREFIXE + "tile/0/000").status_code == 401

    # reading a bundle is journaled, like an auditor's search
    avant = passerelle.client.get("/v1/journal/entrees", params={"agent": "notaire", "limite": 200},
                                  headers=bearer(jeton)).json()["entrees"]
    assert get("tile/entries/000").status_code == 200
    apres = passerelle.client.get("/v1/journal/entrees", params={"agent": "notaire", "limite": 200},
                                  headers=bearer(jeton)).json()["entrees"]
    assert any(e["entree"].get("details", {}).get("operation") == "tuile_entrees" for e in apres)
    assert len(apres) > len(avant)


def test_avant_le_premier_checkpoint(passerelle) -> None:  # type: ignore[no-untyped-def]
    jeton = creer_auditeur(passerelle, "notaire")
    # the auditor's account creation may be a journal entry; nothing is signed yet
    reponse = passerelle.client.get(PREFIXE + "checkpoint", headers=bearer(jeton))
    assert reponse.status_code == 404 and reponse.json()["code"] == "checkpoint_absent"
    assert passerelle.client.get(PREFIXE + "tile/0/000.p/1", headers=bearer(jeton)).json()["code"] == "tuile_inconnue"
