"""The width of the reader's window as the browser last reported it (a cookie set on every signed-in page), so that a
page can leave out of its first paint what that width folds away (issue 20, first rows: a list's filters on a phone).
A guess, never a rule: whatever is left out is built once the page is connected, and at once when it is asked for."""

from __future__ import annotations

from nicegui import ui

COOKIE = 'bo_width'  # set by the shell's WIDTH_JS
NARROW_BELOW = 640  # px: Tailwind's `sm`, under which `max-sm:hidden` folds a list's filters away
WIDE_FROM = 600  # px: Quasar's `sm`, from which `lt-sm` hides (a phone list's cards and sort)


def narrow() -> bool:
    """Whether the browser asking for the page being built said its window was narrower than NARROW_BELOW; False when
    it never said (a first visit) or outside a page request."""
    width = reported_width()
    return width is not None and width < NARROW_BELOW


def wide() -> bool:
    """Whether it said its window was at least WIDE_FROM wide (a phone list's sort is hidden there); False when it
    never said."""
    width = reported_width()
    return width is not None and width >= WIDE_FROM


def reported_width() -> int | None:
    try:
        request = ui.context.client.request
    except (RuntimeError, AttributeError):
        return None
    if request is None:
        return None
    width = request.cookies.get(COOKIE, '')
    # a cookie is the browser's to write: only 1 to 5 ASCII digits count ('²' is a digit to str.isdigit, not to int)
    return int(width) if width.isascii() and width.isdigit() and len(width) <= 5 else None
