"""The navigation drawer's menu as one element: the entries a user may open, in their language, sent to the browser as
data and drawn there as links (navigation.js). Built entry by entry, an admin's menu was 173 elements a page."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from nicegui import ui

from backoffice import i18n
from backoffice.i18n import _

from .screens import Screen

Entry = tuple[str, str, str, str]  # path, title, icon, section: what the menu shows of a screen


class Navigation(ui.element, component='navigation.js'):
    """Every entry is a link (`<a href>`: a new tab, a bookmark); the current page's is highlighted and marked
    `aria-current="page"`. The same entries and language give the same data, built once per process."""

    def __init__(self, menu: Sequence[Screen], current: str) -> None:
        super().__init__()
        language = i18n.current()
        key = tuple((s.path, s.title, s.icon, s.section) for s in menu)
        self._props['entries'] = menu_entries(key, language, i18n.translations(language))
        self._props['current'] = current

    @property
    def entries(self) -> tuple[dict[str, str], ...]:
        """The menu's entries (`path`, `title`, `icon`) and section headings (`header`), in order."""
        return self._props['entries']

    @property
    def current(self) -> str:
        return self._props['current']

    def _displayed_contents(self, *, only_visible: bool) -> list:
        # what NiceGUI's simulated user "sees" here: each heading, title and icon, as it saw the separate elements
        texts = [entry.get('header') or entry.get('title') for entry in self.entries]
        icons = [entry['icon'] for entry in self.entries if 'icon' in entry]
        return [*super()._displayed_contents(only_visible=only_visible), *texts, *icons]


@lru_cache(maxsize=512)
def menu_entries(key: tuple[Entry, ...], language: str, catalog: object) -> tuple[dict[str, str], ...]:
    """The entries of one menu (`key`) in one language, with a heading where a section starts. `catalog`, the
    language's loaded translations, is part of the key: catalogs read again (an extension's added) build anew.
    Shared by every page that shows this menu, never changed in place; a tuple, which NiceGUI keeps as it is in the
    element's props (a list would be copied into observed lists and dicts on every page)."""
    del catalog
    entries: list[dict[str, str]] = []
    section = None
    with i18n.use(language):
        for path, title, icon, declared_section in key:
            if declared_section and declared_section != section:
                section = declared_section
                entries.append({'header': _(section)})
            entries.append({'path': path, 'title': _(title), 'icon': icon})
    return tuple(entries)
