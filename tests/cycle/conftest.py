"""A gateway that can be restarted on the same database with edited secrets: the rotation drills
restart "every instance" between steps, as an operator does."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HorlogeTest, Passerelle


class Exploitation:
    """The operator's side: the secrets file, the CLI, restarts."""

    def __init__(self, url_base: str, config: Path, horloge: HorlogeTest, secrets: Path) -> None:
        self.url_base, self.config, self.horloge, self.secrets = url_base, config, horloge, secrets
        self._ouvertes: list[Any] = []
        self.passerelle: Passerelle = self.demarrer()

    def demarrer(self) -> Passerelle:
        from fastapi.testclient import TestClient

        from passerelle.app import create_app
        from passerelle.reglages import Mode, Reglages
        from passerelle.services import construire_services

        reglages = Reglages(mode=Mode.developpement, base=self.url_base, config=self.config, secrets=self.secrets,
                            travaux_de_fond=False, dossier_lots=self.config.parent / "tampons", relecture_annuaire=0)
        services = construire_services(reglages, horloge=self.horloge)
        client = TestClient(create_app(services=services), raise_server_exceptions=False)
        client.__enter__()
        self._ouvertes.append((client, services))
        return Passerelle(services=services, client=client, config=self.config, horloge=self.horloge)

    def redemarrer(self) -> Passerelle:
        self.arreter()
        self.passerelle = self.demarrer()
        return self.passerelle

    def arreter(self) -> None:
        while self._ouvertes:
            client, services = self._ouvertes.pop()
            client.__exit__(None, None, None)
            services.moteur.dispose()

    def cli(self, *arguments: str, code: int = 0) -> str:
        from typer.testing import CliRunner

        from passerelle.cli import app
        from passerelle.cycle_cles import commandes

        options = []
        if arguments[0] in ("purge",) or arguments[:2] in (("secrets", "etat"), ("secrets", "rechiffrer"),
                                                            ("secrets", "reindexer"), ("cles", "supprimer")):
            options = ["--base", self.url_base, "--config", str(self.config), "--secrets", str(self.secrets),
                       "--developpement"]
        elif arguments[:1] == ("secrets",) and arguments[2:3] == ("retirer",):
            options = ["--base", self.url_base, "--config", str(self.config), "--developpement"]
        commandes.HORLOGE = self.horloge
        try:
            resultat = CliRunner().invoke(app, [*arguments, *options], catch_exceptions=False)
        finally:
            commandes.HORLOGE = None
        assert resultat.exit_code == code, resultat.output
        return resultat.output


@pytest.fixture
def exploitation(url_base: str, config: Path, horloge: HorlogeTest, tmp_path: Path) -> Iterator[Exploitation]:
    secrets = tmp_path / "secrets.yaml"
    shutil.copy(config / "developpement" / "secrets.yaml", secrets)
    secrets.chmod(0o600)
    exploitation = Exploitation(url_base, config, horloge, secrets)
    yield exploitation
    exploitation.arreter()
