"""conservation et cycle des clés: clé de données enveloppée par message, purge, clé d'index aveugle

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cle_donnees', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('nir_cle', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('purge_le', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_messages_a_purger', ['purge_le', 'statut', 'acquitte_le'], unique=False)
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nir_cle', sa.String(length=64), nullable=True))
    with op.batch_alter_table('idempotence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotence_cree_le'), ['cree_le'], unique=False)
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_modifie_le'), ['modifie_le'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_modifie_le'))
    with op.batch_alter_table('idempotence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotence_cree_le'))
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('nir_cle')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_a_purger')
        batch_op.drop_column('purge_le')
        batch_op.drop_column('nir_cle')
        batch_op.drop_column('cle_donnees')
