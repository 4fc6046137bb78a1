"""A yes/no field of a form: a switch with its help under it and, once a save is refused, why (Quasar's QToggle shows
neither a hint nor an error, so the reason a save was refused at a switch was shown nowhere)."""

from __future__ import annotations

from nicegui import ui


class FlagSwitch(ui.switch):
    focusable = False  # QToggle has no focus method: forms.show_error only scrolls it into view

    def __init__(self, text: str, *, value: bool, help_text: str = '') -> None:
        with ui.column().classes('w-full gap-0 min-w-0') as self.box:
            super().__init__(text, value=value)
            # values, never parsed as markup: a label shows text as text
            self.help = ui.label(help_text).classes('text-xs text-gray-600 px-2 break-words')
            self.help.set_visibility(bool(help_text))
            self.problem = ui.label('').classes('text-xs text-negative px-2 break-words').props('role=alert')
            self.problem.set_visibility(False)

    @property
    def error(self) -> str | None:
        return self.problem.text or None

    @error.setter
    def error(self, text: str | None) -> None:
        self.problem.text = text or ''
        self.problem.set_visibility(bool(text))
