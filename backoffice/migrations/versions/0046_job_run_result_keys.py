"""A scheduled job's result stored as a msgid with its values (`job_runs.result_key`, `result_params`:
backoffice/stored_text.py), so /system shows what each run did in the reader's language, numbers in their format; the
English `result` stays beside it for rows written before and for what reads it. Older rows keep no key and show their
stored text.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0046'
down_revision: str | None = '0045'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('job_runs', sa.Column('result_key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.add_column('job_runs', sa.Column('result_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_column('result_params')
        batch_op.drop_column('result_key')
