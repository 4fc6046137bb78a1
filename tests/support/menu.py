"""The navigation drawer's menu as a test reads it in NiceGUI's simulated browser: its entries are data of one element
(components/navigation.py), not an element each, so tests ask here rather than look for `ui.item`s."""

from __future__ import annotations

from dataclasses import dataclass

from nicegui.testing import User

from components.navigation import Navigation


@dataclass(frozen=True)
class MenuEntry:
    path: str
    title: str
    icon: str
    current: bool  # the page shown now: highlighted, `aria-current="page"`


def menu(user: User) -> Navigation:
    """The page's menu element (exactly one on a signed-in page)."""
    found = user.find(kind=Navigation).elements
    assert len(found) == 1, f'{len(found)} menus on the page'
    return next(iter(found))


def menu_entries(user: User) -> list[MenuEntry]:
    """The menu's entries in order (section headings left out)."""
    navigation = menu(user)
    return [
        MenuEntry(e['path'], e['title'], e['icon'], e['path'] == navigation.current)
        for e in navigation.entries
        if 'path' in e
    ]


def menu_paths(user: User) -> set[str]:
    """Where the menu's links lead."""
    return {entry.path for entry in menu_entries(user)}


async def open_from_menu(user: User, title: str) -> None:
    """Follow the menu's link of that title, as a click on it would (it is a plain `<a href>`)."""
    entry = next((e for e in menu_entries(user) if e.title == title), None)
    assert entry is not None, f'no menu entry "{title}" among {[e.title for e in menu_entries(user)]}'
    await user.open(entry.path)
