"""Staff users and customers have a language (issue #14): a staff user's screens, a customer's emails, invoices and
portal; empty means the settings' default language.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('users', 'customers'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    for table in ('customers', 'users'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('language')
