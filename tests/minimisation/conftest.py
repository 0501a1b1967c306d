"""The directory is re-read at every request, so a robot or key added by a test is seen at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def annuaire_relu_a_chaque_requete(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_RELECTURE_ANNUAIRE", "0")
    yield
