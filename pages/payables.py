"""Payables: what the shop owes its suppliers, phone first — the ageing in total, then per supplier, then the bills to
pay this week, ticked and exported as a SEPA credit transfer file for the bank."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import payables
from components import live
from components.forms import FAILED, call, error_line
from components.screens import screen
from components.session import acting_user

LINK_CELL = (
    '<q-td :props="props"><a :href="props.row.link" class="text-primary" style="overflow-wrap:anywhere">'
    '{{ props.value }}</a></q-td>'
)
# a bill's number kept whole; on a phone its supplier goes under it (the supplier column is hidden there)
BILL_CELL = (
    '<q-td :props="props"><a :href="props.row.link" class="text-primary whitespace-nowrap">{{ props.value }}</a>'
    '<div class="lt-sm text-xs text-grey-7" style="overflow-wrap:anywhere">{{ props.row.supplier }}</div></q-td>'
)


class PayablesScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        self.summary = ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-6 gap-2')
        ui.label(_('By supplier')).classes('text-lg font-medium')
        self.suppliers = ui.table(columns=supplier_columns(), rows=[], row_key='supplier_id').classes('w-full')
        self.suppliers.props('flat bordered dense wrap-cells').mark('payables-suppliers')
        self.suppliers.add_slot('body-cell-name', LINK_CELL)
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(_('To pay this week')).classes('text-lg font-medium')
            if can(user, 'payables.manage'):
                ui.button(_('Export a SEPA transfer file'), icon='download', on_click=self.export).mark('export-sepa')
        ui.label(_('Approved bills due within 7 days or overdue; tick those to pay.')).classes('text-sm text-gray-600')
        self.problem = error_line()
        self.due = ui.table(columns=due_columns(), rows=[], row_key='bill_id', selection='multiple').classes('w-full')
        self.due.props('flat bordered dense wrap-cells').mark('to-pay')
        self.due.add_slot('body-cell-number', BILL_CELL)
        ui.timer(0, self.show, once=True)
        live.resource_changed(Topic.supplier_bills).subscribe(self._on_change)

    def _on_change(self, _payload: dict) -> None:
        ui.timer(0.1, self.show, once=True)

    def _read(self) -> tuple[payables.Report, list[payables.OpenBill]]:
        with read_session() as session:
            return (
                payables.report(session=session, actor=self.user),
                payables.to_pay(session=session, actor=self.user),
            )

    async def show(self) -> None:
        read = await run.io_bound(self._read)
        if read is None or self.summary.is_deleted:
            return
        report, due = read
        currency = report.currency
        self.summary.clear()
        with self.summary:
            card(_('Total open'), formatting.money(report.totals.total, currency), 'total')
            for key, label in payables.BUCKETS.items():
                card(_(label), formatting.money(report.totals.buckets[key], currency), key)
        self.suppliers.rows = [
            {
                'supplier_id': row.supplier_id,
                'name': row.name,
                'link': f'/finance/bills?supplier_id={row.supplier_id}',
                **{key: formatting.money(row.buckets[key], currency) for key in payables.BUCKETS},
                'total': formatting.money(row.total, currency),
            }
            for row in report.suppliers
        ]
        self.due.rows = [
            {
                'bill_id': item.bill_id,
                'number': item.number,
                'link': f'/finance/bills/{item.bill_id}',
                'supplier': item.supplier_name,
                'iban': payables.spaced(item.iban) or _('No IBAN'),
                'due_on': formatting.day(item.due_on),
                'open': formatting.money(item.open, item.currency),
            }
            for item in due
        ]
        kept = {row['bill_id'] for row in self.due.rows}
        self.due.selected = [row for row in self.due.selected if row['bill_id'] in kept]

    async def export(self) -> None:
        user = acting_user()
        if user is None:
            return
        chosen = [row['bill_id'] for row in self.due.selected]

        def work() -> Any:
            with session_scope() as session:
                return payables.export_transfer(session=session, actor=user, bill_ids=chosen)

        made = await call(work, message=self.problem)
        if made is FAILED:
            return
        data, name = made
        ui.download.content(data, name, 'application/xml')
        ui.notify(_('Transfer file made: the bills are marked "payment sent".'), type='positive')
        self.due.selected = []
        await self.show()


def card(label: str, value: str, key: str) -> None:
    with ui.card().props('flat bordered').classes('p-2 gap-0').mark(f'payables-{key}'):
        ui.label(label).classes('text-xs text-gray-600')
        ui.label(value).classes('text-base font-medium whitespace-nowrap')


def supplier_columns() -> list[dict]:
    hidden = {'classes': 'gt-xs', 'headerClasses': 'gt-xs'}
    return [
        {'name': 'name', 'label': _('Supplier'), 'field': 'name', 'align': 'left'},
        *(
            {'name': key, 'label': _(label), 'field': key, 'align': 'right', **hidden}
            for key, label in payables.BUCKETS.items()
        ),
        {'name': 'total', 'label': _('Total open'), 'field': 'total', 'align': 'right'},
    ]


def due_columns() -> list[dict]:
    hidden = {'classes': 'gt-xs', 'headerClasses': 'gt-xs'}
    return [
        {'name': 'number', 'label': _('Bill'), 'field': 'number', 'align': 'left'},
        {'name': 'supplier', 'label': _('Supplier'), 'field': 'supplier', 'align': 'left', **hidden},
        {'name': 'iban', 'label': _('IBAN'), 'field': 'iban', 'align': 'left', **hidden},
        {'name': 'due_on', 'label': _('Due'), 'field': 'due_on', 'align': 'left', 'classes': 'whitespace-nowrap'},
        {'name': 'open', 'label': _('Open'), 'field': 'open', 'align': 'right'},
    ]


@screen(
    '/finance/payables',
    N_('Payables'),
    permission='payables.read',
    icon='outbox',
    section=N_('Finance'),
    order=278,
    description=N_('What the shop owes its suppliers: ageing, and the bills to pay this week as a SEPA transfer'),
)
def payables_page(user: User) -> None:
    PayablesScreen(user)
