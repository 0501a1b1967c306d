"""arbre du journal

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:15:50.192215
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('journal_checkpoints',
    sa.Column('taille', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('racine', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signe_le', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('taille', name=op.f('pk_journal_checkpoints'))
    )
    op.create_table('journal_integration',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('taille', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_integration'))
    )
    op.execute(sa.text("INSERT INTO journal_integration (id, taille) VALUES (1, 0)"))
    op.create_table('journal_noeuds',
    sa.Column('niveau', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('niveau', 'index', name=op.f('pk_journal_noeuds'))
    )


def downgrade() -> None:
    op.drop_table('journal_noeuds')
    op.drop_table('journal_integration')
    op.drop_table('journal_checkpoints')
