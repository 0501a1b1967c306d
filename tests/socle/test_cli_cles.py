"""Key management through the CLI, without editing code or YAML by hand."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from passerelle.annuaire.chargement import charger_annuaire
from passerelle.cli import app


def _cli(*arguments: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(arguments))


def test_generer_ajouter_revoquer(config: Path, tmp_path: Path) -> None:
    sortie = tmp_path / "caf-069-2027.pem"
    r = _cli("cles", "generer", "caf-069", "--keyid", "caf-069-2027", "--sortie", str(sortie),
             "--valide-du", "2027-01-01", "--config", str(config))
    assert r.exit_code == 0, r.output
    assert oct(sortie.stat().st_mode & 0o777) == "0o600"
    cle = charger_annuaire(config, developpement=True).cles["caf-069-2027"]
    assert cle.organisme == "caf-069" and not cle.developpement
    assert cle.etat(datetime(2026, 12, 1, tzinfo=timezone.utc)) == "pas_encore_valide"

    publique = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    fichier = tmp_path / "pub.pem"
    fichier.write_bytes(publique)
    assert _cli("cles", "ajouter", "carsat-ra", str(fichier), "--keyid", "carsat-ra-2027", "--config", str(config)).exit_code == 0
    assert _cli("cles", "ajouter", "carsat-ra", str(fichier), "--keyid", "carsat-ra-2027", "--config", str(config)).exit_code == 1
    assert _cli("cles", "ajouter", "caf-999", str(fichier), "--keyid", "x", "--config", str(config)).exit_code == 1

    assert _cli("cles", "revoquer", "carsat-ra-2027", "--config", str(config)).exit_code == 0
    revoquee = charger_annuaire(config, developpement=True).cles["carsat-ra-2027"]
    assert revoquee.etat(datetime.now(timezone.utc)) == "revoquee"
    assert _cli("cles", "revoquer", "carsat-ra-2027", "--config", str(config)).exit_code == 1
    assert _cli("cles", "revoquer", "inconnue", "--config", str(config)).exit_code == 1

    liste = _cli("cles", "lister", "--config", str(config))
    assert "carsat-ra-2027" in liste.output and "revoquee" in liste.output and "[DÉVELOPPEMENT]" in liste.output


def test_conventions_lister() -> None:
    r = _cli("conventions", "lister")
    assert r.exit_code == 0
    assert "cnaf-cnav-2019" in r.output and "rdc, passage-retraite: caf → carsat, cnav, cgss" in r.output
