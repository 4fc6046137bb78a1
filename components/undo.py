"""A short-lived bar at the bottom of the page offering to undo what was just done (e.g. a delete)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.i18n import _

SECONDS = 10


def offer_undo(message: str, on_undo: Callable[[], Any]) -> None:
    with ui.context.client.content:
        bar = (
            ui.row()
            .classes(
                'fixed bottom-4 left-1/2 -translate-x-1/2 z-50 items-center gap-4 px-4 py-2 rounded '
                'shadow-lg bg-gray-900 text-white no-wrap'
            )
            .props('role=status')
        )
    with bar:
        ui.label(message)

        async def undo() -> None:
            bar.delete()
            result = on_undo()
            if hasattr(result, '__await__'):
                await result

        ui.button(_('Undo'), on_click=undo).props('flat dense color=amber')
    ui.timer(SECONDS, lambda: bar.delete() if not bar.is_deleted else None, once=True)
