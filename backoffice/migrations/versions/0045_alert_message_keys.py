"""An alert's message stored as a msgid with its values (`alert_events.message_key`, `message_params`:
backoffice/stored_text.py), so /alerts shows what fired in each reader's language; the English `message` stays beside it
for rows written before and for what reads it. Older rows keep no key and show their English text.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0045'
down_revision: str | None = '0044'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('alert_events', sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('alert_events', sa.Column('message_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_column('message_params')
        batch_op.drop_column('message_key')
