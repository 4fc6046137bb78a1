"""A pick in a select is read as the option the person clicked, even when the options changed meanwhile.

NiceGUI's select sends the picked option's place in the options the browser shows, and the server reads that place in
the options it holds now. A select whose options follow typing (the duplicate to merge, a related record, a customer
for a bank line) can get a new list between the two: the place then named another record, or none (an IndexError in
the handler, a server error, and nothing picked; seen in a Chromium run on PostgreSQL under load). Here the place is
trusted only when the option there bears the label clicked; otherwise the one option with that label is taken, and
with none or several the value stays as it was and the browser is told so. main.py calls `install()` on every start.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.events import GenericEventArguments


def install() -> None:
    if getattr(ui.select._event_args_to_value, 'checks_labels', False):  # noqa: SLF001
        return
    by_place = ui.select._event_args_to_value  # noqa: SLF001

    def read(self: ui.select, e: GenericEventArguments) -> Any:
        if self.multiple and isinstance(e.args, list):
            picks = [_checked(self, arg) if isinstance(arg, dict) else arg for arg in e.args]
            kept = [pick for pick in picks if pick is not None]
            if len(kept) != len(picks):
                _show_again(self)
            return by_place(self, GenericEventArguments(sender=e.sender, client=e.client, args=kept))
        if not self.multiple and isinstance(e.args, dict):
            pick = _checked(self, e.args)
            if pick is None:
                _show_again(self)
                return self.value
            return self._values[pick['value']]  # noqa: SLF001
        return by_place(self, e)

    read.checks_labels = True  # type: ignore[attr-defined]
    ui.select._event_args_to_value = read  # type: ignore[method-assign]  # noqa: SLF001


def _checked(select: ui.select, arg: dict) -> dict | None:
    """The pick with the place of the option bearing its label now, or None when no single option does."""
    labels = [str(label) for label in select._labels]  # noqa: SLF001
    place, label = arg.get('value'), str(arg.get('label'))
    if isinstance(place, int) and not isinstance(place, bool) and 0 <= place < len(labels) and labels[place] == label:
        return arg
    places = [index for index, shown in enumerate(labels) if shown == label]
    return {**arg, 'value': places[0]} if len(places) == 1 else None


def _show_again(select: ui.select) -> None:
    """The browser shows what it clicked: put the value the server kept back on the screen."""
    select._props[select.VALUE_PROP] = select._value_to_model_value(select.value)  # noqa: SLF001
    select.update()
