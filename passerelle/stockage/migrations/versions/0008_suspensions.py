"""suspensions: les conventions suspendues sur manquement (art. 3.3), lues par chaque instance

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('suspensions',
    sa.Column('convention', sa.String(length=64), nullable=False),
    sa.Column('suspendue_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('motif', sa.String(length=500), nullable=False),
    sa.Column('par', sa.String(length=256), nullable=False),
    sa.Column('organisme', sa.String(length=64), nullable=True),
    sa.Column('journal_index', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('convention', name=op.f('pk_suspensions'))
    )


def downgrade() -> None:
    op.drop_table('suspensions')
