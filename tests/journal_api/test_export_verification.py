"""Export → offline verification. Every single-byte change of any entry, leaf hash, checkpoint or
key in an export makes the verifier fail and name it; truncation and reordering are detected;
tampering with the database after integration is pinned to the exact entry."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from passerelle.journal.export import exporter
from passerelle.journal.sequenceur import cles_verification
from passerelle.journal.verificateur import (
    FICHIER_CHECKPOINTS,
    FICHIER_CLE,
    FICHIER_ENTREES,
    FICHIER_FEUILLES,
    FICHIER_MANIFESTE,
    Rapport,
    verifier,
    verifier_export,
)
from passerelle.stockage.tables import journal, journal_checkpoints, journal_noeuds
from tests.catalogue.exemples import exemple_rdc
from tests.journal_api.conftest import envoyer_rdc, obtenir, sequencer

FICHIERS = (FICHIER_ENTREES, FICHIER_FEUILLES, FICHIER_CHECKPOINTS, FICHIER_CLE, FICHIER_MANIFESTE)


def _exporter(passerelle, dossier: Path) -> Path:  # type: ignore[no-untyped-def]
    services = passerelle.services
    secrets = services.secrets
    origine = services.reglages.origine_journal
    exporter(services.moteur, dossier, cles_verification(secrets.cles_signature, secrets.signature_active, origine),
             origine, services.horloge(), page=2)
    return dossier


def _petit_journal(passerelle) -> None:  # type: ignore[no-untyped-def]
    """5 entries under checkpoints of sizes 2, 4, 5 (and the size-0 one of the first run)."""
    sequencer(passerelle)
    envoyer_rdc(passerelle, 5)
    for _ in range(3):
        sequencer(passerelle, lot_max=2, toutes_entrees=1)


def _verifier(fichiers: dict[str, bytes], **options) -> Rapport:  # type: ignore[no-untyped-def]
    return verifier(
        io.BytesIO(fichiers[FICHIER_ENTREES]),
        io.BytesIO(fichiers[FICHIER_FEUILLES]),
        fichiers[FICHIER_CHECKPOINTS],
        fichiers[FICHIER_CLE],
        fichiers.get(FICHIER_MANIFESTE),
        **options,
    )


def _lire(dossier: Path) -> dict[str, bytes]:
    return {f: (dossier / f).read_bytes() for f in FICHIERS}


def _ligne_de(contenu: bytes, position: int) -> int:
    return contenu.count(b"\n", 0, position)


def test_export_puis_verification(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _petit_journal(passerelle)
    envoyer_rdc(passerelle, 1)  # integrated later: not in the export, which stops at the last checkpoint
    dossier = _exporter(passerelle, tmp_path / "export")
    manifeste = json.loads((dossier / FICHIER_MANIFESTE).read_text())
    assert (manifeste["entrees"], manifeste["checkpoints"]) == (5, 4)
    rapport = verifier_export(dossier)
    assert rapport.ok, rapport.texte()
    assert (rapport.entrees, rapport.checkpoints_valides, rapport.taille_prouvee) == (5, 4, 5)
    assert "RÉSULTAT : intègre" in rapport.texte()
    with passerelle.services.moteur.connect() as c:
        stockees = c.execute(sa.select(journal.c.entree).where(journal.c.index < 5).order_by(journal.c.index)).scalars()
        assert (dossier / FICHIER_ENTREES).read_bytes() == b"".join(bytes(e) + b"\n" for e in stockees)
    # the latest checkpoint fetched from the gateway, as a trusted outside reference
    note = obtenir(passerelle, "caf-042", "/v1/journal/checkpoint").content
    cle = passerelle.client.get("/v1/journal/cle").text
    assert verifier_export(dossier, cle_confiance=cle, checkpoints_externes=[note]).ok
    with pytest.raises(Exception, match="n'est pas un dossier vide"):
        _exporter(passerelle, dossier)


def test_chaque_octet_modifie_est_detecte_et_nomme(passerelle, tmp_path: Path, url_base: str) -> None:  # type: ignore[no-untyped-def]
    if not url_base.startswith("sqlite"):
        pytest.skip("l'export ne dépend pas de la base: l'exhaustif tourne une fois, sur SQLite")
    _petit_journal(passerelle)
    fichiers = _lire(_exporter(passerelle, tmp_path / "export"))
    assert _verifier(fichiers).ok
    essais = 0
    for nom in (FICHIER_ENTREES, FICHIER_FEUILLES, FICHIER_CHECKPOINTS, FICHIER_CLE):
        contenu = fichiers[nom]
        for position in range(len(contenu)):
            for remplacement in {contenu[position] ^ 0x01, contenu[position] ^ 0x80, 0x0A} - {contenu[position]}:
                altere = bytearray(contenu)
                altere[position] = remplacement
                rapport = _verifier({**fichiers, nom: bytes(altere)})
                essais += 1
                contexte = f"{nom}[{position}] {contenu[position]:#x}→{remplacement:#x}\n{rapport.texte()}"
                assert not rapport.ok, contexte
                if nom == FICHIER_ENTREES:
                    ligne = _ligne_de(contenu, position)
                    nommees = rapport.nommes("entree")
                    assert nommees and min(nommees) == ligne, contexte
                    if 0x0A not in (contenu[position], remplacement):
                        assert nommees == {ligne} and not rapport.nommes("feuille"), contexte
                elif nom == FICHIER_FEUILLES:
                    assert rapport.nommes("feuille") == {position // 32}, contexte
                    assert not rapport.nommes("entree"), contexte
                elif nom == FICHIER_CHECKPOINTS:
                    assert _ligne_de(contenu, position) + 1 in rapport.nommes("checkpoint"), contexte
                else:
                    assert any(a.objet == "cle" for a in rapport.alterations), contexte
    assert essais > 3 * 2000


def _lignes(contenu: bytes) -> list[bytes]:
    return contenu.splitlines(keepends=True)


def test_troncature_et_reordonnancement(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _petit_journal(passerelle)
    fichiers = _lire(_exporter(passerelle, tmp_path / "export"))
    entrees, feuilles = _lignes(fichiers[FICHIER_ENTREES]), fichiers[FICHIER_FEUILLES]
    checkpoints = _lignes(fichiers[FICHIER_CHECKPOINTS])

    # the last entry cut off (with its leaf hash): the last checkpoint signs more than there is
    tronque = _verifier({**fichiers, FICHIER_ENTREES: b"".join(entrees[:4]), FICHIER_FEUILLES: feuilles[:128]})
    assert not tronque.ok and "journal tronqué" in tronque.texte()

    # cut off with its checkpoint, manifest rewritten: only an outside checkpoint can tell
    manifeste = json.loads(fichiers[FICHIER_MANIFESTE])
    manifeste.update(entrees=4, checkpoints=3)
    coupe = {**fichiers, FICHIER_ENTREES: b"".join(entrees[:4]), FICHIER_FEUILLES: feuilles[:128],
             FICHIER_CHECKPOINTS: b"".join(checkpoints[:3]), FICHIER_MANIFESTE: json.dumps(manifeste).encode()}
    assert _verifier(coupe).ok, "un préfixe cohérent d'un journal est un journal"
    note = obtenir(passerelle, "caf-042", "/v1/journal/checkpoint").content
    avec_reference = _verifier(coupe, checkpoints_externes=[note])
    assert not avec_reference.ok and "journal tronqué" in avec_reference.texte()

    # an entry removed in the middle: named
    sans_une = _verifier({**fichiers, FICHIER_ENTREES: b"".join(entrees[:1] + entrees[2:])})
    assert not sans_une.ok and min(sans_une.nommes("entree")) == 1
    # removed with its leaf hash: the interval of the first checkpoint that no longer matches
    sans_une_ni_feuille = _verifier({**fichiers, FICHIER_ENTREES: b"".join(entrees[:1] + entrees[2:]),
                                     FICHIER_FEUILLES: feuilles[:32] + feuilles[64:]})
    assert not sans_une_ni_feuille.ok and sans_une_ni_feuille.nommes("entree") >= {0, 1}

    # two entries swapped: both named; swapped with their leaf hashes: their interval
    echange = _verifier({**fichiers, FICHIER_ENTREES: b"".join([entrees[1], entrees[0], *entrees[2:]])})
    assert echange.nommes("entree") == {0, 1}
    echange_complet = _verifier({
        **fichiers,
        FICHIER_ENTREES: b"".join([entrees[0], entrees[1], entrees[3], entrees[2], entrees[4]]),
        FICHIER_FEUILLES: feuilles[:64] + feuilles[96:128] + feuilles[64:96] + feuilles[128:],
    })
    assert not echange_complet.ok and echange_complet.nommes("entree") == {2, 3}
    assert "checkpoint n°3 (taille 4) : racine différente" in echange_complet.texte()

    # checkpoints reordered
    desordre = _verifier({**fichiers, FICHIER_CHECKPOINTS: b"".join([checkpoints[0], checkpoints[2], checkpoints[1], checkpoints[3]])})
    assert 3 in desordre.nommes("checkpoint") and "non strictement croissantes" in desordre.texte()


def test_base_alteree_apres_integration_l_entree_est_nommee(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _petit_journal(passerelle)
    with passerelle.services.moteur.begin() as c:
        octets = bytes(c.execute(sa.select(journal.c.entree).where(journal.c.index == 3)).scalar_one())
        c.execute(sa.update(journal).where(journal.c.index == 3)
                  .values(entree=octets.replace(b'"agent":"agent.test"', b'"agent":"agent.xxxx"')))
        c.execute(sa.update(journal_noeuds).where(journal_noeuds.c.niveau == 0, journal_noeuds.c.index == 1)
                  .values(hash=b"\x07" * 32))
    rapport = verifier_export(_exporter(passerelle, tmp_path / "export"))
    assert rapport.nommes("entree") == {3} and rapport.nommes("feuille") == {1}, rapport.texte()
    assert "entrée 3 altérée(s)" in rapport.texte()


def test_commandes_exporter_et_verifier(passerelle, tmp_path: Path, url_base: str) -> None:  # type: ignore[no-untyped-def]
    from passerelle.cli import app

    _petit_journal(passerelle)
    runner = CliRunner()
    dossier = tmp_path / "export-cli"
    options = ["--base", url_base, "--config", str(passerelle.config), "--developpement"]
    sortie = runner.invoke(app, ["journal", "exporter", str(dossier), *options])
    assert sortie.exit_code == 0, sortie.output
    assert "5 entrées et 4 checkpoints" in sortie.output
    ok = runner.invoke(app, ["journal", "verifier", str(dossier)])
    assert ok.exit_code == 0 and "intègre" in ok.output, ok.output
    altere = tmp_path / "altere"
    shutil.copytree(dossier, altere)
    contenu = bytearray((altere / FICHIER_ENTREES).read_bytes())
    contenu[contenu.index(b"\n") + 20] ^= 0x01  # a byte of entry 1
    (altere / FICHIER_ENTREES).write_bytes(bytes(contenu))
    ko = runner.invoke(app, ["journal", "verifier", str(altere)])
    assert ko.exit_code == 1 and "entrée 1 altérée" in ko.output, ko.output
    # the sequencer command, and the standalone verifier module
    envoyer_rdc(passerelle, 1)
    seq = runner.invoke(app, ["journal", "sequencer", "--forcer", *options])
    assert seq.exit_code == 0 and "1 entrées intégrées, taille 6; checkpoint signé" in seq.output, seq.output
    autonome = subprocess.run([sys.executable, "-m", "passerelle.journal.verificateur", str(altere)],
                              capture_output=True, text=True, check=False)
    assert autonome.returncode == 1 and "entrée 1 altérée" in autonome.stdout


def test_le_verificateur_n_importe_ni_base_ni_passerelle() -> None:
    code = (
        "import sys, passerelle.journal.verificateur\n"
        "interdits = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'fastapi', 'starlette', 'psycopg')"
        " or (m.startswith('passerelle.') and m not in ('passerelle.journal', 'passerelle.journal.verificateur',"
        " 'passerelle.journal.merkle', 'passerelle.journal.note', 'passerelle.journal.rapport'))]\n"
        "assert not interdits, interdits\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_aucun_nir_en_clair_dans_le_journal_ni_l_export(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    nir = exemple_rdc(aujourd_hui=passerelle.horloge().date())["nir_assure"]
    _petit_journal(passerelle)
    obtenir(passerelle, "carsat-ra", "/v1/journal/entrees/1")
    sequencer(passerelle, forcer=True)
    dossier = _exporter(passerelle, tmp_path / "export")
    morceaux = {nir, nir[:13]}
    with passerelle.services.moteur.connect() as c:
        for table in (journal, journal_noeuds, journal_checkpoints):
            for ligne in c.execute(sa.select(table)):
                for valeur in ligne:
                    brut = valeur if isinstance(valeur, bytes) else str(valeur).encode()
                    assert not any(m.encode() in brut for m in morceaux), (table.name, ligne)
    for fichier in dossier.iterdir():
        assert not any(m.encode() in fichier.read_bytes() for m in morceaux), fichier
