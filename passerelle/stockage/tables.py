"""The tables, as SQLAlchemy Core metadata: the single description of what is stored.

Alembic migrations in ``migrations/`` create the same schema; a test compares the two.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
Sequence = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Horodatage = sa.DateTime(timezone=True)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("seq", Sequence, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("flux", sa.String(64), nullable=False),
    sa.Column("emetteur", sa.String(32), nullable=False),
    sa.Column("destinataire", sa.String(32), nullable=False),
    sa.Column("keyid", sa.String(128), nullable=False),
    sa.Column("agent", sa.String(256), nullable=False),
    sa.Column("reference", sa.String(64)),
    sa.Column("en_reponse_a", sa.String(36), index=True),
    sa.Column("nir_index", sa.String(64), index=True),
    sa.Column("empreinte", sa.String(128), nullable=False),
    sa.Column("recu_le", Horodatage, nullable=False),
    sa.Column("statut", sa.String(16), nullable=False),
    sa.Column("acquitte_le", Horodatage),
    sa.Column("acquitte_par", sa.String(256)),
    sa.Column("contenu", sa.LargeBinary, nullable=False),
    sa.Column("cle_chiffrement", sa.String(64), nullable=False),
    sa.Column("journal_index", sa.BigInteger, nullable=False),
    sa.Column("regles_version", sa.String(64)),
    sa.Index("ix_messages_boite", "destinataire", "statut", "seq"),
)

nonces = sa.Table(
    "nonces",
    metadata,
    sa.Column("keyid", sa.String(128), primary_key=True),
    sa.Column("nonce", sa.String(256), primary_key=True),
    sa.Column("expire_le", sa.BigInteger, nullable=False, index=True),
)

idempotence = sa.Table(
    "idempotence",
    metadata,
    sa.Column("emetteur", sa.String(32), primary_key=True),
    sa.Column("cle", sa.String(256), primary_key=True),
    sa.Column("empreinte", sa.String(128), nullable=False),
    sa.Column("statut_http", sa.Integer, nullable=False),
    sa.Column("corps", sa.LargeBinary, nullable=False),
    sa.Column("entetes", sa.Text, nullable=False),
    sa.Column("cree_le", Horodatage, nullable=False),
)

journal = sa.Table(
    "journal",
    metadata,
    sa.Column("index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("horodatage", Horodatage, nullable=False, index=True),
    sa.Column("entree", sa.LargeBinary, nullable=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("code", sa.String(64)),
    sa.Column("flux", sa.String(64)),
    sa.Column("message_id", sa.String(36), index=True),
    sa.Column("organisme", sa.String(32), index=True),
    sa.Column("destinataire", sa.String(32), index=True),
    sa.Column("keyid", sa.String(128)),
    sa.Column("agent", sa.String(256)),
    sa.Column("robot", sa.String(64)),
    sa.Column("nir_index", sa.String(64), index=True),
)

# One row, the number of journal entries: updating it serialises journal appends so leaf indices
# are dense and in commit order, as the Merkle tree needs (a sequence would leave gaps).
journal_taille = sa.Table(
    "journal_taille",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("taille", sa.BigInteger, nullable=False),
)

# The Merkle tree of the journal (RFC 9162), kept by the sequencer: every complete subtree hash,
# leaves at level 0. A node never changes once complete, so proofs at any past size read only
# stored rows (O(log n) reads).
journal_noeuds = sa.Table(
    "journal_noeuds",
    metadata,
    sa.Column("niveau", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)

# How many journal entries are integrated into the tree (one row, id = 1).
journal_integration = sa.Table(
    "journal_integration",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("taille", sa.BigInteger, nullable=False),
)

# Every signed checkpoint (C2SP signed note), by tree size.
journal_checkpoints = sa.Table(
    "journal_checkpoints",
    metadata,
    sa.Column("taille", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("racine", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("signe_le", Horodatage, nullable=False),
)
