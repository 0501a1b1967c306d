"""The import contracts of docs/architecture.md (``[tool.importlinter]`` in pyproject.toml).

The first test runs them on the project; the others copy the project into a temporary folder,
add one forbidden import and check the contracts catch it — so the first one can fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[2]

_LANCER = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))\n"
)


def _lint(dossier: Path) -> subprocess.CompletedProcess[str]:
    # A process of its own, started in ``dossier``: the packages analysed are the ones found there.
    return subprocess.run(
        [sys.executable, "-c", _LANCER], cwd=dossier, capture_output=True, text=True, timeout=300, check=False
    )


def test_les_contrats_d_import_sont_respectes() -> None:
    resultat = _lint(RACINE)
    assert resultat.returncode == 0, f"contrats d'import rompus:\n{resultat.stdout}\n{resultat.stderr}"
    assert "0 broken" in resultat.stdout, resultat.stdout


@pytest.fixture
def copie(tmp_path: Path) -> Path:
    ignorer = shutil.ignore_patterns("__pycache__", "*.pyc", "gabarits", "statique", "migrations")
    for paquet in ("passerelle", "connecteurs"):
        shutil.copytree(RACINE / paquet, tmp_path / paquet, ignore=ignorer)
    shutil.copy(RACINE / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "ajout", "contrat"),
    [
        # a connector reaching into the gateway
        ("connecteurs/boite.py", "import passerelle.journal.note", "connecteurs ne dépend que de son protocole"),
        # storage importing the domain
        ("passerelle/stockage/tables.py", "import passerelle.catalogue.nir", "stockage n'importe aucun paquet"),
        # the socle importing an edge: a layer gone upwards
        ("passerelle/erreurs.py", "import passerelle.console.dates", "couches"),
        # the service locator used by a domain module
        ("passerelle/annuaire/cles.py", "import passerelle.services", "services (la racine de composition)"),
        # a cycle between two modules of one package
        ("passerelle/annuaire/cles.py", "import passerelle.annuaire.gestion", "aucun cycle"),
    ],
)
def test_un_import_interdit_est_signale(copie: Path, module: str, ajout: str, contrat: str) -> None:
    fichier = copie / module
    fichier.write_text(fichier.read_text(encoding="utf-8") + f"\n{ajout}  # injecté par le test\n", encoding="utf-8")
    resultat = _lint(copie)
    assert resultat.returncode != 0, resultat.stdout
    rompus = resultat.stdout.split("Broken contracts", 1)[-1]
    assert contrat in rompus, resultat.stdout
    importe = ajout.split()[-1]
    assert importe in rompus or importe.rsplit(".", 1)[0] in rompus, resultat.stdout
