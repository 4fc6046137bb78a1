"""A report as a PDF (fpdf2, pdf_base): its title, the filters in words, the notes, a bar chart of its main figure
drawn with the PDF's own rectangles (no chart library on the server), then the table with its totals row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backoffice import formatting
from backoffice.i18n import _
from backoffice.models.base import utcnow
from backoffice.reports.base import Kind, Table, cell, heading, show
from backoffice.services import pdf_base

if TYPE_CHECKING:  # fpdf2 is imported when a document is drawn (pdf_base.document), not by every process's start
    from fpdf import FPDF

BAR = (59, 91, 219)
GREY = (110, 110, 110)
CHART_ROWS = 12


def report_pdf(title: str, filters: str, table: Table) -> bytes:
    wide = len(table.columns) > 7
    pdf = pdf_base.document(landscape=wide)
    pdf.set_margins(12, 12, 12)
    pdf.set_title(title)
    pdf.set_xy(12, 12)
    _say(pdf, title, size=16, bold=True)
    _say(pdf, filters, size=10)
    _say(pdf, _('Made on {moment}').format(moment=formatting.when(utcnow())), size=8, colour=GREY)
    for note in table.notes:
        _say(pdf, note, size=9, colour=GREY)
    pdf.ln(3)
    _chart(pdf, table)
    pdf.set_fill_color(255, 255, 255)  # the bars' colour must not fill the table's cells
    pdf.ln(4)
    _table(pdf, table)
    return bytes(pdf.output())


def _chart(pdf: FPDF, table: Table) -> None:
    """Horizontal bars of the chart's first figure, the largest rows first (at most CHART_ROWS)."""
    if table.chart.kind == 'curves':
        return  # a cohort's curves read better as the table's percentages on paper
    key = 'value' if table.chart_rows is not None else table.chart.series[0]
    rows = table.chart_rows if table.chart_rows is not None else table.rows
    values = [(str(row.get(table.chart.x) or ''), float(row.get(key) or 0)) for row in rows]
    if table.chart.kind != 'line':
        values = sorted(values, key=lambda item: -item[1])
    values = values[:CHART_ROWS]
    top = max((abs(v) for _label, v in values), default=0)
    if not top:
        return
    kind: Kind = next((c.kind for c in table.columns if c.key == key), 'money')
    label_width, full = 60.0, pdf.epw - 60 - 32
    pdf.set_font(pdf_base.font(pdf), size=8)
    for label, value in values:
        y = pdf.get_y()
        pdf.set_text_color(20, 20, 20)
        pdf.cell(label_width, 5, pdf_base.fitted(pdf, pdf_base.text(pdf, label), label_width - 2))
        pdf.set_fill_color(*BAR)
        width = max(full * abs(value) / top, 0.3)
        pdf.rect(pdf.l_margin + label_width, y + 1, width, 3, style='F')
        pdf.set_xy(pdf.l_margin + label_width + width + 2, y)
        pdf.cell(30, 5, pdf_base.text(pdf, show(value if kind != 'money' else round(value, 2), kind, table.currency)))
        pdf.set_xy(pdf.l_margin, y + 5)


def _table(pdf: FPDF, table: Table) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(pdf_base.font(pdf), size=7.5 if len(table.columns) > 7 else 8.5)
    align = tuple('LEFT' if column.kind == 'text' else 'RIGHT' for column in table.columns)
    rows: list[dict[str, Any]] = [*table.rows, table.totals] if table.totals else list(table.rows)
    with pdf.table(
        text_align=align,
        headings_style=FontFace(emphasis='BOLD', fill_color=(235, 235, 235)),
        line_height=4.5,
        first_row_as_headings=True,
    ) as out:
        out.row([pdf_base.text(pdf, heading(column)) for column in table.columns])
        for row in rows:
            out.row([pdf_base.text(pdf, cell(row, c, table.currency)) for c in table.columns])
    if not table.rows:
        pdf.ln(2)
        _say(pdf, _('Nothing to report over this period.'))


def _say(pdf: FPDF, text: str, *, size: float = 9, bold: bool = False, colour: tuple = (20, 20, 20)) -> None:
    if not text:
        return
    pdf.set_text_color(*colour)
    pdf.set_font(pdf_base.font(pdf), style='B' if bold else '', size=size)
    pdf.multi_cell(0, size * 0.5, pdf_base.text(pdf, text), new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(20, 20, 20)
