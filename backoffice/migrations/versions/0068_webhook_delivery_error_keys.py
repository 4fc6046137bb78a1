"""webhook_deliveries.last_error_key / last_error_params: a delivery's last error when the app said it ('could not
connect', 'The webhook is inactive or deleted'), stored as a msgid with its values (backoffice/stored_text.py) beside
the English `last_error`, so a French admin reads it in French. The receiver's own words (its HTTP reason) have no
key; older rows keep none and show their stored text (translated when it is a known msgid).

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0068'
down_revision: str | None = '0067'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'webhook_deliveries', sa.Column('last_error_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
    )
    op.add_column('webhook_deliveries', sa.Column('last_error_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('last_error_params')
        batch_op.drop_column('last_error_key')
