"""The support desk's lists, declared once: requests (tickets) and canned replies."""

from __future__ import annotations

from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, Outcome, Resource, register
from backoffice.events import Topic
from backoffice.models import CannedReply, CannedReplyCreate, CannedReplyUpdate, Ticket, TicketStatus
from backoffice.services import tickets

STATUSES = {'new': 'New', 'open': 'Open', 'waiting': 'Waiting on customer', 'solved': 'Solved', 'closed': 'Closed'}
PRIORITIES = {'low': 'Low', 'normal': 'Normal', 'high': 'High', 'urgent': 'Urgent'}
TYPES = {
    'question': 'Question',
    'bug': 'Bug',
    'return_exchange': 'Return or exchange',
    'feedback': 'Feedback',
    'other': 'Other',
}
SEVERITIES = {'minor': 'Minor', 'major': 'Major', 'critical': 'Critical'}
BUG_STATUSES = {'reported': 'Reported', 'confirmed': 'Confirmed', 'in_progress': 'In progress', 'fixed': 'Fixed'}


def _log_request(*, session, actor, data) -> Outcome:
    ticket = tickets.log_request(session=session, actor=actor, data=data)
    return Outcome(ticket, f'Request #{ticket.number} was logged')


def _assign_to_me(*, session, actor, record_id, version) -> Outcome:
    ticket = tickets.assign_to_me(session=session, actor=actor, ticket_id=record_id, version=version)
    return Outcome(ticket, 'Assigned to you')


def _mark_duplicate(*, session, actor, record_id, version, of_number, confirmed: bool = False) -> Outcome:
    ticket = tickets.mark_duplicate(
        session=session,
        actor=actor,
        ticket_id=record_id,
        version=version,
        of_number=of_number,
        other_customer=confirmed,
    )
    return Outcome(ticket, 'Closed as a duplicate')


def _duplicate_warning(*, session, actor, record_id, of_number) -> str | None:
    return tickets.duplicate_warning(session=session, actor=actor, ticket_id=record_id, of_number=of_number)


# Requests arrive by the intake (API, contact form); "New request" here logs one for a customer (a phone call) through
# the same service. Edits go through services/tickets.change, which keeps the status rules and the SLA.
TICKETS = register(
    Resource(
        key=Topic.tickets,
        link='/requests/{number}',
        label='Requests',
        singular='request',
        model=Ticket,
        create=tickets.RequestIn,
        update=tickets.TicketChange,
        create_with=_log_request,
        update_with=tickets.update_ticket,
        permission='tickets',
        title='subject',
        icon='support_agent',
        soft_delete=False,
        description='Customer requests: assignment, SLA, replies and notes',
        columns=(
            Column('number', 'No.', kind='number'),
            # the agents' headline: next to the number, so it is in sight on a phone and on a laptop alike
            Column('sla_due_at', 'SLA due', kind='due'),
            Column('subject', 'Subject', wrap=True),
            Column('customer_id', 'Customer', kind='related', related='customers', sortable=False, on_phone=False),
            Column('type', 'Type', kind='choice', choices=TYPES, on_phone=False),
            Column('priority', 'Priority', kind='choice', choices=PRIORITIES, on_phone=False),
            Column('status', 'Status', kind='choice', choices=STATUSES),
            Column('assignee_id', 'Assignee', kind='related', related='staff', sortable=False, on_phone=False),
            Column('updated_at', 'Updated', kind='datetime', on_phone=False),
            # under "Columns", and in the Bugs queue
            Column(
                'first_response_due', 'First response due', kind='datetime', sortable=False, on_phone=False, shown=False
            ),
            Column('resolution_due', 'Resolution due', kind='datetime', sortable=False, on_phone=False, shown=False),
            Column('severity', 'Severity', kind='choice', choices=SEVERITIES, sortable=False, shown=False),
            Column('bug_status', 'Bug status', kind='choice', choices=BUG_STATUSES, sortable=False, shown=False),
            Column('fixed_in_version', 'Fixed in', sortable=False, on_phone=False, shown=False),
            Column('tags', 'Tags', sortable=False, on_phone=False, shown=False),
        ),
        fields=(
            # asked when logging a request; a request's own columns after that
            FormField('email', 'Customer email', kind='email', required=True, on_edit=False),
            FormField('name', 'Customer name', on_edit=False),
            FormField('subject', 'Subject', required=True),
            FormField('body', 'Message', kind='long_text', required=True, on_edit=False),
            FormField('type', 'Type', kind='choice', choices=TYPES),
            FormField('priority', 'Priority', kind='choice', choices=PRIORITIES),
            FormField('order_number', 'Order number'),
            FormField('status', 'Status', kind='choice', choices=STATUSES, on_create=False),
            FormField('assignee_id', 'Assignee', kind='related', related='staff', on_create=False),
            FormField('tags', 'Tags', on_create=False, help='Comma-separated'),
            FormField('severity', 'Severity (bugs)', kind='choice', choices=SEVERITIES, on_create=False),
            FormField('steps', 'Steps to reproduce (bugs)', kind='long_text', on_create=False),
            FormField('bug_status', 'Bug status', kind='choice', choices=BUG_STATUSES, on_create=False),
            FormField('fixed_in_version', 'Fixed in version', on_create=False),
        ),
        search=('subject', 'number'),
        filters=(
            Filter('status', 'Status', 'choice', choices=STATUSES),
            Filter('priority', 'Priority', 'choice', choices=PRIORITIES),
            Filter('type', 'Type', 'choice', choices=TYPES),
            Filter('assignee_id', 'Assignee', 'related', related='staff'),
            Filter('customer_id', 'Customer', 'related', related='customers'),
            Filter('bug_status', 'Bug status', 'choice', choices=BUG_STATUSES),
            Filter('sla_breached_at', 'SLA breached', 'present'),
            Filter('sla_due_at', 'SLA due', 'date_range'),
            Filter('updated_at', 'Updated', 'date_range'),
        ),
        default_sort='updated_at',
        card=Card(title='subject', status='status', secondary=('sla_due_at', 'priority', 'customer_id')),
        default_descending=True,
        actions=(
            Action(
                'assign-to-me',
                'Assign to me',
                _assign_to_me,
                'tickets.write',
                icon='person_add',
                visible=lambda t: t.status != TicketStatus.closed,
            ),
            Action(
                'duplicate',
                'Mark as duplicate',
                _mark_duplicate,
                'tickets.write',
                icon='content_copy',
                inputs=(FormField('of_number', 'Duplicate of request no.', kind='number', required=True),),
                visible=lambda t: t.status != TicketStatus.closed,
                warn=_duplicate_warning,  # the original comes from another customer
            ),
        ),
    )
)

CANNED_REPLIES = register(
    Resource(
        key=Topic.canned_replies,
        label='Canned replies',
        singular='canned reply',
        plural='canned replies',
        model=CannedReply,
        create=CannedReplyCreate,
        update=CannedReplyUpdate,
        # every agent uses them (tickets.read); what the whole desk sends in its name is a manager's to write: one
        # agent's edit would change every colleague's answers
        permission='tickets',
        write='canned_replies.manage',
        title='title',
        icon='quickreply',
        description='Prepared answers; {customer_name}, {order_number}, {request_number} and {agent_name} '
        'are filled in',
        columns=(
            Column('title', 'Title', wrap=True),
            Column('updated_at', 'Changed', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('title', 'Title', required=True),
            FormField(
                'body',
                'Text',
                kind='long_text',
                required=True,
                help='Placeholders: {customer_name}, {order_number}, {request_number}, {agent_name}',
            ),
        ),
        search=('title', 'body'),
        default_sort='title',
    )
)
