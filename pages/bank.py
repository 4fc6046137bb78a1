"""Bank reconciliation, phone first: the accounts with their last balance, then the statement lines as cards (filtered
by account, status, money in or out, words), each unmatched line with its ranked suggestions and a one-click match."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import run, ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import BankLine, User
from backoffice.permissions import can
from backoffice.services import bank, bank_match, bank_rules
from components import live
from components.bank_dialogs import account_dialog, import_dialog, note_dialog, set_aside_dialog, split_dialog
from components.bank_rules_dialog import offer_match_rule, rules_dialog
from components.forms import FAILED, call, confirm
from components.kept_cards import KeptCards, key_of
from components.screens import screen
from components.session import acting_user

PAGE = 30  # lines per "Show more"
STATUS_CHOICES = {
    'unmatched': N_('To reconcile'),
    'matched': N_('Matched'),
    'ignored': N_('Set aside'),
    'all': N_('All'),
}
PAID_PARTS = {  # what a matched line paid, said on its card
    'invoice': N_('invoice {number} ({amount})'),
    'order': N_('order {number} ({amount})'),
    'bill': N_('bill {number} ({amount})'),
}
BY_HAND = {  # money recorded by hand from a line, said on its card
    'receipt': N_('payment received of {amount} on {day} ({reference})'),
    'payment': N_('order payment of {amount} on {day} ({reference})'),
    'bill_payment': N_('bill payment of {amount} on {day} ({reference})'),
}
ANYWHERE = 'overflow-wrap: anywhere'  # a bank's long label or reference without spaces wraps instead of overflowing
DIRECTIONS = {'all': N_('In and out'), 'in': N_('Money in'), 'out': N_('Money out')}


class BankScreen:
    def __init__(self, user: User) -> None:
        self.user = user
        self.manage = can(user, 'finance.manage')
        self.pay_bills = can(user, 'payables.manage')
        self.shown = PAGE
        self.account_names: dict[int, str] = {}
        self.rule_names: dict[int, str] = {}
        self.paid: dict[int, list[bank_match.PaidPart]] = {}
        self.by_hand: dict[int, list[bank_match.ByHand]] = {}  # money recorded by hand from a line to match
        self._reads = 0  # reads started; only the latest one shows what it read (see `show`)
        with ui.row().classes('w-full items-center gap-2'):
            if self.manage:
                ui.button(_('Import a statement'), icon='upload_file', on_click=self.open_import).mark('import')
                ui.button(_('New account'), icon='add', on_click=lambda: account_dialog(self.show)).props('flat').mark(
                    'new-account'
                )
                ui.button(_('Match again'), icon='auto_fix_high', on_click=self.rematch).props('flat').mark('rematch')
            ui.button(_('Rules'), icon='rule', on_click=lambda: rules_dialog(self.user, self.manage)).props(
                'flat'
            ).mark('rules')
        self.accounts = ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-2')
        self.accounts.mark('bank-accounts')
        with ui.row().classes('w-full items-end gap-2'):
            self.account = (
                ui.select({0: _('All accounts')}, value=0, label=_('Account'), on_change=self.refilter)
                .props('outlined dense')
                .classes('w-full sm:w-56')
                .mark('filter-account')
            )
            self.status = (
                ui.select(
                    {k: _(v) for k, v in STATUS_CHOICES.items()},
                    value='unmatched',
                    label=_('Status'),
                    on_change=self.refilter,
                )
                .props('outlined dense')
                .classes('w-full sm:w-44')
                .mark('filter-status')
            )
            self.direction = (
                ui.select({k: _(v) for k, v in DIRECTIONS.items()}, value='all', label=_('Direction'))
                .props('outlined dense')
                .classes('w-full sm:w-40')
                .mark('filter-direction')
            )
            self.direction.on_value_change(self.refilter)
            self.search = (
                ui.input(_('Search label, counterpart, reference'))
                .props('outlined dense clearable debounce=300')
                .classes('w-full sm:w-72')
                .mark('filter-search')
            )
            self.search.on_value_change(self.refilter)
        self.summary = ui.label().classes('text-sm text-gray-600').mark('lines-summary')
        self.lines = ui.column().classes('w-full gap-2').mark('bank-lines')
        self.cards = KeptCards(
            self.lines, lambda: ui.label(_('No line matches these filters.')).classes('text-gray-500').mark('no-lines')
        )
        self.more = ui.button(_('Show more'), on_click=self.show_more).props('flat').mark('show-more')
        self.more.set_visibility(False)
        ui.label(_('Recent statements')).classes('text-lg font-medium')
        self.statements = ui.table(columns=statement_columns(), rows=[], row_key='id').classes('w-full')
        self.statements.props('flat bordered dense wrap-cells').mark('statements')
        ui.timer(0, self.show, once=True)
        for topic in (Topic.bank, Topic.receivables):
            live.resource_changed(topic).subscribe(self._on_change)

    def _on_change(self, _payload: dict) -> None:
        ui.timer(0.1, self.show, once=True)

    def filters(self) -> dict[str, Any]:
        status = self.status.value
        return {
            'account_id': self.account.value or None,
            'status': None if status == 'all' else status,
            'direction': None if self.direction.value == 'all' else self.direction.value,
            'search': self.search.value or '',
        }

    def _read(self, filters: dict[str, Any], limit: int) -> tuple:
        with read_session() as session:
            accounts = bank.accounts(session=session, actor=self.user)
            balances = {
                account.id: bank.statements(session=session, actor=self.user, account_id=account.id, limit=1)
                for account in accounts
            }
            counts = bank.counts(session=session, actor=self.user)
            page = bank.lines(session=session, actor=self.user, limit=limit, **filters)
            recent = bank.statements(session=session, actor=self.user)
            rule_names = {r.id: r.name for r in bank_rules.rules(session=session, actor=self.user) if r.id}
            paid = bank_match.paid_by(session=session, actor=self.user, lines=page.rows)
            by_hand = bank_match.recorded_for(session=session, actor=self.user, lines=page.rows)
            return accounts, balances, counts, page, recent, rule_names, paid, by_hand

    async def refilter(self) -> None:
        self.shown = PAGE
        await self.show()

    async def show_more(self) -> None:
        self.shown += PAGE
        await self.show()

    async def show(self) -> None:
        # a search typed, a filter chosen and a colleague's change each start a read; one that read earlier may answer
        # later: only the latest started shows, or the list would go back to lines the filters no longer ask for
        self._reads += 1
        this_read = self._reads
        read = await run.io_bound(self._read, self.filters(), self.shown)
        if read is None or this_read != self._reads or self.lines.is_deleted:  # None: the app is shutting down
            return
        accounts, balances, counts, page, recent, self.rule_names, self.paid, self.by_hand = read
        self.account_names = {a.id: a.name for a in accounts if a.id is not None}
        self.account.set_options({0: _('All accounts'), **self.account_names}, value=self.account.value)
        self.accounts.clear()
        with self.accounts:
            if not accounts:
                ui.label(_('No bank account yet: add one, then import its statements.')).classes('text-gray-500')
            for account in accounts:
                last = balances.get(account.id) or []
                closing = last[0].closing_balance if last else None
                with ui.card().props('flat bordered').classes('gap-0 p-3').mark(f'account-{account.id}'):
                    ui.label(account.name).classes('font-medium break-words')
                    ui.label(account.iban or '—').classes('text-xs text-gray-600 break-all')
                    ui.label(formatting.money(closing, account.currency) if closing is not None else '—').classes(
                        'text-lg'
                    )
                    if last and closing is None:  # a bank's CSV export often has no balance column
                        ui.label(_('Its latest statement gives no balance')).classes('text-xs text-gray-500')
                    elif last:
                        ui.label(
                            _('Balance at {day}').format(day=formatting.day(last[0].ends_on or last[0].imported_at))
                        ).classes('text-xs text-gray-500')
        self.summary.text = _(
            '{shown} of {total} lines · to reconcile {open}, matched {matched}, set aside {ignored}'
        ).format(
            shown=formatting.number(len(page.rows)),
            total=formatting.number(page.total),
            open=formatting.number(counts['unmatched']),
            matched=formatting.number(counts['matched']),
            ignored=formatting.number(counts['ignored']),
        )
        self.show_lines(page.rows)
        self.more.set_visibility(len(page.rows) < page.total)
        self.statements.rows = [
            {
                'id': s.id,
                'file': s.file_name or '—',
                'account': self.account_names.get(s.account_id, ''),
                'period': formatting.days(s.starts_on, s.ends_on) if s.starts_on and s.ends_on else '—',
                'lines': _('{new} new, {known} already there').format(
                    new=formatting.number(s.new_lines), known=formatting.number(s.known_lines)
                ),
                'imported': formatting.when(s.imported_at),
            }
            for s in recent
        ]

    def show_lines(self, rows: list[BankLine]) -> None:
        """The lines' cards: a card whose line shows the same as before is kept as it is, not drawn again. A refresh
        that changes nothing on it (a search that keeps it, a colleague's change to another line, this page's own
        change heard back) would otherwise replace its buttons under a click already on its way, and the browser's
        click on a button the server no longer has does nothing: "Split or choose…" clicked, no dialog."""
        self.cards.show([(self.card_key(line), lambda ln=line: self.line_card(ln)) for line in rows])

    def card_key(self, line: BankLine) -> str:
        """Everything a line's card shows or acts on: the line as stored (its version, status, suggestions, note), what
        it paid, the names of its rules."""
        parts = self.paid.get(line.id or 0, [])
        rules = [self.rule_names.get(rule) for rule in (line.rule_id, line.missed_rule_id) if rule is not None]
        return key_of(line.model_dump(mode='json'), parts, rules, self.by_hand.get(line.id or 0, []))

    def line_card(self, line: BankLine) -> ui.card:
        money_in = line.amount > 0
        with ui.card().props('flat bordered').classes('w-full gap-1 p-3').mark(f'line-{line.id}') as card:
            with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
                with ui.column().classes('gap-0 min-w-0 flex-1'):
                    ui.label(line.counterpart or line.label or '—').classes('font-medium').style(ANYWHERE)
                    ui.label(formatting.day(line.booked_on)).classes('text-xs text-gray-600')
                ui.label(formatting.money(line.amount, line.currency)).classes(
                    'text-base font-medium whitespace-nowrap ' + ('text-positive' if money_in else 'text-negative')
                )
            if line.label and line.counterpart:
                ui.label(line.label).classes('text-sm').style(ANYWHERE)
            if line.reference:
                ui.label(_('Reference: {reference}').format(reference=line.reference)).classes(
                    'text-xs text-gray-600'
                ).style(ANYWHERE)
            ui.badge(self.badge(line)).classes('max-w-full').style(ANYWHERE).mark(f'line-status-{line.id}')
            if line.note:
                ui.label(_('Note: {note}').format(note=line.note)).classes('text-xs text-gray-600').style(ANYWHERE)
            parts = self.paid.get(line.id or 0)
            if parts:  # what Undo would take back
                ui.label(
                    _('Paid: {parts}').format(
                        parts=', '.join(
                            _(PAID_PARTS[part.kind]).format(
                                number=part.number, amount=formatting.money(part.amount, line.currency)
                            )
                            for part in parts
                        )
                    )
                ).classes('text-sm').style(ANYWHERE).mark(f'line-paid-{line.id}')
            if bank_match.may_match(line) and line.missed_rule_id is not None and line.rule_miss:
                ui.label(
                    _('Rule “{rule}” did not apply: {reason}').format(
                        rule=self.rule_names.get(line.missed_rule_id, '—'),
                        reason=_(bank_rules.MISSES.get(line.rule_miss, bank_rules.MISSES['refused'])),
                    )
                ).classes('text-xs text-orange-9').style(ANYWHERE).mark(f'rule-miss-{line.id}')
            recorded = self.by_hand.get(line.id or 0, [])
            if recorded:  # the transfer was recorded by hand (its reference quoted): matching it again counts it twice
                ui.label(
                    _('Recorded by hand: {payments}').format(
                        payments='; '.join(
                            _(BY_HAND[what.kind]).format(
                                amount=formatting.money(what.amount, line.currency),
                                day=formatting.day(what.on),
                                reference=what.reference,
                            )
                            for what in recorded
                        )
                    )
                ).classes('text-sm').style(ANYWHERE).mark(f'line-by-hand-{line.id}')
            if bank_match.may_match(line):
                self.suggestions(line, bank_match.left_to_match(line, recorded))
            elif self.manage:
                ui.button(_('Undo'), icon='undo', on_click=lambda ln=line: self.undo(ln)).props('flat dense').mark(
                    f'undo-{line.id}'
                )
        return card

    def badge(self, line: BankLine) -> str:
        """The line's status, and which rule matched it or set it aside."""
        rule = self.rule_names.get(line.rule_id) if line.rule_id is not None else None
        if not bank_match.is_set_aside(line):
            if rule is not None and not bank_match.may_match(line):
                return _('Matched by rule “{rule}”').format(rule=rule)
            return _(STATUS_CHOICES[line.status.value])
        category = bank_match.CATEGORIES.get(line.category)
        if category and rule is not None:
            return _('Set aside by rule “{rule}”: {category}').format(rule=rule, category=_(category))
        return _('Set aside: {category}').format(category=_(category)) if category else _('Set aside')

    def suggestions(self, line: BankLine, left: Decimal) -> None:
        if not left:  # all of it recorded by hand: linking it is what is left to do (or a note of what to check)
            if self.manage:
                with ui.row().classes('gap-1 items-center'):
                    ui.button(
                        _('Link to what was recorded'), icon='link', on_click=lambda ln=line: self.link_recorded(ln)
                    ).props('dense unelevated').mark(f'link-{line.id}')
                    ui.button(_('To check…'), on_click=lambda ln=line: note_dialog(ln, self.show)).props(
                        'flat dense'
                    ).mark(f'note-{line.id}')
            return
        found = bank_match.suggestions_of(line)
        for suggestion in found[:3]:
            why = ', '.join(_(bank_match.REASONS[w]) for w in suggestion['why'] if w in bank_match.REASONS)
            bill = suggestion.get('kind') == 'bill'
            said = _('Bill {bill} · {supplier} · open {open}') if bill else _('{invoice} · {customer} · open {open}')
            if 'order_id' in suggestion:  # awaiting payment, no invoice yet: the transfer pays the order
                said = _('Order {invoice} awaiting payment · {customer} · due {open}')
            with ui.row().classes('w-full items-center justify-between gap-2 no-wrap'):
                with ui.column().classes('gap-0 min-w-0 flex-1'):
                    ui.label(
                        said.format(
                            bill=suggestion['number'],
                            supplier=suggestion['customer'],
                            invoice=suggestion['number'],
                            customer=suggestion['customer'],
                            open=formatting.money(suggestion['open'], suggestion['currency']),
                        )
                    ).classes('text-sm').style(ANYWHERE)
                    ui.label(why).classes('text-xs text-gray-500')
                # one click only on strong evidence (the service's rule); a weaker bill is chosen after a question,
                # a weaker invoice through "Split or choose…"
                sure = bank_match.one_click(suggestion, left)
                if bill and self.manage and self.pay_bills and sure:
                    ui.button(
                        _('Match'), icon='check', on_click=lambda ln=line, s=suggestion: self.confirm_bill(ln, s)
                    ).props('dense unelevated').mark(f'match-{line.id}-{suggestion["number"]}')
                elif bill and self.manage and self.pay_bills:
                    ui.button(
                        _('Choose…'), on_click=lambda ln=line, s=suggestion, left=left: self.choose_bill(ln, s, left)
                    ).props('flat dense').mark(f'choose-{line.id}-{suggestion["number"]}')
                elif not bill and self.manage and sure:
                    ui.button(
                        _('Match'), icon='check', on_click=lambda ln=line, s=suggestion: self.confirm(ln, s)
                    ).props('dense unelevated').mark(f'match-{line.id}-{suggestion["number"]}')
        if not self.manage:
            return
        with ui.row().classes('gap-1'):
            if line.amount > 0:
                ui.button(
                    _('Split or choose…'), on_click=lambda ln=line, left=left: split_dialog(ln, left, self.show)
                ).props('flat dense').mark(f'split-{line.id}')
            # money out is never a customer's payment: "Not a customer payment…" on a bank fee read as a riddle
            aside = _('Not a customer payment…') if line.amount > 0 else _('Set aside…')
            ui.button(aside, on_click=lambda ln=line: set_aside_dialog(ln, self.show)).props('flat dense').mark(
                f'aside-{line.id}'
            )
            ui.button(_('To check…'), on_click=lambda ln=line: note_dialog(ln, self.show)).props('flat dense').mark(
                f'note-{line.id}'
            )

    async def confirm(self, line: BankLine, suggestion: dict) -> None:
        user = acting_user()
        if user is None:
            return

        order_id = suggestion.get('order_id')

        def go() -> Any:
            with session_scope() as session:
                done = bank_match.confirm(
                    session=session,
                    actor=user,
                    line_id=line.id,
                    version=line.version,
                    amounts={} if order_id else {suggestion['invoice_id']: suggestion['amount']},
                    order_amounts={order_id: suggestion['amount']} if order_id else None,
                )
                return bank_rules.repeated_match(session, done)

        with self.lines:
            offer = await call(go)
            if offer is FAILED:
                return
            said = (
                _('Matched to order {order}: payment recorded.')
                if order_id
                else _('Matched to invoice {invoice}: payment recorded.')
            )
            ui.notify(said.format(invoice=suggestion['number'], order=suggestion['number']), type='positive')
        await self.show()
        if offer:
            with self.lines:  # the button clicked was redrawn away: the dialog hangs from what stays
                offer_match_rule(offer, self.show)

    async def choose_bill(self, line: BankLine, suggestion: dict, left: Decimal) -> None:
        """A bill the line does not name for sure (another amount, or one of the supplier's several bills): the person
        reads what would be paid and says it is this one."""
        question = _(
            'Pay {amount} of bill {bill} · {supplier} · open {open} with this line? Nothing on the line shows for sure '
            'that it pays this bill: check its number and amount.'
        ).format(
            amount=formatting.money(min(left, Decimal(suggestion['open'])), suggestion['currency']),
            bill=suggestion['number'],
            supplier=suggestion['customer'],
            open=formatting.money(suggestion['open'], suggestion['currency']),
        )
        with self.lines:  # the card may be redrawn while the question is open
            if await confirm(question, _('Match'), title=_('Match to this bill?')):
                await self.confirm_bill(line, suggestion)

    async def confirm_bill(self, line: BankLine, suggestion: dict) -> None:
        user = acting_user()
        if user is None:
            return

        def go() -> Any:
            with session_scope() as session:
                done = bank_match.confirm_bill(
                    session=session, actor=user, line_id=line.id, version=line.version, bill_id=suggestion['bill_id']
                )
                return bank_rules.repeated_match(session, done)

        with self.lines:
            offer = await call(go)
            if offer is FAILED:
                return
            ui.notify(
                _('Matched to bill {bill}: its payment is recorded.').format(bill=suggestion['number']),
                type='positive',
            )
        await self.show()
        if offer:
            with self.lines:  # the button clicked was redrawn away: the dialog hangs from what stays
                offer_match_rule(offer, self.show)

    async def link_recorded(self, line: BankLine) -> None:
        user = acting_user()
        if user is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return bank_match.link_recorded(session=session, actor=user, line_id=line.id, version=line.version)

        with self.lines:
            if await call(go) is FAILED:
                return
            ui.notify(_('Linked to the payment recorded by hand: nothing was recorded again.'), type='positive')
        await self.show()

    async def undo(self, line: BankLine) -> None:
        user = acting_user()
        if user is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return bank_match.undo(session=session, actor=user, line_id=line.id, version=line.version)

        with self.lines:
            if await call(go) is FAILED:
                return
            ui.notify(_('Undone: the line is to reconcile again.'))
        await self.show()

    async def rematch(self) -> None:
        user = acting_user()
        if user is None:
            return

        def go() -> Any:
            with session_scope() as session:
                return bank_match.rematch(session=session, actor=user, account_id=self.account.value or None)

        found = await call(go)
        if found is FAILED:
            return
        ui.notify(_('{count} lines have suggestions.').format(count=formatting.number(found)))
        await self.show()

    def open_import(self) -> None:
        if not self.account_names:
            ui.notify(_('Add a bank account first.'), type='warning')
            return
        import_dialog(self.account_names, self.account.value or next(iter(self.account_names)), self.show)


def statement_columns() -> list[dict]:
    hidden = {'classes': 'gt-xs', 'headerClasses': 'gt-xs'}
    return [
        {'name': 'file', 'label': _('File'), 'field': 'file', 'align': 'left'},
        {'name': 'account', 'label': _('Account'), 'field': 'account', 'align': 'left', **hidden},
        {'name': 'period', 'label': _('Period'), 'field': 'period', 'align': 'left', **hidden},
        {'name': 'lines', 'label': _('Lines'), 'field': 'lines', 'align': 'left'},
        {'name': 'imported', 'label': _('Imported'), 'field': 'imported', 'align': 'left', **hidden},
    ]


@screen(
    '/finance/bank',
    N_('Bank'),
    permission='finance.read',
    icon='account_balance',
    section=N_('Finance'),
    order=275,
    description=N_('Bank statements imported and reconciled with the invoices they pay'),
)
def bank_page(user: User) -> None:
    BankScreen(user)
