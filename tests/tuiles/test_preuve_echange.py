"""The evidence bundle of one exchange: built by ``passerelle journal preuve``, checked offline by
``passerelle journal verifier-preuve``; one byte altered anywhere is refused, the place named."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from passerelle.journal.preuve_echange import serialiser
from passerelle.journal.verifier_preuve import verifier_preuve
from tests.journal_api.conftest import envoyer_rdc, sans_sequenceur_de_fond, sequencer  # noqa: F401


def _echange(passerelle: Any) -> str:
    """caf-042 sends an rdc, carsat-ra acknowledges it; other traffic around it."""
    envoyer_rdc(passerelle, 3)
    message = envoyer_rdc(passerelle, 1)[0]["id"]
    envoyer_rdc(passerelle, 2)
    acquitte = passerelle.organisme("carsat-ra").acquitter(message)
    assert acquitte.statut == 200, acquitte.donnees
    envoyer_rdc(passerelle, 2)
    sequencer(passerelle, forcer=True)
    return message


def _options(passerelle: Any, url_base: str) -> list[str]:
    return ["--base", url_base, "--config", str(passerelle.config), "--developpement"]


def _paquet(passerelle: Any, url_base: str, tmp_path: Path, message: str) -> bytes:
    from passerelle.cli import app

    fichier = tmp_path / "preuve.json"
    sortie = CliRunner().invoke(app, ["journal", "preuve", message, "-o", str(fichier), *_options(passerelle, url_base)])
    assert sortie.exit_code == 0, sortie.output
    return fichier.read_bytes()


def _alterer_b64(brut: bytes, chemin: list[Any], position: int = 10) -> bytes:
    """Change ONE character of a base64 string of the bundle (another valid base64 character)."""
    document = json.loads(brut)
    parent = document
    for cle in chemin[:-1]:
        parent = parent[cle]
    texte = parent[chemin[-1]]
    parent[chemin[-1]] = texte[:position] + ("A" if texte[position] != "A" else "B") + texte[position + 1 :]
    altere = serialiser(document)
    assert len(altere) == len(brut) and sum(a != b for a, b in zip(altere, brut)) == 1
    return altere


def test_paquet_d_un_echange_verifie_hors_ligne(passerelle, tmp_path: Path, url_base: str) -> None:  # type: ignore[no-untyped-def]
    from passerelle.cli import app

    message = _echange(passerelle)
    brut = _paquet(passerelle, url_base, tmp_path, message)
    document = json.loads(brut)
    assert (document["format"], document["version"], document["message"]) == ("passerelle-preuve-echange", 1, message)
    decisions = [json.loads(base64.b64decode(e["octets"]))["decision"] for e in document["entrees"]]
    assert "accepte" in decisions and len(decisions) >= 2  # the reception and the acknowledgement at least
    for e in document["entrees"]:
        contenu = json.loads(base64.b64decode(e["octets"]))
        assert contenu["message"] == message
        assert "nir" not in contenu or len(contenu["nir"]) > 15  # blind index, never the NIR in clear
    assert verifier_preuve(brut).ok

    runner = CliRunner()
    ok = runner.invoke(app, ["journal", "verifier-preuve", str(tmp_path / "preuve.json")])
    assert ok.exit_code == 0 and "PREUVE VÉRIFIÉE" in ok.output, ok.output
    cle = tmp_path / "cle.txt"
    cle.write_text(passerelle.client.get("/v1/journal/cle").text)
    assert runner.invoke(app, ["journal", "verifier-preuve", str(tmp_path / "preuve.json"), "--cle", str(cle)]).exit_code == 0
    autre = tmp_path / "autre.txt"
    autre.write_text("autre.exemple/journal+00000000+AQ" + "A" * 42 + "=\n")
    refus = runner.invoke(app, ["journal", "verifier-preuve", str(tmp_path / "preuve.json"), "--cle", str(autre)])
    assert refus.exit_code == 1 and "cles.journal" in refus.output

    altere = tmp_path / "altere.json"
    altere.write_bytes(_alterer_b64(brut, ["entrees", 1, "preuve", 2]))
    ko = runner.invoke(app, ["journal", "verifier-preuve", str(altere)])
    assert ko.exit_code == 1 and "entrees[1].preuve[2]" in ko.output, ko.output


def test_un_octet_altere_est_refuse_et_le_lieu_nomme(passerelle, tmp_path: Path, url_base: str) -> None:  # type: ignore[no-untyped-def]
    brut = _paquet(passerelle, url_base, tmp_path, _echange(passerelle))
    assert len(json.loads(brut)["entrees"][1]["preuve"]) >= 3

    attendus = {
        ("entrees", 1, "preuve", 2): "entrees[1].preuve[2]",
        ("entrees", 0, "preuve", 0): "entrees[0].preuve[0]",
        ("entrees", 0, "octets"): "entrees[0].octets",
        ("entrees", 1, "feuille"): "entrees[1].feuille",
        ("entrees", 0, "etapes", 1): "entrees[0].etapes[1]",
        ("cles", "journal", 0): "cles.journal[0]",
    }
    for chemin, lieu in attendus.items():
        rapport = verifier_preuve(_alterer_b64(brut, list(chemin)))
        assert not rapport.ok and rapport.lieu == lieu, (chemin, rapport.texte())

    texte = brut.decode()
    # the checkpoint's root (inside the signed note), the version, the index, the layout
    document = json.loads(brut)
    racine = document["checkpoint"].split("\n")[2]
    for avant, apres, lieu in (
        (racine, racine[:5] + ("A" if racine[5] != "A" else "B") + racine[6:], "checkpoint"),
        ('"version": 1', '"version": 2', "version"),
        (f'"index": {document["entrees"][1]["index"]}', f'"index": {document["entrees"][1]["index"] ^ 1}', "entrees[1].index"),
    ):
        altere = texte.replace(avant, apres, 1).encode()
        assert sum(a != b for a, b in zip(altere, brut)) == 1
        rapport = verifier_preuve(altere)
        assert not rapport.ok and rapport.lieu == lieu, (lieu, rapport.texte())
    espace = texte.index("  ")
    rapport = verifier_preuve((texte[:espace] + "\t" + texte[espace + 1 :]).encode())
    assert not rapport.ok and rapport.lieu == f"octet {espace}", rapport.texte()


def test_chaque_octet_du_paquet_compte(passerelle, tmp_path: Path, url_base: str) -> None:  # type: ignore[no-untyped-def]
    brut = _paquet(passerelle, url_base, tmp_path, _echange(passerelle))
    assert verifier_preuve(brut).ok
    acceptes = []
    for position in range(len(brut)):
        remplacant = b"0" if brut[position] != ord("0") else b"1"
        if not (rapport := verifier_preuve(brut[:position] + remplacant + brut[position + 1 :])).ok:
            assert rapport.lieu
        else:
            acceptes.append(position)
    assert acceptes == []


def test_message_inconnu(passerelle, tmp_path: Path, url_base: str) -> None:  # type: ignore[no-untyped-def]
    from passerelle.cli import app

    _echange(passerelle)
    sortie = CliRunner().invoke(app, ["journal", "preuve", "00000000-0000-0000-0000-000000000000",
                                      *_options(passerelle, url_base)])
    assert sortie.exit_code == 1 and "aucune entrée" in sortie.output


def test_la_console_offre_le_paquet_d_un_message(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.auditeurs.outils import bearer, creer_auditeur
    from tests.console.outils import connecter

    message = _echange(passerelle)
    juge = creer_auditeur(passerelle, "juge")
    connecter(passerelle, juge)
    page = passerelle.client.get(f"/console/messages/{message}")
    assert f'href="/console/messages/{message}/preuve"' in page.text
    fichier = passerelle.client.get(f"/console/messages/{message}/preuve")
    assert fichier.status_code == 200 and "attachment" in fichier.headers["content-disposition"]
    assert verifier_preuve(fichier.content).ok and json.loads(fichier.content)["message"] == message
    journal = passerelle.client.get("/v1/journal/entrees", params={"agent": "juge"}, headers=bearer(juge)).json()
    telechargements = [e["entree"]["details"] for e in journal["entrees"]
                       if e["entree"].get("details", {}).get("operation") == "preuve_echange"]
    assert telechargements and telechargements[0]["message"] == message  # the download is journaled

    passerelle.client.cookies.clear()
    connecter(passerelle, creer_auditeur(passerelle, "ailleurs", organismes=["caf-069"]))
    refus = passerelle.client.get(f"/console/messages/{message}/preuve")
    assert refus.status_code == 404 and "preuve" not in refus.headers.get("content-disposition", "")


def test_paquet_pur_avec_deux_cles_de_journal_et_un_temoin() -> None:
    """A bundle built by hand (tree of one leaf, a rotation's two keys, one witness): every line of
    the note is checked, so every byte of this file counts too."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from passerelle.journal.note import Checkpoint, cle_verification_texte, cosigner_note, signer_checkpoint
    from passerelle.journal.cosignature_temoin import cle_temoin_texte, cosigner

    origine = "o.exemple/journal"
    octets = b'{"decision":"accepte","message":"m-1"}'
    feuille = hashlib.sha256(b"\x00" + octets).digest()
    ancienne, nouvelle, temoin = (Ed25519PrivateKey.generate() for _ in range(3))
    note = signer_checkpoint(Checkpoint(origine, 1, feuille), origine, nouvelle)
    note = cosigner_note(note, origine, ancienne)
    note += cosigner(note.split("\n\n")[0] + "\n", "t.exemple", temoin, 1_800_000_000)
    brute = [c.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) for c in (nouvelle, ancienne)]
    b64 = lambda o: base64.b64encode(o).decode()  # noqa: E731
    document = {
        "format": "passerelle-preuve-echange", "version": 1, "origine": origine, "message": "m-1", "messages": ["m-1"],
        "cles": {"journal": [cle_verification_texte(origine, b) for b in brute],
                 "temoins": [cle_temoin_texte("t.exemple", temoin.public_key())]},
        "checkpoint": note,
        "entrees": [{"index": 0, "octets": b64(octets), "feuille": b64(feuille), "preuve": [], "etapes": []}],
    }
    brut = serialiser(document)
    assert verifier_preuve(brut).ok
    assert verifier_preuve(brut, temoins_confiance=document["cles"]["temoins"], quorum=1).ok
    seconde = note.split("\n")[-3]  # the old key's line
    assert seconde.startswith("\u2014 " + origine)
    altere = brut.replace(seconde[-10:].encode(), (seconde[-10:-5] + ("A" if seconde[-5] != "A" else "B") + seconde[-4:]).encode())
    rapport = verifier_preuve(altere)
    assert not rapport.ok and rapport.lieu == "checkpoint", rapport.texte()
    for position in range(len(brut)):
        remplacant = b"0" if brut[position] != ord("0") else b"1"
        assert not verifier_preuve(brut[:position] + remplacant + brut[position + 1 :]).ok, position
