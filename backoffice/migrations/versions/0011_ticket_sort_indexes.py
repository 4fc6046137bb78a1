"""Keyset indexes for sorting the requests list by subject, priority, status and type (each with the id as the
tie-breaker), so a sorted page stays an index walk at 100,000 requests; and the Bugs queue (type, newest first).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('subject', 'priority', 'status', 'type')


def upgrade() -> None:
    # plain CREATE INDEX, not batch mode: a batch alter would copy `tickets` and drop its search triggers
    for column in COLUMNS:
        op.create_index(f'ix_tickets_{column}_id', 'tickets', [column, 'id'])
    op.create_index('ix_tickets_type_updated', 'tickets', ['type', 'updated_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_tickets_type_updated', table_name='tickets')
    for column in COLUMNS:
        op.drop_index(f'ix_tickets_{column}_id', table_name='tickets')
