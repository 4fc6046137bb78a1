"""A count typed as text (a stock change, a quantity received or returned), read strictly by the service.

Not `ui.number`: Chromium's number input reads what it is given its own way, by the browser's language, before the
server sees it: in English it took '1,5' for 15 (a thousands comma), so a warehouse's stock change of "1,5" put 15
units on the shelf without a word. Here the text goes to the service as typed; a whole number becomes an int, anything
else stays text and the service refuses it at the field ("Enter a whole number")."""

from __future__ import annotations

import re

from nicegui import ui

_SPACES = re.compile(r'[\s\u00a0\u202f]')  # a grouped number as the French write it: 1 234 (with a narrow space)
_WHOLE = re.compile(r'^[+-]?\d+$')


class WholeNumberInput(ui.input):
    def __init__(self, label: str, *, value: int | str | None = None) -> None:
        super().__init__(label, value='' if value is None else str(value))
        self.props('inputmode=numeric')  # a phone shows its digits' keyboard

    @property
    def number(self) -> int | str | None:
        """The whole number typed, None when nothing is, else the text as typed (for the service to refuse)."""
        return whole_number(self.value)


def whole_number(typed: object) -> int | str | None:
    if typed is None or isinstance(typed, int):
        return typed
    text = _SPACES.sub('', str(typed))
    if not text:
        return None
    return int(text) if _WHOLE.match(text) else str(typed).strip()
