"""Makes NiceGUI's simulated browser as strict as a real one: in a real browser `ui.notify`, `ui.navigate` and
`ui.download` find their page through the element whose handler is running, and raise `RuntimeError: The parent
element this slot belongs to has been deleted` when that element is gone (a dialog deleted before its message). The
simulation records them without looking, so a test passed where a person saw nothing happen.

With two simulated browsers, the simulation also hands `ui.navigate` (and notify, download) to whichever browser a
test, or a page's outbox, touched last: a message sent to the first browser's live list while the second one signed in
sent the second one's sign-in to the first browser. Here each call goes to the browser whose page runs the handler.

A page the browser has left (it opened another address since) no longer moves it: a real browser unloads the page it
leaves, while the simulation keeps it alive, still hearing live updates. Such a page, signed out by the browser's new
sign-in, sent the browser to the sign-in page under a CI run's load, opened over the page the test had just opened."""

from __future__ import annotations

import weakref
from typing import Any

from nicegui import Client, context
from nicegui.testing import User

_browsers: weakref.WeakSet[User] = weakref.WeakSet()


class _NeedsClient:
    """Calls through to the simulation's recorder of the browser showing the running element's page, after asking for
    that page as NiceGUI does."""

    def __init__(self, recorder: Any, user: User, name: str, method: str | None = None) -> None:
        self._recorder, self._user, self._name, self._method = recorder, user, name, method
        self.calls: list[tuple[tuple, dict]] = []  # with their options (a message's type), which the recorder drops

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        client = context.client  # raises like the real function when the element that runs this was deleted
        if self._name == 'navigate' and _left(client):
            return None  # a page its browser has left: gone in a real browser, it takes the browser nowhere
        target = self._routed(client)
        target.calls.append((args, kwargs))
        return target._recorder(*args, **kwargs)  # noqa: SLF001

    def _routed(self, client: Client) -> _NeedsClient:
        """This call's recorder, or the same one of the browser whose page is `client`."""
        owner = next((b for b in list(_browsers) if object.__getattribute__(b, 'client') is client), None)
        if owner is None or owner is self._user:
            return self
        mine = object.__getattribute__(owner, self._name)  # without the simulation's switch of the globals
        return mine if self._method is None else getattr(mine, self._method)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._recorder, name)
        if name in {'to', 'back', 'forward', 'reload', 'content', 'file', 'from_url'}:
            return _NeedsClient(found, self._user, self._name, name)
        return found


def make_strict(user: User) -> User:
    for name in ('notify', 'navigate', 'download'):
        setattr(user, name, _NeedsClient(getattr(user, name), user, name))
    opens = user.open
    left: weakref.WeakSet[Client] = weakref.WeakSet()

    async def open_leaving(path: str, *, clear_forward_history: bool = True) -> Client:
        """Open `path`, leaving the page shown so far (the test's own opens and the pages' navigations alike)."""
        shown = object.__getattribute__(user, 'client')
        if shown is not None:
            left.add(shown)
        return await opens(path, clear_forward_history=clear_forward_history)

    user.open = open_leaving  # type: ignore[method-assign]
    _left_pages[user] = left
    _browsers.add(user)
    return user


_left_pages: weakref.WeakKeyDictionary[User, weakref.WeakSet[Client]] = weakref.WeakKeyDictionary()


def _left(client: Client) -> bool:
    """This page was shown by a browser that has opened another address since (still `client` until that page has
    arrived; a page is never shown again: opening the same address again builds a new one)."""
    return any(client in _left_pages.get(browser, ()) for browser in list(_browsers))
