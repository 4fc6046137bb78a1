"""Handlers that outlive their element: NiceGUI runs an async click handler in the parent slot of the clicked element,
and a live update may rebuild that part of the page (a list of cards, a record's box) between the click and the
handler's first step, or while it awaits the database. The slot then has no parent and `ui.context.client` raises
"The parent element this slot belongs to has been deleted": a server error for a click a person made. Here such a
handler runs in the page instead (NiceGUI already puts the client's content under the slot), and the clicked
element is kept alive while it runs. main.py calls it on every start; once is enough."""

from __future__ import annotations

from typing import Any

from nicegui import background_tasks
from nicegui.element import Element
from nicegui.slot import Slot


class _SlotWhileAlive:
    """The handler's slot if its element still stands when the handler starts, else nothing (the page's content,
    entered beneath it by NiceGUI, is then where the handler's messages and dialogs go)."""

    def __init__(self, slot: Slot) -> None:
        self.slot = slot
        self.element: Element | None = slot._parent()  # noqa: SLF001  (a strong reference: alive until the end)
        self.entered = False

    def __enter__(self) -> _SlotWhileAlive:
        if self.element is not None and not self.element.is_deleted:
            self.slot.__enter__()
            self.entered = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.entered:
            self.slot.__exit__(*exc)


def keep_handlers_in_their_page() -> None:
    create = background_tasks.create
    if getattr(create, 'keeps_page', False):
        return

    def create_in_page(*args: Any, context: Any = None, **kwargs: Any) -> Any:
        if isinstance(context, Slot):
            client = None
            try:
                client = context.parent.client
            except RuntimeError:  # already gone: NiceGUI finds no client either
                pass
            if client is not None:
                with client:  # NiceGUI resolves the client from the current slot when the context is not a Slot
                    return create(*args, context=_SlotWhileAlive(context), **kwargs)
        return create(*args, context=context, **kwargs)

    create_in_page.keeps_page = True  # type: ignore[attr-defined]
    background_tasks.create = create_in_page  # type: ignore[assignment]
