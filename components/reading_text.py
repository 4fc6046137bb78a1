"""Markdown as the customer reads it: one typography (its size, its headings, long words wrapping) for the portal's
legal documents and the back office's preview of a Markdown field, so that the preview looks like what customers see
(the preview's headings were NiceGUI's, a 3rem h1, twice the portal's)."""

from __future__ import annotations

from nicegui import ui

READING_CLASSES = 'bo-reading-text text-sm'

# headings at a reading size inside a card (NiceGUI's markdown h1 is 3rem: two words filled a phone), each smaller than
# the one above (NiceGUI's h5 stayed larger than our h4); a long word (a compound, an address) breaks anywhere: with
# break-words alone the text stayed as wide as its longest word, and the whole page scrolled sideways
READING_CSS = """
.bo-reading-text { overflow-wrap: anywhere; }
.bo-reading-text h1 { font-size: 1.5rem; line-height: 2rem; margin: 0.5rem 0; }
.bo-reading-text h2 { font-size: 1.25rem; line-height: 1.75rem; margin: 0.5rem 0; }
.bo-reading-text h3, .bo-reading-text h4 { font-size: 1.125rem; line-height: 1.5rem; margin: 0.5rem 0; }
.bo-reading-text h5, .bo-reading-text h6 { font-size: 1rem; line-height: 1.5rem; margin: 0.5rem 0; }
"""


def reading_markdown(content: str = '', **options) -> ui.markdown:
    """A ui.markdown set in the customer's reading typography (sanitized in the browser, NiceGUI's default); the
    stylesheet comes with every page (shell.theme), not once more with every preview opened."""
    return ui.markdown(content, **options).classes(READING_CLASSES)
