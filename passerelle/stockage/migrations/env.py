"""Alembic environment: the engine (or the connection holding the migration lock) is handed in
by ``passerelle.stockage.base.migrer``."""

from alembic import context

from passerelle.stockage.tables import metadata

donnee = context.config.attributes.get("connexion")


def _migrer(connexion) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connexion, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connexion.commit()


if donnee is not None:
    _migrer(donnee)
else:
    with context.config.attributes["moteur"].connect() as connexion:
        _migrer(connexion)
