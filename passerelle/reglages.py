"""Settings: one object built at start-up and passed down; no module reads the environment."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path

from pydantic import Field, model_validator
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
    base_delai_connexion: int = Field(
        default=5, ge=2, le=120, description="seconds to establish a PostgreSQL connection (libpq connect_timeout)"
    )
    base_delai_instruction: float = Field(
        default=30.0, ge=0, le=3600,
        description="seconds a PostgreSQL statement may run (statement_timeout; 0: no limit)",
    )
    base_delai_verrou: float = Field(
        default=10.0, ge=0, le=3600,
        description="seconds a statement may wait for a lock (PostgreSQL lock_timeout, SQLite busy timeout; "
        "0: no limit on PostgreSQL)",
    )
    base_attente_connexion: float = Field(
        default=10.0, gt=0, le=600, description="seconds a request waits for a free connection of the pool"
    )
    base_delai_reseau: float = Field(
        default=20.0, ge=2, le=3600,
        description="seconds before an open PostgreSQL connection whose peer went silent is dropped "
        "(TCP keepalives and tcp_user_timeout)",
    )
    sante_delai: float = Field(
        default=1.5, gt=0, le=30, description="seconds /sante/disponibilite waits for the database before answering 503"
    )
    arret_delai: float = Field(
        default=20.0, ge=0, le=3600,
        description="seconds a stopping server (SIGTERM) lets the requests in flight finish before cutting them",
    )
    fenetre_signature: int = Field(default=300, ge=1, description="max age of `created`, seconds")
    derive_horloge: int = Field(default=5, ge=0, description="tolerated clock skew, seconds")
    taille_max_corps: int = Field(default=1_048_576, ge=1024, description="bytes")
    boite_limite_max: int = Field(default=100, ge=1)
    taille_max_lot: int = Field(default=1024 * 1024 * 1024, ge=1024, description="bytes of one batch")
    lot_tranche: int = Field(default=500, ge=1, description="batch lines committed per transaction")
    groupe_max: int = Field(
        default=64, ge=1, description="single messages committed together at most (group commit; 1 = one commit each)"
    )
    relecture_annuaire: float = Field(
        default=1.0, ge=0, description="seconds between checks of the directory files for changes"
    )
    livraison_tentatives_max: int = Field(default=10, ge=1, description="attempts before a dead letter")
    livraison_delai_base: float = Field(default=2.0, gt=0, description="first retry delay, seconds (doubles)")
    livraison_delai_max: float = Field(default=3600.0, gt=0, description="retry delay cap, seconds")
    livraison_bail: float = Field(default=120.0, gt=0, description="lease of a claimed delivery, seconds")
    livraison_intervalle: float = Field(default=0.5, gt=0, description="idle wait of the delivery worker")
    livraison_lot: int = Field(default=200, ge=1, description="deliveries claimed per round")
    echeances_intervalle: float = Field(default=5.0, gt=0, description="seconds between deadline rounds when idle")
    accuses_intervalle: float = Field(default=60.0, gt=0, description="seconds between reads of acknowledgement files")
    consultation_delai: float = Field(
        default=10.0, gt=0, le=120, description="seconds a synchronous consultation waits for the destination (then 504)"
    )
    delais_fenetre_jours: int = Field(
        default=90, ge=1, description="governance metrics (/metrics): cases opened in the last N days"
    )
    delais_cache: float = Field(
        default=30.0, ge=0, description="seconds the governance metrics are reused between scrapes (0: always recomputed)"
    )
    dossier_lots: Path | None = Field(
        default=None,
        description="spool directory of batch bodies and answers (encrypted, removed after use); "
        "default: <system temporary directory>/passerelle-lots-<uid>",
    )
    purge_intervalle: float = Field(
        default=3600.0, gt=0, description="seconds between purge rounds (config/regles/conservation.yaml)"
    )
    purge_lot: int = Field(default=500, ge=1, description="messages purged per transaction")
    rotation_lot: int = Field(
        default=500, ge=1, description="rows re-encrypted or re-indexed per transaction after a key rotation"
    )
    rotation_pause: float = Field(
        default=0.2, ge=0, description="seconds the background re-encryption waits between two transactions"
    )
    travaux_de_fond: bool = Field(
        default=True, description="run the delivery worker, sequencer and purges inside the server process"
    )
    # The HTTP server (passerelle/serveur/): what a connection may cost before the application
    # sees anything. Checked while the bytes arrive, before any parsing of a signature.
    taille_max_entetes: int = Field(
        default=16_384, ge=1024, le=1_048_576,
        description="bytes of the request line and headers of one request (then 431)",
    )
    entetes_max: int = Field(default=100, ge=10, le=10_000, description="header fields of one request (then 431)")
    taille_max_url: int = Field(
        default=8192, ge=256, description="bytes of the request target, path and query (then 414)"
    )
    delai_entetes: float = Field(
        default=10.0, gt=0, le=600, description="seconds to receive a whole request line and headers (then 408)"
    )
    delai_corps: float = Field(
        default=60.0, gt=0, le=3600,
        description="seconds without a byte while a request body is expected (then 408); an idle timeout, not a total",
    )
    hote: str = "127.0.0.1"
    port: int = 8000
    origine_journal: str = Field(
        default="passerelle.exemple/journal",
        pattern=r"^[\x21-\x2a\x2c-\x7e]+$",
        description="origin line of the journal's checkpoints and name of their note key (C2SP "
        "tlog-checkpoint); MUST be set per deployment to a name no other log uses, e.g. "
        "passerelle.cnaf.fr/journal — changing it later starts a different log for verifiers",
    )
    checkpoint_toutes_entrees: int = Field(
        default=1000, ge=1, description="sign a checkpoint once this many entries are integrated"
    )
    checkpoint_toutes_secondes: float = Field(
        default=10.0, gt=0, description="or once this many seconds have passed since the last one"
    )
    sequenceur_intervalle: float = Field(
        default=1.0, ge=0, description="seconds between sequencer runs; 0 disables the background sequencer"
    )
    sequenceur_lot: int = Field(default=10_000, ge=1, description="max entries integrated per transaction")
    console_cookie_securise: bool | None = Field(
        default=None,
        description="Secure flag of the auditors' console cookies (HTTPS only); default: on, "
        "except in development mode",
    )
    # Demonstration only (passerelle/demo/horloge.py): refused outside development mode.
    horloge_demo_debut: datetime | None = Field(
        default=None, description="DEMO, development mode only: simulated instant the accelerated clock reads at "
        "horloge_demo_origine (technical durations are then scaled by the factor)"
    )
    horloge_demo_facteur: float = Field(default=1.0, ge=1.0, le=1e8, description="DEMO: simulated seconds per real second")
    horloge_demo_origine: float | None = Field(
        default=None, description="DEMO: real Unix instant at which the clock reads horloge_demo_debut (default: start)"
    )

    @model_validator(mode="after")
    def _url_dans_les_entetes(self) -> Reglages:
        if self.taille_max_url >= self.taille_max_entetes:
            raise ValueError("taille_max_url doit être inférieure à taille_max_entetes (la cible fait partie de l'en-tête)")
        return self

    @property
    def developpement(self) -> bool:
        return self.mode is Mode.developpement

    def chemin_lots(self) -> Path:
        if self.dossier_lots is not None:
            return self.dossier_lots
        import os
        import tempfile

        return Path(tempfile.gettempdir()) / f"passerelle-lots-{os.getuid()}"

    def chemin_secrets(self) -> Path:
        if self.secrets is not None:
            return self.secrets
        return self.config / "developpement" / "secrets.yaml"
