"""The dialogs of the bank screen: a bank account, a statement's import (with the column mapping of a CSV file), a line
split over invoices, a line set aside as not a customer payment, a note on a line to check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.bank_files import FORMATS, CsvMapping, detect_format
from backoffice.bank_files.csv_lines import DATE_FORMATS, DELIMITERS
from backoffice.db import read_session, session_scope
from backoffice.i18n import N_, _, ngettext
from backoffice.models import BankAccount, BankLine
from backoffice.runtime.upload_limit import max_upload_bytes, too_large_message
from backoffice.services import bank, bank_match, bank_rules
from components.bank_rules_dialog import offer_match_rule, offer_rule
from components.forms import FAILED, call, counted, error_line, page_dialog
from components.session import acting_user

Refresh = Callable[[], Awaitable[None]]
MAPPED = {
    'date': N_('Date'),
    'label': N_('Label'),
    'amount': N_('Amount (signed)'),
    'debit': N_('Debit'),
    'credit': N_('Credit'),
    'counterpart': N_('Counterpart'),
    'reference': N_('Reference'),
}


def account_dialog(refresh: Refresh) -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('account-dialog'):
        ui.label(_('New bank account')).classes('text-lg font-medium')
        fields = {
            'name': counted(ui.input(_('Name')), bank.ACCOUNT_NAME_MAX)
            .props('outlined dense')
            .classes('w-full')
            .mark('account-name'),
            'iban': ui.input(_('IBAN')).props('outlined dense').classes('w-full').mark('account-iban'),
            'currency': ui.input(_('Currency'), value='EUR').props('outlined dense').classes('w-full'),
        }
        message = error_line()

        async def save() -> None:
            user = acting_user()
            if user is None:
                return
            values = {key: field.value for key, field in fields.items()}

            def go() -> Any:
                with session_scope() as session:
                    return bank.save_account(session=session, actor=user, values=values)

            saved = await call(go, fields=fields, message=message)
            if saved is FAILED:
                return
            dialog.close()
            ui.notify(_('Bank account {name} added').format(name=saved.name), type='positive')
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Close'), on_click=dialog.close).props('flat')
            ui.button(_('Save'), on_click=save).mark('account-save')
    dialog.open()


class ImportDialog:
    """Choose the account, drop the file: CAMT.053, MT940 and OFX import at once; a CSV file first shows its columns."""

    def __init__(self, accounts: dict[int, str], account_id: int, refresh: Refresh) -> None:
        self.refresh = refresh
        self.data = b''
        self.file_name = ''
        self.mapping_fields: dict[str, ui.select] = {}
        with page_dialog() as self.dialog, ui.card().classes('w-full max-w-lg').mark('import-dialog'):
            ui.label(_('Import a bank statement')).classes('text-lg font-medium')
            ui.label(
                _('Formats read: {formats}.').format(formats=', '.join(_(label) for label in FORMATS.values()))
            ).classes('text-sm text-gray-600')
            self.account = ui.select(accounts, value=account_id, label=_('Account')).props('outlined dense')
            self.account.classes('w-full').mark('import-account')
            self.upload = (
                ui.upload(
                    label=_('Choose a file'),
                    auto_upload=True,
                    max_file_size=max_upload_bytes(),
                    on_upload=self.uploaded,
                    on_rejected=lambda: self.say(too_large_message()),
                )
                .props('accept=".xml,.sta,.mt940,.txt,.ofx,.qfx,.csv" flat bordered')
                .classes('w-full')
            )
            self.problem = ui.label().classes('text-sm text-negative break-words').mark('import-problem')
            self.problem.props('role=alert')
            self.problem.set_visibility(False)
            self.mapping_box = ui.column().classes('w-full gap-1')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Close'), on_click=self.dialog.close).props('flat')
        self.dialog.open()

    def say(self, text: str) -> None:
        self.problem.text = text
        self.problem.set_visibility(bool(text))

    async def uploaded(self, event: Any) -> None:
        self.say('')
        self.mapping_box.clear()
        if event.file.size() > max_upload_bytes():
            self.say(too_large_message())
            return
        self.data = await event.file.read()
        self.file_name = event.file.name
        self.upload.reset()
        if detect_format(self.data) == 'csv':
            await self.show_mapping()
        else:
            await self.run_import(None)

    async def show_mapping(self) -> None:
        user = acting_user()
        if user is None:
            return
        account_id = self.account.value

        def columns() -> Any:
            with read_session() as session:
                return bank.csv_columns(actor=user, data=self.data, account=session.get(BankAccount, account_id))

        found = await call(columns, message=self.problem)
        if found is FAILED:
            return
        headers, mapping = found
        choices = {'': '—', **{h: h for h in headers}}
        with self.mapping_box:
            ui.label(_('Which column holds what in {file}?').format(file=self.file_name)).classes('font-medium')
            self.mapping_fields = {}
            with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 gap-2'):
                for key, label in MAPPED.items():
                    self.mapping_fields[key] = (
                        ui.select(choices, value=getattr(mapping, key) or '', label=_(label))
                        .props('outlined dense')
                        .mark(f'map-{key}')
                    )
                self.mapping_fields['delimiter'] = ui.select(
                    DELIMITERS, value=mapping.delimiter, label=_('Separator')
                ).props('outlined dense')
                self.mapping_fields['decimal'] = ui.select(
                    {',': _('Comma (1 234,56)'), '.': _('Point (1,234.56)')}, value=mapping.decimal, label=_('Decimals')
                ).props('outlined dense')
                self.mapping_fields['date_format'] = ui.select(
                    DATE_FORMATS, value=mapping.date_format, label=_('Dates written')
                ).props('outlined dense')
            ui.button(_('Import'), icon='upload', on_click=self.import_mapped).mark('import-mapped')

    async def import_mapped(self) -> None:
        mapping = CsvMapping(**{key: field.value or '' for key, field in self.mapping_fields.items()})
        await self.run_import(mapping)

    async def run_import(self, mapping: CsvMapping | None) -> None:
        user = acting_user()
        if user is None:
            return
        account_id = self.account.value

        def go() -> Any:
            with session_scope() as session:
                return bank.import_statement(
                    session=session,
                    actor=user,
                    account_id=account_id,
                    data=self.data,
                    file_name=self.file_name,
                    mapping=mapping,
                )

        done = await call(go, message=self.problem)
        if done is FAILED:
            return
        self.dialog.close()
        ui.notify(
            _('{file}: {new} new lines, {known} already imported, {suggested} with suggestions.').format(
                file=self.file_name,
                new=formatting.number(done.new_lines),
                known=formatting.number(done.known_lines),
                suggested=formatting.number(done.suggested),
            )
            + (
                ' '
                + ngettext('{count} set aside by a rule.', '{count} set aside by rules.', done.set_aside).format(
                    count=formatting.number(done.set_aside)
                )
                if done.set_aside
                else ''
            )
            + (
                ' '
                + ngettext('{count} matched by a rule.', '{count} matched by rules.', done.matched_by_rules).format(
                    count=formatting.number(done.matched_by_rules)
                )
                if done.matched_by_rules
                else ''
            )
            + (
                ' '
                + ngettext(
                    '{count} fitted a rule without a single invoice or bill: see the line.',
                    '{count} fitted a rule without a single invoice or bill: see the lines.',
                    done.missed_by_rules,
                ).format(count=formatting.number(done.missed_by_rules))
                if done.missed_by_rules
                else ''
            ),
            type='positive',
        )
        await self.refresh()


def import_dialog(accounts: dict[int, str], account_id: int, refresh: Refresh) -> None:
    ImportDialog(accounts, account_id, refresh)


def split_dialog(line: BankLine, left: Decimal, refresh: Refresh) -> None:
    """The line's amount (`left`: what is not recorded by hand from it yet) spread over invoices: the suggested ones
    listed, any other added by its number."""
    suggestions = bank_match.suggestions_of(line)
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('split-dialog'):
        title = _('Match {amount} to invoices') if left == line.amount else _('Match the {amount} left to invoices')
        ui.label(title.format(amount=formatting.money(left, line.currency))).classes('text-lg font-medium')
        ui.label(_('Each invoice or order takes its part, in full or in part; the parts add up to the line.')).classes(
            'text-sm text-gray-600'
        )
        rows = ui.column().classes('w-full gap-1')
        fields: dict[str, Any] = {}
        invoice_ids: dict[str, int] = {}
        order_ids: dict[str, int] = {}  # orders awaiting payment without an invoice: the transfer pays them

        def add_row(invoice: dict, amount: str) -> None:
            if 'order_id' in invoice:
                key = f'order_{invoice["order_id"]}'
                order_ids[key] = invoice['order_id']
                label = _('Order {number} awaiting payment (due {amount})')
            else:
                key = f'invoice_{invoice["invoice_id"]}'
                invoice_ids[key] = invoice['invoice_id']
                label = _('{invoice} (open {amount})')
            if key in fields:  # already listed (suggested): what was found by its number fills its part if empty
                if amount and not fields[key].value:
                    fields[key].value = amount
                return
            with rows:
                fields[key] = (
                    ui.input(
                        label.format(
                            invoice=invoice['number'],
                            number=invoice['number'],
                            amount=formatting.money(invoice['open'], invoice['currency']),
                        ),
                        value=amount,
                    )
                    .props('outlined dense')
                    .classes('w-full')
                    .mark(f'part-{invoice["number"]}')
                )

        for suggestion in suggestions:
            add_row(suggestion, '')
        with ui.row().classes('w-full items-start gap-2 no-wrap'):
            number = ui.input(_('Invoice or order number')).props('outlined dense').classes('grow').mark('add-number')

            async def add() -> None:
                user = acting_user()
                if user is None:
                    return
                wanted = number.value or ''

                def find() -> Any:
                    with read_session() as session:
                        return bank_match.open_invoice(session=session, actor=user, number=wanted)

                found = await call(find, fields={'number': number})
                if found is not FAILED:  # an order found by its number takes the line, or all that is due on it;
                    # so does an invoice while no part is typed yet (an empty part was refused as "choose an invoice")
                    takes = formatting.typed_amount(min(left, Decimal(found['open'])))
                    typed = any(field.value for field in fields.values())
                    add_row(found, takes if 'order_id' in found or not typed else '')
                    number.value = ''

            ui.button(_('Add'), on_click=add).props('flat').mark('add-invoice')
        message = error_line()

        async def save() -> None:
            user = acting_user()
            if user is None:
                return
            if (number.value or '').strip():  # a number typed but not added: added first (or refused at its field)
                await add()
                return
            amounts = {invoice_ids[key]: field.value for key, field in fields.items() if key in invoice_ids}
            order_amounts = {order_ids[key]: field.value for key, field in fields.items() if key in order_ids}

            def go() -> Any:
                with session_scope() as session:
                    matched = bank_match.confirm(
                        session=session,
                        actor=user,
                        line_id=line.id,
                        version=line.version,
                        amounts=amounts,
                        order_amounts=order_amounts,
                    )
                    return matched, bank_rules.repeated_match(session, matched)

            found = await call(go, fields=fields, message=message)
            if found is FAILED:
                return
            done, offer = found
            dialog.close()
            if done.write_off:
                ui.notify(
                    _('Matched: payment recorded, {amount} written off.').format(
                        amount=formatting.money(abs(done.write_off), done.currency)
                    ),
                    type='positive',
                )
            else:
                ui.notify(_('Matched: payment recorded.'), type='positive')
            await refresh()
            if offer:
                offer_match_rule(offer, refresh)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Close'), on_click=dialog.close).props('flat')
            ui.button(_('Match'), on_click=save).mark('split-save')
    dialog.open()


def set_aside_dialog(line: BankLine, refresh: Refresh) -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('aside-dialog'):
        title = _('Not a customer payment') if line.amount > 0 else _('Set aside: money out without a bill')
        ui.label(title).classes('text-lg font-medium')
        category = (
            ui.select({k: _(v) for k, v in bank_match.CATEGORIES.items()}, label=_('Category'))
            .props('outlined dense')
            .classes('w-full')
            .mark('aside-category')
        )
        note = (
            counted(ui.input(_('Note')), bank_match.NOTE_MAX)
            .props('outlined dense')
            .classes('w-full')
            .mark('aside-note')
        )
        message = error_line()

        async def save() -> None:
            user = acting_user()
            if user is None:
                return
            chosen, text = category.value or '', note.value or ''

            def go() -> Any:
                with session_scope() as session:
                    done = bank_match.set_aside(
                        session=session, actor=user, line_id=line.id, version=line.version, category=chosen, note=text
                    )
                    return bank_rules.repeated_set_aside(session, done)

            repeated = await call(go, fields={'category': category, 'note': note}, message=message)
            if repeated is FAILED:
                return
            dialog.close()
            await refresh()
            if repeated:
                offer_rule(line.counterpart, chosen, 'credit' if line.amount > 0 else 'debit', refresh)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Close'), on_click=dialog.close).props('flat')
            ui.button(_('Save'), on_click=save).mark('aside-save')
    dialog.open()


def note_dialog(line: BankLine, refresh: Refresh) -> None:
    """A line left to reconcile with a note of what to check (who paid it, which invoice)."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('note-dialog'):
        ui.label(_('To check')).classes('text-lg font-medium')
        note = (
            counted(ui.input(_('Note'), value=line.note), bank_match.NOTE_MAX).props('outlined dense').classes('w-full')
        )
        note.mark('line-note')
        message = error_line()

        async def save() -> None:
            user = acting_user()
            if user is None:
                return
            text = note.value or ''

            def go() -> Any:
                with session_scope() as session:
                    return bank_match.annotate(
                        session=session, actor=user, line_id=line.id, version=line.version, note=text
                    )

            if await call(go, fields={'note': note}, message=message) is FAILED:
                return
            dialog.close()
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Close'), on_click=dialog.close).props('flat')
            ui.button(_('Save'), on_click=save).mark('note-save')
    dialog.open()
