"""Finance overview, phone first: the cash position and what customers owe on cards, each bank account's balance,
money in and out per week (the last 12 weeks, from the bank lines) and the forecast (the next 8 weeks)."""

from __future__ import annotations

from nicegui import run, ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import User
from backoffice.services import cashflow
from components import live
from components.cashflow_charts import forecast_figure, weeks_figure
from components.lean_plotly import LeanPlotly
from components.screens import screen


class FinanceScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        self.cards = ui.element('div').classes('w-full grid grid-cols-2 lg:grid-cols-4 gap-2').mark('finance-cards')
        ui.label(_('Bank accounts')).classes('text-lg font-medium')
        self.accounts = ui.column().classes('w-full gap-2').mark('finance-accounts')
        with ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-3'):
            with ui.card().classes('w-full p-3 gap-1'):
                ui.label(_('Money in and out per week, last 12 weeks')).classes('text-sm font-medium')
                ui.label(_(PAST_HELP)).classes('text-xs text-gray-500')
                self.past = LeanPlotly(EMPTY).classes('w-full h-64').mark('chart-past')
                # no bank line yet: a flat line at 0 on an axis from -1 to 1 said nothing; this says what to do
                self.past_empty = ui.label(_(NO_LINES)).classes('text-sm text-gray-500').mark('past-empty')
                self.past_empty.set_visibility(False)
            with ui.card().classes('w-full p-3 gap-1'):
                ui.label(_('Expected per week, next 8 weeks')).classes('text-sm font-medium')
                ui.label(_(FORECAST_HELP)).classes('text-xs text-gray-500')
                self.forecast = LeanPlotly(EMPTY).classes('w-full h-64').mark('chart-forecast')
                self.forecast_empty = ui.label(_('Nothing is expected over the next 8 weeks.')).classes(
                    'text-sm text-gray-500'
                )
                self.forecast_empty.set_visibility(False)
        with ui.row().classes('w-full gap-4'):
            ui.link(_('Receivables'), '/finance/receivables')
            ui.link(_('Bank reconciliation'), '/finance/bank')
            ui.link(_('Accounting export and VAT'), '/finance/export')
        ui.timer(0, self.show, once=True)
        for topic in (Topic.bank, Topic.receivables, Topic.invoices, Topic.purchases):
            live.resource_changed(topic).subscribe(self._on_change)

    def _on_change(self, _payload: dict) -> None:
        ui.timer(0.2, self.show, once=True)

    def _read(self) -> cashflow.Overview:
        with read_session() as session:
            return cashflow.overview(session=session, actor=self.user)

    async def show(self) -> None:
        seen = await run.io_bound(self._read)
        if seen is None or self.cards.is_deleted:  # None: the app is shutting down
            return
        currency = seen.currency
        self.cards.clear()
        with self.cards:
            known = any(a.balance is not None for a in seen.accounts)  # else 0.00 would be a figure nobody read
            cash = formatting.money(seen.cash_total, currency) if known else '—'
            card(_('Cash position'), cash, 'cash', self.cash_hint(seen))
            card(
                _('Overdue receivables'),
                formatting.money(seen.overdue_amount, currency),
                'overdue',
                ngettext('{n} invoice', '{n} invoices', seen.overdue_count).format(
                    n=formatting.number(seen.overdue_count)
                ),
                link=True,
            )
            card(_('Open receivables'), formatting.money(seen.open_amount, currency), 'open', '')
            dso = (
                ngettext('{days} day', '{days} days', formatting.plural_count(seen.dso, 1)).format(
                    days=formatting.number(seen.dso, 1)
                )
                if seen.dso is not None
                else '—'
            )
            card(_('DSO'), dso, 'dso', _('Days of sales outstanding, over the last 90 days'))
        self.accounts.clear()
        with self.accounts:
            if not seen.accounts:
                ui.label(_('No bank account yet: add one on the bank reconciliation screen.')).classes('text-gray-500')
            for position in seen.accounts:
                with (
                    ui.card().props('flat bordered').classes('w-full p-3').mark(f'account-{position.account_id}'),
                    ui.row().classes('w-full items-center justify-between gap-2 no-wrap'),
                ):
                    ui.label(position.name).classes('font-medium break-words min-w-0 flex-1')
                    if position.balance is None:
                        ui.label(
                            _('No balance in its statements') if position.has_statement else _('No statement yet')
                        ).classes('text-gray-500 text-right shrink-0')
                    else:
                        with ui.column().classes('gap-0 items-end shrink-0'):
                            ui.label(formatting.money(position.balance, position.currency)).classes('font-medium')
                            ui.label(_('on {day}').format(day=formatting.day(position.on))).classes(
                                'text-xs text-gray-500'
                            )
        self.past.update_figure(weeks_figure(seen.past, currency))
        moved = any(week.money_in or week.money_out for week in seen.past)
        self.past.set_visibility(moved)
        self.past_empty.set_visibility(not moved)
        self.forecast.update_figure(forecast_figure(seen.forecast, seen.sources, currency))
        self.forecast_empty.set_visibility(not any(w.by_source for w in seen.forecast))

    @staticmethod
    def cash_hint(seen: cashflow.Overview) -> str:
        if not any(a.balance is not None for a in seen.accounts):
            if any(a.has_statement for a in seen.accounts):  # a bank's CSV export often has no balance column
                return _('The statements imported give no balance')
            return _('No statement yet')
        unknown = sum(1 for a in seen.accounts if a.balance is None and a.has_statement)
        if unknown:
            return ngettext(
                '{n} account without a balance in its statements is not added',
                '{n} accounts without a balance in their statements are not added',
                unknown,
            ).format(n=formatting.number(unknown))
        if seen.other_currency_accounts:
            return ngettext(
                '{n} account in another currency is not added',
                '{n} accounts in another currency are not added',
                seen.other_currency_accounts,
            ).format(n=formatting.number(seen.other_currency_accounts))
        return _('Latest statement of each account')


def card(label: str, value: str, key: str, hint: str, link: bool = False) -> None:
    with ui.card().props('flat bordered').classes('gap-0 p-3 min-w-0').mark(f'finance-{key}'):
        if link:  # the one card that opens a screen: the invoices behind it
            ui.link(label, '/finance/receivables').classes('text-xs text-gray-600')
        else:
            ui.label(label).classes('text-xs text-gray-600')
        ui.label(value).classes('text-lg sm:text-2xl font-semibold whitespace-nowrap')
        if hint:
            ui.label(hint).classes('text-xs text-gray-500')


EMPTY = {'data': [], 'layout': {'height': 260}, 'config': {'displayModeBar': False}}
PAST_HELP = N_('From the imported bank lines, the current week so far; transfers between own accounts left out.')
NO_LINES = N_('No bank lines over these 12 weeks: import a statement on the bank reconciliation screen.')
FORECAST_HELP = N_('Invoices by their due date, overdue ones this week, purchase orders not yet received.')


@screen(
    '/finance',
    N_('Overview'),
    permission='finance.read',
    icon='account_balance_wallet',
    section=N_('Finance'),
    order=265,
    description=N_('Cash position, money in and out per week and the forecast'),
)
def finance_page(user: User) -> None:
    FinanceScreen(user)
