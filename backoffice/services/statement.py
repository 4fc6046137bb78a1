"""A customer statement (relevé de compte) as a PDF in the customer's language: every open invoice of a customer or of a
company with its due date, days overdue and amount open, and the totals by ageing bucket (fpdf2, pdf_base)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from backoffice import formatting, i18n
from backoffice.errors import NotFound
from backoffice.i18n import _
from backoffice.models import Company, Customer, CustomerAddress, Order, OrderStatus, User
from backoffice.permissions import require
from backoffice.services import pdf_base, receivables
from backoffice.services.invoice_issue import language_of, seller_identity

if TYPE_CHECKING:  # fpdf2 is imported when a document is drawn (pdf_base.document), not by every process's start
    from fpdf import FPDF

GREY = (110, 110, 110)


def statement_pdf(
    *,
    session: Session,
    actor: User,
    customer_id: int | None = None,
    company_id: int | None = None,
    today: date | None = None,
    language: str | None = None,
) -> tuple[bytes, str]:
    """The statement of one customer (or of one company: all its customers' open invoices) and its file name."""
    require(actor, 'finance.read')
    if company_id is not None:
        company = session.get(Company, company_id)
        if company is None:
            raise NotFound(_('This company does not exist.'))
        first = session.exec(
            select(Customer).where(col(Customer.company_id) == company_id).order_by(col(Customer.id))
        ).first()
        name, file_key = company.name, f'company-{company_id}'
        address = postal_address(session, col(Customer.company_id) == company_id)
        language = language or language_of(first)
    else:
        customer = session.get(Customer, customer_id) if customer_id else None
        if customer is None:
            raise NotFound(_('This customer does not exist.'))
        name, file_key = customer.name or customer.email, f'customer-{customer_id}'
        found = postal_address(session, col(Customer.id) == customer.id)
        address = '\n'.join(line for line in (found, customer.email if customer.name else '') if line)
        language = language or language_of(customer)
    report = receivables.report(
        session=session, actor=actor, today=today, customer_id=customer_id, company_id=company_id
    )
    seller = seller_identity(session)
    with i18n.use(language):
        pdf = _draw(report, seller, name, address)
    day = report.today
    return pdf, f'statement-{file_key}-{day.year:04d}{day.month:02d}{day.day:02d}.pdf'


def postal_address(session: Session, whose: Any) -> str:
    """Where a statement is sent, one line after another, for the customers `whose` picks (one, or a company's): their
    own billing address (else their shipping one, else any they keep), or, when they keep none, the address their
    latest order went to ('' when there is none either)."""
    kept = session.exec(
        select(CustomerAddress)
        .join(Customer, col(Customer.id) == CustomerAddress.customer_id)
        .where(whose)
        .order_by(
            col(CustomerAddress.default_billing).desc(),
            col(CustomerAddress.default_shipping).desc(),
            col(CustomerAddress.id),
        )
    ).first()
    if kept is not None:
        town = f'{kept.postcode} {kept.city}'.strip()
        return '\n'.join(line for line in (kept.name, kept.line1, kept.line2, town, kept.country) if line)
    latest = session.exec(
        select(Order.shipping_name, Order.shipping_address)
        .join(Customer, col(Customer.id) == Order.customer_id)
        .where(whose, col(Order.status) != OrderStatus.draft, col(Order.shipping_address) != '')
        .order_by(col(Order.placed_at).desc(), col(Order.id).desc())
    ).first()
    if latest is None:
        return ''
    lines = [latest[0], *latest[1].splitlines()]
    return '\n'.join(line.strip() for line in lines if line.strip())


def _draw(report: receivables.Report, seller: dict, name: str, address: str) -> bytes:
    from fpdf.fonts import FontFace

    pdf = pdf_base.document()
    pdf.set_margins(12, 12, 12)
    pdf.set_title(_('Statement of account'))
    pdf.set_xy(12, 12)
    _say(pdf, seller.get('name') or '', size=12, bold=True)
    for line in (
        seller.get('address') or '',
        ' '.join(p for p in (seller.get('postcode'), seller.get('city')) if p),
        seller.get('email') or '',
    ):
        _say(pdf, line)
    pdf.set_xy(120, 12)
    _say(pdf, _('Statement of account'), size=16, bold=True, width=78)
    _say(pdf, _('Date: {day}').format(day=formatting.day(report.today)), width=78)
    pdf.set_xy(120, pdf.get_y() + 4)
    _say(pdf, name, bold=True, width=78)
    _say(pdf, address, width=78)
    pdf.set_xy(12, max(pdf.get_y(), 40) + 6)
    currency = report.currency
    headings = (_('Invoice'), _('Order'), _('Date'), _('Due'), _('Days overdue'), _('Total'), _('Amount open'))
    widths = (34, 24, 24, 24, 24, 28, 28)
    pdf.set_font(pdf_base.font(pdf), size=8.5)
    with pdf.table(
        col_widths=widths,
        text_align=('LEFT', 'LEFT', 'LEFT', 'LEFT', 'RIGHT', 'RIGHT', 'RIGHT'),
        headings_style=FontFace(emphasis='BOLD', fill_color=(235, 235, 235)),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        table.row([pdf_base.text(pdf, h) for h in headings])
        for item in report.items:
            table.row(
                [
                    pdf_base.text(pdf, value)
                    for value in (
                        item.number,
                        item.order_number,
                        formatting.day(item.issued_on),
                        formatting.day(item.due_on),
                        formatting.number(item.days_overdue) if item.days_overdue else '—',
                        formatting.money(item.total, item.currency),
                        formatting.money(item.open, item.currency),
                    )
                ]
            )
    if not report.items:
        pdf.ln(2)
        _say(pdf, _('Nothing is open: thank you.'))
    pdf.ln(6)
    _say(pdf, _('Ageing'), size=11, bold=True)
    pdf.ln(1)
    pdf.set_font(pdf_base.font(pdf), size=8.5)
    with pdf.table(
        col_widths=(31,) * 6,
        text_align='RIGHT',
        headings_style=FontFace(emphasis='BOLD', fill_color=(235, 235, 235)),
        line_height=5,
    ) as table:
        table.row([pdf_base.text(pdf, _(label)) for label in receivables.BUCKETS.values()] + [_('Balance due')])
        for code, ageing in report.by_currency.items() or [(currency, report.totals)]:  # a row per currency
            table.row(
                [formatting.money(ageing.buckets[key], code) for key in receivables.BUCKETS]
                + [formatting.money(ageing.total, code)]
            )
    pdf.ln(6)
    if seller.get('iban'):
        _say(
            pdf,
            _('Please pay by bank transfer to IBAN {iban}, quoting the invoice numbers.').format(iban=seller['iban']),
        )
    _say(pdf, _('If you have paid in the meantime, thank you: please ignore the invoices paid.'), colour=GREY)
    return bytes(pdf.output())


def _say(
    pdf: FPDF, text: str, *, size: float = 9, bold: bool = False, width: float = 0, colour: tuple = (20, 20, 20)
) -> None:
    if not text:
        return
    x = pdf.get_x()
    pdf.set_text_color(*colour)
    pdf.set_font(pdf_base.font(pdf), style='B' if bold else '', size=size)
    pdf.multi_cell(width, size * 0.5, pdf_base.text(pdf, text), new_x='LEFT', new_y='NEXT')
    pdf.set_x(x)
    pdf.set_text_color(20, 20, 20)
