"""A count beside a queue's name ('Mine 5'), changed in the browser by a method call, never by an element update."""

from __future__ import annotations

from nicegui import ui


class QueueCount(ui.element, component='queue_count.js'):
    """Empty (hidden) until counted; `show` sets the text in the browser (`showText`) and keeps it for a page that
    connects again, without an update of the element (which would render the whole page again on each change)."""

    def __init__(self) -> None:
        super().__init__()
        self._props['text'] = ''

    @property
    def text(self) -> str:
        return self._props['text']

    def show(self, text: str) -> None:
        if text == self._props['text']:
            return
        with self._props.suspend_updates():
            self._props['text'] = text
        self.run_method('showText', text)  # JSON-encoded by NiceGUI, shown as text by the template ({{ }})
