"""Batch spools: encrypted on disk under a key that never leaves the request, removed after it,
and crash leftovers removed at start-up — never a file a live request still holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from passerelle.stockage.tables import journal
from passerelle.stockage.tampons import DossierTampons, TamponIllisible
from tests.catalogue.exemples import exemple_rdc


def test_tampon_chiffre_authentifie_et_supprime(tmp_path: Path) -> None:
    dossier = DossierTampons(tmp_path / "tampons")
    clair = b"".join(b'{"nir_assure": "1640342218123%02d"}\n' % (i % 100) for i in range(20_000))
    with dossier.nouveau(".corps") as tampon:
        for debut in range(0, len(clair), 10_007):
            tampon.ecrire(clair[debut : debut + 10_007])
        tampon.terminer()
        brut = tampon.chemin.read_bytes()
        assert b"nir_assure" not in brut and b"16403422181" not in brut
        assert oct(tampon.chemin.stat().st_mode & 0o777) == "0o600"
        assert tampon.ouvrir().read() == clair
        assert sum(1 for _ in tampon.ouvrir()) == 20_000  # read back line by line
        assert dossier.nettoyer() == 0  # held by this request: never taken for an orphan
        for altere in (brut[:-1], brut[:100] + bytes([brut[100] ^ 1]) + brut[101:], brut + b"x"):
            tampon.chemin.write_bytes(altere)
            with pytest.raises(TamponIllisible):
                tampon.ouvrir().read()
        chemin = tampon.chemin
    assert not chemin.exists()
    assert oct(dossier.chemin.stat().st_mode & 0o777) == "0o700"


def test_lot_jamais_en_clair_sur_disque_et_restes_nettoyes(exploitation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import passerelle.reception.lots as reception

    passerelle = exploitation.passerelle
    dossier = passerelle.services.tampons.chemin
    donnees = [exemple_rdc(aujourd_hui=passerelle.horloge().date()) for _ in range(3)]
    vus: list[bytes] = []
    vrai = reception.traiter_lot

    def espion(*args, **kwargs):  # type: ignore[no-untyped-def]
        vus.extend(p.read_bytes() for p in dossier.iterdir())  # what a disk reader sees meanwhile
        return vrai(*args, **kwargs)

    monkeypatch.setattr("passerelle.api.lots.traiter_lot", espion)
    lot = b"".join(json.dumps(d).encode() + b"\n" for d in donnees)
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", lot, cle_lot="lot-tampon")
    assert reponse.statut == 200 and reponse.donnees["resume"]["acceptees"] == 3
    assert len(vus) == 1 and vus[0] and all(d["nir_assure"].encode() not in vus[0] for d in donnees)
    assert list(dossier.iterdir()) == []  # body and answer spools removed

    # A crash leaves a spool behind (its key died with the process); a live one must stay.
    orphelin = DossierTampons(dossier).nouveau(".corps")
    orphelin.ecrire(lot)
    orphelin.terminer()
    os.close(orphelin._descripteur)  # the process holding it is gone
    vivant = DossierTampons(dossier).nouveau(".corps")
    exploitation.redemarrer()
    assert sorted(dossier.iterdir()) == [vivant.chemin]
    with exploitation.passerelle.services.moteur.connect() as c:
        entrees = [json.loads(e) for e in c.execute(sa.select(journal.c.entree).where(journal.c.decision == "purge")).scalars()]
    assert [e["details"]["nature"] for e in entrees] == ["fichiers_lots"] and entrees[0]["details"]["nombre"] == 1
    vivant.supprimer()
