"""A connector shipped as a separate distribution is found through its entry point.

The example package is really installed (pip, offline, into a temporary folder), as a caisse
would install its own connector next to the gateway; nothing in the gateway names it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connecteurs.base import Connecteur, Consultation
from connecteurs.registre import (
    ConnecteurInconnu,
    ParametresConnecteurInvalides,
    connecteurs_disponibles,
    creer_connecteur,
)
from tests.connecteurs.outils import contexte, message

SOURCE = Path(__file__).resolve().parent / "tiers"


@pytest.fixture(scope="module")
def installation(tmp_path_factory) -> Path:
    """Build and install the example once; the source is copied so the tree stays clean."""
    racine = tmp_path_factory.mktemp("tiers")
    source = racine / "source"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    cible = racine / "site"
    environnement = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    resultat = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(cible), str(source)],
        capture_output=True, text=True, timeout=300, env=environnement,
    )
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert (cible / "connecteur_exemple" / "__init__.py").is_file()
    return cible


@pytest.fixture
def chemin_tiers(installation, monkeypatch):
    monkeypatch.syspath_prepend(str(installation))  # also invalidates the import caches
    importlib.invalidate_caches()
    yield installation
    sys.modules.pop("connecteur_exemple", None)


def test_absent_tant_que_non_installe(cle_passerelle, horloge):
    assert "exemple" not in connecteurs_disponibles()
    with pytest.raises(ConnecteurInconnu):
        creer_connecteur("exemple", contexte({"prefixe_accuse": "AR"}, cle=cle_passerelle, horloge=horloge))


async def test_connecteur_tiers_trouve_et_utilise(chemin_tiers, cle_passerelle, horloge):
    point = connecteurs_disponibles()["exemple"]
    assert point.value == "connecteur_exemple:creer"
    assert point.dist is not None and point.dist.name == "passerelle-connecteur-exemple"

    connecteur = creer_connecteur(
        "exemple", contexte({"type": "exemple", "prefixe_accuse": "AR"}, cle=cle_passerelle, horloge=horloge, organisme="msa-42")
    )
    assert isinstance(connecteur, Connecteur)
    assert type(connecteur).__module__ == "connecteur_exemple"
    assert Path(sys.modules["connecteur_exemple"].__file__).is_relative_to(chemin_tiers)

    m = message()
    [remise] = await connecteur.livrer([m])
    assert remise.livre and remise.accuse == f"AR-{m.id}"
    reponse = await connecteur.consulter(Consultation("etat", "caf-042", "msa-42", {}))
    assert reponse.donnees == {"type": "etat", "organisme": "msa-42"}
    await connecteur.fermer()


def test_parametres_du_tiers_valides_a_la_creation(chemin_tiers, cle_passerelle, horloge):
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("exemple", contexte({"prefixe_accuse": "ar-1"}, cle=cle_passerelle, horloge=horloge, organisme="msa-42"))
    assert erreur.value.parametre == "prefixe_accuse" and "msa-42" in str(erreur.value)
