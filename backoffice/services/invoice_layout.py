"""The one layout of invoices and credit notes (fpdf2), in the customer's language: the seller and buyer with their VAT
numbers, the dates, the lines with their VAT rate, the VAT per rate, the totals, the due date and how to pay, and
"Paid" once it is: what the EU VAT directive (Art. 226) asks, read from what the invoice copied when issued."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from backoffice import business_ids, formatting, i18n
from backoffice.db import read_session
from backoffice.i18n import _, ngettext, pgettext
from backoffice.models import Invoice, InvoiceKind
from backoffice.runtime.uploads import is_stored_image, stored_path
from backoffice.services import invoices, pdf_base, receivables

if TYPE_CHECKING:  # fpdf2 is imported when a document is drawn (pdf_base.document), not with the resources
    from fpdf import FPDF

GREY, GREEN, INK = (110, 110, 110), (20, 120, 60), (20, 20, 20)
RIGHT_X, RIGHT_W = 118.0, 82.0  # the document's facts, on the right of the seller


def render(invoice: Invoice, language: str | None = None, *, archival: bool = False) -> bytes:
    """The PDF of an issued invoice or credit note; `archival`: PDF/A-3B, the base of its e-invoice."""
    with read_session() as session:
        if language is None:
            language = invoices.invoice_language(session, invoice)
        paid = invoices.paid_on(session, invoice)
        corrected = invoices.corrected_invoice(session, invoice)
        free_shipping = invoices.shipping_waived(session, invoice)
        # not paid in full: what was paid in part or credited since is deducted from what it asks (a reminder
        # attaches this PDF: it asks what the reminder says is open, and a cancelled invoice asks nothing)
        owed = receivables.owed_on(session, invoice) if paid is None and invoice.kind == InvoiceKind.invoice else None
    with i18n.use(language):
        return _draw(invoice, paid, corrected, archival, free_shipping, owed)


def _draw(
    invoice: Invoice,
    paid: datetime | None,
    corrected: Invoice | None,
    archival: bool,
    free_shipping: bool = False,
    owed: receivables.Owed | None = None,
) -> bytes:
    pdf = pdf_base.document(archival=archival)
    pdf.set_title(invoice.number)
    pdf.set_margins(10, 10, 10)
    left_end = _seller(pdf, invoice.seller or {})
    right_end = _facts(pdf, invoice, corrected)
    pdf.set_xy(10, max(left_end, right_end) + 6)
    _buyer(pdf, invoice, paid)
    _lines(pdf, invoice)
    _vat_and_totals(pdf, invoice, paid, free_shipping, owed)
    _payment(pdf, invoice, corrected, paid, owed)
    _footer(pdf, invoice)
    return bytes(pdf.output())


# --- the blocks, top to bottom ---------------------------------------------------------------------------------------


def _seller(pdf: FPDF, seller: dict[str, Any]) -> float:
    """Logo, name, address, VAT and registration numbers, top left; returns where the block ends."""
    y = 10.0
    logo = seller.get('logo') or ''
    if logo and is_stored_image(logo) and stored_path(logo).exists():
        try:
            placed = pdf.image(str(stored_path(logo)), x=10, y=10, h=16, keep_aspect_ratio=True)
            y += float(placed.rendered_height) + 3
        except Exception:  # an image fpdf2 cannot read: the document goes out without it
            pass
    pdf.set_xy(10, y)
    _say(pdf, seller.get('name') or '', size=12, bold=True, width=100)
    _say(pdf, seller.get('address') or '', width=100)
    _say(pdf, ' '.join(part for part in (seller.get('postcode'), seller.get('city')) if part), width=100)
    if seller.get('country'):
        _say(pdf, business_ids.countries().get(seller['country'], seller['country']), width=100)
    _say(pdf, seller.get('email') or '', width=100)
    if seller.get('vat_number'):
        _say(pdf, _('VAT number: {number}').format(number=seller['vat_number']), width=100)
    if seller.get('registration'):
        _say(pdf, _('Registration: {number}').format(number=seller['registration']), width=100)
    return pdf.get_y()


def _facts(pdf: FPDF, invoice: Invoice, corrected: Invoice | None) -> float:
    """The title and the document's facts (dates, order, terms, the corrected invoice), top right."""
    pdf.set_xy(RIGHT_X, 10)
    credit = invoice.kind == InvoiceKind.credit_note
    title = _('Credit note') if credit else _('Invoice')
    _say(pdf, title, size=18, bold=True, width=RIGHT_W, align='R')
    pdf.set_x(RIGHT_X)
    _say(pdf, invoice.number, size=11, bold=True, width=RIGHT_W, align='R')
    pdf.ln(2)
    facts = [
        (_('Date of issue'), formatting.day(invoice.issued_at)),
        (_('Date of supply'), formatting.day(invoice.supplied_at) if invoice.supplied_at else ''),
        (_('Order'), invoice.order_number),
    ]
    if credit and corrected is not None:
        facts.append(
            (
                _('Corrects invoice'),
                _('{number} of {day}').format(number=corrected.number, day=formatting.day(corrected.issued_at)),
            )
        )
    if not credit and invoice.due_on is not None:
        facts.append((_('Due date'), formatting.day(invoice.due_on)))
        facts.append((_('Payment terms'), terms_in_words(invoice.payment_terms_days or 0)))
    pdf.set_font(pdf_base.font(pdf), size=9)
    for label, value in facts:
        if not value:
            continue
        pdf.set_x(RIGHT_X)
        pdf.set_text_color(*GREY)
        pdf.cell(28, 5, pdf_base.text(pdf, label))
        pdf.set_text_color(*INK)
        pdf.multi_cell(RIGHT_W - 28, 5, pdf_base.text(pdf, value), align='R', new_x='LMARGIN', new_y='NEXT')
    return pdf.get_y()


def _buyer(pdf: FPDF, invoice: Invoice, paid: datetime | None) -> None:
    top = pdf.get_y()
    bill_to = invoice.bill_to or {}
    pdf.set_text_color(*GREY)
    _say(pdf, _('Bill to'), size=8, bold=True, width=100)
    pdf.set_text_color(*INK)
    if bill_to.get('company'):
        _say(pdf, bill_to['company'], bold=True, width=100)
    _say(pdf, bill_to.get('name') or '', bold=not bill_to.get('company'), width=100)
    _say(pdf, bill_to.get('address') or '', width=100)
    _say(pdf, bill_to.get('email') or '', width=100)
    if bill_to.get('vat_number'):
        _say(pdf, _('VAT number: {number}').format(number=bill_to['vat_number']), width=100)
    end = pdf.get_y()
    if paid is not None:  # a stamp beside the buyer: nobody pays twice
        stamp = (_('Refunded on {day}') if invoice.kind == InvoiceKind.credit_note else _('Paid on {day}')).format(
            day=formatting.day(paid)
        )
        pdf.set_xy(RIGHT_X, top + 2)
        pdf.set_draw_color(*GREEN)
        pdf.set_text_color(*GREEN)
        pdf.set_font(pdf_base.font(pdf), style='B', size=12)
        pdf.cell(RIGHT_W, 10, pdf_base.text(pdf, stamp), border=1, align='C')
        pdf.set_text_color(*INK)
        pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(10, max(end, top + 14) + 6)


def _lines(pdf: FPDF, invoice: Invoice) -> None:
    """The lines; the SKU column is as wide as the longest SKU, so a SKU never wraps."""
    from fpdf.fonts import FontFace

    font = pdf_base.font(pdf)
    pdf.set_font(font, size=8.5)
    discounted = any(Decimal(line.get('discount') or '0') for line in invoice.lines)
    sku_width = min(
        45.0,
        max([pdf.get_string_width(_('SKU'))] + [pdf.get_string_width(line.get('sku') or '') for line in invoice.lines])
        + 4,
    )
    widths = [sku_width, 0.0, 12.0, 24.0] + ([20.0] if discounted else []) + [14.0, 24.0]
    widths[1] = 190 - sum(widths)
    headings = [_('SKU'), _('Description'), _('Qty'), _('Unit price excl. VAT')]
    headings += [_('Discount')] if discounted else []
    headings += [_('VAT'), _('Net amount')]
    align = ['LEFT', 'LEFT', 'RIGHT', 'RIGHT'] + (['RIGHT'] if discounted else []) + ['RIGHT', 'RIGHT']
    with pdf.table(
        col_widths=tuple(widths),
        text_align=tuple(align),
        headings_style=FontFace(emphasis='BOLD', fill_color=(238, 238, 238)),
        borders_layout='HORIZONTAL_LINES',
        line_height=4.6,
        padding=1.2,
    ) as table:
        table.row([pdf_base.text(pdf, text) for text in headings])
        for line in invoice.lines:
            cells = [
                line.get('sku') or '',
                line.get('name') or '',
                formatting.number(line.get('quantity')) if line.get('quantity') not in (None, '') else '',
                _amount(line.get('unit_price'), invoice.currency),
            ]
            if discounted:
                cells.append(_amount(line.get('discount'), invoice.currency))
            cells += [rate_in_words(line.get('tax_rate')), _amount(line.get('line_total'), invoice.currency)]
            table.row([pdf_base.text(pdf, str(cell)) for cell in cells])
    pdf.ln(4)


def _vat_and_totals(
    pdf: FPDF, invoice: Invoice, paid: datetime | None, free_shipping: bool, owed: receivables.Owed | None
) -> None:
    """The VAT per rate on the left, the totals on the right ("Shipping: free" when it was waived)."""
    font = pdf_base.font(pdf)
    top = pdf.get_y()
    pdf.set_font(font, style='B', size=8.5)
    for width, text, align in ((22, _('VAT rate'), 'L'), (36, _('Taxable amount'), 'R'), (30, _('VAT'), 'R')):
        pdf.cell(width, 5.5, pdf_base.text(pdf, text), border='B', align=align)
    pdf.ln()
    pdf.set_font(font, size=8.5)
    for part in invoice.vat_breakdown or []:
        pdf.cell(22, 5, pdf_base.text(pdf, rate_in_words(part.get('rate'))))
        pdf.cell(36, 5, pdf_base.text(pdf, _amount(part.get('base'), invoice.currency)), align='R')
        pdf.cell(30, 5, pdf_base.text(pdf, _amount(part.get('tax'), invoice.currency)), align='R')
        pdf.ln()
    left_end = pdf.get_y()

    net = invoice.total - invoice.tax_total
    rows: list[tuple[str, Decimal | str, bool]] = []
    if invoice.kind == InvoiceKind.invoice:
        rows.append((_('Subtotal'), invoice.subtotal, False))
        if invoice.discount_total:
            rows.append((_('Discounts'), -invoice.discount_total, False))
        if invoice.shipping_total:
            rows.append((_('Shipping'), invoice.shipping_total, False))
        elif free_shipping:
            rows.append((_('Shipping'), pgettext('shipping', 'Free'), False))
    rows += [(_('Total excl. VAT'), net, False), (_('Total VAT'), invoice.tax_total, False)]
    if invoice.kind == InvoiceKind.credit_note:
        rows.append((_('Total credited incl. VAT'), invoice.total, True))
    else:
        rows.append((_('Total incl. VAT'), invoice.total, True))
        if paid is not None:
            rows.append((pgettext('order totals', 'Paid'), -invoice.total, False))
        if owed is not None and owed.received > 0:
            rows.append((pgettext('order totals', 'Paid'), -owed.received, False))
        if owed is not None and owed.credited > 0:
            rows.append((_('Credit notes'), -owed.credited, False))
        rows.append((_('Amount due'), _due(invoice, paid, owed), True))
    pdf.set_y(top)
    for label, value, strong in rows:
        pdf.set_x(RIGHT_X)
        pdf.set_font(font, style='B' if strong else '', size=10 if strong else 9)
        pdf.cell(RIGHT_W - 34, 6, pdf_base.text(pdf, label), align='R')
        shown = value if isinstance(value, str) else formatting.money(value, invoice.currency)
        pdf.cell(34, 6, pdf_base.text(pdf, shown), align='R')
        pdf.ln()
    pdf.set_xy(10, max(left_end, pdf.get_y()) + 6)


def _due(invoice: Invoice, paid: datetime | None, owed: receivables.Owed | None) -> Decimal:
    """What the invoice asks now: nothing once paid, else its total less what was paid in part or credited."""
    if paid is not None:
        return Decimal('0.00')
    return owed.open if owed is not None else invoice.total


def _payment(
    pdf: FPDF, invoice: Invoice, corrected: Invoice | None, paid: datetime | None, owed: receivables.Owed | None
) -> None:
    seller = invoice.seller or {}
    pdf.set_font(pdf_base.font(pdf), size=9)
    sentences = []
    if invoice.kind == InvoiceKind.credit_note:
        if corrected is not None:
            sentences.append(
                _('This credit note corrects invoice {number} of {day}.').format(
                    number=corrected.number, day=formatting.day(corrected.issued_at)
                )
            )
    elif invoice.due_on is not None and paid is not None:
        sentences.append(
            _('Payment terms: {terms}. Paid on {day}: thank you.').format(
                terms=terms_in_words(invoice.payment_terms_days or 0), day=formatting.day(paid)
            )
        )
    elif invoice.due_on is not None and _due(invoice, paid, owed) > 0:
        sentences.append(
            _('Payment terms: {terms}. Please pay {amount} by {day}.').format(
                terms=terms_in_words(invoice.payment_terms_days or 0),
                amount=formatting.money(_due(invoice, paid, owed), invoice.currency),
                day=formatting.day(invoice.due_on),
            )
        )
        if seller.get('iban'):
            account = business_ids.spaced_iban(seller['iban'])
            if seller.get('bic'):
                account = _('{iban} (BIC {bic})').format(iban=account, bic=seller['bic'])
            sentences.append(
                _('Bank transfer to IBAN {account}, quoting {number}.').format(account=account, number=invoice.number)
            )
    if invoice.note:
        sentences.append(invoice.note)
    for sentence in sentences:
        pdf.multi_cell(190, 5, pdf_base.text(pdf, sentence), new_x='LMARGIN', new_y='NEXT')


def _footer(pdf: FPDF, invoice: Invoice) -> None:
    footer = (invoice.seller or {}).get('footer') or ''
    if not footer:
        return
    pdf.ln(4)
    if pdf.get_y() < 262:
        pdf.set_y(262)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(10, pdf.get_y(), 200, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(*GREY)
    pdf.set_font(pdf_base.font(pdf), size=7.5)
    pdf.multi_cell(190, 3.6, pdf_base.text(pdf, footer), align='C', new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(*INK)


# --- words ----------------------------------------------------------------------------------------------------------


def terms_in_words(days: int) -> str:
    if not days:
        return _('due on receipt')
    return ngettext('net {days} day', 'net {days} days', days).format(days=days)


def rate_in_words(rate: object) -> str:
    """A stored rate ('0.2000', '0.055') as a percentage: 20 %, 5.5 % (French: 20 %, 5,5 %)."""
    if rate in (None, ''):
        return ''
    try:
        value = Decimal(str(rate))
    except ArithmeticError:
        return str(rate)
    exponent = (value * 100).normalize().as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return formatting.percent(value, decimals=min(decimals, 2))


def _amount(value: object, currency: str) -> str:
    """An amount stored as text in the invoice ('12.50'), as the reader writes it (French: 12,50 €)."""
    if value in (None, ''):
        return ''
    try:
        return formatting.money(Decimal(str(value)), currency)
    except ArithmeticError:
        return str(value)


def _say(pdf: FPDF, text: str, *, size: float = 9, bold: bool = False, width: float = 0, align: str = 'L') -> None:
    """A line (or lines) of text at the current position, then the next line at the same left edge."""
    if not text:
        return
    x = pdf.get_x()
    pdf.set_font(pdf_base.font(pdf), style='B' if bold else '', size=size)
    pdf.multi_cell(width, size * 0.5, pdf_base.text(pdf, text), align=align, new_x='LEFT', new_y='NEXT')
    pdf.set_x(x)
