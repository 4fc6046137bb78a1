"""Cash flow and the accountant (issue #15): the difference written off when a bank line settles invoices within the
write-off tolerance (`bank_lines.write_off`: positive received less, negative received more).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('bank_lines') as batch:
        batch.add_column(sa.Column('write_off', sa.Numeric(12, 2), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('bank_lines') as batch:
        batch.drop_column('write_off')
