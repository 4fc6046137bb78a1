"""Alembic environment: migrates the connection handed in by `backoffice.db.migrate`, or the configured database
(the core's revisions and every installed extension's branch)."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import backoffice.models  # noqa: F401  (registers every table on the metadata)
from backoffice import extensions
from backoffice.db import get_engine
from backoffice.listing.search import include_name

extensions.import_models()  # the installed extensions' tables too (their migrations are version locations)
target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == 'sqlite',  # SQLite alters tables by copying them
        compare_type=True,
        include_name=include_name,  # SQLite's FTS5 search tables are made by hand, not from the models
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get('connection')
if connection is not None:
    run_migrations(connection)
else:
    with get_engine().begin() as connection:
        run_migrations(connection)
