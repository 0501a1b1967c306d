"""The migrations build exactly the schema the code describes, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from passerelle.stockage.base import migrer, ouvrir
from passerelle.stockage.chiffrement import Coffre
from passerelle.stockage.tables import metadata


def test_migrations_conformes_aux_tables(url_base: str) -> None:
    moteur = ouvrir(url_base)
    try:
        migrer(moteur)
        migrer(moteur)  # idempotent: every start runs it
        with moteur.connect() as connexion:
            differences = compare_metadata(MigrationContext.configure(connexion), metadata)
        assert differences == [], "tables.py et les migrations divergent: écrire une migration"
    finally:
        moteur.dispose()


def test_sqlite_durable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    moteur = ouvrir(f"sqlite:///{tmp_path / 'd.db'}")
    with moteur.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    moteur.dispose()


def test_chiffrement_rotation_et_liaison_a_la_ligne() -> None:
    ancienne = Coffre({"k1": b"\x01" * 32}, "k1")
    chiffre = ancienne.chiffrer(b'{"nir": "x"}', b"message-1")
    rotation = Coffre({"k1": b"\x01" * 32, "k2": b"\x02" * 32}, "k2")
    assert rotation.dechiffrer(chiffre, b"message-1") == b'{"nir": "x"}'
    assert rotation.chiffrer(b"y", b"m").cle == "k2"
    import pytest
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        rotation.dechiffrer(chiffre, b"message-2")  # swapped into another row


def test_migrations_concurrentes(url_base: str) -> None:
    """Replicas starting at the same time on an empty database: all start, one migrates."""
    from concurrent.futures import ThreadPoolExecutor

    moteurs = [ouvrir(url_base) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(migrer, moteurs))
        with moteurs[0].connect() as connexion:
            assert connexion.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        for moteur in moteurs:
            moteur.dispose()
