"""Batches: per-line decisions like single messages, partial acceptance, resumable by key."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from passerelle.catalogue.colonnes import colonnes
from passerelle.stockage.tables import journal, lots, messages
from tests.catalogue.exemples import exemple_rdc


def _ndjson(lignes: list[dict | str]) -> bytes:
    return b"".join((l if isinstance(l, str) else json.dumps(l)).encode() + b"\n" for l in lignes)


def _compter(passerelle, table) -> int:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _lot(passerelle, nombre_valides: int = 5):  # type: ignore[no-untyped-def]
    jour = passerelle.horloge().date()
    lignes: list[dict | str] = [exemple_rdc(aujourd_hui=jour) for _ in range(nombre_valides)]
    lignes.insert(2, dict(exemple_rdc(aujourd_hui=jour), nir_assure="299999999999999"))
    lignes.insert(4, "{pas du json")
    return _ndjson(lignes)


def test_lot_ndjson_acceptation_partielle(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    reponse = caf.envoyer_lot("rdc", _lot(passerelle), cle_lot="lot-2026-11")
    assert reponse.statut == 200, reponse.donnees
    resultats = reponse.donnees["resultats"]
    assert [r["ligne"] for r in resultats] == list(range(1, 8))
    assert [("id" in r) for r in resultats] == [True, True, False, True, False, True, True]
    assert resultats[2]["probleme"]["code"] == "nir_invalide"
    assert resultats[4]["probleme"]["code"] == "json_invalide"
    assert reponse.donnees["resume"] == {**reponse.donnees["resume"], "lignes": 7, "acceptees": 5, "refusees": 2}
    assert _compter(passerelle, messages) == 5
    with passerelle.services.moteur.connect() as c:
        decisions = [r.decision for r in c.execute(sa.select(journal.c.decision).order_by(journal.c.index))]
    assert decisions.count("accepte") == 5 and decisions.count("refuse") == 2 and decisions[-1] == "lot_traite"
    with passerelle.services.moteur.connect() as c:  # the chunk's rows, written together, point at each other
        index = dict(c.execute(sa.select(messages.c.id, messages.c.journal_index)).all())
        entrees = {r.index: r for r in c.execute(sa.select(journal.c.index, journal.c.message_id, journal.c.decision))}
    assert sorted(entrees) == list(range(len(entrees)))
    for r in resultats:
        if "id" in r:
            assert index[r["id"]] == r["journal_index"]
            assert (entrees[r["journal_index"]].message_id, entrees[r["journal_index"]].decision) == (r["id"], "accepte")
    boite = passerelle.organisme("carsat-ra").boite(limite=100)
    assert {m["id"] for m in boite.donnees["messages"]} == {r["id"] for r in resultats if "id" in r}


def test_lot_renvoye_a_l_identique(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    corps = _lot(passerelle)
    premier = caf.envoyer_lot("rdc", corps, cle_lot="lot-a")
    second = caf.envoyer_lot("rdc", corps, cle_lot="lot-a")
    assert premier.donnees["resultats"] == second.donnees["resultats"]
    assert _compter(passerelle, messages) == 5
    conflit = caf.envoyer_lot("rdc", corps + _ndjson([exemple_rdc(aujourd_hui=passerelle.horloge().date())]), cle_lot="lot-a")
    assert conflit.statut == 422 and conflit.donnees["code"] == "idempotence_conflit"


def test_lot_repris_apres_une_coupure(passerelle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import passerelle.reception.lots as module

    passerelle.services.reglages.lot_tranche = 2
    vraie = module._tranche
    appels = {"n": 0}

    def coupure(*args, **kwargs):  # type: ignore[no-untyped-def]
        appels["n"] += 1
        if appels["n"] == 3:
            raise RuntimeError("coupure simulée au milieu du lot")
        return vraie(*args, **kwargs)

    monkeypatch.setattr(module, "_tranche", coupure)
    caf = passerelle.organisme("caf-042")
    corps = _lot(passerelle, nombre_valides=8)  # 10 lines, chunks of 2
    coupe = caf.envoyer_lot("rdc", corps, cle_lot="lot-coupe")
    assert coupe.statut == 500
    avant = _compter(passerelle, messages)
    assert 0 < avant < 8
    reprise = caf.envoyer_lot("rdc", corps, cle_lot="lot-coupe")
    assert reprise.statut == 200, reprise.donnees
    assert [r["ligne"] for r in reprise.donnees["resultats"]] == list(range(1, 11))
    assert _compter(passerelle, messages) == 8  # no line accepted twice, none lost
    ids = [r["id"] for r in reprise.donnees["resultats"] if "id" in r]
    assert len(ids) == len(set(ids)) == 8


def test_lot_csv_colonnes_de_l_annexe(passerelle) -> None:  # type: ignore[no-untyped-def]
    modele = passerelle.services.catalogue["rdc"].modele
    entete = [colonne for colonne, _ in colonnes(modele)]
    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, delimiter=";")
    ecrivain.writerow(entete)
    jour = passerelle.horloge().date()
    for _ in range(3):
        donnees = exemple_rdc(aujourd_hui=jour)
        ecrivain.writerow([str(donnees.get(champ, "")) for _, champ in colonnes(modele)])
    ecrivain.writerow(["x"] * 3)
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", tampon.getvalue().encode(), cle_lot="csv-1", type_contenu="text/csv")
    assert reponse.statut == 200, reponse.donnees
    assert reponse.donnees["resume"]["acceptees"] == 3
    assert reponse.donnees["resultats"][3]["probleme"]["code"] == "ligne_malformee"
    assert "NIRAssuré" in entete


def test_lot_csv_entete_invalide_ne_change_rien(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = "NIRAssuré;Inconnue\n1;2\n".encode()
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", corps, cle_lot="csv-2", type_contenu="text/csv")
    assert reponse.statut == 422 and reponse.donnees["code"] == "entete_csv_invalide"
    assert "Inconnue" in reponse.donnees["detail"] and "NomAssuré" in reponse.donnees["detail"]
    assert _compter(passerelle, lots) == 0 and _compter(passerelle, messages) == 0


def test_lot_sans_cle_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    from tests.api.signature_independante import entetes_signes
    from passerelle.annuaire.cles import lire_privee_pem

    cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / "caf-042-dev-2026.pem").read_bytes())
    corps = _lot(passerelle)
    entetes = entetes_signes(cle, "caf-042-dev-2026", methode="POST", url="http://testserver/v1/lots/rdc", corps=corps,
                             agent="a", instant=passerelle.horloge(), type_contenu="application/x-ndjson")
    reponse = passerelle.client.post("/v1/lots/rdc", content=corps, headers=entetes)
    assert reponse.status_code == 400 and reponse.json()["code"] == "cle_lot_absente"
    assert _compter(passerelle, messages) == 0


def test_lot_depuis_un_fichier(passerelle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fichier = tmp_path / "lot.ndjson"
    fichier.write_bytes(_lot(passerelle, nombre_valides=20))
    envoye = []
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", fichier, cle_lot="fichier-1", progression=envoye.append)
    assert reponse.statut == 200, reponse.donnees
    assert reponse.donnees["resume"]["acceptees"] == 20
    assert sum(envoye) == fichier.stat().st_size


def test_lot_non_signe_refuse_avant_d_etre_recu(passerelle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An unknown sender's batch is refused before a byte of it is written to disk."""
    import passerelle.api.lots as module

    ecrits = []
    vrai = module._spooler
    monkeypatch.setattr(module, "_spooler", lambda *a, **k: ecrits.append(1) or vrai(*a, **k))
    reponse = passerelle.client.post("/v1/lots/rdc", content=_lot(passerelle), headers={"Content-Type": "application/x-ndjson", "Idempotency-Key": "k"})
    assert reponse.status_code == 401 and reponse.json()["code"] == "signature_absente"
    assert ecrits == []
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(journal.c.code)).scalars().all() == ["signature_absente"]
