"""cosignatures des témoins du journal (C2SP tlog-cosignature)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 15:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'journal_cosignatures',
        sa.Column('taille', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('temoin', sa.String(length=256), nullable=False),
        sa.Column('cle', sa.String(length=512), nullable=False),
        sa.Column('ligne', sa.Text(), nullable=False),
        sa.Column('recue_le', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('taille', 'temoin'),
    )


def downgrade() -> None:
    op.drop_table('journal_cosignatures')
