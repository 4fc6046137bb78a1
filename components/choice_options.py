"""Cheaper selects, radios and toggles: NiceGUI's choice elements rebuild their options (one observed dict per option,
and the value's) on every update, and every prop set is an update — a select gets ~7 while it is made (its label,
`multiple`, `clearable`, then `.props('outlined dense use-chips')`…), so a filter over 20 customers built ~140
observed dicts where 20 do. Here an update rebuilds them only when the options or the value differ from what the last
rebuild was made from; a change of either (`set_options`, `options.append(…)` then `update()`, a new value) rebuilds as
before. main.py calls `install()` on every start; once is enough."""

from __future__ import annotations

from typing import Any

from nicegui.elements.choice_element import ChoiceElement


def install() -> None:
    if getattr(ChoiceElement.update, 'remembers', False):
        return
    rebuild = ChoiceElement._update_options  # noqa: SLF001

    def update(self: ChoiceElement) -> None:
        with self._props.suspend_updates():  # noqa: SLF001
            self._update_values_and_labels()  # noqa: SLF001
            made_from = (self._values[:], self._labels[:], _copy(self.value), getattr(self, 'multiple', None))  # noqa: SLF001
            if made_from != getattr(self, '_bo_options_from', None) or 'options' not in self._props:  # noqa: SLF001
                rebuild(self)
                self._bo_options_from = made_from  # type: ignore[attr-defined]
        super(ChoiceElement, self).update()

    update.remembers = True  # type: ignore[attr-defined]
    ChoiceElement.update = update  # type: ignore[method-assign]


def _copy(value: Any) -> Any:
    """The value as it is now (a multiple select's list is changed in place by some callers)."""
    return list(value) if isinstance(value, list) else value
