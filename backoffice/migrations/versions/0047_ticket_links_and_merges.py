"""Related requests (`ticket_links`, one row per pair, shown on both) and a request closed by a merge pointing to where
its conversation goes on (`tickets.merged_into_id`).

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-05
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0047'
down_revision: str | None = '0046'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUIET = 'Skipped unsupported reflection of expression-based index'


def upgrade() -> None:
    op.create_table(
        'ticket_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('second_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['first_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['second_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('first_id', 'second_id', name='uq_ticket_links_pair'),
    )
    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_links_second', ['second_id', 'first_id'], unique=False)
    with warnings.catch_warnings():  # SQLite copies the table to add a foreign key (and reflects its neighbours)
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('tickets', schema=None) as batch_op:
            batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                'fk_tickets_merged_into_id_tickets', 'tickets', ['merged_into_id'], ['id'], ondelete='SET NULL'
            )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('tickets', schema=None) as batch_op:
            batch_op.drop_constraint('fk_tickets_merged_into_id_tickets', type_='foreignkey')
            batch_op.drop_column('merged_into_id')
    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_links_second')
    op.drop_table('ticket_links')
