"""Purchases in dialogs: a new purchase (ordered from a supplier, or received at once) with its lines, and one
purchase's lines with a Receive button while it is still on order, and what its bills cover of what arrived."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from backoffice import formatting, stored_text
from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord
from backoffice.formatting import when as format_when
from backoffice.i18n import _, ngettext, pgettext
from backoffice.models import Purchase, PurchaseLine, User
from backoffice.permissions import can
from backoffice.services import audit, bills, purchases

from .bill_dialogs import bill_from_purchase
from .forms import FAILED, call, counted, error_line, page_dialog, show_error
from .in_page_type_ahead import narrowed_as_searched
from .product_picker import product_picker
from .session import acting_user
from .whole_number import WholeNumberInput


def new_purchase(user: User, *, received: bool, on_saved: Callable[[], Awaitable[Any]]) -> None:
    """`received`: the goods are here (stock moves now); otherwise a purchase order that is received later."""
    with read_session() as session:
        suppliers = purchases.supplier_choices(session=session, actor=user)
        due = purchases.still_due_orders(session=session, actor=user) if received else []
    lines: list[tuple[ui.select, WholeNumberInput, ui.input]] = []
    title = _('Receive purchase') if received else _('New purchase order')
    with page_dialog() as dialog, ui.card().classes('w-full max-w-xl'):
        ui.label(title).classes('text-lg font-medium')
        if due:  # a delivery of one of these is received from its order, or its goods would be counted twice
            ui.label(_('Still due from suppliers: if this delivery is one of these, receive it there')).classes(
                'text-sm text-gray-600'
            )
            with ui.row().classes('w-full gap-1 flex-wrap'):
                for purchase in due:

                    def open_order(purchase_id: int = purchase.id) -> None:
                        dialog.close()
                        show_purchase(user, purchase_id, on_saved=on_saved)

                    ui.button(
                        ' · '.join((purchases.label(purchase), purchase.supplier or _('No supplier'))),
                        icon='move_to_inbox',
                        on_click=open_order,
                    ).props('flat dense no-caps align=left').classes('max-w-full').style(
                        'overflow-wrap: anywhere'  # a supplier's name is up to 200 characters: wrapped on a phone
                    ).mark(f'open-purchase-{purchase.id}')
        supplier = narrowed_as_searched(
            ui.select(suppliers, label=_('Supplier'), with_input=True, clearable=True)
            .props('outlined dense')
            .classes('w-full')
            .mark('supplier'),
            suppliers,
        )
        reference = (
            counted(ui.input(_('Reference (order or delivery note)')), purchases.MAX_REFERENCE)
            .props('outlined dense')
            .classes('w-full')
            .mark('reference')
        )
        box = ui.column().classes('w-full gap-1')

        def add_line() -> None:
            # on a phone the product takes the line and its quantity and cost go under it; an error (a cost of 12.345)
            # is in the flow and pushes the next line down (hide-bottom-space), not over "Add a product"
            with box, ui.row().classes('w-full items-start gap-2 flex-wrap sm:flex-nowrap'):
                product = (
                    product_picker()
                    .props('outlined dense hide-bottom-space')
                    .classes('w-full sm:w-auto sm:grow min-w-0')
                    .mark(f'receive-product-{len(lines)}')
                )
                quantity = (
                    WholeNumberInput(_('Qty'), value=1)
                    .props('outlined dense hide-bottom-space')
                    .classes('w-20')
                    .mark(f'receive-quantity-{len(lines)}')
                )
                cost = (
                    ui.input(_('Unit cost'))  # text: a number input drops a decimal comma (3,20 became 320)
                    .props('outlined dense hide-bottom-space inputmode=decimal')
                    .classes('w-28 sm:w-40')
                    .mark(f'receive-cost-{len(lines)}')
                )
            lines.append((product, quantity, cost))

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            filled = [line for line in lines if line[0].value]
            chosen = [{'product_id': p.value, 'quantity': q.number, 'unit_cost': c.value} for p, q, c in filled]

            def create() -> Purchase:
                with session_scope() as session:
                    return purchases.create_purchase(
                        session=session,
                        actor=actor,
                        lines=chosen,
                        received=received,
                        supplier_id=supplier.value,
                        reference=reference.value or '',
                    )

            # a refusal shows at its field (a line's, the supplier) or the first product (no lines), else in the
            # message line
            fields: dict[str, ui.element] = {'supplier': supplier, 'reference': reference}
            if lines:
                fields['lines'] = lines[0][0]
            for i, (product, quantity, cost) in enumerate(filled):  # a line's refusal at its own field (12.345)
                fields.update({f'lines.{i}.product_id': product, f'lines.{i}.quantity': quantity})
                fields[f'lines.{i}.unit_cost'] = cost
            if await call(create, fields=fields, message=message) is FAILED:
                return
            dialog.close()
            items = sum(line['quantity'] for line in chosen)
            done = (
                ngettext('Received {n} item', 'Received {n} items', items)
                if received
                else ngettext('Ordered {n} item', 'Ordered {n} items', items)
            )
            ui.notify(done.format(n=formatting.number(items)), type='positive')
            await on_saved()

        ui.button(_('Add a product'), icon='add', on_click=add_line).props('flat dense')
        message = error_line()
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Receive') if received else pgettext('verb', 'Order'), on_click=save).mark(
                'receive' if received else 'order'
            )
    add_line()
    dialog.open()


def show_purchase(user: User, purchase_id: int, *, on_saved: Callable[[], Awaitable[Any]]) -> None:
    """A purchase's lines; while it is on order, receiving it puts them in stock."""
    with read_session() as session:
        purchase = session.get(Purchase, purchase_id)
        lines = purchases.lines_of(session=session, actor=user, purchase_id=purchase_id) if purchase else []
        billing = (
            bills.purchase_billing(session=session, actor=user, purchase_id=purchase_id)
            if purchase and can(user, 'payables.read')
            else None
        )
        history = purchases.timeline(session=session, actor=user, purchase_id=purchase_id) if purchase else []
        history_by = audit.names_of(session, history)
    if purchase is None:
        ui.notify(_('This purchase no longer exists'), type='warning')
        return
    receiving = purchases.may_receive(purchase) and can(user, 'catalog.write')
    closing = purchases.may_close_short(purchase) and can(user, 'catalog.write')
    closed = purchases.closed_short(purchase)
    cancelling = purchases.may_cancel(purchase) and can(user, 'catalog.write')
    counts: dict[int, WholeNumberInput] = {}
    captions: dict[int, ui.item_label] = {}  # each line's received so far, told again after a refusal
    # what this screen shows as received: a colleague's receipt since is told, never booked over (ReceivedMeanwhile)
    seen = {line.id: line.received_quantity for line, _sku, _name in lines if line.id is not None}
    with page_dialog() as dialog, ui.card().classes('w-full max-w-xl'):
        ui.label(_('Purchase {number}').format(number=purchases.label(purchase))).classes('text-lg font-medium')
        state = (
            ui.label(' · '.join((purchase.supplier or _('No supplier'), _state(purchase, lines))))
            .classes('text-sm text-gray-600')
            .style('overflow-wrap: anywhere')  # a supplier's name is up to 200 characters
            .mark('purchase-state')
        )
        if receiving:
            ui.label(_('Enter how many of each arrived: what is left stays due for a later delivery.')).classes(
                'text-sm'
            )
        billed = {line.line_id: line for line in billing.lines} if billing else {}
        with ui.list().props('dense separator').classes('w-full'):
            for line, sku, name in lines:
                due = purchases.still_due(line)
                # on a phone the quantity that arrived goes under the product
                with ui.item():
                    with ui.item_section().classes('min-w-0'):
                        ui.item_label(f'{formatting.number(line.quantity)} × {sku} — {name}')
                        details = _line_details(line, closed=closed)
                        captions[line.id or 0] = (
                            ui.item_label(details).props('caption').mark(f'purchase-line-{line.id}')
                        )
                        captions[line.id or 0].set_visibility(bool(details))
                        to_bill = billed.get(line.id or 0)
                        if billing and to_bill and (to_bill.received or to_bill.billed):  # what its bills cover
                            ui.item_label(billing.said(to_bill)).props('caption').mark(f'purchase-billed-{line.id}')
                    if receiving and due and line.id is not None:
                        with ui.item_section().props('side'):
                            counts[line.id] = (
                                WholeNumberInput(_('Arrived'), value=due)
                                .props('outlined dense')
                                .classes('w-24 bo-narrow-field')
                                .mark(f'arrived-{line.id}')
                            )
        message = error_line()

        def show_as_it_is_now() -> None:
            """The purchase as it is now, what was typed kept: the person decides again on what is really due."""
            reader = acting_user()
            if reader is None:
                return
            with read_session() as session:
                now = session.get(Purchase, purchase_id)
                current = purchases.lines_of(session=session, actor=reader, purchase_id=purchase_id) if now else []
                entries = purchases.timeline(session=session, actor=reader, purchase_id=purchase_id) if now else []
                entries_by = audit.names_of(session, entries)
            if now is None:
                return
            _draw_timeline(timeline, entries, entries_by)
            state.set_text(' · '.join((now.supplier or _('No supplier'), _state(now, current))))
            for line, _sku, _name in current:
                caption = captions.get(line.id or 0)
                if caption is not None:
                    caption.set_text(_line_details(line, closed=purchases.closed_short(now)))
                    caption.set_visibility(bool(caption.text))
                field = counts.get(line.id or 0)
                if field is not None and not (purchases.may_receive(now) and purchases.still_due(line)):
                    field.set_visibility(False)  # nothing of it is due any more
                    del counts[line.id or 0]
            _endings_as_now(ending, now)
            if not purchases.may_receive(now) and receive_button is not None:  # nothing left to book
                receive_button.set_visibility(False)

        async def receive() -> None:
            actor = acting_user()
            if actor is None:
                return
            quantities = {line_id: field.number for line_id, field in counts.items()}
            shown = dict(seen)

            def work() -> Purchase:
                with session_scope() as session:
                    return purchases.receive(
                        session=session, actor=actor, purchase_id=purchase_id, quantities=quantities, seen=shown
                    )

            def received_meanwhile(error: StaleRecord) -> None:
                show_error(error, message=message)
                if isinstance(error, purchases.ReceivedMeanwhile):  # told: pressing again books theirs on top
                    seen.update(error.received)

            ids = [line.id for line, _sku, _name in lines]
            fields: dict[str, ui.element] = {
                f'lines.{i}.quantity': counts[line_id] for i, line_id in enumerate(ids) if line_id in counts
            }
            received = await call(work, fields=fields, message=message, on_stale=received_meanwhile)
            if received is FAILED:  # a colleague received, closed or cancelled it meanwhile: the screen says it now
                show_as_it_is_now()
                return
            dialog.close()
            arrived = sum(int(n) for n in quantities.values() if isinstance(n, int))
            text = (
                _('Purchase {number} received: its goods are in stock')
                if not purchases.may_receive(received)
                else ngettext(
                    'Received {n} item of purchase {number}: the rest is still due',
                    'Received {n} items of purchase {number}: the rest is still due',
                    arrived,
                )
            )
            ui.notify(text.format(number=purchases.label(purchase), n=formatting.number(arrived)), type='positive')
            await on_saved()

        # who ordered, received, closed it short and why: read again with the rest after a refusal
        timeline = ui.column().classes('w-full gap-1').mark('purchase-timeline')
        _draw_timeline(timeline, history, history_by)
        for bill in billing.bills if billing else []:
            ui.link(
                _('Bill {number} · {status} · {total}').format(
                    number=bill.number,
                    status=bills.status_word(bill),
                    total=formatting.money(bill.total, bill.currency),
                ),
                f'/finance/bills/{bill.id}',
            ).style('overflow-wrap: anywhere').mark('purchase-bill')
        receive_button: ui.button | None = None
        with ui.row().classes('w-full justify-end gap-2 flex-wrap'):
            ui.button(_('Close'), on_click=dialog.close).props('flat')
            if billing and billing.may_bill and can(user, 'payables.manage'):
                ui.button(
                    _('Bill what was received') if billing.bills else _('Enter its bill'),
                    icon='request_quote',
                    on_click=lambda: bill_from_purchase(purchase_id),
                ).props('outline').mark('purchase-enter-bill')
            ending: dict[str, ui.button] = {}  # cancel while nothing arrived, else close short: as it is now
            if cancelling or closing:
                ending['cancel'] = (
                    ui.button(
                        _('Cancel purchase'), icon='cancel', on_click=lambda: cancel_dialog(dialog, purchase, on_saved)
                    )
                    .props('outline color=negative')
                    .mark('cancel-purchase')
                )
                ending['close'] = (  # something arrived: the rest is given up, what came stays
                    ui.button(
                        _('Close short'), icon='block', on_click=lambda: close_short_dialog(dialog, purchase, on_saved)
                    )
                    .props('outline')
                    .mark('close-short')
                )
                _endings_as_now(ending, purchase)
            if receiving:
                receive_button = ui.button(_('Receive now'), icon='move_to_inbox', on_click=receive).mark('receive-now')
    dialog.open()


def _draw_timeline(timeline: ui.column, entries: list[Any], who: dict[str, str]) -> None:
    """The purchase's timeline as read: each entry's summary, when and who (by name, an API key by its name); nothing
    at all while it has none."""
    timeline.clear()
    timeline.set_visibility(bool(entries))
    with timeline:
        if entries:
            ui.label(_('Timeline')).classes('text-sm font-medium')
        for entry in entries:
            with ui.column().classes('gap-0').mark('purchase-timeline-entry'):
                ui.label(stored_text.show(entry.summary, entry.summary_key, entry.summary_params)).classes(
                    'text-sm'
                ).style('overflow-wrap: anywhere')
                ui.label(f'{format_when(entry.at)} · {who[entry.actor_email]}').classes('text-xs text-gray-500').style(
                    'overflow-wrap: anywhere'
                )


def close_short_dialog(parent: ui.dialog, purchase: Purchase, on_saved: Callable[[], Awaitable[Any]]) -> None:
    """The supplier will not deliver the rest: close the purchase with what arrived, saying why."""
    _ending_dialog(
        parent,
        purchase,
        on_saved,
        ending=purchases.close_short,
        title=_('Close purchase {number} short'),
        said=_('What was received stays in stock; the rest is no longer expected from the supplier.'),
        example=_('e.g. discontinued by the supplier'),
        done=_('Purchase {number} closed short: the rest is no longer expected'),
        keep=_('Cancel'),
        end=_('Close short'),
        marks=('close-short-reason', 'confirm-close-short'),
    )


def cancel_dialog(parent: ui.dialog, purchase: Purchase, on_saved: Callable[[], Awaitable[Any]]) -> None:
    """A purchase ordered by mistake, before anything arrived: cancel it, saying why."""
    _ending_dialog(
        parent,
        purchase,
        on_saved,
        ending=purchases.cancel,
        title=_('Cancel purchase {number}'),
        said=_('Nothing of it has arrived: it will no longer be on order, due, nor counted in the cash expected out.'),
        example=_('e.g. ordered twice by mistake'),
        done=_('Purchase {number} cancelled: it is no longer expected'),
        keep=_('Keep it'),
        end=_('Cancel purchase'),
        marks=('cancel-purchase-reason', 'confirm-cancel-purchase'),
        negative=True,
    )


def _ending_dialog(
    parent: ui.dialog,
    purchase: Purchase,
    on_saved: Callable[[], Awaitable[Any]],
    *,
    ending: Callable[..., Purchase],
    title: str,
    said: str,
    example: str,
    done: str,
    keep: str,
    end: str,
    marks: tuple[str, str],
    negative: bool = False,
) -> None:
    """Ending a purchase before it is received in full (closed short, cancelled): a reason is asked, the service
    decides, its refusal is said in the dialog; done, both dialogs close and the purchase's screen is read again."""
    number = purchases.label(purchase)
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(title.format(number=number)).classes('text-lg font-medium break-words')
        ui.label(said).classes('text-sm')
        reason = counted(ui.input(_('Reason'), placeholder=example), purchases.CLOSE_REASON_MAX).props('outlined dense')
        reason.classes('w-full').mark(marks[0])
        message = error_line()

        async def confirm() -> None:
            actor = acting_user()
            if actor is None:
                return

            def work() -> Purchase:
                with session_scope() as session:
                    return ending(session=session, actor=actor, purchase_id=purchase.id or 0, reason=reason.value or '')

            if await call(work, fields={'reason': reason}, message=message) is FAILED:
                return
            dialog.close()
            parent.close()
            ui.notify(done.format(number=number), type='positive')
            await on_saved()

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(keep, on_click=dialog.close).props('flat')
            button = ui.button(end, on_click=confirm).mark(marks[1])
            if negative:
                button.props('color=negative')
    dialog.open()


def _endings_as_now(ending: dict[str, ui.button], purchase: Purchase) -> None:
    """Cancel while nothing of it arrived, close short once some did; neither once nothing more is due."""
    if ending:
        ending['cancel'].set_visibility(purchases.may_cancel(purchase))
        ending['close'].set_visibility(not purchases.may_cancel(purchase) and purchases.may_close_short(purchase))


def _line_details(line: PurchaseLine, *, closed: bool) -> str:
    """A line's unit cost and how much of it arrived ('4 received, 6 still due'), or '' when neither is known."""
    due = purchases.still_due(line)
    details = []
    if line.unit_cost is not None:
        details.append(_('{cost} each').format(cost=formatting.money(line.unit_cost, formatting.shop_currency())))
    if line.received_quantity and not due:
        details.append(_('all received'))
    elif closed:  # the rest will not come
        details.append(
            _('{received} received, {missing} not delivered').format(
                received=formatting.number(line.received_quantity), missing=formatting.number(due)
            )
        )
    elif line.received_quantity:
        details.append(
            _('{received} received, {due} still due').format(
                received=formatting.number(line.received_quantity), due=formatting.number(due)
            )
        )
    return ' · '.join(details)


def _state(purchase: Purchase, lines: list[tuple[PurchaseLine, str, str]]) -> str:
    """'received <when>', 'on order', 'closed short <when>', 'cancelled <when>', or how much of a short delivery is
    still due."""
    if purchases.cancelled(purchase):
        return _('cancelled {when}').format(when=format_when(purchase.closed_at)) if purchase.closed_at else ''
    if purchases.closed_short(purchase):
        return _('closed short {when}').format(when=format_when(purchase.closed_at)) if purchase.closed_at else ''
    if not purchases.may_receive(purchase):
        when = format_when(purchase.received_at) if purchase.received_at else ''
        return _('received {when}').format(when=when) if when else _('received')
    due = sum(purchases.still_due(line) for line, _sku, _name in lines)
    if any(line.received_quantity for line, _sku, _name in lines):
        return ngettext('partly received: {n} item still due', 'partly received: {n} items still due', due).format(
            n=formatting.number(due)
        )
    return _('on order')
