"""The text a PDF the app made holds, as a test reads it: page after page, or as one line of words."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    """Every page's text, one page after another, lines as pypdf reads them."""
    return '\n'.join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_words(pdf: bytes) -> str:
    """The same as one line: every run of white space (a line wrapped, a page turned) is one space."""
    return ' '.join(pdf_text(pdf).split())
