"""An API for every resource (issue #19): an API key acts as a staff member (`api_keys.user_id`), whose permissions
the services check and whom the audit log names with the key. The scopes stay a JSON list: the four scopes of before
keep their meaning, the resource scopes (`read:customers`, `write:customers`) are new values in it. A key made at
/settings before acted for its creator: it gets that person (found by email), so it may be given resource scopes later.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with warnings.catch_warnings():
        # SQLite rebuilds api_keys for its new foreign key and reflects the users table it refers to; that table's
        # expression index (lower(email)) is not rebuilt, only named in a warning that says nothing here
        warnings.filterwarnings('ignore', message='Skipped unsupported reflection of expression-based index')
        with op.batch_alter_table('api_keys') as batch_op:
            batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key('fk_api_keys_user_id_users', 'users', ['user_id'], ['id'], ondelete='SET NULL')
    op.execute(
        'UPDATE api_keys SET user_id = (SELECT users.id FROM users WHERE lower(users.email) = lower(api_keys.created_by))'
    )


def downgrade() -> None:
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.drop_constraint('fk_api_keys_user_id_users', type_='foreignkey')
        batch_op.drop_column('user_id')
