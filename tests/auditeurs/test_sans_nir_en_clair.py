"""Done means: no NIR in clear and no unkeyed NIR hash anywhere in the journal tables or in what
is exported from them (API answers, console export, reconciliation, offline export)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from passerelle.api.journal import cles_journal
from passerelle.auditeurs.integrite import ClesCheckpoint
from passerelle.auditeurs.rapprochement import en_csv, en_json, rapprocher
from passerelle.journal.export import exporter
from passerelle.stockage.tables import (
    auditeurs,
    auditeurs_sessions,
    journal,
    journal_checkpoints,
    journal_noeuds,
)
from tests.auditeurs.outils import (
    ajouter_robot,
    bearer,
    chercher,
    client_robot,
    creer_auditeur,
    nirs_de_test,
    rdc,
)
from tests.console.outils import connecter, jeton
from tests.journal_api.conftest import sequencer


def _formes_interdites(nir: str) -> dict[bytes, str]:
    """The NIR in clear, and every unkeyed digest of it that someone could recompute."""
    variantes = {nir, nir[:13], " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])}
    formes: dict[bytes, str] = {}
    for v in variantes:
        formes[v.encode()] = f"NIR en clair {v!r}"
        for algo in ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"):
            brut = hashlib.new(algo, v.encode()).digest()
            formes[brut.hex().encode()] = f"{algo}({v!r}) hex"
            formes[brut.hex().upper().encode()] = f"{algo}({v!r}) HEX"
            formes[base64.b64encode(brut).rstrip(b"=")] = f"{algo}({v!r}) base64"
            formes[base64.urlsafe_b64encode(brut).rstrip(b"=")] = f"{algo}({v!r}) base64url"
    return formes


def _octets_des_tables(passerelle: Any) -> bytes:
    morceaux = []
    with passerelle.services.moteur.connect() as c:
        for table in (journal, journal_noeuds, journal_checkpoints, auditeurs, auditeurs_sessions):
            for ligne in c.execute(sa.select(table)):
                for valeur in ligne:
                    morceaux.append(valeur if isinstance(valeur, bytes) else str(valeur).encode())
    return b"\n".join(morceaux)


def test_aucun_nir_en_clair_ni_hache_sans_cle(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nirs = nirs_de_test(passerelle.horloge().date())
    keyid, privee = ajouter_robot(passerelle, "ad-caf042-01")
    robot = client_robot(passerelle, keyid, privee, "claire.morel@caf-042")
    caf = passerelle.organisme("caf-042", agent="sophie.bernard@caf-042")
    recus = [rdc(passerelle, robot, nirs[0]), rdc(passerelle, caf, nirs[1]), rdc(passerelle, caf, nirs[2])]
    faux_nir = nirs[3][:-2] + "00"  # wrong key: refused, and not journaled in clear either
    mauvais = dict(caf.envoyer("rdc", {"nir_assure": faux_nir, "destinataire": "carsat-ra"}).donnees)
    assert mauvais["status"] == 422
    carsat = passerelle.organisme("carsat-ra", agent="jean.petit@carsat-ra")
    carsat.boite()
    carsat.acquitter(recus[0]["id"])
    sequencer(passerelle, forcer=True)

    sorties: list[bytes] = []
    jeton_api = creer_auditeur(passerelle, "cnil-1")
    for nir in nirs:
        sorties.append(chercher(passerelle, jeton_api, nir=nir).content)
    sorties.append(chercher(passerelle, jeton_api, nir=nirs[0][:5]).content)  # refused: the reason echoes no NIR
    sorties.append(passerelle.client.get("/v1/journal/entrees/0", headers=bearer(jeton_api)).content)

    page = connecter(passerelle, creer_auditeur(passerelle, "console-1"))
    for nir in nirs:
        resultat = passerelle.client.post("/console/recherche", data={"nir": nir, "jeton": jeton(page)})
        sorties.append(resultat.content)
        caches = dict(re.findall(r'name="(nir_index|garder_personne)" value="([^"]*)"', resultat.text))
        export = passerelle.client.post("/console/export", data={**caches, "jeton": jeton(page)})
        assert export.status_code == 200 and len(list(csv.reader(io.StringIO(export.text)))) >= 2
        sorties.append(export.content)
    sorties.append(passerelle.client.get("/console/entrees/0").content)
    sorties.append(passerelle.client.get("/console/entrees/0/preuve").content)

    cnav = "identifiant_accedant;nir;horodatage\n" + "".join(
        f"ad-caf042-01;{nir};{passerelle.horloge().strftime('%Y-%m-%dT%H:%M:%SZ')}\n" for nir in nirs
    )
    with passerelle.services.moteur.begin() as c:
        resultat = rapprocher(c, passerelle.services.journal, cnav.encode(), tolerance=3600,
                              horodatage=passerelle.horloge(), operateur="test")
    sorties += [en_csv(resultat).encode(), en_json(resultat).encode()]
    assert resultat.paires and resultat.paires[0].acces.agent == "claire.morel@caf-042"

    services = passerelle.services
    sequencer(passerelle, forcer=True)
    exporter(services.moteur, tmp_path / "export", cles_journal(ClesCheckpoint(
        services.reglages.origine_journal, services.secrets.publiques_signature(), services.secrets.signature_active,
    )), services.reglages.origine_journal, services.horloge())
    sorties += [f.read_bytes() for f in sorted((tmp_path / "export").iterdir())]

    tables = _octets_des_tables(passerelle)
    assert services.journal.index_nir(nirs[0]).encode() in tables  # the keyed index is there
    for nir in [*nirs, faux_nir]:
        for forme, nom in _formes_interdites(nir).items():
            assert forme not in tables, f"{nom} dans les tables du journal"
            for numero, sortie in enumerate(sorties):
                assert forme not in sortie, f"{nom} dans la sortie n°{numero}"

