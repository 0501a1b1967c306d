"""Settings: one object built at start-up and passed down; no module reads the environment."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(str, Enum):
    developpement = "developpement"
    production = "production"


class Reglages(BaseSettings):
    """Everything an operator may set, as ``PASSERELLE_<NAME>`` environment variables.

    The default mode is production, so that forgetting a setting fails closed: the example
    configuration (whose keys are development keys) only runs when development mode is asked for.
    """

    model_config = SettingsConfigDict(env_prefix="PASSERELLE_", extra="ignore")

    mode: Mode = Mode.production
    base: str = Field(
        default="sqlite:///passerelle.db",
        description="SQLAlchemy URL: sqlite:///chemin.db or postgresql+psycopg://hote/base",
    )
    config: Path = Field(default=Path("config"), description="configuration directory")
    secrets: Path | None = Field(
        default=None,
        description="secrets file (gateway keys, blind-index key, encryption keys); "
        "defaults to <config>/developpement/secrets.yaml in development mode only",
    )
    fenetre_signature: int = Field(default=300, ge=1, description="max age of `created`, seconds")
    derive_horloge: int = Field(default=5, ge=0, description="tolerated clock skew, seconds")
    taille_max_corps: int = Field(default=1_048_576, ge=1024, description="bytes")
    boite_limite_max: int = Field(default=100, ge=1)
    relecture_annuaire: float = Field(
        default=1.0, ge=0, description="seconds between checks of the directory files for changes"
    )
    hote: str = "127.0.0.1"
    port: int = 8000

    @property
    def developpement(self) -> bool:
        return self.mode is Mode.developpement

    def chemin_secrets(self) -> Path:
        if self.secrets is not None:
            return self.secrets
        return self.config / "developpement" / "secrets.yaml"
