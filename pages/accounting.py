"""Accounting export, for the accountant and the VAT return: for a period, the VAT summary per rate, sales and credit
notes per rate, payments received per method, refunds and the bank lines per category; as CSV (ZIP), XLSX or FEC."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.kpi.days import today
from backoffice.models import User
from backoffice.services import accounting, app_settings, payments
from components.date_input import DateInput
from components.forms import FAILED, call
from components.screens import screen
from components.session import acting_user

KINDS = {'invoice': N_('Invoices'), 'credit_note': N_('Credit notes')}
REFUND_KINDS = {'refund': N_('Refund'), 'reversal': N_('Reversal: failed at the bank')}
HIDDEN = {'classes': 'gt-xs', 'headerClasses': 'gt-xs'}


class AccountingScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        self.reading = asyncio.Lock()
        first, last = accounting.preset('last_month', today(app_settings.time_zone()))
        ui.label(_(HELP)).classes('text-sm text-gray-600')
        with ui.row().classes('w-full items-start gap-2').mark('accounting-period'):
            self.fields: dict[str, Any] = {
                'first': DateInput(_('From'), value=first.isoformat(), on_change=self.show),
                'last': DateInput(_('To'), value=last.isoformat(), on_change=self.show),
            }
            for element in self.fields.values():
                element.props('outlined dense debounce=600').classes('min-w-36')
        with ui.row().classes('w-full items-center gap-1').mark('accounting-presets'):
            day = today(app_settings.time_zone())
            for key, text in accounting.PRESETS.items():
                ui.button(_(text), on_click=lambda k=key, d=day: self.choose(*accounting.preset(k, d))).props(
                    'flat dense no-caps'
                ).mark(f'preset-{key}')
        with ui.row().classes('w-full items-center gap-2'):
            for fmt, text in (('csv', _('CSV (ZIP)')), ('xlsx', 'XLSX'), ('fec', _('FEC file'))):
                ui.button(text, icon='download', on_click=lambda f=fmt: self.download(f)).props('outline dense').mark(
                    f'export-{fmt}'
                )
        # hidden while the days are refused: the figures of the period read before must not stand under the error
        self.figures = ui.column().classes('w-full gap-2 p-0').mark('accounting-figures')
        with self.figures:
            self.notes = ui.column().classes('w-full gap-0').mark('accounting-notes')
            self.vat = section(_('VAT summary for the VAT return'), 'vat-summary', vat_columns())
            self.sales = section(_('Sales and credit notes per VAT rate'), 'sales', sales_columns())
            self.payments = section(_('Payments received per method'), 'payments', payment_columns())
            self.refunds = section(_('Refunds'), 'refunds', refund_columns())
            self.bank = section(_('Bank lines per category'), 'bank', bank_columns())
        ui.timer(0, self.show, once=True)

    def choose(self, first: date, last: date) -> None:
        """A preset period: both days set, the figures read once."""
        self.fields['first'].set_value(first.isoformat())  # the ISO value the input holds
        self.fields['last'].set_value(last.isoformat())  # the ISO value the input holds

    def values(self) -> dict[str, Any]:
        return {name: element.value for name, element in self.fields.items()}

    async def show(self) -> None:
        actor = acting_user()
        if actor is None:
            return
        # one read at a time, in the order asked: a slower read of days typed before (a field cleared, then typed)
        # answering last would put back its refusal, or its figures, over those of the days now shown
        async with self.reading:
            values = self.values()

            def read() -> accounting.Period:
                first, last = accounting.dates_from(values)
                with read_session() as session:
                    return accounting.period(session=session, actor=actor, first=first, last=last)

            with self.vat:
                figures = await call(read, fields=self.fields)
            if self.vat.is_deleted:
                return
            self.figures.set_visibility(figures is not FAILED)
            if figures is not FAILED:
                self.draw(figures)

    def draw(self, figures: accounting.Period) -> None:
        currency = figures.currency

        def money(value: Any) -> str:
            return formatting.money(value, currency)

        totals = figures.vat_totals()
        self.vat.rows = [
            {'_row': i, 'rate': rate(r['vat_rate']), 'base': money(r['base']), 'vat': money(r['vat'])}
            for i, r in enumerate(figures.vat_summary)
        ] + [{'_row': -1, 'rate': _('Total'), 'base': money(totals['base']), 'vat': money(totals['vat'])}]
        self.sales.rows = [
            {
                '_row': i,
                'kind': _(KINDS[r['kind']]),
                'rate': rate(r['vat_rate']),
                'net': money(r['net']),
                'vat': money(r['vat']),
                'gross': money(r['gross']),
            }
            for i, r in enumerate(figures.sales)
        ]
        methods = payments.PROVIDERS['manual'].methods
        self.payments.rows = [
            {
                '_row': i,
                'method': _(methods[r['method']]) if r['method'] in methods else r['method'],
                'count': formatting.number(r['count']),
                'amount': money(r['amount']),
            }
            for i, r in enumerate(figures.payments)
        ]
        self.refunds.rows = [
            {
                '_row': i,
                'day': formatting.day(r['day']),
                'order': r['order'],
                'reference': r['reference'],
                'amount': money(r['amount']),
                'kind': _(REFUND_KINDS[r['kind']]),
            }
            for i, r in enumerate(figures.refunds)
        ]
        self.bank.rows = [
            {
                '_row': i,
                'category': _(accounting.BANK_GROUPS[g['category']]),
                'count': formatting.number(g['count']),
                'money_in': money(g['money_in']),
                'money_out': money(g['money_out']),
            }
            for i, g in enumerate(figures.bank_by_group())
        ]
        self.notes.clear()
        with self.notes:
            for note in figures.notes:
                ui.label(note).classes('text-sm text-gray-600')

    async def download(self, fmt: str) -> None:
        actor = acting_user()
        if actor is None:
            return
        values = self.values()

        def make() -> tuple[bytes, str, str]:
            first, last = accounting.dates_from(values)
            with read_session() as session:
                return accounting.export(session=session, actor=actor, first=first, last=last, fmt=fmt)  # type: ignore[arg-type]

        with self.vat:
            made = await call(make, fields=self.fields)
            if made is FAILED:
                return
            content, name, media = made
            ui.download.content(content, name, media)
            ui.notify(_('{file} is downloading.').format(file=name))


def rate(value: Any) -> str:
    """A VAT rate as the reader's language writes a percentage, 20% or 5.5% (French: 20 % or 5,5 %, the sign held to
    the number by a no-break space: a phone's narrow column broke French '20,00 %' over two lines)."""
    return f'{formatting.number(value)}{formatting.percent_sign()}'


def section(title: str, mark: str, columns: list[dict]) -> ui.table:
    ui.label(title).classes('text-lg font-medium pt-2')
    table = ui.table(columns=columns, rows=[], row_key='_row').classes('w-full').mark(mark)
    table.props('flat bordered dense wrap-cells hide-pagination :rows-per-page-options="[0]"')
    table.props['no-data-label'] = _('Nothing over this period.')
    return table


def column(name: str, label: str, align: str = 'right', phone: bool = True) -> dict:
    return {'name': name, 'label': label, 'field': name, 'align': align, **({} if phone else HIDDEN)}


def vat_columns() -> list[dict]:
    return [column('rate', _('VAT rate'), 'left'), column('base', _('Taxable amount')), column('vat', _('VAT'))]


def sales_columns() -> list[dict]:
    return [
        column('kind', _('Document'), 'left'),
        column('rate', _('VAT rate')),
        column('net', _('Net')),
        column('vat', _('VAT'), phone=False),
        column('gross', _('Gross')),
    ]


def payment_columns() -> list[dict]:
    return [column('method', _('Method'), 'left'), column('count', _('Payments')), column('amount', _('Amount'))]


def refund_columns() -> list[dict]:
    return [
        column('day', _('Date'), 'left'),
        column('order', _('Order'), 'left'),
        column('reference', _('Reference'), 'left', phone=False),
        column('kind', _('Kind'), 'left'),
        column('amount', _('Amount')),
    ]


def bank_columns() -> list[dict]:
    return [
        column('category', _('Category'), 'left'),
        column('count', _('Lines'), phone=False),
        column('money_in', _('Money in')),
        column('money_out', _('Money out')),
    ]


HELP = N_(
    "Figures of the days chosen, in the shop's currency: the VAT from the invoices and credit notes issued, the "
    'payments and refunds recorded, the bank lines imported. The FEC file is the French legal accounting export.'
)


@screen(
    '/finance/export',
    N_('Accounting export'),
    permission='finance.read',
    icon='file_download',
    section=N_('Finance'),
    order=280,
    description=N_('VAT summary and the accounting export of a period: CSV, XLSX, FEC'),
)
def accounting_page(user: User) -> None:
    AccountingScreen(user)
