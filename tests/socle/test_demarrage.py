"""Start-up refuses what must not run: development secrets or keys outside development mode."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from passerelle.annuaire.chargement import AnnuaireInvalide, charger_annuaire
from passerelle.reglages import Mode, Reglages
from passerelle.secrets_deploiement import SecretsRefuses, charger_secrets
from passerelle.services import construire_services


def test_secrets_de_developpement_refuses_en_production(config: Path, tmp_path: Path) -> None:
    reglages = Reglages(mode=Mode.production, base=f"sqlite:///{tmp_path / 'p.db'}", config=config,
                        secrets=config / "developpement" / "secrets.yaml")
    with pytest.raises(SecretsRefuses, match="développement"):
        construire_services(reglages)


def test_mode_production_par_defaut() -> None:
    assert Reglages().mode is Mode.production


def test_cles_de_developpement_refusees_en_production(config: Path) -> None:
    with pytest.raises(AnnuaireInvalide, match="caf-042-dev-2026"):
        charger_annuaire(config, developpement=False)
    assert charger_annuaire(config, developpement=True).cles


def test_secrets_de_production_acceptes(config: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from passerelle.cli import app

    sortie = tmp_path / "secrets.yaml"
    resultat = CliRunner().invoke(app, ["secrets", "generer", str(sortie), "--keyid", "passerelle-2026"])
    assert resultat.exit_code == 0, resultat.output
    assert oct(sortie.stat().st_mode & 0o777) == "0o600"
    secrets = charger_secrets(sortie, developpement=False)
    assert secrets.signature_active == "passerelle-2026" and not secrets.developpement
    assert CliRunner().invoke(app, ["secrets", "generer", str(sortie), "--keyid", "x"]).exit_code == 3  # fichier déjà là


def test_secrets_incomplets_nommes(config: Path, tmp_path: Path) -> None:
    contenu = yaml.safe_load((config / "developpement" / "secrets.yaml").read_text())
    del contenu["index_aveugle"]
    chemin = tmp_path / "s.yaml"
    chemin.write_text(yaml.safe_dump(contenu))
    with pytest.raises(SecretsRefuses, match="index_aveugle"):
        charger_secrets(chemin, developpement=True)


def test_annuaire_incoherent_nomme_l_entree(config: Path) -> None:
    chemin = config / "annuaire" / "cles.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    contenu["cles"][1]["organisme"] = "caf-999"
    chemin.write_text(yaml.safe_dump(contenu))
    with pytest.raises(AnnuaireInvalide, match=r"cles\[1\].*caf-999"):
        charger_annuaire(config, developpement=True)


def test_config_d_exemple_complete() -> None:
    racine = Path(__file__).resolve().parents[2] / "config"
    annuaire = charger_annuaire(racine, developpement=True)
    assert {"caf-042", "caf-069", "caf-075", "carsat-ra", "cnav-idf"} <= set(annuaire.organismes)
    assert all(c.developpement for c in annuaire.cles.values())
    for cle in annuaire.cles.values():
        assert (racine / "developpement" / "cles" / f"{cle.keyid}.pem").is_file()
