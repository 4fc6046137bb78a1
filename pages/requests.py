"""Requests: the support desk's live list, with queues (Mine, All open, …) over the resource engine's filters."""

from __future__ import annotations

from nicegui import background_tasks, ui

from backoffice.db import read_session
from backoffice.events import Topic
from backoffice.formatting import number
from backoffice.i18n import N_, _, ngettext, pgettext
from backoffice.listing import query
from backoffice.models import OPEN_STATUSES, User
from backoffice.permissions import can
from backoffice.resources import resource
from backoffice.resources.support import know_tags
from backoffice.services import ticket_sla, ticket_snooze, tickets
from components import live
from components.bulk_bar import BulkTool
from components.forms import FAILED, call
from components.queue_count import QueueCount
from components.resource_form import open_record
from components.resource_table import ResourceTable
from components.screens import screen

TICKETS = resource('tickets')
OPEN = [status.value for status in OPEN_STATUSES]
ASSIGN_TO_ME = next(action for action in TICKETS.actions if action.key == 'assign-to-me')
CLOCK_RUNS = [status.value for status in ticket_sla.CLOCK_RUNS]


def queues(user: User) -> dict[str, dict]:
    """Each queue as the table state it sets (filters, the columns it shows and its order: the newest change first,
    the Snoozed queue the soonest back first)."""
    usual = [c.name for c in TICKETS.columns if c.shown]
    bug_columns = [
        'number',
        'subject',
        'severity',
        'bug_status',
        'fixed_in_version',
        'status',
        'assignee_id',
        'updated_at',
    ]
    # a snoozed request is out of the open queues until it comes back (services/ticket_snooze.py)
    awake = {'status': OPEN, 'snoozed_until': False}
    ordered = {'sort': TICKETS.default_sort, 'descending': TICKETS.default_descending}
    return {
        name: {'columns': usual, **ordered, **state}
        for name, state in {
            'Unassigned': {'filters': {**awake, 'assignee_id': query.NONE}},
            'Mine': {'filters': {**awake, 'assignee_id': user.id}},
            'All open': {'filters': awake},
            # a request waiting on the customer is paused, not breaching
            'Breaching SLA': {'filters': {'status': CLOCK_RUNS, 'sla_breached_at': True}},
            'Waiting on customer': {'filters': {'status': ['waiting']}},
            'Snoozed': {
                'filters': {'status': OPEN, 'snoozed_until': True},
                # when each comes back, in the place of when it last changed: with both, a laptop's table scrolled
                # sideways once the rows had an assignee, and the column the queue is for was the one cut off
                'columns': [name if name != 'updated_at' else 'snoozed_until' for name in usual],
                'sort': 'snoozed_until',  # what comes back next at the top
                'descending': False,
            },
            'Solved': {'filters': {'status': ['solved']}},
            'Bugs': {'filters': {'type': ['bug'], **awake}, 'columns': bug_columns},
        }.items()
    }


# each queue's name in the page's address (/requests?queue=mine): Back from a request, a reload or a bookmark shows it
QUEUE_IN_ADDRESS = {
    'Unassigned': 'unassigned',
    'Mine': 'mine',
    'All open': 'open',
    'Breaching SLA': 'breaching',
    'Waiting on customer': 'waiting',
    'Snoozed': 'snoozed',
    'Solved': 'solved',
    'Bugs': 'bugs',
}


def queue_label(name: str) -> str:
    """A queue's name in words (a context of its own: 'Solved' is also a request's status)."""
    labels = {
        'Unassigned': pgettext('request queue', 'Unassigned'),
        'Mine': pgettext('request queue', 'Mine'),
        'All open': pgettext('request queue', 'All open'),
        'Breaching SLA': pgettext('request queue', 'Breaching SLA'),
        'Waiting on customer': pgettext('request queue', 'Waiting on customer'),
        'Snoozed': pgettext('request queue', 'Snoozed'),
        'Solved': pgettext('request queue', 'Solved'),
        'Bugs': pgettext('request queue', 'Bugs'),
    }
    return labels.get(name, name)


# the queues whose size an agent watches (how many wait for someone, are theirs, are late); Solved only grows
COUNTED = ('Unassigned', 'Mine', 'All open', 'Breaching SLA', 'Waiting on customer', 'Snoozed', 'Bugs')


class RequestsList:
    def __init__(self, user: User) -> None:
        self.user = user
        self.buttons: dict[str, ui.button] = {}
        self.counts: dict[str, QueueCount] = {}
        self._counting = False  # a count is under way: changes meanwhile ask for one more after it
        self._count_again = False
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.row().classes('gap-1 items-center'):
                for name in queues(user):
                    self.buttons[name] = (
                        ui.button(queue_label(name), on_click=lambda n=name: self.show(n))
                        .props('outline rounded dense')
                        .classes('px-3')
                        .mark(f'queue-{name}')
                    )
                    if name in COUNTED:
                        with self.buttons[name]:
                            self.counts[name] = (
                                QueueCount()
                                .classes('q-ml-xs px-1 rounded bg-gray-100 text-gray-800 text-xs')
                                .mark(f'queue-count-{name}')
                            )
            if can(user, TICKETS.write_permission):
                ui.button(
                    _('New request'),
                    icon='add',
                    # a request logged from a phone call opens, so the agent carries on writing in it
                    on_click=lambda: open_record(
                        TICKETS, None, on_saved=self.table.reload, on_created=lambda t: self.go_to(t.number)
                    ),
                )
        self.queue: str | None = None  # the queue the list shows, until the agent changes its filters by hand
        # triage: the requests ticked in a queue taken at once (one by one it was open, assign, back, for each)
        tools = (
            (
                # a colleague's is skipped, saying so (taken meanwhile, its row gone from the queue but still ticked)
                BulkTool(_('Assign to me'), 'person_add', lambda _chosen: self._assign_chosen(), 'bulk-assign-to-me'),
                # put aside until tomorrow morning in one go ("waiting for the warehouse"); a date per request is on
                # its page
                BulkTool(_('Snooze until tomorrow'), 'snooze', lambda _chosen: self._snooze_chosen(), 'bulk-snooze'),
            )
            if can(user, ASSIGN_TO_ME.permission)
            else ()
        )
        named = _queue_named(ui.context.client)
        self.table = ResourceTable(
            TICKETS,
            on_open=self.open,
            on_filters_changed=self._left_queue,
            bulk_tools=tools,
            # the queue's rows are the first ones, served with the page: Back from a request showed every request
            # (solved, snoozed…) for a moment before the queue's, rows moving under the agent's finger
            view={'search': '', **queues(user)[named]} if named is not None else None,
        )
        ui.timer(0, self.count, once=True)
        live.resource_changed(Topic.tickets).subscribe(lambda _payload: self._recount())
        if named is not None:
            self.queue = named
            self._highlight(named)
        else:  # the address gave a queue's very filters (the Open requests card's link): that queue is lit, as clicked
            self._light_matching_queue()

    async def _assign_chosen(self) -> None:
        await self.table.bulk.run_each(
            lambda user, ids: tickets.bulk_assign_to_me(actor=user, ids=ids),
            done=lambda n: ngettext('{n} assigned to you', '{n} assigned to you', n),
        )

    async def _snooze_chosen(self) -> None:
        until = ticket_snooze.quick_choices()['tomorrow']
        await self.table.bulk.run_each(
            lambda user, ids: ticket_snooze.bulk_snooze(actor=user, ids=ids, until=until),
            done=lambda n: ngettext('{n} snoozed until tomorrow', '{n} snoozed until tomorrow', n),
        )

    def _light_matching_queue(self) -> None:
        shown = self.table.state['filters']
        if not shown:
            return
        matching = next((n for n, q in queues(self.user).items() if _same_filters(shown, q['filters'])), None)
        if matching is not None:
            self.queue = matching
            self._highlight(matching)

    async def show(self, name: str, *, address: bool = True) -> None:
        self.queue = name
        self._highlight(name)
        if address:  # the queue stays when the agent comes Back from a request, reloads or bookmarks the page
            ui.navigate.history.replace(f'/requests?queue={QUEUE_IN_ADDRESS[name]}')
        await self.table.apply_view({'search': '', **queues(self.user)[name]})

    def _highlight(self, name: str | None) -> None:
        for other, button in self.buttons.items():
            button.props(
                remove='unelevated' if other != name else 'outline', add='outline' if other != name else 'unelevated'
            )

    def _left_queue(self) -> None:
        """A filter changed by hand: the queue no longer describes the list, so it is not lit nor in the address
        (a reload showed the queue again, not what the agent had chosen)."""
        if self.queue is None or _same_filters(self.table.state['filters'], queues(self.user)[self.queue]['filters']):
            return  # a field showing the queue's own value again (a related field once its choices arrive)
        self.queue = None
        self._highlight(None)
        ui.navigate.history.replace('/requests')

    async def count(self) -> None:
        """Each counted queue's size on its button, read in a worker thread."""
        user, wanted = self.user, {name: queues(self.user)[name]['filters'] for name in COUNTED}

        def read() -> dict[str, tuple[int, bool]]:
            with read_session() as session:
                return {
                    name: query.count(
                        session=session, actor=user, resource=TICKETS, request=query.ListRequest(filters=filters)
                    )
                    for name, filters in wanted.items()
                }

        found = await call(read)
        if found is FAILED:
            return
        for name, (total, exact) in found.items():
            self.counts[name].show(number(total) if exact else f'~{number(total)}')

    def _recount(self) -> None:
        """A request changed (arrived, assigned, solved): count again, once per burst of changes."""
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        background_tasks.create(self._count_burst(), name='count request queues', context=ui.context.slot)

    async def _count_burst(self) -> None:
        try:
            while True:
                self._count_again = False
                await self.count()
                if not self._count_again:
                    break
        finally:
            self._counting = False

    def open(self, record_id: int) -> None:
        row = next((r for r in self.table.table.rows if r['id'] == record_id), None)
        if row is not None:
            self.go_to(row['number'])

    def go_to(self, number: int) -> None:
        ui.navigate.to(f'/requests/{number}')


def _same_filters(shown: dict, queue: dict) -> bool:
    def plain(value):
        return sorted(map(str, value)) if isinstance(value, list | tuple) else value

    return {k: plain(v) for k, v in shown.items()} == {k: plain(v) for k, v in queue.items()}


def _queue_named(client) -> str | None:
    """The queue the page's address names (?queue=mine), if any."""
    try:
        wanted = client.request.query_params.get('queue', '')
    except RuntimeError:  # no page request
        return None
    return next((name for name, slug in QUEUE_IN_ADDRESS.items() if slug == wanted), None)


@screen(
    '/requests',
    TICKETS.label,
    permission=TICKETS.read_permission,
    icon='support_agent',
    section=N_('Support'),
    order=100,
    description=TICKETS.description,
)
def requests_page(user: User) -> None:
    with read_session() as session:
        know_tags(session)  # the Tags filter offers the tags requests carry now
    ui.label(_(TICKETS.description)).classes('text-gray-600')
    RequestsList(user)
