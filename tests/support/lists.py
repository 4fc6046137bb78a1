"""Reading and clicking a resource list in NiceGUI's simulated browser, as page tests do."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from .waiting import eventually


def listed(user: User, column: str = 'email') -> list:
    """One column of the rows the list shows now (`should_see` does not look into table cells)."""
    return [row[column] for row in user.find(ui.table).elements.pop().rows]


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
