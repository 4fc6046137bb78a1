"""A migration test's step: the database of `engine` moved by Alembic up (or down) to one revision, as
`python -m backoffice migrate` would, within one transaction."""

from __future__ import annotations

from alembic import command
from sqlalchemy.engine import Engine

from backoffice import db


def migrate_to(engine: Engine, target: str, *, down: bool = False) -> None:
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        (command.downgrade if down else command.upgrade)(config, target)
