"""Returns: every return (RMA) with its order, customer, status and resolution; a row opens its order."""

from nicegui import ui

from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.resources import resource
from components.resource_table import ResourceTable
from components.screens import screen

RETURNS = resource('returns')


@screen(
    '/returns',
    RETURNS.label,
    permission=RETURNS.read_permission,
    icon=RETURNS.icon,
    section=N_('Sales'),
    order=255,
    description=RETURNS.description,
)
def returns_page(user: User) -> None:
    ui.label(
        _('{description}. A row opens its order, where the return is handled.').format(
            description=_(RETURNS.description)
        )
    ).classes('text-gray-600')
    table = ResourceTable(RETURNS, on_open=lambda record_id: _open(table, record_id))


def _open(table: ResourceTable, record_id: int) -> None:
    row = next((r for r in table.table.rows if r['id'] == record_id), None)
    if row is not None and row.get('order_id'):
        ui.navigate.to(f'/orders/{row["order_id"]}')
