"""livraisons (outbox transactionnelle, mode de remise) et lots (reprise par clé de lot)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:25:06.856679
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('livraisons',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('destinataire', sa.String(length=32), nullable=False),
    sa.Column('connecteur', sa.String(length=32), nullable=False),
    sa.Column('statut', sa.String(length=16), nullable=False),
    sa.Column('tentatives', sa.Integer(), nullable=False),
    sa.Column('prochaine_tentative', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bail_jusqu_a', sa.DateTime(timezone=True), nullable=True),
    sa.Column('derniere_erreur', sa.String(length=512), nullable=True),
    sa.Column('livre_le', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accuse', sa.String(length=256), nullable=True),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_livraisons'))
    )
    with op.batch_alter_table('livraisons', schema=None) as batch_op:
        batch_op.create_index('ix_livraisons_a_faire', ['statut', 'prochaine_tentative'], unique=False)
        batch_op.create_index('ix_livraisons_destinataire_statut', ['destinataire', 'statut'], unique=False)

    op.create_table('lots',
    sa.Column('emetteur', sa.String(length=32), nullable=False),
    sa.Column('cle', sa.String(length=256), nullable=False),
    sa.Column('flux', sa.String(length=64), nullable=False),
    sa.Column('empreinte', sa.String(length=128), nullable=False),
    sa.Column('lignes_traitees', sa.BigInteger(), nullable=False),
    sa.Column('acceptees', sa.BigInteger(), nullable=False),
    sa.Column('refusees', sa.BigInteger(), nullable=False),
    sa.Column('termine', sa.Boolean(), nullable=False),
    sa.Column('cree_le', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modifie_le', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('emetteur', 'cle', name=op.f('pk_lots'))
    )
    op.create_table('lots_resultats',
    sa.Column('emetteur', sa.String(length=32), nullable=False),
    sa.Column('cle', sa.String(length=256), nullable=False),
    sa.Column('tranche', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('resultats', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('emetteur', 'cle', 'tranche', name=op.f('pk_lots_resultats'))
    )
    # The same Idempotency-Key and body sent to another flux is a different request.
    with op.batch_alter_table('idempotence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flux', sa.String(length=64), server_default='', nullable=False))

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remise', sa.String(length=32), server_default='boite', nullable=False))
        batch_op.drop_index(batch_op.f('ix_messages_boite'))
        batch_op.create_index('ix_messages_boite_remise', ['destinataire', 'remise', 'statut', 'seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('idempotence', schema=None) as batch_op:
        batch_op.drop_column('flux')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_boite_remise')
        batch_op.create_index(batch_op.f('ix_messages_boite'), ['destinataire', 'statut', 'seq'], unique=False)
        batch_op.drop_column('remise')

    op.drop_table('lots_resultats')
    op.drop_table('lots')
    with op.batch_alter_table('livraisons', schema=None) as batch_op:
        batch_op.drop_index('ix_livraisons_destinataire_statut')
        batch_op.drop_index('ix_livraisons_a_faire')

    op.drop_table('livraisons')
