"""The reader's language in the UI: chosen once per page load (the signed-in user's choice, else the settings' default;
nobody signed in: the browser's Accept-Language), kept on the page's client, and read from there by every `_()` that
runs for that client: while the page builds, in an event handler, a timer or a live update. No database query per text.

main.py registers `resolver` with i18n once at start-up; registry.py calls `start_page` at the top of every page."""

from __future__ import annotations

import asyncio
import copy
from functools import cache
from pathlib import Path
from weakref import WeakKeyDictionary

import nicegui
from nicegui import Client, ui
from nicegui.slot import Slot

from backoffice import i18n
from backoffice.models import User
from backoffice.services import app_settings

_languages: WeakKeyDictionary[Client, str] = WeakKeyDictionary()  # a client's language, gone with the client
QUASAR_LANG_DIR = Path(nicegui.__file__).parent / 'static' / 'lang'


def resolver() -> str | None:
    """The language of the client this code runs for (i18n.set_resolver); outside a page, None (the default).

    Reads NiceGUI's slot stack of the running task without creating one (ui.context.client would, and before the app
    has started it would even make a script-mode client); a worker thread has no task, hence no page: forms.call
    passes the caller's language in."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    stack = Slot.stacks.get(id(task))
    if not stack:
        return None
    return _languages.get(stack[-1].parent.client)


def start_page(user: User | None, accept_language: str | None = None) -> str:
    """Decide the language of the page being built, for everything it shows from now on, Quasar's own widgets too."""
    return start_page_in(user.language if user is not None else None, None if user is not None else accept_language)


def start_page_in(chosen: str | None, accept_language: str | None = None) -> str:
    """The same for a reader who is not staff (a customer in the portal): their chosen language, else the browser's,
    else the settings' default."""
    if chosen and i18n.supported(chosen):
        language = i18n.supported(chosen) or app_settings.default_language()
    else:
        language = i18n.from_accept_language(accept_language) or app_settings.default_language()
    client = ui.context.client
    _languages[client] = language
    _quasar_language(client, language)
    return language


@cache
def quasar_pack(language: str) -> str:
    """Quasar's language pack for a language code: fr → fr, en → en-US, pt → pt-BR (the first of its regions)."""
    if (QUASAR_LANG_DIR / f'{language}.umd.prod.js').exists():
        return language
    regional = sorted(path.name.split('.')[0] for path in QUASAR_LANG_DIR.glob(f'{language}-*.umd.prod.js'))
    if language == 'en' or not regional:
        return 'en-US'
    return regional[0]


def _quasar_language(client: Client, language: str) -> None:
    """Quasar's own texts (date pickers, "Rows per page", "No data") and <html lang> in this page's language.

    NiceGUI takes the language from the page's declaration (ui.page(language=…), else ui.run's), shared by every
    client of the path; this client gets a copy of its page that says this reader's language. NiceGUI reads it when it
    renders the HTML, after the page function: it loads that Quasar pack and sets it."""
    pack = quasar_pack(language)
    if client.page.resolve_language() == pack:
        return
    page = copy.copy(client.page)
    page.language = pack  # type: ignore[assignment]  (one of NiceGUI's Language literals: the pack's file exists)
    client.page = page
