"""Protect what is stored: webhook signing secrets and secret settings encrypted (the column widened for the token),
and the secrets inside addresses already in the audit log masked (user:password@, ?token=…).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 04:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backoffice import secret_box
from backoffice.services.audit import masked

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRET_SETTINGS = ('segments_webhook_url',)
endpoints = sa.table('webhook_endpoints', sa.column('id', sa.Integer), sa.column('secret', sa.String))
settings = sa.table('app_settings', sa.column('key', sa.String), sa.column('value', sa.JSON))
audit_log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('summary', sa.String),
                     sa.column('changes', sa.JSON))


def upgrade() -> None:
    _secret_column(300)
    _rewrite_secrets(lambda value: value if secret_box.is_encrypted(value) else secret_box.encrypt(value))
    _mask_audit_log()


def downgrade() -> None:
    _rewrite_secrets(secret_box.decrypt)
    _secret_column(80)


def _secret_column(length: int) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('webhook_endpoints', 'secret', type_=sa.String(length), existing_nullable=False)
        return
    # SQLite cannot change a column's type in place, and rebuilding the table would cascade-delete its deliveries
    op.execute(f"ALTER TABLE webhook_endpoints ADD COLUMN secret_new VARCHAR({length}) NOT NULL DEFAULT ''")
    op.execute('UPDATE webhook_endpoints SET secret_new = secret')
    op.execute('ALTER TABLE webhook_endpoints DROP COLUMN secret')
    op.execute('ALTER TABLE webhook_endpoints RENAME COLUMN secret_new TO secret')


def _rewrite_secrets(change) -> None:
    connection = op.get_bind()
    for endpoint_id, secret in connection.execute(sa.select(endpoints.c.id, endpoints.c.secret)).all():
        if secret:
            connection.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(secret=change(secret)))
    for key, value in connection.execute(sa.select(settings.c.key, settings.c.value)
                                         .where(settings.c.key.in_(SECRET_SETTINGS))).all():
        if isinstance(value, str) and value:
            connection.execute(settings.update().where(settings.c.key == key).values(value=change(value)))


def _mask_audit_log(batch: int = 1000) -> None:
    connection = op.get_bind()
    changes_text = sa.cast(audit_log.c.changes, sa.Text)
    maybe = sa.or_(*(column.like(pattern) for column in (audit_log.c.summary, changes_text)
                     for pattern in ('%://%@%', '%?%=%', '%&%=%', '%;%=%')))
    last = 0
    while True:
        rows = connection.execute(sa.select(audit_log.c.id, audit_log.c.summary, audit_log.c.changes)
                                  .where(audit_log.c.id > last, maybe).order_by(audit_log.c.id).limit(batch)).all()
        for entry_id, summary, changes in rows:
            summary_masked, changes_masked = masked(summary or ''), masked(changes or {})
            if (summary_masked, changes_masked) != (summary or '', changes or {}):
                connection.execute(audit_log.update().where(audit_log.c.id == entry_id)
                                   .values(summary=summary_masked, changes=changes_masked))
        if len(rows) < batch:
            return
        last = rows[-1].id
