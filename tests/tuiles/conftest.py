"""The logs of these tests go to the stderr of the test that runs, whatever an earlier command
test left configured (a CLI run under CliRunner configures structlog on its own, soon closed,
stream; a logger first used afterwards would write to a closed file)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from passerelle.observabilite import configurer_logs


@pytest.fixture(autouse=True)
def logs_sur_le_stderr_courant() -> Iterator[None]:
    configurer_logs()
    yield
    structlog.reset_defaults()
    configurer_logs()
