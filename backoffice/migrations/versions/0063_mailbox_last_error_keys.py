"""mailboxes.last_error_key / last_error_params: a mailbox's last error when the app said it ('sign-in refused:
{detail}', 'could not connect', 'folder {folder} cannot be opened'), stored as a msgid with its values
(backoffice/stored_text.py) beside the English `last_error`, so a French admin reads it in French. The server's own
words have no key; older rows keep none and show their stored text.

Revision ID: 0063
Revises: 0060
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0063'
down_revision: str | None = '0060'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('mailboxes', sa.Column('last_error_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('mailboxes', sa.Column('last_error_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_column('last_error_params')
        batch_op.drop_column('last_error_key')
