"""The customer portal: my orders (status, total), one order (lines, tracking, documents, timeline), my invoices and
credit notes with their PDFs. Every read goes through services/portal.py, scoped to the signed-in customer."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.formatting import day, label, money, when
from backoffice.i18n import N_, _, ngettext
from backoffice.models import Invoice, Return
from backoffice.resources.purchasing import RETURN_STATUSES
from backoffice.resources.sales import SHOWN_ORDER_STATUSES
from backoffice.services import invoices, portal, returns
from backoffice.services import orders as order_service
from backoffice.services.portal_scope import PortalActor
from components.company_invitation import invitation_cards
from components.forms import FAILED, call, call_now, counted, error_line
from components.legal_notice import new_versions_notice
from components.portal_pages import portal_page
from components.portal_session import acting_actor
from components.whole_number import WholeNumberInput

STATUS_COLOURS = {
    'pending': 'orange',
    'paid': 'blue',
    'packed': 'blue',
    'partly_shipped': 'indigo',
    'shipped': 'indigo',
    'delivered': 'green',
    'shipped_partly_refunded': 'indigo',
    'shipped_refunded': 'indigo',
    'delivered_partly_refunded': 'green',
    'delivered_refunded': 'green',
}


@portal_page('/portal', N_('Your orders'))
def portal_orders_page(actor: PortalActor) -> None:
    invitation_cards(actor)  # a company's invitation waiting for an answer comes first
    new_versions_notice(actor)  # then a new version of terms they accepted before
    with read_session() as session:
        orders = portal.my_orders(session=session, actor=actor)
    if not orders:
        ui.label(_('You have no orders yet.')).classes('text-gray-600').mark('portal-empty')
        return
    with ui.column().classes('w-full gap-2').mark('portal-orders'):
        for order in orders:
            with (
                ui.link(target=f'/portal/orders/{order.number}')
                .classes('w-full no-underline text-inherit')
                .mark(f'portal-order-{order.number}'),
                ui.card().classes('w-full p-3 gap-1 hover:bg-gray-50'),
            ):
                with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                    ui.label(_('Order {number}').format(number=order.number)).classes('font-medium')
                    _status(order_service.status_shown(order))
                with ui.row().classes('w-full justify-between text-sm text-gray-600'):
                    ui.label(day(order.placed_at))
                    ui.label(money(order.total, order.currency)).classes('font-medium text-gray-800')


@portal_page('/portal/orders/{number}', N_('Order'), heading=False)
def portal_order_page(actor: PortalActor, number: str) -> None:
    message = error_line()
    with read_session() as session:
        view = call_now(portal.order_view, session=session, actor=actor, number=number, message=message)
    if view is FAILED:
        message.mark('not-found')
        ui.link(_('Back to your orders'), '/portal')
        return
    order = view.order
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label(_('Order {number}').format(number=order.number)).classes('text-2xl font-semibold').props(
            'role=heading aria-level=1'
        ).mark('portal-order')
        _status(order_service.status_shown(order))
    ui.label(_('Placed on {day}').format(day=day(order.placed_at))).classes('text-sm text-gray-600')
    with ui.card().classes('w-full p-3 gap-2').mark('portal-lines'):
        for line in view.lines:
            with ui.row().classes('w-full justify-between no-wrap gap-2'):
                ui.label(f'{line.quantity} × {line.name}').classes('break-words min-w-0')
                ui.label(money(line.line_total, order.currency)).classes('whitespace-nowrap')
            if (called_off := view.cancelled.get(line.id or 0)) is not None:
                ui.label(_cancelled_said(called_off, order.currency)).classes(
                    'text-sm text-gray-600 break-words -mt-2'
                ).mark('portal-line-cancelled')
        ui.separator()
        for caption, value in (
            (_('Shipping'), order.shipping_total),
            (_('Tax'), order.tax_total),
            (_('Total'), order.total),
        ):
            with ui.row().classes('w-full justify-between text-sm'):
                ui.label(caption)
                ui.label(money(value, order.currency)).classes('font-medium' if caption == _('Total') else '')
    if view.tracking:
        ui.label(_('Delivery')).classes('text-lg font-medium')
        several = len(view.tracking) > 1 or order_service.partly_shipped(order)
        for number, parcel in enumerate(view.tracking, start=1):
            with ui.card().classes('w-full p-3 gap-1').mark('portal-tracking'):
                if several:
                    title = _('Parcel {n}').format(n=number)
                    ui.label(f'{title} · {parcel.carrier}' if parcel.carrier else title).classes('font-medium')
                else:
                    ui.label(parcel.carrier or _('Parcel')).classes('font-medium')
                if parcel.url:
                    ui.link(parcel.number, parcel.url, new_tab=True).classes('break-all')
                elif parcel.number:
                    ui.label(parcel.number).classes('break-all')
                ui.label(_('Shipped on {day}').format(day=day(parcel.shipped_at))).classes('text-sm text-gray-600')
                if several:  # which of the items are in it
                    for name, quantity in parcel.items:
                        ui.label(f'{quantity} × {name}').classes('text-sm break-words').mark('portal-parcel-item')
                if parcel.delivered_at:
                    ui.label(_('Delivered on {day}').format(day=day(parcel.delivered_at))).classes(
                        'text-sm text-gray-600'
                    )
    if view.documents:
        ui.label(_('Invoices and credit notes')).classes('text-lg font-medium')
        _documents(actor, view.documents)
    returned = ui.column().classes('w-full gap-2').mark('portal-returns')
    _returns(returned, view.returns)
    if view.offer is not None:  # the service asked portal_scope.order_to_return: a viewer's own orders too
        _return_form(order.number, view.offer, returned)
    if view.timeline:
        ui.label(_('History')).classes('text-lg font-medium')
        with ui.column().classes('w-full gap-1').mark('portal-timeline'):
            for entry in reversed(view.timeline):
                with ui.row().classes('w-full no-wrap gap-3 text-sm'):
                    ui.label(when(entry.at)).classes('text-gray-500 whitespace-nowrap')
                    ui.label(entry.text).classes('break-words min-w-0')
    if not actor.read_only:
        ui.link(_('A question about this order?'), f'/portal/requests/new?order={order.number}').mark('portal-ask')


@portal_page('/portal/invoices', N_('Your invoices'))
def portal_invoices_page(actor: PortalActor) -> None:
    with read_session() as session:
        papers = portal.my_documents(session=session, actor=actor)
    if not papers:
        ui.label(_('You have no invoices yet.')).classes('text-gray-600').mark('portal-empty')
        return
    _documents(actor, papers)


def _documents(actor: PortalActor, papers: list[Invoice]) -> None:
    message = error_line()
    with ui.column().classes('w-full gap-2').mark('portal-documents'):
        for paper in papers:
            with ui.card().classes('w-full p-3'), ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(invoices.document_title(paper)).classes('font-medium break-all')
                    amount = invoices.signed_total(paper.kind, paper.total)  # a credit note reads -€12.00
                    ui.label(f'{day(paper.issued_at)} · {money(amount, paper.currency)}').classes(
                        'text-sm text-gray-600'
                    )
                ui.button('PDF', icon='download', on_click=lambda p=paper.id: _download(p, message)).props(
                    'outline dense'
                ).mark(f'portal-pdf-{paper.number}')


async def _download(invoice_id: int | None, message: ui.label) -> None:
    actor = acting_actor()
    if actor is None or invoice_id is None:
        return
    made = await call(_pdf, actor, invoice_id, message=message)
    if made is not FAILED:
        ui.download.content(made[0], made[1], 'application/pdf')


def _pdf(actor: PortalActor, invoice_id: int) -> tuple[bytes, str]:
    with read_session() as session:
        return portal.document_pdf(session=session, actor=actor, invoice_id=invoice_id)


def _returns(box: ui.column, sent_back: list[Return]) -> None:
    """The order's returns with their status (drawn again once the customer requests one)."""
    box.clear()
    box.set_visibility(bool(sent_back))
    with box:
        ui.label(_('Returns')).classes('text-lg font-medium')
        for rma in sent_back:
            with ui.row().classes('w-full justify-between items-center').mark('portal-return'):
                ui.label(_('Return {number}').format(number=rma.number))
                ui.badge(label(rma.status, RETURN_STATUSES), color='grey').props('outline')


def _return_form(number: str, offer: portal.ReturnOffer, returned: ui.column) -> None:
    requested = ui.label().classes('text-positive').props('role=status').mark('portal-return-requested')
    requested.set_visibility(False)
    form = ui.expansion(_('Return items'), icon='assignment_return').classes('w-full border rounded')
    with form.mark('portal-return-form'):
        ui.label(_('You can send items back until {day}.').format(day=day(offer.until))).classes(
            'text-sm text-gray-600'
        )
        quantities = {}
        for line in offer.lines:
            with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                ui.label(line.name).classes('break-words min-w-0')
                quantities[line.order_line_id] = (
                    WholeNumberInput('', value=0)  # text: Chromium's number input read '1,5' as 15
                    .props('outlined dense')
                    .classes('w-24 bo-narrow-field')
                    .mark('portal-return-quantity')
                )
                quantities[line.order_line_id].props['aria-label'] = line.name
        reason = (
            counted(ui.textarea(_('Why do you send it back?')), returns.REASON_MAX)
            .props('outlined autogrow')
            .classes('w-full')
            .mark('portal-return-reason')
        )
        message = error_line()

        async def send() -> None:
            actor = acting_actor()
            if actor is None:
                return
            chosen = [line_id for line_id, field in quantities.items() if field.number not in (None, 0)]
            lines = [{'order_line_id': line_id, 'quantity': quantities[line_id].number} for line_id in chosen]
            fields = {'reason': reason, **{f'lines.{i}.quantity': quantities[line] for i, line in enumerate(chosen)}}
            made = await call(_start_return, actor, number, lines, reason.value or '', fields=fields, message=message)
            if made is not FAILED:
                form.set_visibility(False)
                requested.text = _('Return {number} is requested. We will tell you how to send the items.').format(
                    number=made
                )
                requested.set_visibility(True)
                listed = await call(_returns_of, actor, number, message=message)
                if listed is not FAILED:  # the new return in the order's Returns list, without a reload
                    _returns(returned, listed)

        ui.button(_('Request a return'), on_click=send).classes('self-end').mark('portal-request-return')


def _start_return(actor: PortalActor, number: str, lines: list[dict], reason: str) -> str:
    with session_scope() as session:
        return portal.start_return(session=session, actor=actor, number=number, lines=lines, reason=reason).number


def _returns_of(actor: PortalActor, number: str) -> list[Return]:
    with read_session() as session:
        return portal.order_returns(session=session, actor=actor, number=number)


def _cancelled_said(called_off: portal.Cancelled, currency: str) -> str:
    """What of a line will never come (the rest of the order was cancelled), and what became of its money."""
    n, amount = called_off.quantity, money(called_off.value, currency)
    if not called_off.paid:
        return ngettext('{n} cancelled: not shipped', '{n} cancelled: not shipped', n).format(n=n)
    if called_off.refunded:
        said = ngettext(
            '{n} cancelled: not shipped, {amount} refunded', '{n} cancelled: not shipped, {amount} refunded', n
        )
    else:
        said = ngettext(
            '{n} cancelled: not shipped, {amount} to be refunded',
            '{n} cancelled: not shipped, {amount} to be refunded',
            n,
        )
    return said.format(n=n, amount=amount)


def _status(status: str) -> None:
    ui.badge(label(status, SHOWN_ORDER_STATUSES), color=STATUS_COLOURS.get(status, 'grey')).props('outline').mark(
        'portal-status'
    )
