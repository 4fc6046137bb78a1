"""Form helpers: a service's field errors shown at the fields, a whole-form message as a notification."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from backoffice.errors import ServiceError, ValidationFailed


def clear_errors(fields: dict[str, ui.element]) -> None:
    for field in fields.values():
        field.error = None


def show_error(error: ServiceError, fields: dict[str, ui.element] | None = None) -> None:
    """Put each message at its field; what no field shows is notified, so nothing is lost silently."""
    fields = fields or {}
    if isinstance(error, ValidationFailed):
        unplaced = []
        for name, message in error.errors.items():
            if name in fields:
                fields[name].error = message
            else:
                unplaced.append(message)
        if unplaced:
            ui.notify(' '.join(unplaced), type='negative', multi_line=True)
        return
    ui.notify(str(error), type='negative', multi_line=True)


@contextmanager
def page_dialog() -> Iterator[ui.dialog]:
    """A dialog that belongs to the page, not to the element that opened it (a list refresh may delete that one),
    and that removes itself once the browser has hidden it."""
    with ui.context.client.content:
        dialog = ui.dialog()
    dialog.on('hide', dialog.delete)
    with dialog:
        yield dialog


def show_secret_once(label: str, secret: str) -> None:
    """A generated password or key, shown only now: it is stored hashed and cannot be shown again."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(label).classes('text-lg font-medium')
        ui.label('Shown only now. Pass it on safely.').classes('text-sm')
        ui.input(value=secret).props('readonly outlined').classes('w-full font-mono').mark('generated-password')
        ui.button('Done', on_click=dialog.close).classes('self-end')
    dialog.open()
