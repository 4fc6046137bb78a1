"""The statement-and-activity report a company is sent, as a branded PDF in its language (fpdf2 on pdf_base, the
invoices' logo and seller block): the period's orders, invoices and credit notes, what is open now with its ageing,
and the requests with their resolution times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from backoffice import formatting
from backoffice.i18n import _
from backoffice.runtime.uploads import is_stored_image, stored_path
from backoffice.services import pdf_base, receivables

if TYPE_CHECKING:  # fpdf2 is imported when a document is drawn (pdf_base.document), not by every process's start
    from fpdf import FPDF

GREY = (110, 110, 110)


@dataclass(frozen=True)
class OrderLine:
    number: str
    placed: datetime
    status: str  # already in words
    total: Decimal
    currency: str


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    kind: str  # in words
    issued: datetime
    total: Decimal
    currency: str


@dataclass(frozen=True)
class RequestLine:
    number: int
    subject: str
    opened: datetime
    status: str  # in words
    resolution_hours: float | None


@dataclass(frozen=True)
class Activity:
    company: str
    first: date
    last: date
    orders: list[OrderLine]
    invoices: list[InvoiceLine]
    open_now: receivables.Report
    requests: list[RequestLine]
    currency: str


def draw(activity: Activity, seller: dict[str, Any]) -> bytes:
    pdf = pdf_base.document()
    pdf.set_margins(12, 12, 12)
    title = _('Statement and activity')
    pdf.set_title(title)
    y = 12.0
    logo = seller.get('logo') or ''
    if logo and is_stored_image(logo) and stored_path(logo).exists():
        try:
            placed = pdf.image(str(stored_path(logo)), x=12, y=12, h=14, keep_aspect_ratio=True)
            y += float(placed.rendered_height) + 3
        except Exception:  # an image fpdf2 cannot read: the document goes out without it
            pass
    pdf.set_xy(12, y)
    _say(pdf, seller.get('name') or '', size=12, bold=True, width=100)
    for line in (
        seller.get('address') or '',
        ' '.join(p for p in (seller.get('postcode'), seller.get('city')) if p),
        seller.get('email') or '',
    ):
        _say(pdf, line, width=100)
    bottom = pdf.get_y()
    pdf.set_xy(120, 12)
    _say(pdf, title, size=15, bold=True, width=78)
    _say(pdf, formatting.days(activity.first, activity.last), width=78)
    pdf.set_xy(120, pdf.get_y() + 3)
    _say(pdf, activity.company, bold=True, width=78)
    pdf.set_xy(12, max(pdf.get_y(), bottom, 40) + 6)

    currency = activity.currency
    ordered = sum((o.total for o in activity.orders if o.currency == currency), Decimal('0'))
    invoiced = sum((i.total for i in activity.invoices if i.currency == currency), Decimal('0'))
    hours = [r.resolution_hours for r in activity.requests if r.resolution_hours is not None]
    _heading(pdf, _('In short'))
    _table(
        pdf,
        (_('Orders'), _('Ordered'), _('Invoiced'), _('Open now'), _('Requests'), _('Median resolution')),
        [
            (
                formatting.number(len(activity.orders)),
                formatting.money(ordered, currency),
                formatting.money(invoiced, currency),
                formatting.money(activity.open_now.totals.total, currency),
                formatting.number(len(activity.requests)),
                _hours(sorted(hours)[len(hours) // 2]) if hours else '—',
            )
        ],
        (31,) * 6,
        'RIGHT',
    )

    orders, invoices = activity.orders, activity.invoices
    _heading(pdf, _('Orders'))
    _table(
        pdf,
        (_('Order'), _('Placed'), _('Status'), _('Total')),
        [(o.number, formatting.day(o.placed), o.status, formatting.money(o.total, o.currency)) for o in orders],
        (46, 46, 46, 48),
        ('LEFT', 'LEFT', 'LEFT', 'RIGHT'),
        empty=_('No order over this period.'),
    )

    _heading(pdf, _('Invoices and credit notes'))
    _table(
        pdf,
        (_('Number'), _('Kind'), _('Issued'), _('Total')),
        [(i.number, i.kind, formatting.day(i.issued), formatting.money(i.total, i.currency)) for i in invoices],
        (46, 46, 46, 48),
        ('LEFT', 'LEFT', 'LEFT', 'RIGHT'),
        empty=_('No invoice over this period.'),
    )

    _heading(pdf, _('Open now'))
    _table(
        pdf,
        (_('Invoice'), _('Due'), _('Days overdue'), _('Amount open')),
        [
            (
                item.number,
                formatting.day(item.due_on),
                formatting.number(item.days_overdue) if item.days_overdue else '—',
                formatting.money(item.open, item.currency),
            )
            for item in activity.open_now.items
        ],
        (46, 46, 46, 48),
        ('LEFT', 'LEFT', 'RIGHT', 'RIGHT'),
        empty=_('Nothing is open: thank you.'),
    )

    _heading(pdf, _('Requests'))
    _table(
        pdf,
        (_('Request'), _('Subject'), _('Opened'), _('Status'), _('Resolved in')),
        [
            (
                f'#{r.number}',
                pdf_base.fitted(pdf, r.subject, 70),
                formatting.day(r.opened),
                r.status,
                _hours(r.resolution_hours) if r.resolution_hours is not None else '—',
            )
            for r in activity.requests
        ],
        (22, 74, 30, 30, 30),
        ('LEFT', 'LEFT', 'LEFT', 'LEFT', 'RIGHT'),
        empty=_('No request over this period.'),
    )
    pdf.ln(4)
    _say(pdf, _('Questions about this report? Reply to this email or write to us.'), colour=GREY)
    return bytes(pdf.output())


def _hours(value: float) -> str:
    if value < 48:
        return _('{hours} h').format(hours=formatting.number(round(value, 1), 1))
    return _('{days} d').format(days=formatting.number(round(value / 24, 1), 1))


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    _say(pdf, text, size=11, bold=True)
    pdf.ln(1)


def _table(
    pdf: FPDF,
    headings: tuple[str, ...],
    rows: list[tuple[str, ...]],
    widths: tuple[int, ...],
    align: Any,
    *,
    empty: str = '',
) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(pdf_base.font(pdf), size=8.5)
    with pdf.table(
        col_widths=widths,
        text_align=align,
        headings_style=FontFace(emphasis='BOLD', fill_color=(235, 235, 235)),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        table.row([pdf_base.text(pdf, h) for h in headings])
        for row in rows:
            table.row([pdf_base.text(pdf, value) for value in row])
    if not rows and empty:
        pdf.ln(1)
        _say(pdf, empty, colour=GREY)


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
