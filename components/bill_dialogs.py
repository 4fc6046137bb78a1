"""Supplier bills in dialogs: a bill entered by hand (supplier, number, dates, lines), a bill's lines changed before
it is approved, a bill made from what arrived of a purchase order, a payment recorded on a bill or undone, a bill
cancelled with its reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord
from backoffice.i18n import _
from backoffice.models import BillPayment, SupplierBill, SupplierBillLine, User
from backoffice.resources import RESOURCES
from backoffice.services import app_settings, bills, crud, payments

from .date_input import DateInput
from .forms import FAILED, call, counted, error_line, page_dialog
from .in_page_type_ahead import narrowed_as_searched
from .session import acting_user

Refresh = Callable[[], Awaitable[Any]]


def new_bill(user: User) -> None:
    """A bill typed from the supplier's paper: saved as a draft, or sent for approval at once; then its page opens."""
    with read_session() as session:
        suppliers = crud.lookup(session=session, actor=user, resource=RESOURCES['suppliers'], limit=500)
        rate = app_settings.decimal_value(session=session, key='vat_rate')
    lines: list[dict[str, ui.element]] = []
    with page_dialog() as dialog, ui.card().classes('w-full max-w-2xl').mark('bill-dialog'):
        ui.label(_('Enter a supplier bill')).classes('text-lg font-medium')
        if not suppliers:
            ui.label(_('Add the supplier first, under Suppliers.')).classes('text-sm text-gray-600')
        supplier = narrowed_as_searched(
            ui.select(suppliers, label=_('Supplier'), with_input=True)
            .props('outlined dense')
            .classes('w-full')
            .mark('bill-supplier'),
            suppliers,
        )
        with ui.row().classes('w-full gap-2 flex-wrap sm:flex-nowrap'):
            number = counted(ui.input(_("Supplier's bill number")), bills.NUMBER_MAX).props('outlined dense')
            number.classes('w-full sm:grow')
            number.mark('bill-number')
            issued = DateInput(_('Date of the bill'), value=str(date.today())).props('outlined dense stack-label')
            issued.classes('w-full sm:w-44 shrink-0').mark('bill-issued')  # never narrower than its day
            due = DateInput(_('Due')).props('outlined dense stack-label')  # the long label was cut at this width
            due.props['hint'] = _("Empty: by the supplier's terms")
            due.classes('w-full sm:w-44 shrink-0').mark('bill-due')
        box = ui.column().classes('w-full gap-1')

        def add_line() -> None:
            line_row(box, lines, {'quantity': '1', 'vat_rate': str(rate)})

        note = counted(ui.input(_('Note')), bills.NOTE_MAX).props('outlined dense').classes('w-full').mark('bill-note')
        message = error_line()

        async def save(submit: bool) -> None:
            actor = acting_user()
            if actor is None:
                return
            sent, typed = typed_lines(lines)

            def work() -> SupplierBill:
                with session_scope() as session:
                    return bills.create_bill(
                        session=session,
                        actor=actor,
                        supplier_id=supplier.value,
                        number=number.value or '',
                        issued_on=_day(issued.value),
                        due_on=_day(due.value),
                        lines=typed,
                        note=note.value or '',
                        submit=submit,
                    )

            fields = {
                'supplier_id': supplier,
                'number': number,
                'issued_on': issued,
                'due_on': due,
                'note': note,
                **line_fields(sent, lines),
            }
            bill = await call(work, fields=fields, message=message)
            if bill is FAILED:
                return
            dialog.close()
            ui.notify(_('Bill {number} saved').format(number=bill.number), type='positive')
            ui.navigate.to(f'/finance/bills/{bill.id}')

        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.button(_('Add a line'), icon='add', on_click=add_line).props('flat dense').mark('bill-add-line')
            with ui.row().classes('gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save as draft'), on_click=lambda: save(False)).props('outline').mark('bill-save-draft')
                ui.button(_('Send for approval'), on_click=lambda: save(True)).mark('bill-submit')
    add_line()
    dialog.open()


Row = dict[str, ui.element]


def line_row(box: ui.element, lines: list[Row], values: dict[str, str], *, removable: bool = False) -> Row:
    """One line of a bill as typed: description, quantity, unit price, VAT % (text, read as Decimal by the service:
    never a float on the way); `removable` adds a button that takes it off the list."""
    i = len(lines)
    with box, ui.row().classes('w-full items-center gap-2 flex-wrap sm:flex-nowrap') as row:
        fields: Row = {
            'description': counted(
                ui.input(_('Description'), value=values.get('description', '')), bills.DESCRIPTION_MAX
            )
            .props('outlined dense')
            .classes('w-full sm:grow min-w-0'),
            'quantity': ui.input(_('Qty'), value=values.get('quantity', ''))
            .props('outlined dense inputmode=decimal')
            .classes('w-20 shrink-0'),
            'unit_price': ui.input(_('Unit price'), value=values.get('unit_price', ''))
            .props('outlined dense inputmode=decimal')
            .classes('w-32 shrink-0'),
            'vat_rate': ui.input(_('VAT %'), value=values.get('vat_rate', ''))
            .props('outlined dense inputmode=decimal')
            .classes('w-24 shrink-0'),
        }
        if removable:

            def remove() -> None:
                lines.remove(fields)
                row.delete()

            remover = ui.button(icon='delete', on_click=remove).props('flat dense round').mark(f'bill-line-{i}-remove')
            remover.props['aria-label'] = _('Remove this line')
            remover.tooltip(_('Remove this line'))
    for name, element in fields.items():
        element.mark(f'bill-line-{i}-{name}')
    lines.append(fields)
    return fields


def typed_lines(lines: list[Row]) -> tuple[list[Row], list[dict[str, Any]]]:
    """The rows that hold a line (a description or a unit price typed; empty rows are left out) and their values."""
    sent = [
        line for line in lines if any(_plain(line[n].value) not in ('', None) for n in ('description', 'unit_price'))
    ]
    return sent, [{name: _plain(element.value) for name, element in line.items()} for line in sent]


def line_fields(sent: list[Row], lines: list[Row]) -> dict[str, ui.element]:
    """Where the service's errors about the lines are shown: `lines.{i}.{name}` at the i-th line sent (empty rows are
    not sent, so the i-th sent is not always the i-th row), "no line" at the first row."""
    fields: dict[str, ui.element] = {'lines': (sent or lines)[0]['description']} if (sent or lines) else {}
    for i, line in enumerate(sent):
        fields.update({f'lines.{i}.{name}': element for name, element in line.items()})
    return fields


def edit_lines_dialog(bill: SupplierBill, current: list[SupplierBillLine], refresh: Refresh) -> None:
    """The bill's lines as they are, to change, add or remove while it is not approved. Saved against the version
    shown: if someone saved the bill meanwhile, their change is not overwritten and what was typed stays here."""
    lines: list[Row] = []
    with page_dialog() as dialog, ui.card().classes('w-full max-w-2xl').mark('bill-lines-dialog'):
        ui.label(_('Lines of bill {number}').format(number=bill.number)).classes('text-lg font-medium').style(
            'overflow-wrap: anywhere'
        )
        ui.label(_('The totals and the VAT are computed again from the lines.')).classes('text-sm text-gray-600')
        box = ui.column().classes('w-full gap-1')
        products: dict[int, int | None] = {}  # a line's product (from a purchase order) kept when it is changed
        for line in current:
            row = line_row(
                box,
                lines,
                {
                    'description': line.description,
                    'quantity': formatting_plain(line.quantity),
                    'unit_price': formatting.typed_amount(line.unit_price),
                    'vat_rate': formatting_plain(line.vat_rate),
                },
                removable=True,
            )
            products[id(row)] = line.product_id
        message = error_line()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            sent, typed = typed_lines(lines)
            typed = [{**values, 'product_id': products.get(id(row))} for row, values in zip(sent, typed, strict=True)]

            def work() -> SupplierBill:
                with session_scope() as session:
                    return bills.edit_lines(
                        session=session, actor=actor, bill_id=bill.id, version=bill.version, lines=typed
                    )

            fields = line_fields(sent, lines)
            stale: list[StaleRecord] = []
            saved = await call(work, fields=fields, message=message, on_stale=stale.append)
            if stale:  # someone saved the bill meanwhile: said here, the typed lines kept, the page shows theirs
                message.set_text(str(stale[0]))
                message.set_visibility(True)
                await refresh()
                return
            if saved is FAILED:
                return
            dialog.close()
            ui.notify(_('Lines of bill {number} saved').format(number=bill.number), type='positive')
            await refresh()

        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.button(
                _('Add a line'), icon='add', on_click=lambda: line_row(box, lines, {'quantity': '1'}, removable=True)
            ).props('flat dense').mark('bill-add-line')
            with ui.row().classes('gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save lines'), on_click=save).mark('bill-lines-save')
    dialog.open()


def formatting_plain(value: Any) -> str:
    """A quantity or a rate as a person types it: 3 rather than 3.000, 5.5 rather than 5.50."""
    text = f'{value.normalize():f}' if hasattr(value, 'normalize') else str(value)
    return text


def bill_from_purchase(purchase_id: int) -> None:
    """The bill of what arrived of a purchase order and is not billed yet: its number and dates asked, its lines taken
    from the order, each with the quantity received and not billed (less may be typed, never more)."""
    user = acting_user()
    if user is None:
        return
    with read_session() as session:
        billing = bills.purchase_billing(session=session, actor=user, purchase_id=purchase_id)
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('bill-from-purchase'):
        ui.label(_('Bill for this purchase order')).classes('text-lg font-medium')
        ui.label(
            _('The lines come from the order at their unit cost, for what was received and is not billed yet; check '
              'them against the bill.')
        ).classes('text-sm text-gray-600')  # fmt: skip
        number = (
            counted(ui.input(_("Supplier's bill number")), bills.NUMBER_MAX).props('outlined dense').classes('w-full')
        )
        number.mark('po-bill-number')
        issued = DateInput(_('Date of the bill'), value=str(date.today())).props('outlined dense stack-label')
        issued.classes('w-full')
        due = DateInput(_('Due (empty: by the terms)')).props('outlined dense stack-label').classes('w-full')
        quantities: dict[int, ui.input] = {}
        fields: dict[str, ui.element] = {'number': number, 'issued_on': issued, 'due_on': due}
        with ui.column().classes('w-full gap-1'):
            for i, line in enumerate(billing.lines):
                if not line.left:
                    continue
                # on a phone the product's name takes the line and the quantity goes under it, at the right: its
                # message ("At most 10: …") ends at the field's right edge and runs left on one line (bo-narrow-field)
                with ui.row().classes('w-full items-center gap-2 flex-wrap sm:flex-nowrap'):
                    with ui.column().classes('gap-0 min-w-0 grow'):
                        ui.label(line.description).classes('text-sm').style('overflow-wrap: anywhere')
                        ui.label(billing.said(line)).classes('text-xs text-gray-600')
                    quantities[line.line_id] = fields[f'lines.{i}.quantity'] = (
                        ui.input(_('Qty to bill'), value=formatting_plain(line.left))
                        .props('outlined dense inputmode=decimal')
                        .classes('w-28 shrink-0 ml-auto bo-narrow-field')
                        .mark(f'po-bill-quantity-{line.line_id}')
                    )
        message = error_line()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            typed = {line_id: field.value for line_id, field in quantities.items()}

            def work() -> SupplierBill:
                with session_scope() as session:
                    return bills.from_purchase(
                        session=session,
                        actor=actor,
                        purchase_id=purchase_id,
                        number=number.value or '',
                        issued_on=_day(issued.value),
                        due_on=_day(due.value),
                        quantities=typed,
                    )

            bill = await call(work, fields=fields, message=message)
            if bill is FAILED:
                return
            dialog.close()
            ui.navigate.to(f'/finance/bills/{bill.id}')

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Create bill'), on_click=save).mark('po-bill-create')
    dialog.open()


def payment_dialog(bill: SupplierBill, refresh: Refresh) -> None:
    """Money paid on an approved bill: what is open by default, less for a part."""
    left = bills.open_amount(bill)
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('bill-payment-dialog'):
        ui.label(_('Record a payment on bill {number}').format(number=bill.number)).classes('text-lg font-medium')
        ui.label(_('Open: {amount}').format(amount=formatting.money(left, bill.currency))).classes('text-sm')
        amount = (
            ui.input(_('Amount paid'), value=formatting.typed_amount(left)).props('outlined dense').classes('w-full')
        )
        amount.mark('bill-pay-amount')
        paid_on = DateInput(_('Paid on'), value=str(date.today())).props('outlined dense stack-label').classes('w-full')
        reference = counted(ui.input(_('Reference')), payments.REFERENCE_MAX).props('outlined dense').classes('w-full')
        reference.mark('bill-pay-reference')
        message = error_line()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return

            def work() -> Any:
                with session_scope() as session:
                    return bills.pay(
                        session=session,
                        actor=actor,
                        bill_id=bill.id,
                        amount=amount.value,
                        paid_on=_day(paid_on.value),
                        reference=reference.value or '',
                    )

            if await call(work, fields={'amount': amount, 'reference': reference}, message=message) is FAILED:
                return
            dialog.close()
            ui.notify(_('Payment recorded'), type='positive')
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Record payment'), on_click=save).mark('bill-pay-save')
    dialog.open()


def undo_payment_dialog(bill: SupplierBill, payment: BillPayment, refresh: Refresh) -> None:
    """A payment recorded by hand by mistake, removed with the reason (kept in the bill's history)."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('bill-undo-dialog'):
        ui.label(
            _('Undo a payment of {amount}').format(amount=formatting.money(payment.amount, bill.currency))
        ).classes('text-lg font-medium')
        ui.label(_('Bill {number} will be open again by this amount.').format(number=bill.number)).classes(
            'text-sm text-gray-600'
        ).style('overflow-wrap: anywhere')
        reason = (
            counted(ui.input(_('Why (for the history)')), bills.UNDO_REASON_MAX)
            .props('outlined dense')
            .classes('w-full')
        )
        reason.mark('bill-undo-reason')
        message = error_line()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return

            def work() -> Any:
                with session_scope() as session:
                    return bills.undo_recorded_payment(
                        session=session,
                        actor=actor,
                        payment_id=payment.id,
                        version=bill.version,
                        reason=reason.value or '',
                    )

            if await call(work, fields={'reason': reason}, message=message) is FAILED:
                return
            dialog.close()
            ui.notify(_('Payment undone; the bill is open again by that amount'), type='positive')
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Keep it'), on_click=dialog.close).props('flat')
            ui.button(_('Undo the payment'), color='negative', on_click=save).mark('bill-undo-save')
    dialog.open()


def cancel_dialog(bill: SupplierBill, refresh: Refresh) -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('bill-cancel-dialog'):
        ui.label(_('Cancel bill {number}').format(number=bill.number)).classes('text-lg font-medium')
        reason = (
            counted(ui.input(_('Why (for the history)')), bills.CANCEL_REASON_MAX)
            .props('outlined dense')
            .classes('w-full')
            .mark('bill-cancel-reason')
        )
        message = error_line()

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return

            def work() -> Any:
                with session_scope() as session:
                    return bills.cancel(
                        session=session, actor=actor, bill_id=bill.id, version=bill.version, reason=reason.value or ''
                    )

            if await call(work, fields={'reason': reason}, message=message) is FAILED:
                return
            dialog.close()
            ui.notify(_('Bill {number} cancelled').format(number=bill.number), type='positive')
            await refresh()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Keep it'), on_click=dialog.close).props('flat')
            ui.button(_('Cancel the bill'), color='negative', on_click=save).mark('bill-cancel-save')
    dialog.open()


def _plain(value: Any) -> Any:
    return '' if value is None else value


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
