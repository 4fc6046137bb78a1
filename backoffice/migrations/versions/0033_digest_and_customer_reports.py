"""The founder's digest (each member of staff's choice and what was sent), the reports a company is sent (its choice and
what was sent), and the staff outbox's HTML, inline images, attachments and extra headers (issue #18).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer_report_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('company_id')
    )
    op.create_table('customer_report_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('company_id', 'period_key')
    )
    with op.batch_alter_table('customer_report_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_report_sends_company_id'), ['company_id'], unique=False)

    op.create_table('digest_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    sa.Column('kpis', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    op.create_table('digest_sends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mail_id'], ['staff_mail.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'period_key')
    )
    with op.batch_alter_table('digest_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_sends_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('staff_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('parts', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('staff_mail', schema=None) as batch_op:
        batch_op.drop_column('headers')
        batch_op.drop_column('parts')
        batch_op.drop_column('html')

    with op.batch_alter_table('digest_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_sends_user_id'))

    op.drop_table('digest_sends')
    op.drop_table('digest_choices')
    with op.batch_alter_table('customer_report_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_report_sends_company_id'))

    op.drop_table('customer_report_sends')
    op.drop_table('customer_report_choices')
