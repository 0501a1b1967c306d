"""The national caisses' administrators suspend a convention on a breach (art. 3.3) and resume
it through the API: who may, every refusal precise and journaled, nothing changed on a refusal,
the exchanges refused 403 convention_suspendue with date and motive, both parties told."""

from __future__ import annotations

from typing import Any

from tests.catalogue.exemples import exemple_rdc
from tests.conventions.outils_suspension import (
    CNAF,
    CNAV,
    NATIONALE,
    avis,
    entrees,
    refus,
    reprendre,
    signe,
    suspendre,
)


def _rdc(p: Any) -> Any:
    return p.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=p.horloge().date()))


def test_seule_une_caisse_nationale_partie_suspend(passerelle) -> None:  # type: ignore[no-untyped-def]
    p = passerelle
    r = signe(p, "caf-042-dev-2026", "POST", f"/v1/conventions/{NATIONALE}/suspension", {"motif": "x"})
    assert r.status_code == 403 and r.json()["code"] == "administration_non_autorisee"
    assert "profil administration" in r.json()["detail"] and "profil gestion" in r.json()["detail"]
    # The Cnav is no party to the Gard's local CPAM–CAF agreement (no retirement caisse in it).
    r = suspendre(p, CNAV, "caf-cpam-gard-subrogation")
    assert r.status_code == 403 and r.json()["code"] == "administration_non_autorisee"
    assert "cnav n'est pas une caisse nationale partie à la convention caf-cpam-gard-subrogation" in r.json()["detail"]
    r = suspendre(p, CNAF, "inexistante")
    assert r.status_code == 404 and r.json()["code"] == "convention_inconnue"
    for motif in ("", "   ", "x" * 501, None, ["liste"], 3):
        r = suspendre(p, CNAF, motif=motif)
        assert r.status_code == 422 and r.json()["code"] == "motif_invalide", motif
    r = suspendre(p, CNAF, motif="a\x07b")  # the input boundary refuses control characters for every body
    assert r.status_code == 422 and r.json()["code"] == "texte_invalide"
    for corps in ({"motif": "x", "urgence": True}, ["x"], "x"):
        r = signe(p, CNAF, "POST", f"/v1/conventions/{NATIONALE}/suspension", corps)
        assert r.status_code == 422 and r.json()["code"] == "schema_invalide", corps
    assert "champ(s) inconnu(s) : 'urgence'" in signe(
        p, CNAF, "POST", f"/v1/conventions/{NATIONALE}/suspension", {"motif": "x", "urgence": 1}).json()["detail"]
    r = signe(p, CNAF, "POST", f"/v1/conventions/{NATIONALE}/suspension", b"{", type_contenu="application/json")
    assert r.status_code == 422 and r.json()["code"] == "json_invalide"
    r = signe(p, CNAF, "POST", f"/v1/conventions/{NATIONALE}/suspension", b"motif", type_contenu="text/plain")
    assert r.status_code == 415 and r.json()["code"] == "type_contenu_non_supporte"
    r = signe(p, CNAF, "POST", f"/v1/conventions/{NATIONALE}/reprise", {"motif": "rien"})
    assert r.status_code == 409 and r.json()["code"] == "convention_non_suspendue"
    # Each refusal journaled; nothing else changed: no suspension, no notice, exchanges accepted.
    assert len(refus(p, "administration_non_autorisee")) == 2 and len(refus(p, "motif_invalide")) == 6
    assert refus(p, "convention_inconnue") and refus(p, "convention_non_suspendue")
    assert entrees(p, "convention_suspendue", "convention_reprise") == []
    assert avis(p, "caf-042-dev-2026") == [] and _rdc(p).statut == 202


def test_suspendre_refuser_aviser_reprendre(passerelle) -> None:  # type: ignore[no-untyped-def]
    p = passerelle
    instant = "2026-11-23T10:00:00Z"
    r = suspendre(p, CNAF, motif="  fuite de données chez un sous-traitant ")
    assert r.status_code == 200, r.text
    corps = r.json()
    assert corps["suspendue"] is True and corps["id"] == NATIONALE
    assert corps["suspension"] == {"suspendue_le": instant, "motif": "fuite de données chez un sous-traitant",
                                   "par": "claire.martin", "organisme": "cnaf", "journal_index": corps["journal_index"]}
    assert {"caf-042", "carsat-ra", "cnav-idf", "cnaf", "cnav"} <= set(corps["avises"]) and "cpam-030" not in corps["avises"]

    again = suspendre(p, CNAV, motif="autre motif")
    assert again.status_code == 409 and again.json()["code"] == "convention_deja_suspendue"
    assert "depuis le 2026-11-23T10:00:00Z par claire.martin" in again.json()["detail"]

    # Refused at once on this replica, with the date and the motive; journaled as refusals are.
    refuse = _rdc(p)
    assert refuse.statut == 403 and refuse.donnees["code"] == "convention_suspendue"
    assert f"suspendue depuis le {instant}" in refuse.donnees["detail"]
    assert "fuite de données chez un sous-traitant" in refuse.donnees["detail"]
    [entree] = refus(p, "convention_suspendue")
    assert entree["organisme"] == "caf-042" and entree["flux"] == "rdc" and entree["destinataire"] == "carsat-ra"

    # Its state, for every organisme it concerns; invisible to the others.
    etat = signe(p, "carsat-ra-dev-2026", "GET", f"/v1/conventions/{NATIONALE}")
    assert etat.status_code == 200 and etat.json()["suspension"]["motif"] == "fuite de données chez un sous-traitant"
    cache = signe(p, "cpam-030-dev-2026", "GET", f"/v1/conventions/{NATIONALE}")
    assert cache.status_code == 404 and cache.json()["code"] == "convention_inconnue"

    # Both parties (and the national caisses) told through their inbox.
    for keyid in ("caf-042-dev-2026", "carsat-ra-dev-2026", CNAF, CNAV):
        [notice] = avis(p, keyid)
        assert notice["evenement"] == "suspension" and notice["convention"] == NATIONALE
        assert notice["suspendue_le"] == instant and notice["organisme"] == "cnaf" and notice["par"] == "claire.martin"
        assert "convention_suspendue" in notice["consequence"]
    assert avis(p, "cpam-030-dev-2026") == []

    p.horloge.avancer(hours=2)
    r = reprendre(p, CNAV)
    assert r.status_code == 200 and r.json()["suspendue"] is False and r.json()["suspension"] is None
    assert _rdc(p).statut == 202
    [notice] = avis(p, "caf-042-dev-2026")
    assert notice["evenement"] == "reprise" and notice["reprise_le"] == "2026-11-23T12:00:00Z"
    assert notice["suspendue_le"] == instant and notice["organisme"] == "cnav"

    [suspension, reprise] = entrees(p, "convention_suspendue", "convention_reprise")
    assert suspension["decision"] == "convention_suspendue" and suspension["convention"] == NATIONALE
    assert suspension["organisme"] == "cnaf" and suspension["cle"] == CNAF and suspension["agent"] == "claire.martin"
    assert suspension["details"] == {"motif": "fuite de données chez un sous-traitant", "canal": "api"}
    assert reprise["organisme"] == "cnav" and reprise["details"]["motif"] == "mesures correctives constatées"
    assert reprise["details"]["suspendue_le"] == instant and reprise["details"]["suspension"] == corps["journal_index"]


def test_un_accord_local_suspendu_par_la_cnaf(passerelle) -> None:  # type: ignore[no-untyped-def]
    """A local agreement (art. 4.3): the national caisse of one party's network may suspend it;
    its two signatories and their national caisses are told."""
    p = passerelle
    r = suspendre(p, CNAF, "caf-cpam-gard-subrogation", motif="défaut d'habilitation des agents")
    assert r.status_code == 200 and r.json()["avises"] == ["caf-030", "cnaf", "cpam-030"]
    assert [n["convention"] for n in avis(p, "cpam-030-dev-2026")] == ["caf-cpam-gard-subrogation"]
