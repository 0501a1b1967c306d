"""dossiers: les demandes qui attendent une réponse dans un délai (échéances, rappels)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:09:20.795626
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('dossiers',
    sa.Column('demande_id', sa.String(length=36), nullable=False),
    sa.Column('flux_demande', sa.String(length=64), nullable=False),
    sa.Column('flux_reponse', sa.String(length=64), nullable=False),
    sa.Column('demandeur', sa.String(length=32), nullable=False),
    sa.Column('repondant', sa.String(length=32), nullable=False),
    sa.Column('convention', sa.String(length=64), nullable=False),
    sa.Column('ouvert_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('echeance', sa.DateTime(timezone=True), nullable=False),
    sa.Column('a_echeance', sa.String(length=16), nullable=False),
    sa.Column('rappels', sa.Text(), nullable=False),
    sa.Column('rappels_envoyes', sa.Integer(), nullable=False),
    sa.Column('statut', sa.String(length=16), nullable=False),
    sa.Column('prochain_evenement', sa.DateTime(timezone=True), nullable=True),
    sa.Column('nir_index', sa.String(length=64), nullable=True),
    sa.Column('reponse_id', sa.String(length=36), nullable=True),
    sa.Column('repondu_le', sa.DateTime(timezone=True), nullable=True),
    sa.Column('repondu_en_retard', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('demande_id', name=op.f('pk_dossiers'))
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index('ix_dossiers_a_traiter', ['statut', 'prochain_evenement'], unique=False)
        batch_op.create_index('ix_dossiers_delais', ['repondant', 'flux_demande', 'ouvert_le'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index('ix_dossiers_delais')
        batch_op.drop_index('ix_dossiers_a_traiter')

    op.drop_table('dossiers')

