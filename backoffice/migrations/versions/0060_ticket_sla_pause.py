"""tickets.paused_at / paused_seconds: the resolution clock stops while a request waits on the customer, and its due
times move on by the time waited when it comes back. A request waiting now counts as paused since its last change
(when it began waiting is not stored; its last change is at or after that, so no waited time is counted twice).

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0060'
down_revision: str | None = '0059'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_seconds', sa.Integer(), nullable=False, server_default='0'))
    # same storage on each side (microseconds on SQLite, timestamptz on PostgreSQL): a plain copy
    op.execute("UPDATE tickets SET paused_at = updated_at WHERE status = 'waiting'")


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('paused_seconds')
        batch_op.drop_column('paused_at')
