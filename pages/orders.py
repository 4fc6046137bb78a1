"""Orders: the list over the resource engine (status, date, customer, amount; search by number or email), staff
drafts, and a pick list PDF for the selected orders or all the orders matching the list."""

from __future__ import annotations

from itertools import islice

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.i18n import N_, _, ngettext
from backoffice.listing import query
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import resource
from backoffice.services import documents, orders
from components.bulk_bar import BulkTool, Selection
from components.forms import FAILED, call
from components.order_draft import DraftDialog
from components.resource_table import ResourceTable
from components.screens import screen
from components.session import acting_user

ORDERS = resource('orders')


class OrdersList:
    def __init__(self, user: User) -> None:
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(_(ORDERS.description)).classes('text-gray-600')
            with ui.row().classes('gap-2'):
                self.pick = ui.button(
                    _('Pick list'), icon='picture_as_pdf', on_click=lambda: self.pick_list(self.table.bulk.selection())
                ).props('outline')
                self.pick.mark('pick-list')
                if can(user, 'orders.write'):
                    ui.button(
                        _('New draft order'),
                        icon='add',
                        on_click=lambda: DraftDialog(
                            user, on_saved=lambda draft: ui.navigate.to(f'/orders/{draft.number}')
                        ),
                    ).mark('new-draft')
        # read-only rows, but a batch pick list needs a selection: the bulk bar offers it, and "all N matching"
        tools = [BulkTool(_('Pick list'), 'picture_as_pdf', self.pick_list, marker='bulk-pick-list')]
        if can(user, 'orders.write'):  # the packing table's round: every paid order picked is marked packed at once
            tools.append(BulkTool(_('Mark packed'), 'inventory', self.pack, marker='bulk-pack'))
        self.table = ResourceTable(ORDERS, on_open=self.open, bulk_tools=tuple(tools))

    def open(self, record_id: int) -> None:
        row = next((r for r in self.table.table.rows if r['id'] == record_id), None)
        if row is not None:
            ui.navigate.to(f'/orders/{row["number"]}')

    async def pack(self, chosen: Selection) -> None:
        user = acting_user()
        if user is None:
            return
        if not chosen.count:
            ui.notify(_('Select the orders to pack first (the boxes at the left of the list)'), type='warning')
            return

        def work() -> orders.Packed:
            with session_scope() as session:
                ids = chosen.ids
                if chosen.request is not None:
                    ids = list(
                        islice(
                            query.matching_ids(session=session, actor=user, resource=ORDERS, request=chosen.request),
                            orders.MAX_BULK + 1,
                        )
                    )
                return orders.pack_many(session=session, actor=user, order_ids=ids)

        done = await call(work)
        if done is FAILED:
            return
        said = ngettext('{n} order packed', '{n} orders packed', len(done.packed)).format(
            n=formatting.number(len(done.packed))
        )
        if done.refused:
            first = list(done.refused.items())[:3]
            said = _('{packed}; not packed: {reasons}').format(
                packed=said, reasons=' · '.join(why for _number, why in first)
            ) + ('…' if len(done.refused) > len(first) else '')
        ui.notify(said, type='warning' if done.refused else 'positive', multi_line=True)

    async def pick_list(self, chosen: Selection) -> None:
        user = acting_user()
        if user is None:
            return
        if not chosen.count:
            ui.notify(_('Select the orders to pick first (the boxes at the left of the list)'), type='warning')
            return
        if chosen.request is not None and chosen.count > documents.MAX_PICK_ORDERS:
            ui.notify(
                _(
                    'A pick list takes at most {most} orders; {count} match: narrow the list (a status, a date range)'
                ).format(most=formatting.number(documents.MAX_PICK_ORDERS), count=formatting.number(chosen.count)),
                type='warning',
                multi_line=True,
            )
            return

        def render() -> tuple[bytes, int]:
            with read_session() as session:
                if chosen.request is not None:
                    return documents.pick_list_matching(session=session, actor=user, request=chosen.request)
                return documents.pick_list_pdf(session=session, actor=user, order_ids=chosen.ids), len(chosen.ids)

        if chosen.count > 100:
            ui.notify(_('Making the pick list of {count} orders…').format(count=formatting.number(chosen.count)))
        rendered = await call(render)
        if rendered is FAILED:
            return
        pdf, count = rendered
        ui.download.content(pdf, f'pick-list-{count}-orders.pdf', 'application/pdf')


@screen(
    '/orders',
    ORDERS.label,
    permission=ORDERS.read_permission,
    icon=ORDERS.icon,
    section=N_('Sales'),
    order=250,
    description=ORDERS.description,
)
def orders_page(user: User) -> None:
    OrdersList(user)
