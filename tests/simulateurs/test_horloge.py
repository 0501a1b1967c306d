"""The demo's accelerated clock: shared by every process, development mode only."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from passerelle.demo.horloge import HorlogeAcceleree, HorlogeDemoRefusee, installer
from passerelle.reglages import Mode, Reglages
from passerelle.services import construire_services

DEBUT = datetime(2026, 1, 1, tzinfo=UTC)


def test_deux_processus_lisent_le_meme_instant() -> None:
    origine = time.time()
    une, autre = HorlogeAcceleree(DEBUT, 525_600, origine), HorlogeAcceleree(DEBUT, 525_600, origine)
    assert abs(une.timestamp() - autre.timestamp()) < 525_600 * 0.01
    assert HorlogeAcceleree(DEBUT, 1000, time.time() - 86.4)() - DEBUT >= timedelta(days=1)
    horloge = HorlogeAcceleree(DEBUT, 100, origine)
    assert horloge.instant_reel(DEBUT + timedelta(seconds=500)) == pytest.approx(origine + 5)
    assert horloge.secondes_reelles(300) == 3


def test_installer_met_les_durees_techniques_a_l_echelle(tmp_path: Path) -> None:
    reglages = Reglages(mode=Mode.developpement, base=f"sqlite:///{tmp_path / 'p.db'}", horloge_demo_debut=DEBUT,
                        horloge_demo_facteur=1000, horloge_demo_origine=123.0)
    echelle, horloge = installer(reglages)
    assert (horloge.debut, horloge.facteur, horloge.origine) == (DEBUT, 1000, 123.0)
    assert echelle.fenetre_signature == 300_000 and echelle.derive_horloge == 5_000
    assert echelle.livraison_bail == 120_000 and echelle.checkpoint_toutes_secondes == 10_000
    assert reglages.fenetre_signature == 300  # the operator's settings are not changed in place


def test_services_prennent_l_horloge_de_demonstration(config: Path, tmp_path: Path) -> None:
    reglages = Reglages(mode=Mode.developpement, base=f"sqlite:///{tmp_path / 'p.db'}", config=config,
                        horloge_demo_debut=DEBUT, horloge_demo_facteur=86_400, horloge_demo_origine=time.time())
    services = construire_services(reglages)
    try:
        assert DEBUT <= services.horloge() < DEBUT + timedelta(days=30)
        assert services.reglages.fenetre_signature == 300 * 86_400
    finally:
        services.moteur.dispose()


def test_refusee_en_production(config: Path, tmp_path: Path) -> None:
    reglages = Reglages(mode=Mode.production, base=f"sqlite:///{tmp_path / 'p.db'}", config=config,
                        horloge_demo_debut=DEBUT, horloge_demo_facteur=1000)
    with pytest.raises(HorlogeDemoRefusee, match="mode développement"):
        construire_services(reglages)


def test_serve_en_production_refuse_l_horloge_de_demonstration(config: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from passerelle.cli import app

    resultat = CliRunner().invoke(
        app, ["serve", "--base", f"sqlite:///{tmp_path / 'p.db'}", "--config", str(config)],
        env={"PASSERELLE_HORLOGE_DEMO_DEBUT": "2026-01-01T00:00:00Z", "PASSERELLE_MODE": "production"},
    )
    assert resultat.exit_code == 5  # configuration refusée (docs/ligne-de-commande.md)
    assert "démarrage refusé" in resultat.output and "horloge" in resultat.output
