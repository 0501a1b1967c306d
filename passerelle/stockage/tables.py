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
    # How the destination receives it: "boite" (it pulls) or the push connector's type.
    sa.Column("remise", sa.String(32), nullable=False, server_default="boite"),
    sa.Column("acquitte_le", Horodatage),
    sa.Column("acquitte_par", sa.String(256)),
    sa.Column("contenu", sa.LargeBinary, nullable=False),
    sa.Column("cle_chiffrement", sa.String(64), nullable=False),
    # The message's own data key, wrapped by the at-rest key ``cle_chiffrement`` (stockage/
    # chiffrement.py); None for rows written before envelopes, and once purged (crypto-shredding).
    sa.Column("cle_donnees", sa.LargeBinary),
    sa.Column("journal_index", sa.BigInteger, nullable=False),
    sa.Column("regles_version", sa.String(64)),
    # The convention under which it was accepted: what each receiving profile may read of it
    # (minimisation) is that convention's habilitation (passerelle/habilitations/minimisation.py).
    sa.Column("convention", sa.String(64)),
    # Which blind-index key computed ``nir_index`` (None: written before key ids existed).
    sa.Column("nir_cle", sa.String(64)),
    # When its payload was destroyed (conservation/purge.py); its metadata and history remain.
    sa.Column("purge_le", Horodatage),
    sa.Index("ix_messages_boite_remise", "destinataire", "remise", "statut", "seq"),
    # The purge's candidates: not yet purged, acknowledged or delivered, oldest first.
    sa.Index("ix_messages_a_purger", "purge_le", "statut", "acquitte_le"),
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
    sa.Column("flux", sa.String(64), nullable=False, server_default=""),
    sa.Column("empreinte", sa.String(128), nullable=False),
    sa.Column("statut_http", sa.Integer, nullable=False),
    sa.Column("corps", sa.LargeBinary, nullable=False),
    sa.Column("entetes", sa.Text, nullable=False),
    sa.Column("cree_le", Horodatage, nullable=False, index=True),
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

# The witnesses' cosignatures of our checkpoints (C2SP tlog-cosignature), one line per witness
# and size: the checkpoint is published with them (passerelle/temoin/, docs/temoins.md).
journal_cosignatures = sa.Table(
    "journal_cosignatures",
    metadata,
    sa.Column("taille", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("temoin", sa.String(256), primary_key=True),
    sa.Column("cle", sa.String(512), nullable=False),
    sa.Column("ligne", sa.Text, nullable=False),
    sa.Column("recue_le", Horodatage, nullable=False),
)

# Keyset search of the journal by auditors (passerelle/journal/recherche.py): each criterion that
# may stand alone gets a (column, index) index, so "the latest entries about X" is a short
# descending index range scan, never a sort of every entry about X.
sa.Index("ix_journal_nir_index_index", journal.c.nir_index, journal.c.index)
sa.Index("ix_journal_organisme_index", journal.c.organisme, journal.c.index)
sa.Index("ix_journal_destinataire_index", journal.c.destinataire, journal.c.index)
sa.Index("ix_journal_agent_index", journal.c.agent, journal.c.index)
sa.Index("ix_journal_robot_index", journal.c.robot, journal.c.index)

# Auditors' accounts: the secret is stored only as a scrypt hash; ``tous`` must be set explicitly
# for an auditor to see every organisme, otherwise ``organismes`` (comma-separated) is the scope.
auditeurs = sa.Table(
    "auditeurs",
    metadata,
    sa.Column("identifiant", sa.String(64), primary_key=True),
    sa.Column("nom", sa.String(256), nullable=False),
    sa.Column("tous", sa.Boolean, nullable=False),
    sa.Column("organismes", sa.Text, nullable=False),
    sa.Column("secret", sa.String(256), nullable=False),
    sa.Column("actif", sa.Boolean, nullable=False),
    sa.Column("cree_le", Horodatage, nullable=False),
    sa.Column("desactive_le", Horodatage),
)

# Console sessions, by a keyed digest of the session id (the cookie alone opens nothing once the
# row is gone: logout and deactivation end a session at once, on every replica).
auditeurs_sessions = sa.Table(
    "auditeurs_sessions",
    metadata,
    sa.Column("empreinte", sa.String(64), primary_key=True),
    sa.Column("auditeur", sa.String(64), nullable=False, index=True),
    sa.Column("cree_le", Horodatage, nullable=False),
    sa.Column("expire_le", Horodatage, nullable=False, index=True),
)

# Transactional outbox: one row per message to push to a destination system, written in the
# accept transaction. A worker claims rows with a lease (several replicas: SKIP LOCKED), delivers
# outside any transaction, then records the outcome; a crash between the two only re-delivers,
# and receivers dedupe by message id.
livraisons = sa.Table(
    "livraisons",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("destinataire", sa.String(32), nullable=False),
    sa.Column("connecteur", sa.String(32), nullable=False),
    sa.Column("statut", sa.String(16), nullable=False),
    sa.Column("tentatives", sa.Integer, nullable=False),
    sa.Column("prochaine_tentative", Horodatage, nullable=False),
    sa.Column("bail_jusqu_a", Horodatage),
    sa.Column("derniere_erreur", sa.String(512)),
    sa.Column("livre_le", Horodatage),
    sa.Column("accuse", sa.String(256)),
    sa.Index("ix_livraisons_a_faire", "statut", "prochaine_tentative"),
    sa.Index("ix_livraisons_destinataire_statut", "destinataire", "statut"),
)

# Batches (``POST /v1/lots/{flux}``), by the sender's batch key: how far processing went, so
# that the same batch sent again after a cut resumes where it stopped and no line counts twice.
lots = sa.Table(
    "lots",
    metadata,
    sa.Column("emetteur", sa.String(32), primary_key=True),
    sa.Column("cle", sa.String(256), primary_key=True),
    sa.Column("flux", sa.String(64), nullable=False),
    sa.Column("empreinte", sa.String(128), nullable=False),
    sa.Column("lignes_traitees", sa.BigInteger, nullable=False),
    sa.Column("acceptees", sa.BigInteger, nullable=False),
    sa.Column("refusees", sa.BigInteger, nullable=False),
    sa.Column("termine", sa.Boolean, nullable=False),
    sa.Column("cree_le", Horodatage, nullable=False),
    sa.Column("modifie_le", Horodatage, nullable=False, index=True),
)

# Per-line results of a batch, a compressed NDJSON slice per committed chunk.
lots_resultats = sa.Table(
    "lots_resultats",
    metadata,
    sa.Column("emetteur", sa.String(32), primary_key=True),
    sa.Column("cle", sa.String(256), primary_key=True),
    sa.Column("tranche", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("resultats", sa.LargeBinary, nullable=False),
)

# Cases of request/response flux (catalogue/dossiers.py): one per request expecting an answer
# within a delay. The worker finds due reminders and deadlines by (statut, prochain_evenement).
dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("demande_id", sa.String(36), primary_key=True),
    sa.Column("flux_demande", sa.String(64), nullable=False),
    sa.Column("flux_reponse", sa.String(64), nullable=False),
    sa.Column("demandeur", sa.String(32), nullable=False),
    sa.Column("repondant", sa.String(32), nullable=False),
    sa.Column("convention", sa.String(64), nullable=False),
    sa.Column("ouvert_le", Horodatage, nullable=False),
    sa.Column("echeance", Horodatage, nullable=False),
    sa.Column("a_echeance", sa.String(16), nullable=False),
    sa.Column("rappels", sa.Text, nullable=False),  # JSON list of RFC 3339 instants
    sa.Column("rappels_envoyes", sa.Integer, nullable=False),
    sa.Column("statut", sa.String(16), nullable=False),
    sa.Column("prochain_evenement", Horodatage),
    sa.Column("nir_index", sa.String(64)),
    sa.Column("nir_cle", sa.String(64)),  # blind-index key of nir_index, as for messages
    sa.Column("reponse_id", sa.String(36)),
    sa.Column("repondu_le", Horodatage),
    sa.Column("repondu_en_retard", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_dossiers_a_traiter", "statut", "prochain_evenement"),
    sa.Index("ix_dossiers_delais", "repondant", "flux_demande", "ouvert_le"),
)

# Annex 2's human-like rate, shared by every replica: requests per robot per minute (epoch
# minute number), incremented atomically (INSERT ... ON CONFLICT DO UPDATE) in the request's
# transaction; a robot's old minutes are purged when it opens a new one (stockage/compteurs.py).
debit_robots = sa.Table(
    "debit_robots",
    metadata,
    sa.Column("robot", sa.String(64), primary_key=True),
    sa.Column("minute", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("requetes", sa.Integer, nullable=False),
)

# The conventions suspended now (art. 3.3: a party that fails its protection obligations may see
# its transfers stopped): one row per suspension in force, removed on resumption; the history is
# the journal's (convention_suspendue, convention_reprise). Every replica reads it at its
# directory reload interval (stockage/suspensions.py).
suspensions = sa.Table(
    "suspensions",
    metadata,
    sa.Column("convention", sa.String(64), primary_key=True),
    sa.Column("suspendue_le", Horodatage, nullable=False),
    sa.Column("motif", sa.String(500), nullable=False),
    sa.Column("par", sa.String(256), nullable=False),
    sa.Column("organisme", sa.String(64)),  # the administrator's organisme; NULL: the operator (CLI)
    sa.Column("journal_index", sa.BigInteger, nullable=False),
)
