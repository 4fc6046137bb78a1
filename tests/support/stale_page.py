"""Clicks a page left open still sends: for the probes of what a page's handlers may do once its user lost a right,
was deactivated or signed out elsewhere (a browser that ignores being sent to the sign-in page keeps its socket)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import events, helpers, ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction


async def click_and_finish(found: UserInteraction) -> None:
    """Click the elements `found` holds as the browser would (each handler in its element's slot, as NiceGUI calls
    it; not a disabled or hidden one), whether or not their page is still the one on screen, and wait until each
    handler has finished."""
    for element in found.elements:
        if element.is_ignoring_events:  # disabled or hidden: NiceGUI drops the browser's event
            continue
        for listener in list(element._event_listeners.values()):  # noqa: SLF001
            if listener.type != 'click':
                continue
            arguments = events.ClickEventArguments(sender=element, client=element.client)
            with element.parent_slot or element.client.layout.default_slot:
                handler = listener.handler
                result = handler(arguments) if helpers.expects_arguments(handler) else handler()
                if helpers.should_await(result):
                    await result


def click_as_shown(user: User, element: ui.element) -> Callable[[], None]:
    """The click the browser's socket delivers for this element as it is on screen now (by its id and listener), to
    send later: the server runs it if it still has that element, and drops it if a refresh replaced the element
    meanwhile (the simulated `.click()` skips the socket layer and would run it anyway)."""
    listener_id = next(key for key, listener in element._event_listeners.items() if listener.type == 'click')  # noqa: SLF001
    client = user.client
    assert client is not None

    def click() -> None:
        client.handle_event({'id': element.id, 'listener_id': listener_id, 'args': []})

    return click
