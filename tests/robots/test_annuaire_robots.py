"""The directory ties each robot to its organisme, a named person, windows and a rate; a robot
key is accepted only for a declared robot of the same organisme (annex 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from passerelle.annuaire.chargement import AnnuaireInvalide, charger_annuaire
from passerelle.annuaire.gestion import ajouter_cle
from passerelle.annuaire.robots import fichier_robots
from passerelle.cli import app

DEBUT = datetime(2026, 1, 1, tzinfo=UTC)


def _robots(config: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(fichier_robots(config).read_text(encoding="utf-8"))


def _ecrire(config: Path, contenu: dict) -> None:  # type: ignore[type-arg]
    fichier_robots(config).write_text(yaml.safe_dump(contenu, allow_unicode=True), encoding="utf-8")


def test_config_d_exemple(config: Path) -> None:
    annuaire = charger_annuaire(config, developpement=True)
    robot = annuaire.robots["ad-caf042-01"]
    assert robot.organisme == "caf-042" and robot.responsable and robot.debit_par_minute == 6
    assert robot.fuseau == "Europe/Paris" and robot.plages
    assert annuaire.cles["caf-042-ad-01-dev-2026"].robot == "ad-caf042-01"
    assert annuaire.cles["caf-042-ad-01-dev-2026"].profil == robot.profil
    assert annuaire.cles["caf-042-fraude-dev-2026"].profil == "lutte-fraude"
    assert annuaire.cles["caf-042-dev-2026"].profil == "gestion"


def test_cle_d_un_robot_inconnu_refusee(config: Path) -> None:
    with pytest.raises(AnnuaireInvalide, match="robot 'ad-fantome' absent de robots.yaml"):
        ajouter_cle(config, organisme="caf-042", keyid="caf-042-fantome", publique=Ed25519PrivateKey.generate().public_key(),
                    valide_du=DEBUT, valide_au=None, robot="ad-fantome")
    # Written by hand, the file is refused at load (and a running gateway keeps the last good one).
    chemin = config / "annuaire" / "cles.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    contenu["cles"][0]["robot"] = "ad-fantome"
    chemin.write_text(yaml.safe_dump(contenu))
    with pytest.raises(AnnuaireInvalide, match=r"cles\[0\]: robot 'ad-fantome' absent"):
        charger_annuaire(config, developpement=True)


def test_cle_du_robot_d_un_autre_organisme_refusee(config: Path) -> None:
    with pytest.raises(AnnuaireInvalide, match="le robot 'ad-caf069-01' appartient à caf-069, pas à caf-042"):
        ajouter_cle(config, organisme="caf-042", keyid="caf-042-vol", publique=Ed25519PrivateKey.generate().public_key(),
                    valide_du=DEBUT, valide_au=None, robot="ad-caf069-01")


def test_profil_d_une_cle_de_robot_est_celui_du_robot(config: Path) -> None:
    with pytest.raises(AnnuaireInvalide, match="profil 'lutte-fraude' différent de celui du robot ad-caf042-01"):
        ajouter_cle(config, organisme="caf-042", keyid="caf-042-ad-x", publique=Ed25519PrivateKey.generate().public_key(),
                    valide_du=DEBUT, valide_au=None, robot="ad-caf042-01", profil="lutte-fraude")
    with pytest.raises(AnnuaireInvalide, match="profil 'fraude' inconnu"):
        ajouter_cle(config, organisme="caf-042", keyid="caf-042-y", publique=Ed25519PrivateKey.generate().public_key(),
                    valide_du=DEBUT, valide_au=None, profil="fraude")


@pytest.mark.parametrize(
    ("modification", "message"),
    [
        (lambda r: r.update(responsable=""), "responsable vide"),
        (lambda r: r.pop("plages"), "champ 'plages' absent"),
        (lambda r: r.update(plages=[]), "au moins une plage"),
        (lambda r: r.update(debit_par_minute=0), "debit_par_minute doit être un entier de 1 à 600"),
        (lambda r: r.update(debit_par_minute="6"), "debit_par_minute doit être un entier"),
        (lambda r: r.update(organisme="caf-999"), "organisme 'caf-999' absent"),
        (lambda r: r.update(fuseau="Europe/Lutece"), "fuseau 'Europe/Lutece' inconnu"),
        (lambda r: r.update(profil="fraude"), "profil 'fraude' inconnu"),
        (lambda r: r.update(id="AD CAF"), "identifiant 'AD CAF' invalide"),
        (lambda r: r.update(robot="x"), "champ\\(s\\) inconnu\\(s\\) \\['robot'\\]"),
        (lambda r: r["plages"][0].update(de="7h"), "heure '7h' illisible"),
        (lambda r: r["plages"][0].update(de="25:00"), "heure '25:00' illisible"),
        (lambda r: r["plages"][0].update(jours=["lundi", "funday"]), "jour\\(s\\) inconnu\\(s\\) \\['funday'\\]"),
        (lambda r: r["plages"][0].update(de="07:00", a="07:00"), "plage vide ou ambiguë"),
    ],
)
def test_robots_invalides_nommes(config: Path, modification, message: str) -> None:  # type: ignore[no-untyped-def]
    contenu = _robots(config)
    modification(contenu["robots"][0])
    _ecrire(config, contenu)
    with pytest.raises(AnnuaireInvalide, match=r"robots\[0\].*" + message):
        charger_annuaire(config, developpement=True)


def test_robot_en_double(config: Path) -> None:
    contenu = _robots(config)
    contenu["robots"].append(dict(contenu["robots"][0]))
    _ecrire(config, contenu)
    with pytest.raises(AnnuaireInvalide, match="robot 'ad-caf042-01' en double"):
        charger_annuaire(config, developpement=True)


def test_cli_robots_lister_et_cles_generer_avec_profil(config: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    sortie = runner.invoke(app, ["robots", "lister", "--config", str(config)])
    assert sortie.exit_code == 0, sortie.output
    assert "ad-caf042-01 (caf-042) — responsable: Hélène Vidal" in sortie.output
    assert "6 requêtes/minute au plus" in sortie.output
    assert "du lundi au vendredi avant 07:00 et à partir de 19:00; samedi, dimanche toute la journée" in sortie.output
    assert "clés: caf-042-ad-01-dev-2026" in sortie.output
    pem = tmp_path / "k.pem"
    sortie = runner.invoke(app, ["cles", "generer", "carsat-ra", "--keyid", "carsat-ra-accueil", "--profil", "accueil",
                                 "--sortie", str(pem), "--config", str(config)])
    assert sortie.exit_code == 0, sortie.output
    assert charger_annuaire(config, developpement=True).cles["carsat-ra-accueil"].profil == "accueil"
    sortie = runner.invoke(app, ["cles", "lister", "--config", str(config)])
    assert "carsat-ra-accueil" in sortie.output and "profil accueil" in sortie.output
    assert "profil gestion, robot ad-caf042-01" in sortie.output
