"""Support mailboxes declared for the engine: the IMAP mailboxes admins connect (writes through
services/mailboxes.py: the host rule, the password encrypted, audit; a connection test) and the log of the mails the
intake processed, newest first."""

from __future__ import annotations

from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, Outcome, Resource, Wording, register
from backoffice.events import Topic
from backoffice.i18n import N_, ngettext
from backoffice.models import Mailbox, MailboxMail, MailboxSecurity, MailOutcome
from backoffice.resources.support import TYPES
from backoffice.services import mailboxes

SECURITY = {
    MailboxSecurity.tls.value: N_('TLS (port 993)'),
    MailboxSecurity.starttls.value: N_('STARTTLS (port 143)'),
}
OUTCOMES = {
    MailOutcome.opened.value: N_('New request'),
    MailOutcome.joined.value: N_('Joined its request'),
    MailOutcome.auto_reply.value: N_('Automatic reply'),
    MailOutcome.bounce.value: N_('Bounce'),
    MailOutcome.refused.value: N_('Refused'),
}


def _create(*, session, actor, data) -> Mailbox:
    return mailboxes.create_mailbox(session=session, actor=actor, data=data)


def _update(*, session, actor, record_id, version, changes) -> Mailbox:
    return mailboxes.update_mailbox(
        session=session, actor=actor, mailbox_id=record_id, version=version, changes=changes
    )


def _test(*, session, actor, record_id, version=None, **inputs) -> Outcome:
    return Outcome(None, mailboxes.test_connection(session=session, actor=actor, mailbox_id=record_id))


MAILBOXES = register(
    Resource(
        key=Topic.mailboxes,
        link='/mailboxes?open={id}',
        label=N_('Support mailboxes'),
        singular=N_('mailbox'),
        wording=Wording(
            count=lambda n: ngettext('{n} mailbox', '{n} mailboxes', n),
            arrived=lambda n: ngettext('{n} new mailbox', '{n} new mailboxes', n),
            none_yet=N_('There are no support mailboxes yet.'),
            new=N_('New mailbox'),
            create=N_('Create mailbox'),
            created=N_('Mailbox created'),
            trashed=N_('Mailbox moved to the trash'),
            restored=N_('Mailbox restored'),
        ),
        model=Mailbox,
        create=mailboxes.MailboxIn,
        update=mailboxes.MailboxChange,
        permission='settings',
        read=mailboxes.PERMISSION,
        write=mailboxes.PERMISSION,
        audit_entity='mailbox',
        title='name',
        icon='move_to_inbox',
        description=N_('IMAP mailboxes whose mail becomes requests; replies join their request'),
        create_with=_create,
        update_with=_update,
        columns=(
            Column('name', N_('Name')),
            Column('username', N_('User'), wrap=True),
            Column('host', N_('Server'), on_phone=False),
            Column('default_type', N_('Opens'), kind='choice', choices=TYPES, on_phone=False),
            Column('is_active', N_('Active'), kind='bool'),
            Column('last_checked_at', N_('Last checked'), kind='datetime', on_phone=False),
            Column('last_error', N_('Last error'), kind='stored_text', wrap=True, sortable=False),
        ),
        card=Card(title='name', secondary=('username', 'last_checked_at', 'last_error')),
        fields=(
            FormField('name', N_('Name'), required=True, help=N_('Shown to staff, e.g. Support or Returns')),
            FormField('host', N_('IMAP server'), required=True, help=N_('e.g. imap.example.com')),
            FormField('security', N_('Security'), kind='choice', choices=SECURITY, required=True),
            FormField('port', N_('Port'), kind='number', help=N_('Empty: 993 for TLS, 143 for STARTTLS')),
            FormField('username', N_('User'), required=True, help=N_('Often the mailbox address')),
            FormField(
                'password',
                N_('Password'),
                kind='password',
                help=N_('Stored encrypted, never shown again; when editing, leave it empty to keep the current one'),
            ),
            FormField('folder', N_('Folder'), help=N_('Where new mail arrives; INBOX by default')),
            FormField('default_type', N_('Type of the requests it opens'), kind='choice', choices=TYPES),
            FormField(
                'default_assignee_id',
                N_('Assign its requests to'),
                kind='related',
                related='staff',
                help=N_('Empty: the usual assignment'),
            ),
            FormField('is_active', N_('Active'), kind='bool'),
            FormField('last_checked_at', N_('Last checked'), kind='datetime', on_create=False, on_edit=False),
            FormField('last_error', N_('Last error'), on_create=False, on_edit=False),
        ),
        search=('name', 'username', 'host'),
        filters=(Filter('is_active', N_('Active'), 'bool'),),
        default_sort='name',
        actions=(Action('test', N_('Test connection'), _test, mailboxes.PERMISSION, icon='network_check'),),
    )
)

MAILS = register(
    Resource(
        key=Topic.mailbox_mails,
        label=N_('Received mail'),
        singular=N_('received mail'),
        plural=N_('received mails'),
        wording=Wording(
            count=lambda n: ngettext('{n} mail', '{n} mails', n),
            arrived=lambda n: ngettext('{n} new mail', '{n} new mails', n),
            none_yet=N_('No mail has been received yet.'),
        ),
        model=MailboxMail,
        create=None,
        update=None,
        permission='settings',
        read=mailboxes.PERMISSION,
        write=mailboxes.PERMISSION,
        title='subject',
        soft_delete=False,
        icon='mark_email_unread',
        description=N_('Every mail the support mailboxes received and what became of it'),
        columns=(
            Column('received_at', N_('Received'), kind='datetime'),
            Column('mailbox_id', N_('Mailbox'), kind='related', related=Topic.mailboxes, on_phone=False),
            Column('sender', N_('From'), wrap=True),
            Column('subject', N_('Subject'), wrap=True),
            Column('outcome', N_('Outcome'), kind='choice', choices=OUTCOMES),
            Column('ticket_id', N_('Request'), kind='related', related=Topic.tickets, on_phone=False),
            Column('reason', N_('Why'), kind='stored_text', wrap=True, sortable=False, on_phone=False),
        ),
        card=Card(title='subject', status='outcome', secondary=('sender', 'received_at')),
        fields=(
            FormField('sender', N_('From'), on_edit=False),
            FormField('subject', N_('Subject'), on_edit=False),
            FormField('outcome', N_('Outcome'), kind='choice', choices=OUTCOMES, on_edit=False),
            FormField('reason', N_('Why'), kind='long_text', on_edit=False),
            FormField('ticket_id', N_('Request'), kind='related', related=Topic.tickets, on_edit=False),
            FormField('received_at', N_('Received'), kind='datetime', on_edit=False),
        ),
        search=('sender', 'subject'),
        filters=(
            Filter('outcome', N_('Outcome'), 'choice', choices=OUTCOMES),
            Filter('mailbox_id', N_('Mailbox'), 'related', related=Topic.mailboxes),
        ),
        default_sort='id',
        default_descending=True,
    )
)
