"""Alembic migrations of the notary database; run them with `notary.store.migrate.upgrade`."""
