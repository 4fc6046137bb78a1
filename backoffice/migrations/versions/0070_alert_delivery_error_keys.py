"""alert_deliveries.error_key / error_params: a chat or email alert's last error when the app said it ('could not
connect', 'no address set'), stored as a msgid with its values (backoffice/stored_text.py) beside the English `error`,
so a French admin reads it in French in the delivery log, as webhook deliveries do (0068). The receiver's own words
('HTTP 503', the mail server's refusal) have no key; older rows keep none and show their stored text (translated when
it is a known msgid).

Revision ID: 0070
Revises: 0069
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0070'
down_revision: str | None = '0069'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'alert_deliveries', sa.Column('error_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
    )
    op.add_column('alert_deliveries', sa.Column('error_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_key')
