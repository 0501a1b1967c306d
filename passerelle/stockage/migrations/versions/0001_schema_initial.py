"""schema initial: messages, nonces, idempotence, journal

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 18:07:49.743062
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotence',
    sa.Column('emetteur', sa.String(length=32), nullable=False),
    sa.Column('cle', sa.String(length=256), nullable=False),
    sa.Column('empreinte', sa.String(length=128), nullable=False),
    sa.Column('statut_http', sa.Integer(), nullable=False),
    sa.Column('corps', sa.LargeBinary(), nullable=False),
    sa.Column('entetes', sa.Text(), nullable=False),
    sa.Column('cree_le', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('emetteur', 'cle', name=op.f('pk_idempotence'))
    )
    op.create_table('journal',
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('horodatage', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entree', sa.LargeBinary(), nullable=False),
    sa.Column('decision', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('flux', sa.String(length=64), nullable=True),
    sa.Column('message_id', sa.String(length=36), nullable=True),
    sa.Column('organisme', sa.String(length=32), nullable=True),
    sa.Column('destinataire', sa.String(length=32), nullable=True),
    sa.Column('keyid', sa.String(length=128), nullable=True),
    sa.Column('agent', sa.String(length=256), nullable=True),
    sa.Column('robot', sa.String(length=64), nullable=True),
    sa.Column('nir_index', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('index', name=op.f('pk_journal'))
    )
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_destinataire'), ['destinataire'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_horodatage'), ['horodatage'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_nir_index'), ['nir_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_organisme'), ['organisme'], unique=False)

    op.create_table('journal_taille',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('taille', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_taille'))
    )
    # The journal starts empty; its single size row must exist before the first append.
    op.execute(sa.text("INSERT INTO journal_taille (id, taille) VALUES (1, 0)"))
    op.create_table('messages',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('flux', sa.String(length=64), nullable=False),
    sa.Column('emetteur', sa.String(length=32), nullable=False),
    sa.Column('destinataire', sa.String(length=32), nullable=False),
    sa.Column('keyid', sa.String(length=128), nullable=False),
    sa.Column('agent', sa.String(length=256), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('en_reponse_a', sa.String(length=36), nullable=True),
    sa.Column('nir_index', sa.String(length=64), nullable=True),
    sa.Column('empreinte', sa.String(length=128), nullable=False),
    sa.Column('recu_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statut', sa.String(length=16), nullable=False),
    sa.Column('acquitte_le', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acquitte_par', sa.String(length=256), nullable=True),
    sa.Column('contenu', sa.LargeBinary(), nullable=False),
    sa.Column('cle_chiffrement', sa.String(length=64), nullable=False),
    sa.Column('journal_index', sa.BigInteger(), nullable=False),
    sa.Column('regles_version', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_messages')),
    sa.UniqueConstraint('id', name=op.f('uq_messages_id'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_boite', ['destinataire', 'statut', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_en_reponse_a'), ['en_reponse_a'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_nir_index'), ['nir_index'], unique=False)

    op.create_table('nonces',
    sa.Column('keyid', sa.String(length=128), nullable=False),
    sa.Column('nonce', sa.String(length=256), nullable=False),
    sa.Column('expire_le', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('keyid', 'nonce', name=op.f('pk_nonces'))
    )
    with op.batch_alter_table('nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonces_expire_le'), ['expire_le'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonces_expire_le'))

    op.drop_table('nonces')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_nir_index'))
        batch_op.drop_index(batch_op.f('ix_messages_en_reponse_a'))
        batch_op.drop_index('ix_messages_boite')

    op.drop_table('messages')
    op.drop_table('journal_taille')
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_organisme'))
        batch_op.drop_index(batch_op.f('ix_journal_nir_index'))
        batch_op.drop_index(batch_op.f('ix_journal_message_id'))
        batch_op.drop_index(batch_op.f('ix_journal_horodatage'))
        batch_op.drop_index(batch_op.f('ix_journal_destinataire'))

    op.drop_table('journal')
    op.drop_table('idempotence')
