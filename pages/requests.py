"""Requests: the support desk's live list, with queues (Mine, All open, …) over the resource engine's filters."""

from __future__ import annotations

from nicegui import ui

from backoffice.i18n import N_, _, pgettext
from backoffice.listing import query
from backoffice.models import OPEN_STATUSES, User
from backoffice.permissions import can
from backoffice.resources import resource
from backoffice.services import ticket_sla
from components.resource_form import open_record
from components.resource_table import ResourceTable
from components.screens import screen

TICKETS = resource('tickets')
OPEN = [status.value for status in OPEN_STATUSES]
CLOCK_RUNS = [status.value for status in ticket_sla.CLOCK_RUNS]


def queues(user: User) -> dict[str, dict]:
    """Each queue as the table state it sets (filters, and the columns it shows)."""
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
    return {
        name: {'columns': usual, **state}
        for name, state in {
            'Unassigned': {'filters': {'status': OPEN, 'assignee_id': query.NONE}},
            'Mine': {'filters': {'status': OPEN, 'assignee_id': user.id}},
            'All open': {'filters': {'status': OPEN}},
            # a request waiting on the customer is paused, not breaching
            'Breaching SLA': {'filters': {'status': CLOCK_RUNS, 'sla_breached_at': True}},
            'Waiting on customer': {'filters': {'status': ['waiting']}},
            'Solved': {'filters': {'status': ['solved']}},
            'Bugs': {'filters': {'type': ['bug'], 'status': OPEN}, 'columns': bug_columns},
        }.items()
    }


def queue_label(name: str) -> str:
    """A queue's name in words (a context of its own: 'Solved' is also a request's status)."""
    labels = {
        'Unassigned': pgettext('request queue', 'Unassigned'),
        'Mine': pgettext('request queue', 'Mine'),
        'All open': pgettext('request queue', 'All open'),
        'Breaching SLA': pgettext('request queue', 'Breaching SLA'),
        'Waiting on customer': pgettext('request queue', 'Waiting on customer'),
        'Solved': pgettext('request queue', 'Solved'),
        'Bugs': pgettext('request queue', 'Bugs'),
    }
    return labels.get(name, name)


class RequestsList:
    def __init__(self, user: User) -> None:
        self.user = user
        self.buttons: dict[str, ui.button] = {}
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.row().classes('gap-1 items-center'):
                for name in queues(user):
                    self.buttons[name] = (
                        ui.button(queue_label(name), on_click=lambda n=name: self.show(n))
                        .props('outline rounded dense')
                        .classes('px-3')
                        .mark(f'queue-{name}')
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
        self.table = ResourceTable(TICKETS, on_open=self.open)

    async def show(self, name: str) -> None:
        for other, button in self.buttons.items():
            button.props(
                remove='unelevated' if other != name else 'outline', add='outline' if other != name else 'unelevated'
            )
        await self.table.apply_view({'search': '', **queues(self.user)[name]})

    def open(self, record_id: int) -> None:
        row = next((r for r in self.table.table.rows if r['id'] == record_id), None)
        if row is not None:
            self.go_to(row['number'])

    def go_to(self, number: int) -> None:
        ui.navigate.to(f'/requests/{number}')


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
    ui.label(_(TICKETS.description)).classes('text-gray-600')
    RequestsList(user)
