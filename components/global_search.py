"""The header's search across record types (Ctrl/Cmd-K focuses it, Enter opens the first hit); hits are real links."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.services import global_search

from .forms import FAILED, call
from .session import acting_user

PLACEHOLDER = N_('Search (Ctrl K)')
NOTHING_FOUND = N_('Nothing found. Try a number, an email, a name, a SKU or a tracking number.')
FIRST_HIT = (
    '(e) => { const m = document.querySelector(".bo-search-hits a[href]"); if (m) { e.preventDefault(); m.click(); } '
    'else { emit(e.target.value); } }'
)


class GlobalSearch:
    """An input in the header and a menu of hits under it: each hit names its record type and links to the record."""

    def __init__(self, user: User) -> None:
        self.term = ''
        self.input = (
            ui.input(placeholder=_(PLACEHOLDER), on_change=lambda e: self.find(e.value or ''))
            .props('dense outlined dark color=white clearable debounce=250')
            .classes('bo-global-search grow min-w-0 sm:grow-0 sm:w-72')  # on a phone it takes the header's free width
            .mark('global-search')
        )
        self.input.props['aria-label'] = _('Search everything')
        with self.input.add_slot('prepend'):
            ui.icon('search').classes('text-white')
        # the menu of hits is built with the first hits, not with every page (most pages are never searched from)
        self.menu: ui.menu | None = None
        self.results: ui.column | None = None
        # Enter opens the first hit already shown (a real link click), or, before any is shown, asks the server
        self.input.on('keydown.enter', self.open_first, js_handler=FIRST_HIT)
        self.input.on('keydown.escape', self.close)

    async def find(self, term: str) -> list[global_search.Hit] | None:
        self.term = term.strip()
        if not self.term:
            if self.results is not None:
                self.results.clear()
            self.close()
            return None
        hits = await self._search(self.term)
        if hits is None or term.strip() != self.term:  # refused, or the person typed on meanwhile
            return None
        self.show(hits)
        return hits

    async def open_first(self, event) -> None:
        term = event.args if isinstance(event.args, str) else self.input.value or ''
        hits = await self.find(term)
        if hits:
            ui.navigate.to(hits[0].link)

    async def _search(self, term: str) -> list[global_search.Hit] | None:
        user = acting_user()
        if user is None:
            return None
        found = await call(_search, user, term)
        return None if found is FAILED else found

    def show(self, hits: list[global_search.Hit]) -> None:
        menu, results = self._built()
        results.clear()
        with results:
            if not hits:
                ui.label(_(NOTHING_FOUND)).classes('px-4 py-2 text-sm text-gray-500').mark('search-nothing')
            for hit in hits:
                _hit(hit)
        menu.open()

    def close(self) -> None:
        if self.menu is not None:
            self.menu.close()

    def _built(self) -> tuple[ui.menu, ui.column]:
        if self.menu is None or self.results is None:
            with self.input:
                # The menu has the width and its content follows it: where the window is narrower than the menu
                # (a phone), Quasar narrows the menu to the room right of the search box (a max-width), and the hits
                # and "Nothing found" wrap or ellipsize within that instead of scrolling sideways
                self.menu = (
                    ui.menu()
                    .props('no-focus no-refocus no-parent-event anchor="bottom left" self="top left"')
                    .classes('bo-search-hits')
                    .style('width: 26rem')
                )
                with self.menu:
                    self.results = ui.column().classes('w-full min-w-0 gap-0 py-1')
        return self.menu, self.results


def _hit(hit: global_search.Hit) -> None:
    link = ui.link().classes(
        'block w-full px-4 py-2 no-underline text-inherit hover:bg-gray-100 dark:hover:bg-neutral-800 focus:bg-blue-50'
    )
    link.props['href'] = hit.link  # a path the server made from the record's fields (quoted), never markup
    link.mark('search-hit')
    with link, ui.row().classes('w-full items-center gap-3 no-wrap'):
        ui.label(_(hit.kind)).classes('text-xs uppercase tracking-wide text-gray-500 w-20 shrink-0').mark('search-kind')
        with ui.column().classes('gap-0 min-w-0 grow'):  # its lines as wide as it, not as their text: ellipsized
            title = ui.label(hit.title).classes('w-full font-medium truncate text-gray-800')
            title.props['title'] = hit.title  # the whole of a long name on hover (an attribute: text, not markup)
            if hit.detail:
                ui.label(hit.detail).classes('w-full text-sm text-gray-500 truncate')


def _search(user: User, term: str) -> list[global_search.Hit]:
    with read_session() as session:
        return global_search.search(session=session, actor=user, term=term)
