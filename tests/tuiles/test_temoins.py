"""Two gateways witness each other (a CAF-side and a Carsat-side deployment, separate databases
and keys), and a split view — two inconsistent checkpoints of one origin — is refused by the
witness, which keeps both checkpoints as evidence."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from passerelle.journal.merkle import hash_feuille, preuve_coherence_liste, racine
from passerelle.journal.note import Checkpoint, signer_checkpoint
from passerelle.journal.preuve_echange import etablir_preuve
from passerelle.journal.verifier_preuve import verifier_preuve
from passerelle.stockage.temoin import refus as refus_du_temoin
from passerelle.stockage.tuiles import lire_entrees
from passerelle.temoin.app import charger_config, creer_app_temoin
from passerelle.journal.cosignature_temoin import analyser_cle_temoin, cle_temoin_texte, lignes_de_signature, verifier_cosignature
from passerelle.temoin.demande import charger_temoins, faire_cosigner
from passerelle.temoin.protocole import corps_demande
from tests.conftest import Passerelle
from tests.journal_api.conftest import envoyer_rdc, obtenir, sans_sequenceur_de_fond, sequencer  # noqa: F401

CARSAT = "carsat-ra.exemple/journal"


def _pem(chemin: Path) -> Ed25519PrivateKey:
    cle = Ed25519PrivateKey.generate()
    chemin.write_bytes(cle.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cle


def _cle_journal(passerelle: Any) -> str:
    return passerelle.client.get("/v1/journal/cle").text.splitlines()[0]


@pytest.fixture
def carsat(tmp_path: Path, passerelle: Any) -> Iterator[Passerelle]:
    """The Carsat-side deployment: its own configuration, database, signing key and origin."""
    from passerelle.app import create_app
    from passerelle.reglages import Mode, Reglages
    from passerelle.services import construire_services

    config = tmp_path / "config-carsat"
    shutil.copytree(passerelle.config, config)
    secrets = yaml.safe_load((config / "developpement" / "secrets.yaml").read_text())
    cle = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    secrets["signature"] = {"active": "carsat-journal-2026", "cles": {"carsat-journal-2026": cle}}
    chemin_secrets = tmp_path / "secrets-carsat.yaml"
    chemin_secrets.write_text(yaml.safe_dump(secrets))
    reglages = Reglages(mode=Mode.developpement, base=f"sqlite:///{tmp_path / 'carsat.db'}", config=config,
                        travaux_de_fond=False, secrets=chemin_secrets, origine_journal=CARSAT)
    services = construire_services(reglages, horloge=passerelle.horloge)
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        yield Passerelle(services=services, client=client, config=config, horloge=passerelle.horloge)
    services.moteur.dispose()


def _temoin(tmp_path: Path, nom: str, journaux: list[str], horloge: Any) -> tuple[TestClient, Path]:
    dossier = tmp_path / nom.replace("/", "_")
    dossier.mkdir()
    _pem(dossier / "temoin.pem")
    chemin = dossier / "temoin.yaml"
    chemin.write_text(yaml.safe_dump({"nom": nom, "cle": "temoin.pem", "base": f"sqlite:///{dossier / 'temoin.db'}",
                                      "journaux": journaux}))
    return TestClient(creer_app_temoin(charger_config(chemin), horloge)), chemin


def _configurer(passerelle: Any, temoins: list[tuple[str, str, str]]) -> None:
    (passerelle.config / "temoins.yaml").write_text(yaml.safe_dump({
        "delai_secondes": 2, "temoins": [{"nom": n, "url": u, "cle": c} for n, u, c in temoins]}))


def _envoi(routes: dict[str, TestClient]):  # type: ignore[no-untyped-def]
    def envoyer(temoin, corps, delai):  # type: ignore[no-untyped-def]
        if temoin.url not in routes:
            raise httpx.ConnectError(f"{temoin.url} injoignable")
        reponse = routes[temoin.url].post("/add-checkpoint", content=corps)
        return reponse.status_code, reponse.headers.get("content-type", ""), reponse.content
    return envoyer


def _cosigner(passerelle: Any, routes: dict[str, TestClient]) -> dict[str, Any]:
    resultats = faire_cosigner(passerelle.services.moteur, charger_temoins(passerelle.config), passerelle.horloge,
                               _envoi(routes))
    return {r.temoin: r for r in resultats}


def _note(passerelle: Any) -> str:
    reponse = obtenir(passerelle, "caf-042", "/v1/journal/tlog/checkpoint")
    assert reponse.status_code == 200, reponse.text
    assert obtenir(passerelle, "caf-042", "/v1/journal/checkpoint").text == reponse.text  # both doors
    return reponse.text


def test_deux_passerelles_se_temoignent_et_une_vue_divergente_est_refusee(  # type: ignore[no-untyped-def]
    passerelle, carsat, tmp_path: Path
) -> None:
    horloge = passerelle.horloge
    # Carsat runs a witness of the CAF gateway's journal, the CAF a witness of Carsat's
    client_wb, config_wb = _temoin(tmp_path, "temoin.carsat-ra.exemple", [_cle_journal(passerelle)], horloge)
    client_wa, _ = _temoin(tmp_path, "temoin.caf-042.exemple", [_cle_journal(carsat)], horloge)
    cle_wb = client_wb.get("/cle").text.strip()
    cle_wa = client_wa.get("/cle").text.strip()
    routes = {"http://temoin-carsat": client_wb, "http://temoin-caf": client_wa}
    cle_panne = cle_temoin_texte("temoin.panne.exemple", Ed25519PrivateKey.generate().public_key())
    _configurer(passerelle, [("temoin.carsat-ra.exemple", "http://temoin-carsat", cle_wb),
                             ("temoin.panne.exemple", "http://temoin-en-panne", cle_panne)])
    _configurer(carsat, [("temoin.caf-042.exemple", "http://temoin-caf", cle_wa)])

    # CAF side: traffic, checkpoint, cosigned by Carsat's witness; the broken witness only logs
    envoyer_rdc(passerelle, 3)
    sequencer(passerelle, forcer=True)
    resultats = _cosigner(passerelle, routes)
    assert resultats["temoin.carsat-ra.exemple"].ok, resultats
    assert not resultats["temoin.panne.exemple"].ok and "injoignable" in resultats["temoin.panne.exemple"].detail
    note_a1 = _note(passerelle)
    texte, lignes = lignes_de_signature(note_a1)
    (cosignature,) = [ligne for ligne in lignes if ligne.nom == "temoin.carsat-ra.exemple"]
    verifier_cosignature(texte, cosignature, "temoin.carsat-ra.exemple", analyser_cle_temoin(cle_wb)[1])
    envoyer_rdc(passerelle, 1)  # acceptance goes on whatever the witnesses do

    # Carsat side, witnessed by the CAF's witness
    envoyer_rdc(carsat, 2)
    sequencer(carsat, forcer=True)
    assert _cosigner(carsat, routes)["temoin.caf-042.exemple"].ok
    assert "— temoin.caf-042.exemple " in _note(carsat)

    # a second round on the CAF side: consistency proved from the size the witness cosigned
    recu = envoyer_rdc(passerelle, 4)[1]
    sequencer(passerelle, forcer=True)
    assert _cosigner(passerelle, routes)["temoin.carsat-ra.exemple"].ok
    note_a2 = _note(passerelle)
    taille_a2 = int(note_a2.split("\n")[1])
    from tests.tuiles.client_tuiles import verifier_checkpoint as verifier_independant
    assert verifier_independant(note_a2.encode(), _cle_journal(passerelle)).taille == taille_a2  # extra lines ignored
    assert taille_a2 > int(note_a1.split("\n")[1])

    # the evidence bundle carries the cosignature; the verifier demands k of the witnesses it trusts
    with passerelle.services.moteur.connect() as connexion:
        etablie = etablir_preuve(connexion, recu["id"], origine=passerelle.services.reglages.origine_journal,
                                 cles_journal=[_cle_journal(passerelle)])
    assert etablie is not None and etablie.document["cles"]["temoins"] == [cle_wb]
    assert verifier_preuve(etablie.octets(), temoins_confiance=[cle_wb], quorum=1).ok
    for confiance, quorum in (([cle_wb, cle_wa], 2), ([cle_wa], 1)):
        rapport = verifier_preuve(etablie.octets(), temoins_confiance=confiance, quorum=quorum)
        assert not rapport.ok and rapport.lieu == "checkpoint" and "quorum" in rapport.detail

    # split view: the CAF operator signs a fork of its own journal with its own key
    services = passerelle.services
    with services.moteur.connect() as connexion:
        entrees = lire_entrees(connexion, 0, taille_a2)
    fourche = [hash_feuille(e) for e in entrees[:-1]] + [hash_feuille(b'{"decision":"autre histoire"}')]
    origine, cle_journal = services.reglages.origine_journal, services.secrets.cle_signature

    def signer(feuilles: list[bytes]) -> str:
        return signer_checkpoint(Checkpoint(origine, len(feuilles), racine(feuilles)), origine, cle_journal)

    meme_taille = client_wb.post("/add-checkpoint", content=corps_demande(taille_a2, [], signer(fourche)))
    assert meme_taille.status_code == 409 and meme_taille.json()["code"] == "vue_divergente"
    plus_loin = fourche + [hash_feuille(b'{"n":1}'), hash_feuille(b'{"n":2}')]
    preuve_fourche = preuve_coherence_liste(taille_a2, plus_loin)  # consistent with the fork, not with what was cosigned
    refus = client_wb.post("/add-checkpoint", content=corps_demande(taille_a2, preuve_fourche, signer(plus_loin)))
    assert refus.status_code == 422 and refus.json()["code"] == "preuve_coherence_invalide"
    assert refus.headers["content-type"].startswith("application/problem+json")

    # the evidence: both checkpoints, each signed by the same log key, kept by the witness
    moteur = client_wb.app.state.moteur
    with moteur.connect() as connexion:
        preuves = refus_du_temoin(connexion, origine)
    assert len(preuves) == 2
    for preuve, recue in zip(preuves, (signer(fourche), signer(plus_loin)), strict=True):
        assert preuve.note_recue == recue
        assert preuve.note_connue is not None and preuve.note_connue.split("\n")[:3] == note_a2.split("\n")[:3]
    sortie = CliRunner().invoke(__import__("passerelle.cli", fromlist=["app"]).app,
                                ["temoin", "refus", "--config", str(config_wb)])
    assert sortie.exit_code == 0 and "2 refus" in sortie.output, sortie.output
    assert sortie.output.count("checkpoint refusé") == 2 and sortie.output.count("checkpoint cosigné") == 2

    # the witness was not moved by the fork: the honest log goes on being cosigned
    envoyer_rdc(passerelle, 1)
    sequencer(passerelle, forcer=True)
    assert _cosigner(passerelle, routes)["temoin.carsat-ra.exemple"].ok


def test_le_protocole_du_temoin(passerelle, carsat, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, chemin = _temoin(tmp_path, "temoin.carsat-ra.exemple", [_cle_journal(passerelle)], passerelle.horloge)
    envoyer_rdc(passerelle, 2)
    sequencer(passerelle, forcer=True)
    with passerelle.services.moteur.connect() as connexion:
        from passerelle.stockage.tuiles import dernier_checkpoint_taille
        taille, note = dernier_checkpoint_taille(connexion)  # type: ignore[misc]

    assert client.post("/add-checkpoint", content=corps_demande(0, [], note)).status_code == 200
    # old must be the size the witness knows: the spec's 409 with that size
    conflit = client.post("/add-checkpoint", content=corps_demande(0, [], note))
    assert conflit.status_code == 409 and conflit.headers["content-type"].startswith("text/x.tlog.size")
    assert conflit.text == f"{taille}\n"
    # the same checkpoint again: cosigned again (idempotent)
    assert client.post("/add-checkpoint", content=corps_demande(taille, [], note)).status_code == 200
    # the gateway never recorded it: it asks from 0, hears 409 and the size, asks again from there
    _configurer(passerelle, [("temoin.carsat-ra.exemple", "http://t", client.get("/cle").text.strip())])
    envoyes: list[bytes] = []
    envoi = _envoi({"http://t": client})

    def espion(temoin, corps, delai):  # type: ignore[no-untyped-def]
        envoyes.append(corps)
        return envoi(temoin, corps, delai)

    (resultat,) = faire_cosigner(passerelle.services.moteur, charger_temoins(passerelle.config), passerelle.horloge, espion)
    assert resultat.ok and [c.split(b"\n")[0] for c in envoyes] == [b"old 0", f"old {taille}".encode()]
    assert "— temoin.carsat-ra.exemple " in _note(passerelle)

    envoyer_rdc(carsat, 1)
    sequencer(carsat, forcer=True)
    with carsat.services.moteur.connect() as connexion:
        _, note_carsat = dernier_checkpoint_taille(connexion)  # type: ignore[misc]
    inconnu = client.post("/add-checkpoint", content=corps_demande(0, [], note_carsat))
    assert inconnu.status_code == 404 and inconnu.json()["code"] == "journal_inconnu"
    origine = passerelle.services.reglages.origine_journal
    faux = signer_checkpoint(Checkpoint(origine, taille + 1, b"\x01" * 32), origine, Ed25519PrivateKey.generate())
    signature = client.post("/add-checkpoint", content=corps_demande(taille, [], faux))
    assert signature.status_code == 403 and signature.json()["code"] == "signature_journal_invalide"
    for corps in (b"old 1\n", b"vieux 0\n\n" + note.encode(), b"old 01\n\n" + note.encode(),
                  b"old 0\nAAAA\n\n" + note.encode(), corps_demande(taille + 5, [], note)):
        mauvais = client.post("/add-checkpoint", content=corps)
        assert mauvais.status_code == 400 and mauvais.json()["code"] == "demande_temoin_invalide", corps

    # durable: a restarted witness (same file) still knows the size it cosigned
    redemarre = TestClient(creer_app_temoin(charger_config(chemin), passerelle.horloge))
    assert redemarre.post("/add-checkpoint", content=corps_demande(0, [], note)).text == f"{taille}\n"


def test_commandes_du_temoin(tmp_path: Path) -> None:
    from passerelle.cli import app

    runner = CliRunner()
    cle = tmp_path / "temoin.pem"
    assert runner.invoke(app, ["temoin", "nouvelle-cle", str(cle)]).exit_code == 0
    assert cle.stat().st_mode & 0o077 == 0
    assert runner.invoke(app, ["temoin", "nouvelle-cle", str(cle)]).exit_code == 3  # nothing overwritten
    config = tmp_path / "temoin.yaml"
    config.write_text(yaml.safe_dump({"nom": "temoin.exemple", "cle": "temoin.pem", "base": f"sqlite:///{tmp_path / 't.db'}"}))
    sortie = runner.invoke(app, ["temoin", "cle", "--config", str(config)])
    assert sortie.exit_code == 0 and analyser_cle_temoin(sortie.stdout.strip())[0] == "temoin.exemple"
    assert "0 refus" in runner.invoke(app, ["temoin", "refus", "--config", str(config)]).stdout
    config.write_text("nom: x\n")
    assert runner.invoke(app, ["temoin", "cle", "--config", str(config)]).exit_code == 5
