"""/loyalty: the customers holding the most points, then the ledger (adjust by hand with a reason)."""

from nicegui import ui

from backoffice.db import read_session
from backoffice.engine.declaration import resource
from backoffice.formatting import number
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice_loyalty import ledger
from components.resource_view import ResourceView
from components.screens import screen

LOYALTY = resource('loyalty-points')


@screen(
    '/loyalty',
    LOYALTY.label,
    permission=LOYALTY.read_permission,
    icon=LOYALTY.icon,
    section=N_('People'),
    order=215,
    description=LOYALTY.description,
)
def loyalty_page(user: User) -> None:
    with read_session() as session:
        best = ledger.top_balances(session=session, actor=user, limit=5)
    if best:
        with ui.card().classes('w-full').mark('loyalty-balances'):
            ui.label(_('Most points')).classes('text-sm font-medium')
            with ui.row().classes('w-full gap-2 flex-wrap'):
                for row in best:
                    with ui.link(target=f'/customers/{row.customer_id}').classes('no-underline'):
                        ui.chip(f'{row.name or row.email} · {number(row.points)}', icon='loyalty').props('outline')
    ResourceView(LOYALTY, user)
