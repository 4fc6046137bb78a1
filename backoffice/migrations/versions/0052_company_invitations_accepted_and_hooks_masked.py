"""A company admin's invitation waits for the person to accept it, and the company sees a member's orders, invoices
and requests from joining until removal only (`company_members.accepted_at`, `invited_at`, `invited_by`,
`shared_from`, `ended_at`; the members of before count as accepted, sharing all as they did); and the chat hooks'
addresses already in the audit log (their secret is in the path) kept as a hint only.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from backoffice import secret_hint
from backoffice.services.audit import masked

revision: str = '0052'
down_revision: str | None = '0051'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRET_ADDRESSES = ('segments_webhook_url', 'slack_webhook_url', 'teams_webhook_url', 'mattermost_webhook_url',
                    'discord_webhook_url')
audit_log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('action', sa.String),
                     sa.column('summary', sa.String), sa.column('summary_params', sa.JSON),
                     sa.column('changes', sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table('company_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('invited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('invited_by', sqlmodel.sql.sqltypes.AutoString(length=300), server_default='', nullable=False)
        )
        batch_op.add_column(sa.Column('shared_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute('UPDATE company_members SET accepted_at = created_at')
    _mask_hooks_in_audit_log()


def downgrade() -> None:
    op.execute('DELETE FROM company_members WHERE accepted_at IS NULL OR ended_at IS NOT NULL')
    with op.batch_alter_table('company_members', schema=None) as batch_op:
        for name in ('ended_at', 'shared_from', 'invited_by', 'invited_at', 'accepted_at'):
            batch_op.drop_column(name)


def _mask_hooks_in_audit_log(batch: int = 1000) -> None:
    connection = op.get_bind()
    changes_text = sa.cast(audit_log.c.changes, sa.Text)
    maybe = sa.or_(
        audit_log.c.action.in_(('settings.changed', 'segments.pushed')),
        audit_log.c.summary.like('%hook%'),
        changes_text.like('%hook%'),
    )
    last = 0
    while True:
        rows = connection.execute(sa.select(audit_log.c.id, audit_log.c.action, audit_log.c.summary,
                                            audit_log.c.summary_params, audit_log.c.changes)
                                  .where(audit_log.c.id > last, maybe).order_by(audit_log.c.id).limit(batch)).all()
        for entry_id, action, summary, params, changes in rows:
            new_summary, new_changes = masked(summary or ''), _hinted(action, masked(changes or {}))
            new_params = masked(params) if params else params
            if action == 'segments.pushed':
                new_summary = ' '.join(secret_hint.address(part) if '://' in part else part
                                       for part in new_summary.split(' '))
                if isinstance(new_params, dict) and isinstance(new_params.get('target'), str):
                    new_params = {**new_params, 'target': secret_hint.address(new_params['target'])}
            if (new_summary, new_changes, new_params) != (summary or '', changes or {}, params):
                connection.execute(audit_log.update().where(audit_log.c.id == entry_id)
                                   .values(summary=new_summary, changes=new_changes, summary_params=new_params))
        if len(rows) < batch:
            return
        last = rows[-1].id


def _hinted(action: str, changes: dict) -> dict:
    """A settings change's secret addresses and a push's target as their hint."""
    if not isinstance(changes, dict):
        return changes
    keys = SECRET_ADDRESSES if action == 'settings.changed' else ('to',) if action == 'segments.pushed' else ()
    return {
        key: [secret_hint.address(value) if isinstance(value, str) and '://' in value else value for value in pair]
        if key in keys and isinstance(pair, list) else pair
        for key, pair in changes.items()
    }
