"""A request can be snoozed until a date: it leaves the open queues until then (or until the customer writes), and
comes back by itself, its agent told. Who snoozed it is kept, to tell them when it has no assignee: a plain id, no
foreign key (adding one copies the table on SQLite, which its search view forbids; the service checks the user).

Revision ID: 0079
Revises: 0078
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0079'
down_revision: str | None = '0078'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('snoozed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('snoozed_by_id', sa.Integer(), nullable=True))
        batch.create_index('ix_tickets_snoozed_until', ['snoozed_until', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_index('ix_tickets_snoozed_until')
        batch.drop_column('snoozed_by_id')
        batch.drop_column('snoozed_until')
