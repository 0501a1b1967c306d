"""auditeurs: comptes, sessions de la console, index de recherche du journal

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:19:09.641449
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auditeurs',
    sa.Column('identifiant', sa.String(length=64), nullable=False),
    sa.Column('nom', sa.String(length=256), nullable=False),
    sa.Column('tous', sa.Boolean(), nullable=False),
    sa.Column('organismes', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=256), nullable=False),
    sa.Column('actif', sa.Boolean(), nullable=False),
    sa.Column('cree_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('desactive_le', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('identifiant', name=op.f('pk_auditeurs'))
    )
    op.create_table('auditeurs_sessions',
    sa.Column('empreinte', sa.String(length=64), nullable=False),
    sa.Column('auditeur', sa.String(length=64), nullable=False),
    sa.Column('cree_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expire_le', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('empreinte', name=op.f('pk_auditeurs_sessions'))
    )
    with op.batch_alter_table('auditeurs_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditeurs_sessions_auditeur'), ['auditeur'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditeurs_sessions_expire_le'), ['expire_le'], unique=False)

    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index('ix_journal_agent_index', ['agent', 'index'], unique=False)
        batch_op.create_index('ix_journal_destinataire_index', ['destinataire', 'index'], unique=False)
        batch_op.create_index('ix_journal_nir_index_index', ['nir_index', 'index'], unique=False)
        batch_op.create_index('ix_journal_organisme_index', ['organisme', 'index'], unique=False)
        batch_op.create_index('ix_journal_robot_index', ['robot', 'index'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_robot_index')
        batch_op.drop_index('ix_journal_organisme_index')
        batch_op.drop_index('ix_journal_nir_index_index')
        batch_op.drop_index('ix_journal_destinataire_index')
        batch_op.drop_index('ix_journal_agent_index')

    with op.batch_alter_table('auditeurs_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditeurs_sessions_expire_le'))
        batch_op.drop_index(batch_op.f('ix_auditeurs_sessions_auditeur'))

    op.drop_table('auditeurs_sessions')
    op.drop_table('auditeurs')
