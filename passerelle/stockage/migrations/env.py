"""Alembic environment: the engine is handed in by ``passerelle.stockage.base.migrer``."""

from alembic import context

from passerelle.stockage.tables import metadata

moteur = context.config.attributes["moteur"]
with moteur.connect() as connexion:
    context.configure(connection=connexion, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connexion.commit()
