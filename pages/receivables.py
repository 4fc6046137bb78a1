"""Receivables: what customers owe, phone first — the ageing in total and the DSO on top, then per customer account
(with its statement), then every open invoice; one payment settles the invoices ticked; reminders waiting for review."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import ReminderStatus, User
from backoffice.permissions import can
from backoffice.services import dunning, payments, receivables
from components import live
from components.forms import FAILED, call, confirm, counted, error_line, page_dialog
from components.screens import screen
from components.session import acting_user
from components.statement_button import download_statement


class ReceivablesScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        self.report: receivables.Report | None = None
        self._reads = 0  # reads started; only the latest one shows what it read (see `show`)
        self._reminders_shown: list | None = None  # the reminders drawn (see `show_reminders`)
        self.summary = ui.element('div').classes('w-full grid grid-cols-2 sm:grid-cols-3 lg:grid-cols-7 gap-2')
        ui.label(_('By customer')).classes('text-lg font-medium')
        self.accounts = ui.table(columns=account_columns(), rows=[], row_key='key').classes('w-full')
        self.accounts.props('flat bordered dense wrap-cells').mark('accounts')
        self.accounts.add_slot('body-cell-name', NAME_CELL)
        self.accounts.add_slot('body-cell-statement', STATEMENT_CELL)
        self.accounts.on('statement', lambda e: self.download_statement(e.args))
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(_('Open invoices')).classes('text-lg font-medium')
            if can(user, 'finance.manage'):
                ui.button(_('Record a payment'), icon='payments', on_click=self.payment_dialog).mark('record-receipt')
        self.items = ui.table(columns=item_columns(), rows=[], row_key='invoice_id', selection='multiple')
        self.items.classes('w-full').props('flat bordered dense wrap-cells').mark('open-invoices')
        self.items.add_slot('body-cell-number', INVOICE_CELL)
        self.capped = ui.label().classes('text-sm text-gray-600')
        self.capped.set_visibility(False)
        self.reminders = ui.column().classes('w-full gap-2').mark('reminders')
        for table in (self.accounts, self.items):
            table.props('loading')  # until the first read, off the event loop: a big ledger takes a moment
        ui.timer(0, self.show, once=True)
        for topic in (Topic.receivables, Topic.orders, Topic.invoices):
            live.resource_changed(topic).subscribe(self._on_change)

    def _on_change(self, _payload: dict) -> None:
        ui.timer(0.1, self.show, once=True)

    def _read(self) -> tuple[receivables.Report, list]:
        with read_session() as session:
            return (
                receivables.report(session=session, actor=self.user),
                dunning.reminders(session=session, actor=self.user, status=ReminderStatus.review),
            )

    async def show(self) -> None:
        # every order, invoice and payment of the shop starts a read; one that read earlier may answer later: only the
        # latest started shows, or the page would go back to an older state (a reminder just sent, waiting again)
        self._reads += 1
        this_read = self._reads
        read = await run.io_bound(self._read)
        if read is None or this_read != self._reads or self.summary.is_deleted:  # None: the app is shutting down
            return
        report, waiting = read
        self.report = report
        for table in (self.accounts, self.items):
            table.props(remove='loading')
        self.summary.clear()
        with self.summary:  # per currency, never added up across currencies: a line each
            card(_('Total open'), in_each_currency(report, report.totals_in(lambda a: a.total)), 'total')
            for key, label in receivables.BUCKETS.items():
                card(_(label), in_each_currency(report, report.totals_in(lambda a, k=key: a.buckets[k])), key)
            dso = (
                ngettext('{days} day', '{days} days', formatting.plural_count(report.dso, 1)).format(
                    days=formatting.number(report.dso, 1)
                )
                if report.dso is not None
                else '—'
            )
            card(_('DSO'), dso, 'dso', _(DSO_HELP))
        self.accounts.rows = [
            {
                'key': account.key,
                'name': account.name,
                'link': f'/companies/{account.company_id}'
                if account.company_id
                else f'/customers/{account.customer_id}',
                **{key: formatting.money(account.buckets[key], account.currency) for key in receivables.BUCKETS},
                'total': formatting.money(account.total, account.currency),
                'customer_id': account.customer_id,
                'company_id': account.company_id,
            }
            for account in report.accounts
        ]
        self.items.rows = [
            {
                'invoice_id': item.invoice_id,
                'number': item.number,
                'link': f'/orders/{item.order_number}',
                'customer': item.account_name,
                'due_on': formatting.day(item.due_on),
                'days': formatting.number(item.days_overdue) if item.days_overdue else '—',
                'bucket': _(receivables.BUCKETS[item.bucket]),
                'open': formatting.money(item.open, item.currency),
                'total': formatting.money(item.total, item.currency),
            }
            for item in report.items[:ITEMS_SHOWN]
        ]
        self.capped.set_visibility(len(report.items) > ITEMS_SHOWN)
        self.capped.text = _('The {shown} most overdue of {count} open invoices are listed.').format(
            shown=formatting.number(ITEMS_SHOWN), count=formatting.number(len(report.items))
        )
        self.items.selected = [
            row for row in self.items.selected if any(r['invoice_id'] == row['invoice_id'] for r in self.items.rows)
        ]

        self.show_reminders(waiting)

    def show_reminders(self, waiting: list) -> None:
        # drawn again only when they changed: every order of the shop refreshes this page, and a redraw replaces the
        # buttons under a click already on its way ("Approve and send" pressed, and nothing happened)
        if waiting == self._reminders_shown:
            return
        self._reminders_shown = waiting
        self.reminders.clear()
        with self.reminders:
            ui.label(_('Reminders to review')).classes('text-lg font-medium')
            if not waiting:
                ui.label(_('No reminder waits for review.')).classes('text-gray-500')
            manage = can(self.user, 'finance.manage')
            for reminder in waiting:
                with ui.card().props('flat bordered').classes('w-full gap-1').mark(f'reminder-{reminder.invoice}'):
                    ui.label(
                        _('Reminder {level} for invoice {invoice} to {email}').format(
                            level=reminder.level, invoice=reminder.invoice, email=reminder.email
                        )
                    ).classes('font-medium break-words')
                    ui.label(reminder.subject).classes('text-sm break-words')
                    ui.label(reminder.body).classes('text-sm text-gray-700 whitespace-pre-line break-words')
                    if manage:
                        with ui.row().classes('gap-2'):
                            ui.button(_('Approve and send'), on_click=lambda r=reminder: self.decide(r.id, True)).mark(
                                f'approve-{reminder.invoice}'
                            )
                            ui.button(_('Do not send'), on_click=lambda r=reminder: self.decide(r.id, False)).props(
                                'flat'
                            ).mark(f'cancel-{reminder.invoice}')

    async def decide(self, reminder_id: int, approve: bool) -> None:
        user = acting_user()
        if user is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return dunning.decide(session=session, actor=user, reminder_id=reminder_id, approve=approve)

        with self.reminders:  # the button is gone once the list was redrawn for this very change
            if await call(go) is FAILED:
                return
            ui.notify(_('Reminder approved: it is sent shortly.') if approve else _('Reminder cancelled.'))
        await self.show()

    async def download_statement(self, account: dict) -> None:
        with self.accounts:
            await download_statement(customer_id=account.get('customer_id'), company_id=account.get('company_id'))

    def payment_dialog(self) -> None:
        chosen = {row['invoice_id'] for row in self.items.selected}
        items = [item for item in (self.report.items if self.report else []) if item.invoice_id in chosen]
        if not items:
            ui.notify(_('Tick the invoices this payment settles first.'), type='warning')
            return
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('receipt-dialog'):
            ui.label(_('Record a payment')).classes('text-lg font-medium')
            ui.label(_(SETTLE_HELP)).classes('text-sm text-gray-600')
            fields: dict[str, Any] = {}
            for item in items:
                fields[f'invoice_{item.invoice_id}'] = (
                    ui.input(
                        _('{invoice} (open {amount})').format(
                            invoice=item.number, amount=formatting.money(item.open, item.currency)
                        ),
                        value=formatting.typed_amount(item.open),  # as the reader types it: 12,50 in French
                    )
                    .props('outlined dense')
                    .classes('w-full')
                    .mark(f'amount-{item.number}')
                )
            method = ui.select(
                {k: _(v) for k, v in payments.PROVIDERS['manual'].methods.items()},
                label=_('Method'),
                value='bank_transfer',
            ).props('outlined dense')
            reference = counted(ui.input(_('Reference (bank statement line)')), payments.REFERENCE_MAX).props(
                'outlined dense'
            )
            reference.mark('reference')
            fields.update(method=method, reference=reference)
            message = error_line()
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Close'), on_click=dialog.close).props('flat')

                async def go() -> None:
                    user = acting_user()
                    if user is None:
                        return
                    amounts = {item.invoice_id: fields[f'invoice_{item.invoice_id}'].value for item in items}
                    typed = reference.value or ''

                    def check() -> str | None:  # the same bank line typed twice? said with the payment it made
                        with read_session() as session:
                            return payments.same_reference_warning(
                                session=session,
                                actor=user,
                                order_ids=[item.order_id for item in items],
                                reference=typed,
                            )

                    warning = await call(check, fields=fields, message=message)
                    if warning is FAILED:
                        return
                    if warning and not await confirm(warning, _('Record it anyway'), title=_('Same reference')):
                        return

                    def settle() -> Any:
                        with session_scope() as session:
                            return receivables.settle(
                                session=session,
                                actor=user,
                                amounts=amounts,
                                method=method.value,
                                reference=typed,
                                same_reference=bool(warning),
                            )

                    done = await call(settle, fields=fields, message=message)
                    if done is FAILED:
                        return
                    dialog.close()
                    with self.items:
                        ui.notify(
                            _('Payment of {amount} recorded.').format(
                                amount=formatting.money(done.amount, done.currency)
                            ),
                            type='positive',
                        )
                    self.items.selected = []
                    await self.show()

                ui.button(_('Record'), on_click=go).mark('dialog-submit')
        dialog.open()


def in_each_currency(report: receivables.Report, amounts: tuple[tuple[str, Any], ...]) -> list[str]:
    """The amounts of a card, the report's currency always, another only where something is open in it."""
    return [formatting.money(amount, code) for code, amount in amounts if amount or code == report.currency]


def card(label: str, value: str | list[str], key: str, hint: str = '') -> None:
    with ui.card().props('flat bordered').classes('gap-0 p-3').mark(f'ageing-{key}'):
        ui.label(label).classes('text-xs text-gray-600')
        for line in [value] if isinstance(value, str) else value:
            ui.label(line).classes('text-lg font-medium')
        if hint:
            ui.label(hint).classes('text-xs text-gray-500')


def account_columns() -> list[dict]:
    return [
        {'name': 'name', 'label': _('Customer'), 'field': 'name', 'align': 'left'},
        *(
            {
                'name': key,
                'label': _(label),
                'field': key,
                'align': 'right',
                'classes': 'gt-xs',
                'headerClasses': 'gt-xs',
            }
            for key, label in receivables.BUCKETS.items()
        ),
        {'name': 'total', 'label': _('Amount open'), 'field': 'total', 'align': 'right'},
        {'name': 'statement', 'label': _('Statement (PDF)'), 'field': 'key', 'align': 'center'},
    ]


def item_columns() -> list[dict]:
    hidden = {'classes': 'gt-xs', 'headerClasses': 'gt-xs'}
    return [
        {'name': 'number', 'label': _('Invoice'), 'field': 'number', 'align': 'left'},
        {'name': 'customer', 'label': _('Customer'), 'field': 'customer', 'align': 'left'},
        {'name': 'due_on', 'label': _('Due'), 'field': 'due_on', 'align': 'left', **hidden},
        {'name': 'days', 'label': _('Days overdue'), 'field': 'days', 'align': 'right'},
        {'name': 'bucket', 'label': _('Age'), 'field': 'bucket', 'align': 'left', **hidden},
        {'name': 'total', 'label': _('Total'), 'field': 'total', 'align': 'right', **hidden},
        {'name': 'open', 'label': _('Amount open'), 'field': 'open', 'align': 'right'},
    ]


# Vue interpolation ({{ }}) writes text, never markup: a customer's name shows as typed
INVOICE_CELL = '<q-td :props="props"><a class="nicegui-link" :href="props.row.link">{{ props.value }}</a></q-td>'
NAME_CELL = '<q-td :props="props"><a class="nicegui-link" :href="props.row.link">{{ props.value }}</a></q-td>'
STATEMENT_CELL = (
    '<q-td :props="props"><q-btn flat dense icon="description" :aria-label="props.col.label" '
    '@click="$parent.$emit(\'statement\', {customer_id: props.row.customer_id, company_id: props.row.company_id})" />'
    '</q-td>'
)
ITEMS_SHOWN = 500  # the most overdue first; a ledger larger than that is read through its statements
DSO_HELP = N_('Days of sales outstanding, over the last 90 days')
SETTLE_HELP = N_('One sum received for the invoices ticked: each takes its part, in full or in part.')


@screen(
    '/finance/receivables',
    N_('Receivables'),
    permission='finance.read',
    icon='request_quote',
    section=N_('Finance'),
    order=270,
    description=N_('What customers owe: open invoices, their ageing, payments and reminders'),
)
def receivables_page(user: User) -> None:
    ReceivablesScreen(user)
