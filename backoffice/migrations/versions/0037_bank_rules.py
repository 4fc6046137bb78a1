"""Bank matching rules (issue #15): a line still unmatched after import whose reference or counterparty fits a rule is
set aside with the rule's category; the line keeps which rule did it.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0037'
down_revision: str | None = '0036'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'bank_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('reference_contains', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('counterparty', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('counterparty_exact', sa.Boolean(), nullable=False),
        sa.Column(
            'direction',
            sa.Enum('any', 'credit', 'debit', name='ruledirection', native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('fired_count', sa.Integer(), nullable=False),
        sa.Column('last_fired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with warnings.catch_warnings():
        # SQLite's batch mode reflects the tables bank_lines points to, and theirs (customers, companies): their
        # expression indexes (lower(name)) are not rebuilt, only named in a warning that says nothing here
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        with op.batch_alter_table('bank_lines', schema=None) as batch_op:
            batch_op.add_column(sa.Column('rule_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                'fk_bank_lines_rule_id', 'bank_rules', ['rule_id'], ['id'], ondelete='SET NULL'
            )


def downgrade() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        with op.batch_alter_table('bank_lines', schema=None) as batch_op:
            batch_op.drop_constraint('fk_bank_lines_rule_id', type_='foreignkey')
            batch_op.drop_column('rule_id')
    op.drop_table('bank_rules')
