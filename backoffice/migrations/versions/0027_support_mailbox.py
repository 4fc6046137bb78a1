"""The support mailbox (issue #19): IMAP mailboxes, the processed mails (a unique key: each mail once), the files
kept with a request's messages (`ticket_attachments`: those of a mail and, from 0028 on, those a customer attaches in
the portal), and the Message-ID of the emails a request's messages went out or came in as.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'mailboxes',
        sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column(
            'security', sa.Enum('tls', 'starttls', name='mailboxsecurity', native_enum=False, length=20), nullable=False
        ),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('folder', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            'default_type',
            sa.Enum(
                'question',
                'bug',
                'return_exchange',
                'feedback',
                'other',
                name='tickettype',
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column('default_assignee_id', sa.Integer(), nullable=True),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('uid_validity', sa.BigInteger(), nullable=True),
        sa.Column('last_uid', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('last_checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(['default_assignee_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailboxes_deleted_at'), ['deleted_at'], unique=False)

    op.create_table(
        'mailbox_mails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mailbox_id', sa.Integer(), nullable=False),
        sa.Column('message_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('uid', sa.BigInteger(), nullable=False),
        sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            'outcome',
            sa.Enum(
                'opened', 'joined', 'auto_reply', 'bounce', 'refused', name='mailoutcome', native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_key', name='uq_mailbox_mails_key'),
    )
    with op.batch_alter_table('mailbox_mails', schema=None) as batch_op:
        batch_op.create_index('ix_mailbox_mails_mailbox', ['mailbox_id', 'id'], unique=False)

    op.create_table(
        'ticket_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('stored', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['ticket_messages.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_attachments_message', ['message_id', 'id'], unique=False)
        batch_op.create_index('ix_ticket_attachments_ticket', ['ticket_id', 'id'], unique=False)

    # a plain ADD COLUMN (no table rebuild on SQLite: the thread's table may be large)
    op.add_column('ticket_messages', sa.Column('email_message_id', sa.String(length=500), nullable=True))
    op.create_index('ix_ticket_messages_email_message_id', 'ticket_messages', ['email_message_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_messages_email_message_id', table_name='ticket_messages')
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.drop_column('email_message_id')

    with op.batch_alter_table('ticket_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_attachments_ticket')
        batch_op.drop_index('ix_ticket_attachments_message')

    op.drop_table('ticket_attachments')
    with op.batch_alter_table('mailbox_mails', schema=None) as batch_op:
        batch_op.drop_index('ix_mailbox_mails_mailbox')

    op.drop_table('mailbox_mails')
    with op.batch_alter_table('mailboxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailboxes_deleted_at'))

    op.drop_table('mailboxes')
