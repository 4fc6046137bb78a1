"""A menu built on its first opening, not with the page: the page shows the button, and what the menu holds (the user's
languages, the unread notifications, a list's columns) is built, and read, when it is first clicked (issue 20, first
paint: every menu built with the page was elements and reads nobody sees before the click).

The first click reaches the server, which builds the menu open under its button (a round-trip, ~20–50 ms); from then
on the menu is an ordinary `ui.menu` that opens in the browser. NiceGUI's simulated user clicks the button the same
way, so a test opens the menu before it looks inside, as a person does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui import ui
from nicegui.slot import Slot


class MenuOnOpen:
    def __init__(
        self,
        button: ui.element,
        build: Callable[[], None],
        *,
        menu: Callable[[], ui.menu] = ui.menu,
        place: Slot | None = None,
    ) -> None:
        """`menu` makes the (empty) menu: its props and classes. `place`: where the menu goes when not in the button
        (e.g. the field whose icon opens it); it then opens on the button's clicks only, from the server
        (`no-parent-event`)."""
        self.button, self._build, self._make, self._place = button, build, menu, place
        self.menu: ui.menu | None = None
        known = set(button._event_listeners)  # noqa: SLF001
        button.on('click', self.open)
        self._listeners = set(button._event_listeners) - known  # noqa: SLF001

    @property
    def built(self) -> bool:
        return self.menu is not None

    def open(self) -> None:
        """The first click: the menu, built and open. Later clicks are the menu's own (it opens in the browser)."""
        if self.menu is None:
            self.build().open()
        elif self._place is not None:
            self.menu.open()

    def _forget_click(self) -> None:
        """Once built, a menu in its button opens in the browser alone: the button's clicks no longer go to the
        server (NiceGUI has no public way to remove a listener)."""
        if self.button.is_deleted:
            return
        for listener in self._listeners:
            self.button._event_listeners.pop(listener, None)  # noqa: SLF001
        self.button.update()
        # a click already on its way (a quick double click) names a listener the button no longer has: drop it
        handle, retired = self.button._handle_event, self._listeners  # noqa: SLF001

        def handle_current(msg: dict) -> None:
            if msg.get('listener_id') not in retired:
                handle(msg)

        self.button._handle_event = handle_current  # type: ignore[method-assign]  # noqa: SLF001

    def build(self) -> ui.menu:
        """The menu, built closed if it is not yet (for code that needs what it holds before anyone opens it)."""
        if self.menu is None:
            with self._place if self._place is not None else self.button:
                self.menu = self._make()
                if self._place is not None:
                    self.menu.props['no-parent-event'] = True
                with self.menu:
                    self._build()
            if self._place is None:  # after this click is handled (its listeners are being gone through)
                asyncio.get_running_loop().call_soon(self._forget_click)
        return self.menu

    def close(self) -> None:
        if self.menu is not None:
            self.menu.close()
