"""Texts the app stores for later reading (order timeline entries, notifications, its own notes on requests, audit
summaries) keep their msgid and values beside the English text, so each reader sees them in their language.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    'order_events': 'text',
    'notifications': 'text',
    'ticket_messages': 'body',
    'audit_log': 'summary',
}


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of the table): audit_log's search triggers on SQLite stay as they are
    for table, name in COLUMNS.items():
        op.add_column(table, sa.Column(f'{name}_key', sa.String(length=500), nullable=True))
        op.add_column(table, sa.Column(f'{name}_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    for table, name in COLUMNS.items():
        op.drop_column(table, f'{name}_params')  # SQLite 3.35+ drops a column in place
        op.drop_column(table, f'{name}_key')
