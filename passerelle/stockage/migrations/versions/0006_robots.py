"""robots: débit des assistants digitaux (annexe 2); convention de chaque message (minimisation)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:17:23.130968
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('debit_robots',
    sa.Column('robot', sa.String(length=64), nullable=False),
    sa.Column('minute', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('requetes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('robot', 'minute', name=op.f('pk_debit_robots'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('convention', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('convention')

    op.drop_table('debit_robots')
