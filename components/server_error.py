"""The page shown when a page fails to build: says so in words and offers the way back, never the exception's text
(NiceGUI's own page showed `OperationalError: …` with the SQL statement and its values to whoever asked; an address
with a number too large for the database was enough). The exception is logged as before."""

from __future__ import annotations

from nicegui import app, ui

from backoffice.i18n import N_, _

from .shell import theme

TITLE = N_('Something went wrong')
MESSAGE = N_('This page could not be shown. The error was recorded; try again in a moment.')
BACK = N_('Go back to the start')
INT32_MAX = 2**31 - 1  # an INTEGER column on PostgreSQL: an id in an address is looked up there


def wire() -> None:
    """main.py calls this once: every page that raises while it is built shows this page (status 500)."""
    app.on_page_exception(server_error_content)


def server_error_content() -> None:
    request = ui.context.client.request
    path = request.url.path if request is not None else '/'
    theme()
    with ui.column().classes('w-full items-center gap-4 p-8 text-center').mark('server-error'):
        ui.icon('error_outline', size='3rem').classes('text-gray-400')
        ui.label(_(TITLE)).classes('text-2xl font-semibold').props('role=heading aria-level=1')
        ui.label(_(MESSAGE)).classes('text-gray-600')
        if path == '/portal' or path.startswith('/portal/'):  # a customer: back to their portal
            ui.link(_(BACK), '/portal').classes('text-primary text-lg').mark('go-home')
        else:
            ui.link(_(BACK), '/').classes('text-primary text-lg').mark('go-home')


def record_id(text: str) -> int | None:
    """The id an address names ('42' → 42), or None when it names none the database could hold (not digits, 0, or
    past the largest id: `/customers/99999999999999999999` is "not found", not a database error)."""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= INT32_MAX else None
