"""The support desk's lists, declared once: requests (tickets) and canned replies."""

from __future__ import annotations

from backoffice.engine.declaration import Action, Card, Column, Filter, FormField, Outcome, Resource, Wording, register
from backoffice.events import Topic
from backoffice.i18n import N_, NP_, Verbatim, _, ngettext
from backoffice.kpi import sources as kpi_sources
from backoffice.models import CannedReply, CannedReplyCreate, CannedReplyUpdate, Ticket, TicketStatus
from backoffice.services import ticket_input, ticket_sla, tickets

STATUSES = {
    'new': N_('New'),
    'open': N_('Open'),
    'waiting': N_('Waiting on customer'),
    'solved': N_('Solved'),
    'closed': N_('Closed'),
}
PRIORITIES = {'low': N_('Low'), 'normal': N_('Normal'), 'high': N_('High'), 'urgent': N_('Urgent')}
TYPES = {
    'question': N_('Question'),
    'bug': N_('Bug'),
    'return_exchange': N_('Return or exchange'),
    'feedback': N_('Feedback'),
    'other': N_('Other'),
}
SEVERITIES = {'minor': N_('Minor'), 'major': N_('Major'), 'critical': N_('Critical')}
BUG_STATUSES = {
    'reported': N_('Reported'),
    'confirmed': N_('Confirmed'),
    'in_progress': N_('In progress'),
    'fixed': N_('Fixed'),
}


def _log_request(*, session, actor, data) -> Outcome:
    ticket = tickets.log_request(session=session, actor=actor, data=data)
    return Outcome(ticket, _('Request #{number} was logged').format(number=ticket.number))


def _assign_to_me(*, session, actor, record_id, version) -> Outcome:
    ticket = tickets.assign_to_me(session=session, actor=actor, ticket_id=record_id, version=version)
    return Outcome(ticket, _('Assigned to you'))


def _mark_duplicate(*, session, actor, record_id, version, of_number, confirmed: bool = False) -> Outcome:
    ticket = tickets.mark_duplicate(
        session=session,
        actor=actor,
        ticket_id=record_id,
        version=version,
        of_number=of_number,
        other_customer=confirmed,
    )
    return Outcome(ticket, _('Closed as a duplicate'))


def _duplicate_warning(*, session, actor, record_id, of_number) -> str | None:
    return tickets.duplicate_warning(session=session, actor=actor, ticket_id=record_id, of_number=of_number)


# What the Tags filter offers: the tags of recent requests, as written; kept current in place by know_tags() when the
# Requests screen is opened (any other tag can be typed in the filter, and is looked for too)
TAGS_IN_USE: dict[str, str] = {}


def know_tags(session) -> None:
    """Fill TAGS_IN_USE with the tags requests carry now, the most used first."""
    found = tickets.tags_in_use(session=session)
    TAGS_IN_USE.clear()
    TAGS_IN_USE.update({tag: Verbatim(tag) for tag in found})


# Requests arrive by the intake (API, contact form); "New request" here logs one for a customer (a phone call) through
# the same service. Edits go through services/tickets.change, which keeps the status rules and the SLA.
TICKETS = register(
    Resource(
        key=Topic.tickets,
        link='/requests/{number}',
        label=N_('Requests'),
        singular=N_('request'),
        wording=Wording(
            count=lambda n: ngettext('{n} request', '{n} requests', n),
            arrived=lambda n: ngettext('{n} new request', '{n} new requests', n),
            none_yet=N_('There are no requests yet.'),
            new=N_('New request'),
            create=N_('Create request'),
            created=N_('Request created'),
        ),
        model=Ticket,
        create=tickets.RequestIn,
        update=tickets.TicketChange,
        create_with=_log_request,
        update_with=tickets.update_ticket,
        permission='tickets',
        title='subject',
        icon='support_agent',
        soft_delete=False,
        description=N_('Customer requests: assignment, SLA, replies and notes'),
        columns=(
            Column('number', N_('No.')),  # a request's number names it: never grouped (#1042, not #1,042)
            # the agents' headline: next to the number, so it is in sight on a phone and on a laptop alike
            # 'Paused' while waiting on the customer: the clock stops then (services/ticket_sla.py)
            Column('sla_due_at', N_('SLA due'), kind='due', idle=ticket_sla.paused_cell),
            Column('subject', N_('Subject'), wrap=True),
            Column('customer_id', N_('Customer'), kind='related', related='customers', sortable=False, on_phone=False),
            # under "Columns" (and a filter, and the Bugs queue): with it shown the default queue did not fit a 1440 px
            # laptop beside the menu, and "Updated" was cut at the table's right end
            Column('type', N_('Type'), kind='choice', choices=TYPES, on_phone=False, shown=False),
            # sorted low → urgent and new → closed (their declared order), not by the alphabet
            Column('priority', N_('Priority'), kind='choice', choices=PRIORITIES, ranked=True, on_phone=False),
            Column('status', N_('Status'), kind='choice', choices=STATUSES, ranked=True),
            Column('assignee_id', N_('Assignee'), kind='related', related='staff', sortable=False, on_phone=False),
            Column('updated_at', N_('Updated'), kind='datetime', on_phone=False),
            # under "Columns", and in the Bugs queue
            Column(
                'first_response_due',
                N_('First response due'),
                kind='datetime',
                sortable=False,
                on_phone=False,
                shown=False,
            ),
            Column(
                'resolution_due', N_('Resolution due'), kind='datetime', sortable=False, on_phone=False, shown=False
            ),
            Column('severity', N_('Severity'), kind='choice', choices=SEVERITIES, sortable=False, shown=False),
            Column('bug_status', N_('Bug status'), kind='choice', choices=BUG_STATUSES, sortable=False, shown=False),
            Column('fixed_in_version', N_('Fixed in'), sortable=False, on_phone=False, shown=False),
            Column('tags', N_('Tags'), sortable=False, on_phone=False, shown=False),
            # under "Columns", and in the Snoozed queue: when each comes back by itself
            Column('snoozed_until', N_('Snoozed until'), kind='datetime', on_phone=False, shown=False),
        ),
        fields=(
            # asked when logging a request; a request's own columns after that
            # a phone call: the caller picked by name or email as the agent types; one not known yet is made from the
            # email and name below
            FormField(
                'customer_id',
                N_('Customer'),
                kind='related',
                related='customers',
                on_edit=False,
                help=N_('Type their name or email'),
            ),
            FormField('email', N_('New customer: email'), kind='email', on_edit=False, most=254),
            FormField('name', N_('New customer: name'), on_edit=False, most=ticket_input.NAME_MAX),
            FormField('subject', N_('Subject'), required=True),
            FormField(
                'body', N_('Message'), kind='long_text', required=True, on_edit=False, most=ticket_input.BODY_MAX
            ),
            FormField('type', N_('Type'), kind='choice', choices=TYPES),
            FormField('priority', N_('Priority'), kind='choice', choices=PRIORITIES),
            FormField('order_number', N_('Order number')),
            FormField('status', N_('Status'), kind='choice', choices=STATUSES, on_create=False),
            FormField('assignee_id', N_('Assignee'), kind='related', related='staff', on_create=False),
            FormField('tags', N_('Tags'), on_create=False, help=N_('Comma-separated')),
            FormField('severity', N_('Severity (bugs)'), kind='choice', choices=SEVERITIES, on_create=False),
            FormField(
                'steps', N_('Steps to reproduce (bugs)'), kind='long_text', on_create=False, most=ticket_input.BODY_MAX
            ),
            FormField('bug_status', N_('Bug status'), kind='choice', choices=BUG_STATUSES, on_create=False),
            FormField('fixed_in_version', N_('Fixed in version'), on_create=False),
        ),
        search=('subject', 'number', 'tags'),  # a tag is found by a search ('refund')
        # an agent types the customer's name or email (for those who may read customers)
        search_related=(('customer_id', 'customers'),),
        search_ids=tickets.found_by_reference,  # '#1042' as quoted, or the number of the order it is about
        filters=(
            Filter('status', N_('Status'), 'choice', choices=STATUSES),
            Filter('priority', N_('Priority'), 'choice', choices=PRIORITIES),
            Filter('type', N_('Type'), 'choice', choices=TYPES),
            Filter('assignee_id', N_('Assignee'), 'related', related='staff'),
            Filter('customer_id', N_('Customer'), 'related', related='customers'),
            Filter('bug_status', N_('Bug status'), 'choice', choices=BUG_STATUSES),
            Filter('sla_breached_at', N_('SLA breached'), 'present'),
            Filter(
                'snoozed_until', NP_('request', 'Snoozed'), 'present'
            ),  # put aside until a date: out of the open queues
            # the day it was breached (the SLA breaches card's "See these in the list"), beside breached or not
            Filter('sla_breached_on', N_('SLA breach'), 'date_range', column='sla_breached_at'),
            Filter('sla_due_at', N_('SLA due'), 'date_range'),
            Filter('updated_at', N_('Updated'), 'date_range'),
            # the ratings given these days, as CSAT counts them (the CSAT card's list): a request merged into
            # another is rated there, never here (tickets.may_rate), so its earlier rating is listed nowhere
            Filter('rated_at', N_('Rated'), 'date_range', condition=kpi_sources.ratings_given),
            Filter('tags', N_('Tags'), 'tags', choices=TAGS_IN_USE),  # "all requests tagged 'refund'"
        ),
        default_sort='updated_at',
        card=Card(
            title='subject',
            lead='number',  # a request is known by its number ('#1065'): on its card's title line, not a secondary one
            lead_format='#{}',
            status='status',
            secondary=('sla_due_at', 'priority', 'customer_id'),
            once_set=('snoozed_until',),  # the Snoozed queue on a phone says when each comes back, as its column does
        ),
        default_descending=True,
        actions=(
            Action(
                'assign-to-me',
                N_('Assign to me'),
                _assign_to_me,
                'tickets.write',
                icon='person_add',
                visible=lambda t: t.status != TicketStatus.closed,
                for_actor=lambda t, actor: t.assignee_id != actor.id,  # already theirs: nothing to do
            ),
            Action(
                'duplicate',
                N_('Mark as duplicate'),
                _mark_duplicate,
                'tickets.write',
                icon='content_copy',
                inputs=(FormField('of_number', N_('Duplicate of request no.'), kind='number', required=True),),
                visible=tickets.may_mark_duplicate,  # not closed, not a duplicate already: what the service takes
                warn=_duplicate_warning,  # the original comes from another customer
            ),
        ),
    )
)

CANNED_REPLIES = register(
    Resource(
        key=Topic.canned_replies,
        label=N_('Canned replies'),
        singular=N_('canned reply'),
        wording=Wording(
            count=lambda n: ngettext('{n} canned reply', '{n} canned replies', n),
            arrived=lambda n: ngettext('{n} new canned reply', '{n} new canned replies', n),
            none_yet=N_('There are no canned replies yet.'),
            new=N_('New canned reply'),
            create=N_('Create canned reply'),
            created=N_('Canned reply created'),
            trashed=N_('Canned reply moved to the trash'),
            restored=N_('Canned reply restored'),
        ),
        plural=N_('canned replies'),
        model=CannedReply,
        create=CannedReplyCreate,
        update=CannedReplyUpdate,
        # every agent uses them (tickets.read); what the whole desk sends in its name is a manager's to write: one
        # agent's edit would change every colleague's answers
        permission='tickets',
        write='canned_replies.manage',
        title='title',
        icon='quickreply',
        description=N_(
            'Prepared answers; {customer_name}, {customer_first_name}, {order_number}, {request_number} and '
            '{agent_name} are filled in'
        ),
        columns=(
            Column('title', N_('Title'), wrap=True),
            Column('updated_at', N_('Changed'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('title', N_('Title'), required=True),
            FormField(
                'body',
                N_('Text'),
                kind='long_text',
                required=True,
                help=N_(
                    'Placeholders: {customer_name}, {customer_first_name}, {order_number}, {request_number}, '
                    '{agent_name}'
                ),
            ),
        ),
        search=('title', 'body'),
        default_sort='title',
    )
)
