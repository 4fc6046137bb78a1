"""One order: lines, customer, totals, payments and refunds, invoices, shipments, returns and the timeline, with the
actions its status allows (each one a service call whose refusal is shown as it is worded); updated live."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nicegui import run, ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, StaleRecord
from backoffice.events import Topic
from backoffice.formatting import money, when
from backoffice.i18n import N_, _, ngettext, pgettext
from backoffice.models import Invoice, Order, OrderLine, Return, User
from backoffice.permissions import can
from backoffice.resources.sales import SHOWN_ORDER_STATUSES
from backoffice.services import (
    customer_picture,
    documents,
    einvoice,
    gateway_payments,
    invoices,
    orders,
    payments,
    return_refunds,
    returns,
)
from backoffice.validation import is_web_address
from components import live
from components.forms import FAILED, call, confirm, counted, page_dialog
from components.kept_cards import key_of
from components.links import record_link
from components.order_draft import DraftDialog
from components.return_dialog import start_return
from components.screens import screen
from components.session import acting_user
from components.whole_number import WholeNumberInput, whole_number

Done = str | Callable[[Any], tuple[str, str]]

# the order's amounts its totals show
TOTALS = ('subtotal', 'discount_total', 'shipping_total', 'tax_total', 'total', 'paid_total', 'refunded_total')


@dataclass
class Loaded:
    order: Order
    lines: list
    payments: list
    refunds: list
    documents: list[Invoice]
    parcels: list[orders.Parcel]  # its shipments, each with what it held
    remaining: dict[int, int]  # still to ship, by order line id
    carriers: dict[int, str]
    last_carrier: int | None  # the latest parcel's: the Ship dialog offers it
    returns: list
    return_lines: dict[int, list]
    exchanges: dict[int, str]  # the exchange order a return sent, its number by return id
    settled_by: tuple[str, str] | None  # an exchange order's return and the order it came from, which settled it
    events: list
    authors: dict[int, str]  # who wrote the timeline's entries staff made, by user id
    refunded_since: set[int]  # timeline entries whose "to refund" was refunded since
    company: tuple[int, str] | None  # the customer's company: id and name
    on_terms: bool  # the customer has payment terms: invoiced before paying
    returnable: bool  # some of its items can still come back
    gateway: gateway_payments.GatewayPicture  # payments at Stripe…: intents, refunds open or refused
    short: list[str]  # its products the shelf holds fewer of than open orders reserved ('MUG: 3 reserved, …')
    refund_room: payments.RefundRoom  # what can still be paid back, and what went as store credit already
    due: Decimal  # what is still to pay (payments.amount_due): the payment dialog's amount


def load(session, user: User, number: str) -> Loaded:
    order = orders.get_order(session=session, actor=user, number=number)
    found = returns.returns_of(session=session, actor=user, order_id=order.id)
    lines = orders.order_lines(session, order.id)
    events = orders.timeline(session=session, actor=user, order_id=order.id)
    return Loaded(
        order=order,
        lines=lines,
        payments=payments.payments_of(session=session, actor=user, order_id=order.id),
        refunds=payments.refunds_of(session=session, actor=user, order_id=order.id),
        documents=invoices.documents_of(session=session, actor=user, order_id=order.id)
        if can(user, 'invoices.read')
        else [],
        parcels=orders.parcels(session, order.id, lines),
        remaining=orders.remaining_by_line(session, order.id, lines),
        carriers=orders.carriers(session=session, actor=user),
        last_carrier=orders.last_carrier(session=session, actor=user),
        returns=found,
        return_lines={r.id: returns.lines_of(session, r.id) for r in found},
        exchanges=returns.exchange_numbers(session, found),
        settled_by=returns.exchange_origin(session, order.id) if orders.settled_by_exchange(order) else None,
        events=events,
        authors=orders.authors(session=session, actor=user, events=events),
        refunded_since=orders.refunded_since(session, order.id, events),
        company=customer_picture.company_of(session=session, actor=user, customer_id=order.customer_id),
        on_terms=invoices.payment_terms_of(session, order.customer_id) is not None,
        returnable=returns.anything_returnable(session, order.id or 0, lines),
        gateway=gateway_payments.picture_of(session=session, actor=user, order_id=order.id),
        short=orders.shelf_shortages(session, order, lines),
        refund_room=gateway_payments.refund_room(session, order),
        due=payments.amount_due(session, order),
    )


class OrderScreen:
    def __init__(self, user: User, number: str) -> None:
        self.user, self.number = user, number
        self.may_write = can(user, 'orders.write')
        try:
            with read_session() as session:
                self.data = load(session, user, number)
        except NotFound as error:
            ui.label(_('Order')).classes('text-2xl font-semibold').props('role=heading aria-level=1')
            ui.label(str(error)).mark('not-found')
            ui.link(_('Back to the orders'), '/orders')
            return
        self.box = ui.column().classes('w-full gap-4')
        self._reloads = 0  # reloads started; only the latest one shows what it read (see `reload`)
        self._typed_note = ''  # the timeline's note being written
        self._shown = key_of(self.data)  # what the page shows: a reload reading the same draws nothing again
        # each part of the page in its own box, drawn again only when what it shows changed (see `render`)
        self._parts: dict[str, tuple[ui.element, str | None]] = {}
        self._build()
        self.render()
        live.resource_changed(Topic.orders).subscribe(self._on_change)

    def _on_change(self, payload: dict) -> None:
        if payload.get('id') == self.data.order.id:
            ui.timer(0.05, self.reload, once=True)

    async def reload(self) -> None:
        with self.box:  # the element that started this may be gone: a live update re-rendered the page meanwhile
            user = acting_user()
        if user is None:
            return

        def fetch() -> Loaded:
            with read_session() as session:
                return load(session, user, self.data.order.number)

        # several changes in a row start several reloads (a ship is an order and a shipment changed); one that read
        # earlier may answer later: only the latest started shows, or the page would go back to an older version of
        # the order and its buttons act on that version (refused as changed meanwhile)
        self._reloads += 1
        this_reload = self._reloads
        data = await run.io_bound(fetch)
        if data is not None and this_reload == self._reloads and not self.box.is_deleted:
            shown = key_of(data)
            if shown == self._shown:  # this page's own change arriving after its own reload showed it: the buttons
                return  # stay, or a click sent meanwhile would reach one no longer there and be dropped
            self.data, self._shown = data, shown
            self.render()

    # --- rendering --------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        """The page's frame: a box per part (drawn by `render`) and the note form, which is never drawn again (what
        is typed in it, its focus and its message stay through any live update)."""
        with self.box:
            self._part('heading')
            if self.may_write:
                self._part('actions')
            with ui.row().classes('w-full gap-4 flex-wrap lg:flex-nowrap items-start'):
                with ui.column().classes('w-full lg:w-2/3 gap-4'):
                    self._part('lines')
                    self._part('money')
                    self._part('shipping')
                with ui.column().classes('w-full lg:w-1/3 gap-1'):
                    ui.label(_('Timeline')).classes('font-medium')
                    if self.may_write:
                        self._note_form()
                    self._part('timeline')

    def _part(self, name: str) -> None:
        # display: contents: the box lays nothing out itself, its children are the column's as before (an empty one
        # adds no gap)
        self._parts[name] = (ui.element('div').style('display: contents').mark(f'part-{name}'), None)

    def render(self) -> None:
        """Draw again only the parts whose content changed: a colleague's payment redraws the totals and the actions,
        not the button being clicked in the shipments or the note being typed."""
        data, order = self.data, self.data.order
        drawers: dict[str, tuple[Callable[[], None], Any]] = {
            'heading': (
                self._heading,
                (
                    order.number,
                    orders.status_shown(order),
                    orders.is_placed(order),
                    order.placed_at,
                    order.shipping_name,
                    order.customer_id,
                    order.email,
                    data.company,
                    order.external_id,
                    order.shipping_address,
                    order.note,
                    data.short,
                ),
            ),
            'actions': (self._actions, (sorted(self._allowed()), orders.refunded_in_full(order))),
            'lines': (
                self._lines,
                (
                    data.lines,
                    order.currency,
                    [getattr(order, name) for name in TOTALS],
                    order.shipping_waived_reason,
                ),
            ),
            'money': (
                self._money,
                (data.payments, data.refunds, data.documents, data.gateway, order.currency, order.paid_at),
            ),
            'shipping': (
                self._shipping_and_returns,
                (
                    data.parcels,
                    data.remaining,
                    data.carriers,
                    data.returns,
                    data.return_lines,
                    data.lines,
                    data.gateway,
                    orders.partly_shipped(order),
                    order.currency,
                ),
            ),
            'timeline': (self._timeline, (data.events, data.authors)),
        }
        for name, (box, shown) in list(self._parts.items()):
            draw, content = drawers[name]
            key = key_of(content)
            if key == shown:
                continue
            self._parts[name] = (box, key)
            box.clear()
            with box:
                draw()

    def _heading(self) -> None:
        order, data = self.data.order, self.data
        with ui.row().classes('w-full items-baseline gap-3 flex-wrap'):
            # the page's one heading (the shell's 'Order' above 'Order 103000' said nothing more)
            ui.label(_('Order {number}').format(number=order.number)).classes('text-2xl font-semibold').props(
                'role=heading aria-level=1'
            ).mark('number')
            ui.badge(formatting.label(orders.status_shown(order), SHOWN_ORDER_STATUSES)).props('outline').mark('status')
            # a draft's time is when it was begun: Confirm places it, its time then set
            shown = _('placed {when}') if orders.is_placed(order) else _('draft begun {when}')
            ui.label(shown.format(when=when(order.placed_at))).classes('text-sm text-gray-500').mark('placed')
        with ui.row().classes('gap-2 text-sm text-gray-700').mark('customer'):
            ui.label(order.shipping_name or '')
            record_link('customers', order.customer_id, order.email, self.user)
            if data.company is not None:
                record_link('companies', data.company[0], data.company[1], self.user)
            if order.external_id:
                ui.label(_('shop id {id}').format(id=order.external_id))
        self._ship_to()
        if data.short:  # a count found fewer on the shelf than open orders reserved: shipping would be refused
            ui.label(
                _(
                    'Not enough on the shelf for the open orders: {items}. Receive or count more, or change an '
                    'order, before shipping.'
                ).format(items='; '.join(data.short))
            ).classes('text-sm text-red-700 break-words').mark('order-short')

    def _timeline(self) -> None:
        data = self.data
        for event in reversed(data.events):
            # as wide as the column, not as its longest word: a pasted link wraps instead of overflowing
            with ui.column().classes('gap-0 w-full').mark('timeline-entry'):
                ui.label(orders.timeline_text(event, refunded=event.id in data.refunded_since)).classes(
                    'text-sm break-words whitespace-pre-line w-full'
                )
                author = data.authors.get(event.actor_id) if event.actor_id is not None else None
                ui.label(
                    _('{when} · {who}').format(when=when(event.created_at), who=author)
                    if author
                    else when(event.created_at)
                ).classes('text-xs text-gray-500')

    def _note_form(self) -> None:
        """A note for colleagues on the timeline: what the customer said on the phone, what to watch when packing.
        Drawn once: a colleague's change meanwhile leaves the field, its text, focus and message as they are."""
        order = self.data.order
        note = (
            counted(ui.textarea(placeholder=_('Add a note for the team')), orders.NOTE_TEXT_MAX)
            .props('outlined dense autogrow')
            .classes('w-full')
            .mark('order-note-text')
        )

        def typed(event: Any) -> None:
            self._typed_note = event.value or ''

        note.on_value_change(typed)

        def added(_event: Any) -> tuple[str, str]:
            note.value = ''  # it is in the timeline now
            return _('Note added'), 'positive'

        async def add() -> None:
            await self._do(
                lambda s, u: orders.add_note(session=s, actor=u, order_id=order.id, text=self._typed_note),
                added,
                {'text': note},
            )

        ui.button(_('Add note'), icon='note_add', on_click=add).props('flat dense').mark('add-note')

    def _ship_to(self) -> None:
        """Where the parcel goes and what the customer asked for it: what the person packing it reads first."""
        order = self.data.order
        if not (order.shipping_address.strip() or order.note.strip()):
            return
        with ui.row().classes('w-full gap-x-8 gap-y-2 text-sm'):
            if order.shipping_address.strip():
                # max-w-full: a flex item is at least as wide as its longest word (break-words does not shrink that),
                # so a pasted link with no space ran off a phone's screen
                with ui.column().classes('gap-0 min-w-0 max-w-full').mark('ship-to'):
                    ui.label(_('Ship to')).classes('text-gray-500')
                    if order.shipping_name:
                        ui.label(order.shipping_name).classes('break-words max-w-full')
                    ui.label(order.shipping_address.strip()).classes('whitespace-pre-line break-words max-w-full')
            if order.note.strip():
                with ui.column().classes('gap-0 min-w-0 max-w-full').mark('order-note'):
                    ui.label(_("Customer's note")).classes('text-gray-500')
                    ui.label(order.note.strip()).classes('whitespace-pre-line break-words max-w-full')

    def _lines(self) -> None:
        order = self.data.order
        rows = [
            {
                'id': line.id,
                'sku': line.sku,
                'name': line.name,
                'quantity': _quantity(line),
                'unit_price': money(line.unit_price, order.currency),  # in the order's currency, as its totals
                'discount': money(line.discount, order.currency),
                'line_total': money(line.line_total, order.currency),
            }
            for line in self.data.lines
        ]
        columns = [
            {
                'name': n,
                'label': _(label),
                'field': n,
                'align': 'left' if n in ('sku', 'name') else 'right',
                # on a phone: the item, how many, its price and the net (a long SKU pushed the amounts out of sight)
                **({'classes': 'gt-xs', 'headerClasses': 'gt-xs'} if n in ('sku', 'discount') else {}),
            }
            for n, label in (
                ('sku', N_('SKU')),
                ('name', N_('Item')),
                ('quantity', N_('Qty')),
                ('unit_price', N_('Price')),
                ('discount', N_('Discount')),
                ('line_total', N_('Net')),
            )
        ]
        table = ui.table(columns=columns, rows=rows, row_key='id').props('flat bordered dense wrap-cells')
        table.classes('w-full').mark('lines')
        table.add_slot('body-cell-name', ITEM_CELL)  # on a phone the SKU column is hidden: it is under the item
        with ui.grid(columns=2).classes('gap-x-6 gap-y-0 text-sm self-end').mark('totals'):
            for label, value in (
                (_('Subtotal'), order.subtotal),
                (_('Discounts'), -order.discount_total),
                (_('Shipping (waived)') if order.shipping_waived_reason else _('Shipping'), order.shipping_total),
                (_('Tax'), order.tax_total),
                (pgettext('order totals', 'Total'), order.total),
                (pgettext('order totals', 'Paid'), order.paid_total),
                (pgettext('order totals', 'Refunded'), order.refunded_total),
            ):
                ui.label(label).classes('text-gray-600')
                ui.label(formatting.money(value, order.currency)).classes('text-right')
            # paid in part (on this page or by a bank line) or given store credit: what is left, as a payment takes it
            if 0 < self.data.due < order.total:
                ui.label(pgettext('order totals', 'Left to pay')).classes('text-gray-600')
                ui.label(formatting.money(self.data.due, order.currency)).classes('text-right').mark('left-to-pay')

    def _money(self) -> None:
        data = self.data
        with ui.row().classes('items-center gap-2'):
            ui.label(_('Payments, refunds and invoices')).classes('font-medium')
            if self.may_write and data.gateway.syncable:
                ui.button(_('Sync status'), icon='sync', on_click=self._sync).props('flat dense').tooltip(
                    _('Read the payments and refunds from the payment gateway again and fix what differs here')
                ).mark('sync-status')
        with ui.column().classes('gap-1 text-sm w-full'):  # its lines wrap a long word at its width
            for payment in data.payments:
                provider = payments.PROVIDERS.get(payment.provider)
                method = _(provider.methods.get(payment.method, payment.method)) if provider else payment.method
                ui.label(
                    _('{when} · paid {amount} ({method}, {reference})').format(
                        when=when(payment.paid_at),
                        amount=formatting.money(payment.amount, data.order.currency),
                        method=method,
                        reference=payment.reference,
                    )
                ).classes('break-words w-full')  # a pasted bank statement line: one long word, wrapped at 390 px
            for refund in data.refunds:
                if refund.amount < 0:  # a refund that failed after it was made, reversed
                    ui.label(
                        _('{when} · refund of {amount} reversed: {reason}').format(
                            when=when(refund.refunded_at),
                            amount=formatting.money(-refund.amount, data.order.currency),
                            reason=payments.reason_said(refund),
                        )
                    ).classes('break-words text-negative w-full').mark('refund-reversed')
                    continue
                ui.label(
                    _('{when} · refunded {amount}: {reason}').format(
                        when=when(refund.refunded_at),
                        amount=formatting.money(refund.amount, data.order.currency),
                        reason=payments.reason_said(refund),
                    )
                ).classes('break-words w-full')
            self._gateway()
            for document in data.documents:
                with ui.row().classes('items-center gap-2'):
                    amount = invoices.signed_total(document.kind, document.total)  # a credit note reads -€12.00
                    shown = f'{invoices.document_title(document)} · {formatting.money(amount, document.currency)}'
                    if document.due_on is not None and document.paid_at is None and self.data.order.paid_at is None:
                        shown = _('{document} · due {day}').format(document=shown, day=formatting.day(document.due_on))
                    ui.label(shown).mark('document')
                    ui.button('PDF', icon='download', on_click=lambda d=document: self._pdf(d)).props('flat dense')
                    ui.button(_('Factur-X'), icon='download', on_click=lambda d=document: self._facturx(d)).props(
                        'flat dense'
                    ).tooltip(_('The e-invoice: a PDF/A-3 with its EN 16931 XML inside')).mark('facturx')
            if orders.settled_by_exchange(data.order):  # "Paid" above it: settled, not waiting for money
                ui.label(
                    _('Nothing to pay: an exchange settled by return {rma} of order {number}, not invoiced.').format(
                        rma=data.settled_by[0], number=data.settled_by[1]
                    )
                    if data.settled_by
                    else _('Nothing to pay: an exchange settled by its return, not invoiced.')
                ).classes('text-gray-600 break-words').mark('settled-by-exchange')
            elif not (data.payments or data.refunds or data.documents or data.gateway.intents or data.gateway.refunds):
                ui.label(_('No payment yet.')).classes('text-gray-500')

    def _gateway(self) -> None:
        """Payments at a gateway not recorded as paid yet (authorised, failed, cancelled), and refunds sent there that
        did not succeed (yet), with the gateway's words."""
        order = self.data.order
        for intent in self.data.gateway.intents:
            provider = payments.PROVIDERS.get(intent.provider)
            with ui.row().classes('items-center gap-2').mark('gateway-payment'):
                shown = _('{gateway} payment {reference} · {amount} · {status}').format(
                    gateway=_(provider.label) if provider else intent.provider,
                    reference=intent.reference,
                    amount=formatting.money(intent.amount, intent.currency),
                    status=gateway_payments.intent_said(intent),
                )
                ui.label(f'{shown}: {gateway_payments.message_shown(intent)}' if intent.message else shown).classes(
                    'break-words'
                )
                if self.may_write and gateway_payments.may_cancel(intent):
                    ui.button(
                        _('Cancel payment'),
                        on_click=lambda i=intent: self._do(
                            lambda s, u: gateway_payments.cancel_intent(session=s, actor=u, intent_id=i.id),
                            _('Payment cancelled; the card is no longer held'),
                        ),
                    ).props('flat dense color=negative').mark('cancel-payment')
        for refund in self.data.gateway.refunds:
            provider = payments.PROVIDERS.get(refund.provider)
            with ui.row().classes('items-center gap-2').mark('gateway-refund'):
                shown = _('{when} · refund of {amount} through {gateway}: {status}').format(
                    when=when(refund.created_at),
                    amount=formatting.money(refund.amount, order.currency),
                    gateway=_(provider.label) if provider else refund.provider,
                    status=gateway_payments.refund_said(refund),
                )
                if gateway_payments.failed_after_made(refund):
                    shown = _(
                        '{when} · refund of {amount} through {gateway} failed after it was made: the amount is owed to '
                        'the customer again, the credit note stands'
                    ).format(
                        when=when(refund.created_at),
                        amount=formatting.money(refund.amount, order.currency),
                        gateway=_(provider.label) if provider else refund.provider,
                    )
                ui.label(f'{shown} · {gateway_payments.message_shown(refund)}' if refund.message else shown).classes(
                    'break-words'
                )
                if self.may_write and gateway_payments.may_pay_back_again(refund, self.data.gateway):
                    ui.button(
                        _('Pay back again'),
                        icon='replay',
                        on_click=lambda r=refund: self._do(
                            lambda s, u: gateway_payments.pay_back_again(session=s, actor=u, refund_id=r.id),
                            lambda sent: gateway_payments.outcome_said(sent, order.currency),
                        ),
                    ).props('flat dense color=primary').mark('pay-back-again')
                if self.may_write and gateway_payments.may_send_again(refund):
                    ui.button(
                        _('Send again'),
                        on_click=lambda r=refund: self._do(
                            lambda s, u: gateway_payments.send_refund(session=s, actor=u, refund_id=r.id),
                            lambda sent: gateway_payments.outcome_said(sent, order.currency),
                        ),
                    ).props('flat dense').mark('send-again')

    async def _sync(self) -> None:
        await self._do(
            lambda s, u: gateway_payments.sync_order(session=s, actor=u, order_id=self.data.order.id),
            lambda fixed: (
                ngettext('Synced: {count} difference fixed', 'Synced: {count} differences fixed', len(fixed)).format(
                    count=len(fixed)
                )
                if fixed
                else _('Synced: nothing differed'),
                'positive',
            ),
        )

    def _shipping_and_returns(self) -> None:
        data = self.data
        ui.label(_('Shipments and returns')).classes('font-medium')
        with ui.column().classes('gap-3 text-sm'):  # a parcel's items end before the next parcel starts
            several = len(data.parcels) > 1 or orders.partly_shipped(data.order)
            for number, parcel in enumerate(data.parcels, start=1):
                shipment = parcel.shipment
                with ui.column().classes('gap-0 w-full pb-1').mark('shipment'):
                    with ui.row().classes('items-center gap-2'):
                        carrier = orders.carrier_name(shipment) or _('no carrier')
                        if several:
                            ui.label(_('Parcel {n}').format(n=number)).classes('font-medium')
                        ui.label(f'{when(shipment.shipped_at)} · {carrier}')
                        if is_web_address(shipment.tracking_url):  # http(s) only: never a javascript: link
                            ui.link(shipment.tracking_number, shipment.tracking_url, new_tab=True).classes('break-all')
                        elif shipment.tracking_number:
                            ui.label(shipment.tracking_number).classes('break-all')
                        if shipment.delivered_at:
                            ui.label(_('delivered {when}').format(when=when(shipment.delivered_at)))
                        if self.may_write and orders.may_correct_tracking(shipment):
                            ui.button(
                                _('Change tracking') if shipment.tracking_number else _('Add tracking'),
                                on_click=lambda s=shipment: self._tracking_dialog(s),
                            ).props('flat dense').mark('correct-tracking')
                        if self.may_write and several and shipment.delivered_at is None:
                            ui.button(
                                _('Mark delivered'),
                                on_click=lambda s=shipment: self._do(
                                    lambda session, u: orders.deliver_parcel(
                                        session=session, actor=u, shipment_id=s.id
                                    ),
                                    _('Parcel delivered'),
                                ),
                            ).props('flat dense').mark('deliver-parcel')
                    if several:
                        ui.label(_parcel_items(parcel.items)).classes('text-gray-600 break-words').mark('parcel-items')
            bought = {line.id: line for line in data.lines}
            if orders.partly_shipped(data.order):
                still = [(bought[line_id], left) for line_id, left in data.remaining.items() if left > 0]
                ui.label(_('Still to ship: {items}').format(items=_parcel_items(still))).classes(
                    'text-amber-800 break-words'
                ).mark('still-to-ship')
            for rma in data.returns:
                items = ', '.join(
                    f'{line.quantity} × {_item(bought.get(line.order_line_id))}' for line in data.return_lines[rma.id]
                )
                with ui.row().classes('items-center gap-2').mark('return'):
                    status = returns.status_said(rma.status)
                    if rma.resolution:
                        resolution = _(RESOLUTION_WORDS.get(rma.resolution.value, rma.resolution.value))
                        shown = _('Return {number} · {status} · {resolution} · {items}').format(
                            number=rma.number, status=status, resolution=resolution, items=items
                        )
                    else:
                        shown = _('Return {number} · {status} · {items}').format(
                            number=rma.number, status=status, items=items
                        )
                    ui.label(shown)
                    if exchange := data.exchanges.get(rma.id):  # the order that ships the replacement
                        ui.link(_('Exchange order {number}').format(number=exchange), f'/orders/{exchange}').mark(
                            'exchange-order'
                        )
                    if rma.reason.strip():  # why it comes back: what the warehouse checks the parcel for
                        ui.label(_('Reason: {reason}').format(reason=rma.reason)).classes(
                            'text-sm text-gray-600 break-words min-w-0'
                        ).mark('return-reason')
                    if restocked := returns.restocked_shown(rma):  # 'Restocked: 2 of 3', as /returns lists it
                        ui.label(restocked).classes('text-sm text-gray-600').mark('return-restocked')
                    if rma.refund_state:
                        self._return_refund(rma)
                    allowed = returns.allowed_actions(rma) if self.may_write else frozenset()
                    if 'receive' in allowed:  # asks whether the items can be sold again before they are counted
                        ui.button(_('Receive'), on_click=lambda r=rma: self._receive_dialog(r)).props(
                            'flat dense'
                        ).mark('receive-return')
                    if 'cancel' in allowed:
                        ui.button(
                            _('Cancel return'),
                            on_click=lambda r=rma: self._do(
                                lambda s, u: returns.cancel_return(session=s, actor=u, return_id=r.id),
                                _('Return {number} cancelled').format(number=r.number),
                            ),
                        ).props('flat dense color=negative').mark('cancel-return')
                    for key, label in RESOLUTIONS.items():
                        if key not in allowed:
                            continue
                        if key == 'refund':  # money moves only once the amount was shown and confirmed
                            resolve = lambda r=rma: self._confirm_refund(r)  # noqa: E731
                        else:  # a credit note or an exchange order is not undone: asked first, as a refund is
                            resolve = lambda r=rma, k=key, t=label: self._confirm_resolution(r, k, t)  # noqa: E731
                        ui.button(_(label), on_click=resolve).props('flat dense').mark(f'resolve-{key}')
            if not (data.parcels or data.returns):
                ui.label(_('Not shipped yet.')).classes('text-gray-500')

    def _return_refund(self, rma) -> None:
        """Whether the return's money went back: how much, how, and where it stands; a failed one in red, with "Pay
        back again" beside it (the same refund the Payments section lists)."""
        state = rma.refund_state
        said = _('Refund {amount} · {state}').format(
            amount=formatting.money(rma.refund_amount, self.data.order.currency),
            state=_(return_refunds.ON_THE_ORDER.get(state, state)),
        )
        alarming = state in return_refunds.ALARMING
        ui.label(said).classes('text-red-8 text-weight-bold' if alarming else 'text-gray-600').mark(
            f'return-refund-{state}'
        )
        if not (alarming and self.may_write):
            return
        failed = [
            r
            for r in self.data.gateway.refunds
            if r.return_id == rma.id and gateway_payments.may_pay_back_again(r, self.data.gateway)
        ]
        if failed:
            currency = self.data.order.currency
            ui.button(
                _('Pay back again'),
                icon='replay',
                on_click=lambda r=failed[-1]: self._do(
                    lambda s, u: gateway_payments.pay_back_again(session=s, actor=u, refund_id=r.id),
                    lambda sent: gateway_payments.outcome_said(sent, currency),
                ),
            ).props('flat dense color=primary').mark('return-pay-back-again')

    def _actions(self) -> None:
        """The buttons of the actions the order service says this order allows now, and no other."""
        order = self.data.order
        allowed = self._allowed()
        steps = {  # the button, the service, and what is said once done ("Mark packed: done" read oddly)
            'confirm': (_('Confirm'), orders.confirm, _('Order confirmed')),
            'pack': (_('Mark packed'), orders.pack, _('Order packed')),
            'deliver': (_('Mark delivered'), orders.deliver, _('Order delivered')),
        }
        with ui.row().classes('gap-2 flex-wrap'):
            if 'edit_draft' in allowed:
                ui.button(
                    _('Edit draft'),
                    icon='edit',
                    on_click=lambda: DraftDialog(self.user, self.data.order, on_saved=lambda _: self.reload()),
                ).props('outline').mark('edit-draft')
            for key, (label, action, done) in steps.items():
                if key in allowed:
                    ui.button(
                        label,
                        on_click=lambda action=action, done=done: self._do(
                            lambda s, u: action(session=s, actor=u, order_id=order.id, version=self.version()),
                            done,
                        ),
                    ).mark('advance')
            if 'record_payment' in allowed:
                ui.button(_('Record payment'), icon='payments', on_click=self._payment_dialog).mark('record-payment')
            if 'ship' in allowed:
                ui.button(_('Ship'), icon='local_shipping', on_click=self._ship_dialog).mark('ship')
            if 'refund' in allowed:
                ui.button(_('Refund a payment'), icon='undo', on_click=self._refund_dialog).props('outline').mark(
                    'refund'
                )
            if 'start_return' in allowed:
                ui.button(
                    _('Start a return'),
                    icon='assignment_return',
                    on_click=lambda: start_return(
                        self.data.order, lines=self.data.lines, on_done=lambda _rma: self.reload()
                    ),
                ).props('outline').mark('start-return')
            if 'issue_invoice' in allowed:
                ui.button(
                    _('Issue invoice'),
                    icon='receipt',
                    on_click=lambda: self._do(
                        lambda s, u: invoices.issue_invoice(session=s, actor=u, order_id=order.id), _('Invoice issued')
                    ),
                ).props('outline')
            if 'pick_list' in allowed:
                ui.button(_('Pick list'), icon='picture_as_pdf', on_click=self._pick_list).props('outline')
            if 'cancel_rest' in allowed:
                ui.button(
                    _('Cancel what is not shipped'), icon='remove_shopping_cart', on_click=self._cancel_rest_dialog
                ).props('outline color=negative').mark('cancel-rest')
            if 'cancel' in allowed:
                ui.button(_('Cancel order'), icon='cancel', on_click=self._cancel_dialog).props(
                    'outline color=negative'
                ).mark('cancel-order')
        if 'cancel' in allowed and orders.refunded_in_full(order):  # why Pack and Ship are gone
            ui.label(_('Everything paid was refunded: it is not sent. Cancel the order to free its stock.')).classes(
                'text-sm text-amber-800'
            ).mark('refunded-in-full')

    # --- dialogs and calls ------------------------------------------------------------------------------------------

    def _allowed(self) -> frozenset[str]:
        return orders.allowed_actions(
            self.data.order,
            invoiced=any(d.kind == 'invoice' for d in self.data.documents),
            on_terms=self.data.on_terms,
            returnable=self.data.returnable,
        )

    def version(self) -> int:
        """The version shown now: a button of a render a live update has just replaced acts on what is on screen; the
        service still refuses a step the order's status no longer allows, with its reason."""
        return self.data.order.version

    def _form(
        self,
        title: str,
        fields: Callable[[], dict[str, Any]],
        submit: Callable[[dict], Callable],
        done: Done,
        *,
        on_stale: Callable[[StaleRecord], Any] | None = None,
        ask: Callable[[dict, dict], Awaitable[dict | None]] | None = None,
    ) -> None:
        """A dialog of fields submitted as one call; `ask` may check what was typed first (a warning to confirm) and
        return the values to submit, or None to stop with the dialog left open."""
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(title).classes('text-lg font-medium')
            inputs = fields()
            for element in inputs.values():  # the card's width: a select left to its content's width (the Ship
                element.classes('w-full')  # dialog's carrier, empty) shrank to its arrow and hid its label
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Close'), on_click=dialog.close).props('flat')

                async def go() -> None:
                    values: dict | None = {k: v.value for k, v in inputs.items()}
                    if ask is not None and values is not None:
                        values = await ask(values, inputs)
                    if values is None:
                        return
                    if await self._do(submit(values), done, inputs, on_stale=on_stale):
                        dialog.close()
                        dialog.delete()  # at once, not when the browser reports it hidden: its inputs are done

                ui.button(title, on_click=go).mark('dialog-submit')
        dialog.open()

    def _payment_dialog(self) -> None:
        order = self.data.order
        due = self.data.due
        self._form(
            _('Record payment'),
            lambda: {
                'amount': ui.input(_('Amount'), value=formatting.typed_amount(due))
                .props('outlined dense')
                .mark('amount'),
                'method': ui.select(
                    {k: _(v) for k, v in payments.PROVIDERS['manual'].methods.items()},
                    label=_('Method'),
                    value='bank_transfer',
                ).props('outlined dense'),
                'reference': counted(ui.input(_('Reference (bank statement line)')), payments.REFERENCE_MAX)
                .props('outlined dense')
                .mark('reference'),
            },
            lambda v: lambda s, u: payments.record_payment(session=s, actor=u, order_id=order.id, **v),
            _('Payment recorded'),
            ask=self._same_reference,
        )

    async def _same_reference(self, values: dict, inputs: dict) -> dict | None:
        """A reference one of the order's payments has already (the same bank line typed twice?): said with that
        payment, and recorded only once confirmed."""
        with self.box:
            user = acting_user()
        if user is None:
            return None
        order_id = self.data.order.id

        def check() -> str | None:
            with read_session() as session:
                return payments.same_reference_warning(
                    session=session, actor=user, order_ids=[order_id], reference=values.get('reference')
                )

        with self.box:
            warning = await call(check, fields=inputs)
            if warning is FAILED:
                return None
            if warning and not await confirm(warning, _('Record it anyway'), title=_('Same reference')):
                return None
        return {**values, 'same_reference': bool(warning)}

    def _refund_dialog(self) -> None:
        """A colleague's refund (or any change of the order) since it opened is said with who, the page shows it; what
        was typed stays, and pressing again gives this refund too."""
        order = self.data.order
        room = self.data.refund_room
        seen = {'version': self.version()}  # the order as it was when the dialog opened, not as a live update made it

        def knew_of(error: StaleRecord) -> None:
            seen['version'] = error.current_version

        def fields() -> dict[str, Any]:
            if room.store_credit > 0:  # why the amount offered is less than what was paid
                ui.label(
                    _('{amount} already given as store credit').format(amount=money(room.store_credit, order.currency))
                ).classes('text-sm text-gray-600').mark('refund-store-credit')
            return {
                'amount': ui.input(_('Amount'), value=formatting.typed_amount(room.amount))
                .props('outlined dense')
                .mark('amount'),
                'reason': counted(ui.input(_('Reason')), payments.REFUND_REASON_MAX)
                .props('outlined dense')
                .mark('reason'),
            }

        self._form(
            _('Refund a payment'),
            fields,
            lambda v: (
                lambda s, u: gateway_payments.request_refund(
                    session=s, actor=u, order_id=order.id, version=seen['version'], **v
                )
            ),
            lambda sent: gateway_payments.outcome_said(sent, order.currency),
            on_stale=knew_of,
        )

    async def _confirm_resolution(self, rma, resolution: str, label: str) -> None:
        """Resolve a received return by store credit or an exchange, after a confirmation saying what it does."""
        with self.box:
            user = acting_user()
        if user is None:
            return

        def question() -> str:
            with read_session() as session:
                return returns.resolution_question(session=session, actor=user, return_id=rma.id, resolution=resolution)

        with self.box:
            asked = await call(question)
        if asked is FAILED:
            return
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('resolution-confirmation'):
            ui.label(_(label)).classes('text-lg font-medium')
            ui.label(asked).classes('break-words').mark('resolution-question')
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat').mark('resolution-cancel')

                def resolve(s, u) -> str | None:  # the exchange order's number, when one was made
                    done = returns.resolve(session=s, actor=u, return_id=rma.id, resolution=resolution)
                    return returns.exchange_numbers(s, [done]).get(done.id)

                def said(exchange: str | None) -> tuple[str, str]:  # the new order named: the page links to it
                    if exchange is None:
                        return _('Return {number} closed').format(number=rma.number), 'positive'
                    return (
                        _('Return {number} closed: exchange order {exchange} made, to pack and ship').format(
                            number=rma.number, exchange=exchange
                        ),
                        'positive',
                    )

                async def confirm() -> None:
                    dialog.close()
                    await self._do(resolve, said)

                ui.button(_(label), on_click=confirm).mark('resolution-confirm')
        dialog.open()

    async def _confirm_refund(self, rma) -> None:
        """Resolve a received return by a refund, after a confirmation that states the amount and what it is for."""
        with self.box:
            user = acting_user()
        if user is None:
            return

        def quote() -> returns.RefundQuote:
            with read_session() as session:
                return returns.refund_quote(session=session, actor=user, return_id=rma.id)

        with self.box:
            quoted = await call(quote)
        if quoted is FAILED:
            return
        amount = money(quoted.amount, quoted.currency)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('refund-confirmation'):
            ui.label(_('Refund the return')).classes('text-lg font-medium')
            ui.label(
                _(REFUND_QUESTION).format(
                    amount=amount,
                    customer=quoted.customer_name,
                    rma=quoted.return_number,
                    order=quoted.order_number,
                )
            ).classes('break-words').mark('refund-question')
            ui.label(_('The money goes back the way it was paid; a credit note is issued.')).classes(
                'text-sm text-gray-600'
            )
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat').mark('refund-cancel')

                def refund_return(s, u):
                    returns.resolve(session=s, actor=u, return_id=rma.id, resolution='refund', amount=quoted.amount)
                    return gateway_payments.refund_of_return(session=s, actor=u, return_id=rma.id)

                def said(sent) -> tuple[str, str]:
                    """Paid at a gateway: its outcome (succeeded, pending, failed in its words); else refunded here."""
                    if sent is None:
                        return _(REFUNDED).format(amount=amount, rma=quoted.return_number), 'positive'
                    return gateway_payments.outcome_said(sent, quoted.currency)

                async def go() -> None:
                    dialog.close()
                    await self._do(refund_return, said)

                ui.button(_(REFUND_BUTTON).format(amount=amount), icon='undo', on_click=go).props(
                    'color=negative'
                ).mark('refund-confirm')
        dialog.open()

    def _receive_dialog(self, rma: Return) -> None:
        """The parcel is back: its items go back on the shelf, unless they came back broken (then the stock stays);
        when more than one came back, how many of each can be sold again (the broken ones stay out)."""
        lines = self.data.return_lines[rma.id]
        bought = {line.id: line for line in self.data.lines}
        shelf: dict[str, Any] = {}

        def fields() -> dict[str, Any]:
            shelf['restock'] = ui.checkbox(_('Put the items back in stock: they can be sold again'), value=True)
            shelf['restock'].mark('return-restock')
            if sum(line.quantity for line in lines) > 1:
                for line in lines:
                    with ui.column().classes('w-full gap-0').bind_visibility_from(shelf['restock'], 'value'):
                        ui.label(
                            _('{quantity} × {item} came back').format(
                                quantity=line.quantity, item=_item(bought.get(line.order_line_id))
                            )
                        ).classes('text-sm break-words')
                        shelf[f'sellable-{line.id}'] = (
                            ui.number(_('Can be sold again'), value=line.quantity, min=0, max=line.quantity, step=1)
                            .props('outlined dense')
                            .mark(f'sellable-{line.id}')
                        )
            return dict(shelf)

        asked: dict[str, Any] = {}

        def receive(values: dict[str, Any]) -> Callable:
            sellable = {line.id: values[f'sellable-{line.id}'] for line in lines if f'sellable-{line.id}' in values}
            asked.update(restock=bool(values['restock']), sellable=sellable)
            return lambda s, u: returns.receive(session=s, actor=u, return_id=rma.id, **asked)

        def said(received: Return) -> tuple[str, str]:
            return returns.receipt_said(received, lines), 'positive'  # all of it back on the shelf, none, or some

        self._form(_('Receive'), fields, receive, said)

    def _ship_dialog(self) -> None:
        """One parcel: what goes in it (each line's quantity, at first everything not shipped yet), its carrier and
        tracking number."""
        order, data = self.data.order, self.data
        left = [(line, data.remaining.get(line.id, 0)) for line in data.lines if data.remaining.get(line.id, 0) > 0]

        def fields() -> dict[str, Any]:
            shown: dict[str, Any] = {}
            if left:
                ui.label(_('In this parcel')).classes('text-sm text-gray-600')
            for line, quantity in left:
                # text read by the service, not ui.number: its min and max put 5 typed back to the 3 left when the
                # field lost focus, without a word; more than is left is refused at the line ("Only 3 left to ship")
                shown[f'lines.{line.id}'] = (
                    WholeNumberInput(_item(line), value=quantity).props('outlined dense').mark(f'ship-line-{line.id}')
                )
                shown[f'lines.{line.id}'].props['suffix'] = _('of {n} to ship').format(n=quantity)
            if left:  # "no item chosen" is said at the first line
                shown['lines'] = shown[f'lines.{left[0][0].id}']
            shown['carrier_id'] = (
                ui.select(
                    data.carriers,
                    label=_('Carrier'),
                    clearable=True,
                    value=data.last_carrier if data.last_carrier in data.carriers else None,
                )
                .props('outlined dense')
                .mark('ship-carrier')
            )
            shown['tracking_number'] = tracking_input().mark('ship-tracking')
            return shown

        def submit(values: dict[str, Any]) -> Callable:
            lines = {
                key.split('.', 1)[1]: whole_number(value) for key, value in values.items() if key.startswith('lines.')
            }
            chosen = {'carrier_id': values['carrier_id'], 'tracking_number': values['tracking_number']}
            return lambda s, u: orders.whole_order_shipped(
                s,
                orders.ship(
                    session=s, actor=u, order_id=order.id, version=self.version(), lines=lines or None, **chosen
                ),
            )

        def said(whole: bool) -> tuple[str, str]:  # a parcel of a part is not the order shipped
            return (
                (_('Shipped: nothing left to ship'), 'positive')
                if whole
                else (_('Parcel shipped: the rest is still to ship'), 'positive')
            )

        self._form(_('Ship'), fields, submit, said)

    def _tracking_dialog(self, shipment) -> None:
        """The parcel left with no tracking number, or one typed wrong: put right (the timeline keeps the old one).
        A colleague's change of the order since it opened is said, with who, and the page shows it; what was typed
        stays, and pressing again applies it over theirs."""
        seen = {'version': self.version()}  # the order as it was when the dialog opened, not as a live update made it

        def knew_of(error: StaleRecord) -> None:
            seen['version'] = error.current_version

        self._form(
            _('Change tracking'),
            lambda: {
                'carrier_id': ui.select(
                    orders.carriers_for(shipment, self.data.carriers),
                    label=_('Carrier'),
                    clearable=True,
                    value=shipment.carrier_id,
                ).props('outlined dense'),
                'tracking_number': tracking_input(shipment.tracking_number),
            },
            lambda v: (
                lambda s, u: orders.correct_tracking(
                    session=s, actor=u, shipment_id=shipment.id, version=seen['version'], **v
                )
            ),
            _('Tracking changed'),
            on_stale=knew_of,
        )

    def _cancel_dialog(self) -> None:
        order = self.data.order
        owed = self.data.refund_room.amount  # what the service would give back (store credit and refunds asked, out)

        def fields() -> dict[str, Any]:
            shown: dict[str, Any] = {
                'reason': counted(ui.input(_('Reason (optional)')), orders.CANCEL_REASON_MAX)
                .props('outlined dense')
                .mark('cancel-reason')
            }
            if owed > 0:  # what the customer paid: given back with it, or said to be still owed
                shown['refund'] = ui.checkbox(
                    _('Refund the {amount} paid, the way it was paid').format(amount=money(owed, order.currency)),
                    value=True,
                ).mark('cancel-refund')
            return shown

        self._form(
            _('Cancel order'),
            fields,
            lambda v: (
                lambda s, u: gateway_payments.cancel_and_refund(
                    session=s, actor=u, order_id=order.id, version=self.version(), **v
                )
            ),
            gateway_payments.cancelled_said,
        )

    def _cancel_rest_dialog(self) -> None:
        """Call off what a partly shipped order has not shipped (an item discontinued): said item by item with what it
        cost, and its refund offered as Cancel order offers one."""
        data = self.data
        order, bought = data.order, {line.id: line for line in data.lines}
        rest = {line_id: left for line_id, left in data.remaining.items() if left > 0}
        value = orders.value_of(data.lines, rest)
        refundable = min(value, data.refund_room.amount)

        def fields() -> dict[str, Any]:
            ui.label(
                _(
                    'Not shipped, will not be sent: {items} ({amount}). Their stock is freed; the order is then '
                    'shipped.'
                ).format(items=orders.items_said(bought, rest), amount=money(value, order.currency))
            ).classes('text-sm break-words').mark('cancel-rest-items')
            shown: dict[str, Any] = {
                'reason': counted(ui.input(_('Reason (optional)')), orders.CANCEL_REASON_MAX)
                .props('outlined dense')
                .mark('cancel-rest-reason')
            }
            if refundable > 0:  # what those items cost, given back with it or said to be still owed
                shown['refund'] = ui.checkbox(
                    _('Refund {amount} for them, the way it was paid').format(amount=money(refundable, order.currency)),
                    value=True,
                ).mark('cancel-rest-refund')
            return shown

        self._form(
            _('Cancel what is not shipped'),
            fields,
            lambda v: (
                lambda s, u: gateway_payments.cancel_rest_and_refund(
                    session=s, actor=u, order_id=order.id, version=self.version(), **v
                )
            ),
            gateway_payments.rest_cancelled_said,
        )

    async def _do(
        self,
        work: Callable,
        done: Done,
        fields: dict | None = None,
        *,
        on_stale: Callable[[StaleRecord], Any] | None = None,
    ) -> bool:
        """Run a service call; `done` is what to say once it worked, or a function of its result giving the sentence
        and how it is shown (a refund's outcome: succeeded, pending, failed). A colleague's newer change is said (and
        handed to `on_stale`), and the page shows it."""
        box = self.box  # not the clicked button's slot: a live update may have re-rendered it meanwhile
        with box:
            user = acting_user()
        if user is None:
            return False

        def in_session() -> Any:
            with session_scope() as session:
                return work(session, user)

        stale: list[StaleRecord] = []
        with box:
            result = await call(in_session, fields=fields, on_stale=stale.append)
            failed = result is FAILED
            for error in stale:  # the page is drawn again with their change just below: nothing to reload
                ui.notify(error.shown_again(), type='warning', multi_line=True)
                if on_stale is not None:
                    on_stale(error)
        if stale:
            await self.reload()
        if failed:
            return False
        said, kind = done(result) if callable(done) else (done, 'positive')
        with box:
            ui.notify(said, type=kind, multi_line=True)
        await self.reload()
        return True

    async def _pdf(self, document: Invoice) -> None:
        pdf = await run.io_bound(documents.invoice_pdf, document)
        with self.box:
            ui.download.content(pdf, f'{document.number}.pdf', 'application/pdf')

    async def _facturx(self, document: Invoice) -> None:
        with self.box:
            user = acting_user()
        if user is None:
            return

        def render() -> tuple[bytes, str]:
            with read_session() as session:
                return einvoice.facturx_pdf(session=session, actor=user, invoice_id=document.id)

        with self.box:
            made = await call(render)
            if made is not FAILED:
                ui.download.content(made[0], made[1], 'application/pdf')

    async def _pick_list(self) -> None:
        with self.box:
            user, order = acting_user(), self.data.order
        if user is None:
            return

        def render() -> bytes:
            with read_session() as session:
                return documents.pick_list_pdf(session=session, actor=user, order_ids=[order.id])

        pdf = await run.io_bound(render)
        with self.box:
            ui.download.content(pdf, f'pick-list-{order.number}.pdf', 'application/pdf')


# each button says what it does: "Refund" alone was also the order's own refund of a payment
RESOLUTIONS = {
    'refund': N_('Refund the return'),
    'credit_note': N_('Give store credit'),
    'exchange': N_('Send an exchange'),
}
# a return's status and resolution inside the return's line, as words of that sentence
RESOLUTION_WORDS = {'refund': N_('refund'), 'credit_note': N_('store credit'), 'exchange': N_('exchange')}
REFUND_QUESTION = N_('Refund {amount} to {customer} for return {rma} (order {order})?')
REFUND_BUTTON = N_('Refund {amount}')
REFUNDED = N_(  # paid by hand: the back office books it, a person sends the money
    'Refund of {amount} for return {rma} recorded; a credit note was issued. Now give the money back the way it was '
    'paid (bank transfer, cash, card terminal): the back office does not send it.'
)


# the item, and under it on a phone (Quasar's `xs`: under 600 px, where the SKU column is hidden) its SKU, which is
# what the shelf's label says
ITEM_CELL = (
    '<q-td :props="props"><div>{{ props.value }}</div>'
    '<div class="xs text-xs text-gray-500">{{ props.row.sku }}</div></q-td>'
)


def tracking_input(value: str = '') -> ui.input:
    """A tracking number's field, saying beneath it that its spaces are taken out (the service's rule: carriers'
    tracking pages read the number in one piece), so '1Z 999 AA1' read back as '1Z999AA1' is no surprise."""
    field = ui.input(_('Tracking number'), value=value).props('outlined dense')
    field.props['hint'] = _(orders.TRACKING_SAID)
    return field


def _parcel_items(items) -> str:
    """What a parcel held, or what is left to ship: '2 × MUG Mug, 1 × TEE T-shirt'."""
    return ', '.join(_('{quantity} × {item}').format(quantity=quantity, item=_item(line)) for line, quantity in items)


def _quantity(line: OrderLine) -> str:
    """How many were bought, and how many of them were called off by "Cancel what is not shipped" (they never left;
    the invoice keeps what was bought)."""
    bought = formatting.number(line.quantity)
    if not line.cancelled_quantity:
        return bought
    return _('{quantity} ({cancelled} cancelled)').format(
        quantity=bought, cancelled=formatting.number(line.cancelled_quantity)
    )


def _item(line) -> str:
    return f'{line.sku} {line.name}' if line is not None else _('an item no longer on the order')


@screen(
    '/orders/{number}',
    N_('Order'),
    permission='orders.read',
    icon='receipt_long',
    section=N_('Sales'),
    in_menu=False,
    description=N_('One order: lines, payments, invoices, shipments, returns and its timeline'),
    heading=False,
)
def order_page(user: User, number: str) -> None:
    OrderScreen(user, number)
