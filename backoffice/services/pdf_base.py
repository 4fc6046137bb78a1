"""What every PDF the app makes shares (fpdf2): an A4 page with a Unicode font when the system has one, text that
never fails the document, and text shortened to fit a cell."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # fpdf2 (with numpy and Pillow, ~0.4 s of CPU) is imported by the first document, not by the CLI
    from fpdf import FPDF

FONT_DIR = Path('/usr/share/fonts/truetype/dejavu')  # Unicode text (customer names) when the system has DejaVu


def document(*, archival: bool = False, landscape: bool = False) -> FPDF:
    """A new A4 document on its first page; `archival`: PDF/A-3B (fonts embedded, an sRGB output intent), the base
    of an e-invoice; `landscape` for a wide table (a report)."""
    from fpdf import FPDF

    orientation = 'L' if landscape else 'P'
    pdf = (
        FPDF(orientation=orientation, format='A4', enforce_compliance='PDF/A-3B')
        if archival
        else FPDF(orientation=orientation, format='A4')
    )
    pdf.set_auto_page_break(auto=True, margin=15)
    if (FONT_DIR / 'DejaVuSans.ttf').exists():
        pdf.add_font('DejaVu', '', str(FONT_DIR / 'DejaVuSans.ttf'))
        pdf.add_font('DejaVu', 'B', str(FONT_DIR / 'DejaVuSans-Bold.ttf'))
    pdf.add_page()
    pdf.set_font(font(pdf), size=10)
    return pdf


def fitted(pdf: FPDF, text: str, width: float) -> str:
    """The text shortened with … until it fits the width (a long product name in a pick list cell)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + '…') > width:
        text = text[:-1]
    return text + '…' if font(pdf) == 'DejaVu' else text


def font(pdf: FPDF) -> str:
    return 'DejaVu' if 'dejavu' in pdf.fonts else 'Helvetica'


def text(pdf: FPDF, value: str) -> str:
    """Without a Unicode font, characters outside Latin-1 become '?' instead of failing the whole document."""
    return value if font(pdf) == 'DejaVu' else value.encode('latin-1', 'replace').decode('latin-1')
