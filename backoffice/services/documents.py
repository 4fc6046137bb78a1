"""PDF documents with fpdf2: an invoice or credit note as issued, and a pick list for one order or a batch."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

from sqlmodel import Session, col, func, select

from backoffice import formatting
from backoffice.engine.declaration import resource
from backoffice.errors import ValidationFailed
from backoffice.i18n import _, ngettext
from backoffice.listing import query
from backoffice.models import Invoice, Order, OrderLine, OrderStatus, Product, ShipmentLine, User
from backoffice.permissions import require
from backoffice.services import invoice_layout, orders, pdf_base

MAX_PICK_ORDERS = 2000
PICK_COLUMNS = (10, 35, 110, 15)  # box to tick, SKU, item, quantity (mm)


def invoice_pdf(invoice: Invoice, language: str | None = None, *, archival: bool = False) -> bytes:
    """The invoice or credit note as a PDF in its customer's language (or `language`): see invoice_layout.py."""
    return invoice_layout.render(invoice, language, archival=archival)


def pick_list_pdf(*, session: Session, actor: User, order_ids: list[int]) -> bytes:
    """One section per order (number, ship-to, lines by SKU with a box to tick), for the warehouse."""
    require(actor, 'orders.read')
    if not order_ids:
        raise ValidationFailed({'orders': _('Choose at least one order')})
    if len(order_ids) > MAX_PICK_ORDERS:
        raise ValidationFailed(
            {
                'orders': _(
                    'A pick list takes at most {maximum} orders; {count} were chosen: narrow the list (a status, a '
                    'date range)'
                ).format(maximum=formatting.number(MAX_PICK_ORDERS), count=formatting.number(len(order_ids)))
            }
        )
    chosen = list(session.exec(select(Order).where(col(Order.id).in_(order_ids)).order_by(col(Order.id))))
    # a day's orders ticked together hold cancelled and shipped ones too: their items are not fetched again
    found = [order for order in chosen if order.status in orders.PICKABLE]
    left_out = len(chosen) - len(found)
    if not found:
        raise ValidationFailed({'orders': _nothing_to_pick(chosen)})
    lines = list(
        session.exec(
            select(OrderLine)
            .where(col(OrderLine.order_id).in_([order.id for order in found]))
            .order_by(col(OrderLine.order_id), col(OrderLine.sku))
        )
    )
    lines = _still_to_ship(session, found, lines)
    # a service or a plan on the order (a workshop, a maintenance plan) is on no shelf: it is named, not fetched
    lines, not_fetched = _on_shelves(session, lines)
    by_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    unpicked: dict[int, list[OrderLine]] = {}
    for line in not_fetched:
        unpicked.setdefault(line.order_id, []).append(line)
    pdf = _document()
    font = _font(pdf)
    box = '☐' if font == 'DejaVu' else '[ ]'
    pdf.set_font(font, size=16)
    heading = ngettext('Pick list — {count} order', 'Pick list — {count} orders', len(found))
    pdf.cell(0, 10, _text(pdf, heading.format(count=len(found))), new_x='LMARGIN', new_y='NEXT')
    if left_out:
        pdf.set_font(font, size=9)
        said = ngettext(
            '{count} order left out: nothing to pick (shipped or cancelled)',
            '{count} orders left out: nothing to pick (shipped or cancelled)',
            left_out,
        )
        pdf.cell(0, 5, _text(pdf, said.format(count=formatting.number(left_out))), new_x='LMARGIN', new_y='NEXT')
    if len(found) > 1:  # a batch: the shelves are walked once, for every order's items together
        pdf.set_font(font, size=12)
        pdf.cell(0, 7, _text(pdf, _('To fetch for these orders')), new_x='LMARGIN', new_y='NEXT')
        pdf.set_font(font, size=9)
        for cells in [('', _('SKU'), _('Item'), _('Qty'))] + [
            (box, sku, name, str(quantity)) for sku, name, quantity in _to_fetch(lines)
        ]:
            for width, text, align in zip(PICK_COLUMNS, cells, ('C', 'L', 'L', 'R'), strict=True):
                pdf.cell(width, 5.5, _fitted(pdf, _text(pdf, text), width - 2), border=1, align=align)
            pdf.ln()
        pdf.ln(3)
    for order in found:
        pdf.set_font(font, size=12)
        pdf.ln(3)
        pdf.cell(
            0,
            7,
            _text(
                pdf,
                _('Order {number} — {name}').format(number=order.number, name=order.shipping_name or order.email),
            ),
            new_x='LMARGIN',
            new_y='NEXT',
        )
        pdf.set_font(font, size=9)
        if order.shipping_address:
            pdf.multi_cell(0, 4, _text(pdf, order.shipping_address), new_x='LMARGIN', new_y='NEXT')
        if order.id in unpicked:
            items = ', '.join(f'{line.quantity} × {line.sku} {line.name}' for line in unpicked[order.id])
            said = _('Not stocked, nothing to fetch: {items}').format(items=items)
            pdf.multi_cell(0, 4, _text(pdf, said), align='L', new_x='LMARGIN', new_y='NEXT')
        if order.id not in by_order:
            continue
        # plain cells, not fpdf2's table: a 2,000-order batch renders in seconds, not tens of seconds
        for cells in [('', _('SKU'), _('Item'), _('Qty'))] + [
            (box, line.sku, line.name, str(line.quantity)) for line in by_order.get(order.id, [])
        ]:
            for width, text, align in zip(PICK_COLUMNS, cells, ('C', 'L', 'L', 'R'), strict=True):
                pdf.cell(width, 5.5, _fitted(pdf, _text(pdf, text), width - 2), border=1, align=align)
            pdf.ln()
    return bytes(pdf.output())


def _nothing_to_pick(chosen: list[Order]) -> str:
    if len(chosen) == 1:
        return _('Nothing to pick: order {number} is {status} (an order is picked until it is shipped)').format(
            number=chosen[0].number, status=orders.said(chosen[0].status)
        )
    return _('Nothing to pick: these orders are shipped, delivered, cancelled or drafts')


def _still_to_ship(session: Session, found: list[Order], lines: list[OrderLine]) -> list[OrderLine]:
    """The lines as the warehouse picks them: of an order partly shipped, only what its parcels have not taken yet
    (copies, the stored lines untouched); other orders' lines whole."""
    partly = {
        order.id for order in found if order.status in (OrderStatus.paid, OrderStatus.packed) and order.shipped_at
    }
    ids = [line.id for line in lines if line.order_id in partly]
    if not ids:
        return lines
    shipped = dict(
        session.exec(
            select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
            .where(col(ShipmentLine.order_line_id).in_(ids))
            .group_by(col(ShipmentLine.order_line_id))
        ).all()
    )
    left = []
    for line in lines:
        rest = line.quantity - int(shipped.get(line.id, 0) or 0)
        if rest > 0:
            left.append(line if rest == line.quantity else line.model_copy(update={'quantity': rest}))
    return left


def _on_shelves(session: Session, lines: list[OrderLine]) -> tuple[list[OrderLine], list[OrderLine]]:
    """The lines split into those fetched from the shelves and those of products not stocked (a service, a plan).
    A line whose product is gone stays fetched: what it was, only the shelf can say."""
    ids = {line.product_id for line in lines if line.product_id is not None}
    unstocked = (
        set(session.exec(select(Product.id).where(col(Product.id).in_(ids), col(Product.stocked).is_(False))).all())
        if ids
        else set()
    )
    return (
        [line for line in lines if line.product_id not in unstocked],
        [line for line in lines if line.product_id in unstocked],
    )


def _to_fetch(lines: list[OrderLine]) -> list[tuple[str, str, int]]:
    """Each SKU the lines hold, with its name and how many of it they need together, by SKU."""
    totals: dict[str, list] = {}
    for line in lines:
        entry = totals.setdefault(line.sku, [line.name, 0])
        entry[1] += line.quantity
    return [(sku, name, quantity) for sku, (name, quantity) in sorted(totals.items())]


def pick_list_matching(*, session: Session, actor: User, request: query.ListRequest) -> tuple[bytes, int]:
    """The pick list of every order the orders list shows with this search and filters (all its pages), and how
    many orders it holds; refused past MAX_PICK_ORDERS without reading them all."""
    listed = resource('orders')
    ids = list(
        islice(query.matching_ids(session=session, actor=actor, resource=listed, request=request), MAX_PICK_ORDERS + 1)
    )
    if len(ids) > MAX_PICK_ORDERS:
        found = query.list_page(session=session, actor=actor, resource=listed, request=replace(request, page_size=1))
        raise ValidationFailed(
            {
                'orders': (
                    _(
                        'A pick list takes at most {maximum} orders; {count} match: narrow the list (a status, a '
                        'date range)'
                    )
                    if found.exact
                    else _(
                        'A pick list takes at most {maximum} orders; about {count} match: narrow the list (a '
                        'status, a date range)'
                    )
                ).format(maximum=formatting.number(MAX_PICK_ORDERS), count=formatting.number(found.total))
            }
        )
    return pick_list_pdf(session=session, actor=actor, order_ids=ids), len(ids)


_document, _fitted, _font, _text = pdf_base.document, pdf_base.fitted, pdf_base.font, pdf_base.text
