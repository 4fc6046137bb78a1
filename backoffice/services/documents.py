"""PDF documents with fpdf2: an invoice or credit note as issued, and a pick list for one order or a batch."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from pathlib import Path

from fpdf import FPDF
from sqlmodel import Session, col, select

from backoffice import formatting, i18n
from backoffice.db import read_session
from backoffice.engine.declaration import resource
from backoffice.errors import ValidationFailed
from backoffice.i18n import _, ngettext
from backoffice.listing import query
from backoffice.models import Invoice, InvoiceKind, Order, OrderLine, User
from backoffice.permissions import require

FONT_DIR = Path('/usr/share/fonts/truetype/dejavu')  # Unicode text (customer names) when the system has DejaVu
MAX_PICK_ORDERS = 2000
PICK_COLUMNS = (10, 35, 110, 15)  # box to tick, SKU, item, quantity (mm)


def invoice_pdf(invoice: Invoice, language: str | None = None) -> bytes:
    """The invoice or credit note as a PDF in its customer's language (or `language`): words, numbers, dates."""
    if language is None:
        from backoffice.services.invoices import invoice_language

        with read_session() as session:
            language = invoice_language(session, invoice)
    with i18n.use(language):
        return _invoice_pdf(invoice)


def _invoice_pdf(invoice: Invoice) -> bytes:
    pdf = _document()
    if invoice.kind == InvoiceKind.credit_note:
        title = _('Credit note {number}').format(number=invoice.number)
    else:
        title = _('Invoice {number}').format(number=invoice.number)
    pdf.set_font(_font(pdf), size=18)
    pdf.cell(0, 10, _text(pdf, title), new_x='LMARGIN', new_y='NEXT')
    pdf.set_font(_font(pdf), size=10)
    issued = _('Issued {day}').format(day=formatting.day(invoice.issued_at))
    pdf.cell(0, 6, _text(pdf, issued), new_x='LMARGIN', new_y='NEXT')
    pdf.ln(4)
    for part in (invoice.bill_to.get('name'), invoice.bill_to.get('email'), invoice.bill_to.get('address')):
        if part:
            pdf.multi_cell(0, 5, _text(pdf, str(part)), new_x='LMARGIN', new_y='NEXT')
    pdf.ln(4)
    with pdf.table(
        col_widths=(25, 75, 15, 25, 25, 25), text_align=('LEFT', 'LEFT', 'RIGHT', 'RIGHT', 'RIGHT', 'RIGHT')
    ) as table:
        headings = (_('SKU'), _('Item'), _('Qty'), _('Unit price'), _('Discount'), _('Net'))
        table.row([_text(pdf, text) for text in headings])
        for line in invoice.lines:
            table.row(
                [
                    _text(pdf, line.get('sku') or ''),
                    _text(pdf, line.get('name') or ''),
                    formatting.number(line.get('quantity')) if line.get('quantity') not in (None, '') else '',
                    _text(pdf, _amount(line.get('unit_price'))),
                    _text(pdf, _amount(line.get('discount'))),
                    _text(pdf, _amount(line.get('line_total'))),
                ]
            )
    pdf.ln(4)
    for label, value in (
        (_('Subtotal'), invoice.subtotal),
        (_('Discounts'), invoice.discount_total),
        (_('Shipping'), invoice.shipping_total),
        (_('Tax'), invoice.tax_total),
        (i18n.pgettext('order totals', 'Total'), invoice.total),
    ):
        pdf.cell(150, 6, _text(pdf, label), align='R')
        pdf.cell(0, 6, _text(pdf, formatting.money(value, invoice.currency)), align='R', new_x='LMARGIN', new_y='NEXT')
    return bytes(pdf.output())


def _amount(value: object) -> str:
    """An amount stored as text in the invoice's lines ('12.50'), as the reader writes it (French: 12,50)."""
    if value in (None, ''):
        return ''
    try:
        return formatting.money(str(value))
    except ArithmeticError:
        return str(value)


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
    found = list(session.exec(select(Order).where(col(Order.id).in_(order_ids)).order_by(col(Order.id))))
    lines = list(
        session.exec(
            select(OrderLine)
            .where(col(OrderLine.order_id).in_(order_ids))
            .order_by(col(OrderLine.order_id), col(OrderLine.sku))
        )
    )
    by_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line)
    pdf = _document()
    font = _font(pdf)
    box = '☐' if font == 'DejaVu' else '[ ]'
    pdf.set_font(font, size=16)
    heading = ngettext('Pick list — {count} order', 'Pick list — {count} orders', len(found))
    pdf.cell(0, 10, _text(pdf, heading.format(count=len(found))), new_x='LMARGIN', new_y='NEXT')
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
        # plain cells, not fpdf2's table: a 2,000-order batch renders in seconds, not tens of seconds
        for cells in [('', _('SKU'), _('Item'), _('Qty'))] + [
            (box, line.sku, line.name, str(line.quantity)) for line in by_order.get(order.id, [])
        ]:
            for width, text, align in zip(PICK_COLUMNS, cells, ('C', 'L', 'L', 'R'), strict=True):
                pdf.cell(width, 5.5, _fitted(pdf, _text(pdf, text), width - 2), border=1, align=align)
            pdf.ln()
    return bytes(pdf.output())


def pick_list_matching(*, session: Session, actor: User, request: query.ListRequest) -> tuple[bytes, int]:
    """The pick list of every order the orders list shows with this search and filters (all its pages), and how
    many orders it holds; refused past MAX_PICK_ORDERS without reading them all."""
    orders = resource('orders')
    ids = list(
        islice(query.matching_ids(session=session, actor=actor, resource=orders, request=request), MAX_PICK_ORDERS + 1)
    )
    if len(ids) > MAX_PICK_ORDERS:
        found = query.list_page(session=session, actor=actor, resource=orders, request=replace(request, page_size=1))
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


def _document() -> FPDF:
    pdf = FPDF(format='A4')
    pdf.set_auto_page_break(auto=True, margin=15)
    if (FONT_DIR / 'DejaVuSans.ttf').exists():
        pdf.add_font('DejaVu', '', str(FONT_DIR / 'DejaVuSans.ttf'))
        pdf.add_font('DejaVu', 'B', str(FONT_DIR / 'DejaVuSans-Bold.ttf'))
    pdf.add_page()
    pdf.set_font(_font(pdf), size=10)
    return pdf


def _fitted(pdf: FPDF, text: str, width: float) -> str:
    """The text shortened with … until it fits the width (a long product name in a pick list cell)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + '…') > width:
        text = text[:-1]
    return text + '…' if _font(pdf) == 'DejaVu' else text


def _font(pdf: FPDF) -> str:
    return 'DejaVu' if 'dejavu' in pdf.fonts else 'Helvetica'


def _text(pdf: FPDF, text: str) -> str:
    """Without a Unicode font, characters outside Latin-1 become '?' instead of failing the whole document."""
    return text if _font(pdf) == 'DejaVu' else text.encode('latin-1', 'replace').decode('latin-1')
