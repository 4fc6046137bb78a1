"""One supplier bill: supplier, dates, lines, VAT per rate, totals, what is paid and open, its PDF, its payments and
timeline, with the actions its status allows (send for approval, approve, record a payment, cancel)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nicegui import run, ui

from backoffice import formatting, stored_text
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import AuditEntry, BillPayment, Supplier, SupplierBill, SupplierBillLine, User
from backoffice.permissions import can
from backoffice.services import audit, bills
from components import live
from components.bill_dialogs import cancel_dialog, edit_lines_dialog, payment_dialog, undo_payment_dialog
from components.forms import FAILED, call, call_now
from components.screens import screen
from components.server_error import record_id
from components.session import acting_user

ANYWHERE = 'overflow-wrap: anywhere'


@dataclass
class Loaded:
    bill: SupplierBill
    supplier: Supplier
    lines: list[SupplierBillLine]
    payments: list[BillPayment]
    events: list[AuditEntry]
    who: dict[str, str]  # each event's actor by name, an API key by its name (`audit.names_of`)
    approval_refused: str | None  # why this person may not approve it (they entered it…), said beside no button


def load(user: User, bill_id: int) -> Loaded:
    with read_session() as session:
        bill, supplier, lines = bills.get(session=session, actor=user, bill_id=bill_id)
        events = bills.timeline(session=session, actor=user, bill_id=bill_id)
        return Loaded(
            bill,
            supplier,
            lines,
            bills.payments_of(session=session, actor=user, bill_id=bill_id),
            events,
            audit.names_of(session, events),
            bills.approval_refused(session=session, actor=user, bill=bill),
        )


class BillScreen:
    def __init__(self, user: User, bill_id: int) -> None:
        self.user, self.bill_id = user, bill_id
        try:
            self.data = load(user, bill_id)
        except NotFound as error:
            ui.label(str(error)).mark('not-found')
            ui.link(_('Back to the bills'), '/finance/bills')
            return
        self.box = ui.column().classes('w-full gap-4')
        self._reloads = 0  # reloads started; only the latest one shows what it read (see `reload`)
        self.render()
        live.resource_changed(Topic.supplier_bills).subscribe(self._on_change)

    def _on_change(self, payload: dict) -> None:
        if payload.get('id') == self.bill_id:
            ui.timer(0.05, self.reload, once=True)

    async def reload(self) -> None:
        with self.box:
            user = acting_user()
        if user is None:
            return
        self._reloads += 1  # changes in a row start reloads that may answer out of order: the latest started shows
        this_reload = self._reloads
        data = await run.io_bound(load, user, self.bill_id)
        if data is not None and this_reload == self._reloads and not self.box.is_deleted:
            self.data = data
            self.render()

    def render(self) -> None:
        bill, supplier = self.data.bill, self.data.supplier
        self.box.clear()
        with self.box:
            with ui.row().classes('w-full items-baseline gap-3 flex-wrap'):
                ui.label(_('Bill {number}').format(number=bill.number)).classes('text-xl font-medium').style(
                    ANYWHERE
                ).mark('bill-number')
                ui.badge(_(bills.STATUS_WORDS[bill.status.value])).props('outline').mark('bill-status')
            with ui.column().classes('gap-0 text-sm text-gray-700'):
                ui.link(supplier.name, f'/suppliers?open={supplier.id}').style(ANYWHERE).mark('bill-supplier')
                ui.label(
                    _('Dated {issued}, due {due}').format(
                        issued=formatting.day(bill.issued_on), due=formatting.day(bill.due_on)
                    )
                )
                if bill.payment_sent_on:
                    ui.label(
                        _('Payment sent to the bank for {day}').format(day=formatting.day(bill.payment_sent_on))
                    ).mark('bill-sent')
                if bill.purchase_id:
                    ui.link(
                        _('From purchase order #{id}').format(id=bill.purchase_id),
                        f'/purchases?open={bill.purchase_id}',
                    )
                if bill.note:
                    ui.label(bill.note).style(ANYWHERE)
            self._actions()
            with ui.row().classes('w-full gap-4 flex-wrap lg:flex-nowrap items-start'):
                with ui.column().classes('w-full lg:w-2/3 gap-4'):
                    self._lines()
                    self._money()
                    self._payments()
                with ui.column().classes('w-full lg:w-1/3 gap-1'):
                    self._pdf()
                    ui.label(_('Timeline')).classes('font-medium mt-2')
                    for entry in self.data.events:
                        with ui.column().classes('gap-0').mark('timeline-entry'):
                            ui.label(stored_text.show(entry.summary, entry.summary_key, entry.summary_params)).classes(
                                'text-sm'
                            ).style(ANYWHERE)
                            ui.label(f'{formatting.when(entry.at)} · {self.data.who[entry.actor_email]}').classes(
                                'text-xs text-gray-500'
                            ).style(ANYWHERE)

    def _actions(self) -> None:
        bill, user = self.data.bill, self.user
        manage, approve = can(user, 'payables.manage'), can(user, 'payables.approve')
        with ui.row().classes('gap-2 flex-wrap'):
            if manage and bills.may_submit(bill):
                ui.button(_('Send for approval'), icon='send', on_click=self.submit).mark('bill-send')
            if approve and bills.awaits_approval(bill) and self.data.approval_refused is None:
                ui.button(_('Approve'), icon='verified', on_click=self.approve).mark('bill-approve')
            if manage and bills.may_edit_lines(bill):
                ui.button(
                    _('Edit lines'),
                    icon='edit',
                    on_click=lambda: edit_lines_dialog(bill, self.data.lines, self.reload),
                ).props('outline').mark('bill-edit-lines')
            if manage and bills.may_pay(bill):
                ui.button(
                    _('Record a payment'), icon='payments', on_click=lambda: payment_dialog(bill, self.reload)
                ).mark('bill-pay')
            if manage and bills.may_cancel(bill):
                ui.button(_('Cancel…'), on_click=lambda: cancel_dialog(bill, self.reload)).props('flat').mark(
                    'bill-cancel'
                )
        if approve and bills.awaits_approval(bill) and self.data.approval_refused:
            # in words, not a tooltip a phone never shows: why there is no Approve button for this person
            ui.label(self.data.approval_refused).classes('text-sm text-gray-700').style(ANYWHERE).mark(
                'bill-approval-refused'
            )

    def _lines(self) -> None:
        bill = self.data.bill
        columns = [
            {'name': 'description', 'label': _('Description'), 'field': 'description', 'align': 'left'},
            {'name': 'quantity', 'label': _('Qty'), 'field': 'quantity', 'align': 'right'},
            {'name': 'unit_price', 'label': _('Unit price'), 'field': 'unit_price', 'align': 'right'},
            {
                'name': 'vat_rate',
                'label': _('VAT'),
                'field': 'vat_rate',
                'align': 'right',
                'classes': 'gt-xs',
                'headerClasses': 'gt-xs',
            },
            {'name': 'net', 'label': _('Net'), 'field': 'net', 'align': 'right'},
        ]
        rows = [
            {
                'id': line.id,
                'description': line.description,
                'quantity': formatting.number(line.quantity.normalize() if line.quantity % 1 == 0 else line.quantity),
                'unit_price': formatting.money(line.unit_price, bill.currency),
                'vat_rate': rate_text(line.vat_rate),
                'net': formatting.money(line.net, bill.currency),
            }
            for line in self.data.lines
        ]
        ui.table(columns=columns, rows=rows, row_key='id').props('flat bordered dense wrap-cells').classes(
            'w-full'
        ).mark('bill-lines')

    def _money(self) -> None:
        bill = self.data.bill
        with ui.column().classes('w-full gap-0 items-end text-sm').mark('bill-totals'):
            ui.label(_('Net: {amount}').format(amount=formatting.money(bill.net_total, bill.currency)))
            for part in bills.breakdown(self.data.lines):
                ui.label(
                    _('VAT {rate} on {net}: {vat}').format(
                        rate=rate_text(part.rate),
                        net=formatting.money(part.net, bill.currency),
                        vat=formatting.money(part.vat, bill.currency),
                    )
                )
            ui.label(_('Total: {amount}').format(amount=formatting.money(bill.total, bill.currency))).classes(
                'text-base font-medium'
            )
            ui.label(_('Paid: {amount}').format(amount=formatting.money(bill.paid, bill.currency)))
            ui.label(
                _('Open: {amount}').format(amount=formatting.money(bills.open_amount(bill), bill.currency))
            ).classes('font-medium').mark('bill-open')

    def _payments(self) -> None:
        if not self.data.payments:
            return
        ui.label(_('Payments')).classes('font-medium')
        manage = can(self.user, 'payables.manage')
        for payment in self.data.payments:
            with ui.row().classes('w-full justify-between items-center text-sm gap-2').mark('bill-payment'):
                ui.label(f'{formatting.day(payment.paid_on)} · {payment.reference}').style(ANYWHERE)
                with ui.row().classes('items-center gap-1'):
                    ui.label(formatting.money(payment.amount, self.data.bill.currency))
                    if payment.bank_line_id is not None:
                        ui.icon('account_balance').classes('text-gray-500').tooltip(
                            _('Recorded by matching a bank statement line')
                        )
                    elif manage:
                        ui.button(
                            _('Undo'),
                            on_click=lambda p=payment: undo_payment_dialog(self.data.bill, p, self.reload),
                        ).props('flat dense').mark('bill-undo-payment')

    def _pdf(self) -> None:
        bill = self.data.bill
        ui.label(_("The supplier's PDF")).classes('font-medium')
        if bill.pdf_stored:
            ui.button(bill.pdf_name, icon='picture_as_pdf', on_click=self.download).props('flat dense no-caps').style(
                ANYWHERE
            ).mark('bill-pdf')
        else:
            ui.label(_('No PDF attached yet.')).classes('text-sm text-gray-500')
        if can(self.user, 'payables.manage'):
            ui.upload(
                label=_('Attach the PDF'),
                auto_upload=True,
                max_file_size=bills.PDF_MAX_BYTES,
                on_upload=self.uploaded,
                on_rejected=lambda: ui.notify(_('Attach a PDF of at most 10 MB'), type='negative'),
            ).props('accept=".pdf,application/pdf" flat bordered').classes('w-full').mark('bill-upload')

    async def uploaded(self, event: Any) -> None:
        user = acting_user()
        if user is None:
            return
        data = await event.file.read()
        name = event.file.name

        def work() -> Any:
            with session_scope() as session:
                return bills.attach_pdf(session=session, actor=user, bill_id=self.bill_id, file_name=name, data=data)

        if await call(work) is FAILED:
            return
        ui.notify(_('PDF attached'), type='positive')
        await self.reload()

    def download(self) -> None:
        user = acting_user()
        if user is None:
            return

        def read() -> tuple[bytes, str]:
            with read_session() as session:
                return bills.pdf_of(session=session, actor=user, bill_id=self.bill_id)

        found = call_now(read)
        if found is FAILED:
            return
        data, name = found
        ui.download.content(data, name, 'application/pdf')

    async def submit(self) -> None:
        await self._step(bills.submit, _('Sent for approval'))

    async def approve(self) -> None:
        await self._step(bills.approve, _('Bill approved for payment'))

    async def _step(self, action: Any, done: str) -> None:
        user = acting_user()
        if user is None:
            return
        version = self.data.bill.version

        def work() -> Any:
            with session_scope() as session:
                return action(session=session, actor=user, bill_id=self.bill_id, version=version)

        if await call(work) is FAILED:
            return
        ui.notify(done, type='positive')
        await self.reload()


def rate_text(rate: Decimal) -> str:
    """A VAT rate as the bill prints it: 20 %, 5.5 %, 2.1 %."""
    digits = 0 if rate % 1 == 0 else 1 if (rate * 10) % 1 == 0 else 2
    return formatting.percent(rate / 100, digits)


@screen(
    '/finance/bills/{bill_id}',
    N_('Supplier bill'),
    permission='payables.read',
    icon='receipt',
    section=N_('Finance'),
    in_menu=False,
    description=N_('One supplier bill: lines, VAT, approval, payments, its PDF and timeline'),
)
def bill_page(user: User, bill_id: str) -> None:
    number = record_id(bill_id)
    if number is None:
        ui.label(_('This bill no longer exists.')).mark('not-found')
        return
    BillScreen(user, number)
