"""Alembic environment. The engine comes from the caller (ioc.migrate) or from IOC_* settings."""

from __future__ import annotations

from alembic import context

from ioc.db import Base, make_engine
from ioc.modules import import_all_models

import_all_models()
target_metadata = Base.metadata


def _engine():  # type: ignore[no-untyped-def]
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    from ioc.config import Settings

    return make_engine(Settings().resolved_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
