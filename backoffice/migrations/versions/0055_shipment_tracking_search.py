"""shipments: an index on lower(tracking_number), so that the Orders list and the header's search find an order by its
parcel's tracking number (exact, or its first characters) without reading every shipment: SQLite reads it for a
range, PostgreSQL for LIKE 'x%' (text_pattern_ops, as 0017's prefix indexes).

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0055'
down_revision: str | None = '0054'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain CREATE INDEX, not batch mode (which would copy the table)
    ops = ' text_pattern_ops' if op.get_bind().dialect.name == 'postgresql' else ''
    op.execute(f'CREATE INDEX ix_shipments_tracking_lower ON shipments (lower(tracking_number){ops})')


def downgrade() -> None:
    op.execute('DROP INDEX IF EXISTS ix_shipments_tracking_lower')
