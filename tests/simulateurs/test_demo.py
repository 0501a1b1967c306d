"""``passerelle demo``, shortened (60 allocataires, a year in 15 s): it must run from the
repository as the README says, print its summary and exit 0 — its own checks are the test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RACINE = Path(__file__).resolve().parents[2]


def test_demo_courte(tmp_path: Path) -> None:
    dossier = tmp_path / "demo"
    resultat = subprocess.run(
        [sys.executable, "-m", "passerelle.cli", "demo", "--allocataires", "60", "--duree", "15",
         "--dossier", str(dossier)],
        capture_output=True, text=True, timeout=240, cwd=RACINE,
    )
    sortie = resultat.stdout
    assert resultat.returncode == 0, sortie + resultat.stderr[-3000:]
    assert "RÉSULTAT : OK" in sortie and "intègre jusqu'à la taille" in sortie
    assert len(sortie.strip().splitlines()) < 40
    for flux in ("rdc", "passage-retraite", "cloture-rdc", "avis-depot", "notification-retraite"):
        assert f"  {flux} " in sortie
    # nothing left running: every child was stopped
    assert "interrompu" not in resultat.stderr
    assert (dossier / "export-journal" / "entrees.jsonl").is_file()
