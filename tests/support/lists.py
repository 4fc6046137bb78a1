"""Reading and clicking a resource list in NiceGUI's simulated browser, as page tests do."""

from __future__ import annotations

import re

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.listing import query
from components.resource_table import ListCaption

from .waiting import eventually


def the_list(user: User, column: str = 'email') -> ui.table:
    """The table that has this column: another table may be on the page meanwhile (an import's preview in a dialog
    that is closing has rows of its own)."""
    tables = user.find(ui.table).elements
    having = [t for t in tables if any(c.get('field', c.get('name')) == column for c in t.columns)]
    return (having or list(tables)).pop()


def listed(user: User, column: str = 'email') -> list:
    """One column of the rows the list shows now (`should_see` does not look into table cells)."""
    return [row[column] for row in the_list(user, column).rows]


def footer(user: User, column: str = 'email') -> str:
    """What the table's footer says ('1–2 of 2', '1–25 of about 990,000'): the words its pagination prop carries, which
    the browser draws as they are (list_table.js's paginationLabel). They are checked to be those of the rows that
    prop describes (first row, last row, `rowsNumber`), as Quasar would count them."""
    pagination = the_list(user, column).props['pagination']
    page, size, total = pagination['page'], pagination['rowsPerPage'], pagination['rowsNumber']
    label = pagination.get('label', '')
    first, _, rest = label.partition('–')  # '1–25 of about 990,000': the separators within a number are no spaces
    last, _, words = rest.partition(' ')
    numbers = [int(re.sub(r'\D', '', n) or -1) for n in (first, last, words.rpartition(' ')[2])]
    assert numbers == [(page - 1) * size + 1, min(page * size, total), total], f'{label!r} for {pagination}'
    return label


def ask_for(user: User, *, page: int = 1, rows_per_page: int | None = None, column: str = 'email') -> None:
    """Ask for a page (or a page size) as the footer's arrows and its rows-per-page select do: Quasar's `request`."""
    pagination = dict(the_list(user, column).props['pagination'], page=page)
    if rows_per_page is not None:
        pagination['rowsPerPage'] = rows_per_page
    user.find(ui.table).trigger('request', {'pagination': pagination})


def as_if_counted(monkeypatch: pytest.MonkeyPatch, total: int, *, exact: bool) -> None:
    """Every list count from now on says `total` (`exact=False`: an estimate, as on a big table whose count would take
    too long), whatever the rows are; a first page shorter than its size still counts its own rows."""
    monkeypatch.setattr(query, 'count_rows', lambda _session, _plan: (total, exact))


def caption(user: User) -> str:
    """The line over the list ('2 customers')."""
    return user.find(ListCaption).elements.pop().text


async def rows_show(user: User, *values: str, absent: tuple[str, ...] = (), column: str = 'email') -> None:
    """Wait until the list shows these values (and none of the absent ones) in the column."""

    def shows() -> bool:
        try:
            shown = listed(user, column)
        except AssertionError:  # no table yet: the page is still opening
            return False
        assert all(v in shown for v in values) and not any(v in shown for v in absent), (
            f'the list shows {shown}, expected {values} and not {absent}'
        )
        return True

    await eventually(shows, message=f'the list shows {values} in column {column!r}')


def open_row(user: User, value: str, column: str = 'email') -> None:
    """Click the row whose column holds the value, which opens the record."""
    row = next(r for r in user.find(ui.table).elements.pop().rows if r[column] == value)
    user.find(ui.table).trigger('rowClick', [{}, row, 0])


def cards(user: User) -> list[dict]:
    """What the list shows on a phone: each row's card (title, status, lines of label and value). The simulated
    browser has no width, so this checks that the table does switch to its cards below 600 px and reads what they
    bind."""
    table = user.find(ui.table).elements.pop()
    assert table.props.get(':grid') == 'Quasar.Screen.lt.sm', 'the list does not turn into cards on a phone'
    assert 'item' in table.slots, 'the list has no card template'
    return [row['_card'] for row in table.rows]


async def cards_show(user: User, *titles: str, absent: tuple[str, ...] = ()) -> list[dict]:
    """Wait until the phone's cards show these titles (and none of the absent ones); returns the cards."""

    def shows() -> list[dict]:
        try:
            shown = cards(user)
        except AssertionError as error:
            if 'phone' in str(error) or 'template' in str(error):
                raise
            return []  # no list yet: the page is still opening
        seen = [card['title'] for card in shown]
        assert all(t in seen for t in titles) and not any(t in seen for t in absent), (
            f'the cards show {seen}, expected {titles} and not {absent}'
        )
        return shown

    return await eventually(shows, message=f'the cards show {titles}')


def tap_card(user: User, title: str) -> None:
    """Tap the card with this title: its template emits the table's rowClick with the row, as a click on a row does."""
    table = user.find(ui.table)
    row = next(r for r in table.elements.pop().rows if r['_card']['title'] == title)
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
