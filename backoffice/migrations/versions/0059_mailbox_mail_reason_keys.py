"""mailbox_mails.reason_key / reason_params: why a mail opened no request, when the app said it ('sent by this app',
'from the support address itself', 'from mailer-daemon@…'), stored as a msgid with its values (backoffice/
stored_text.py) beside the English `reason`, so each reader reads it in their language. A header quoted as it is, or
a refusal, has no key; older rows keep none and show their stored text.

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0059'
down_revision: str | None = '0058'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('mailbox_mails', sa.Column('reason_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('mailbox_mails', sa.Column('reason_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mailbox_mails', schema=None) as batch_op:
        batch_op.drop_column('reason_params')
        batch_op.drop_column('reason_key')
