"""Makes NiceGUI's simulated browser as strict as a real one: in a real browser `ui.notify`, `ui.navigate` and
`ui.download` find their page through the element whose handler is running, and raise `RuntimeError: The parent
element this slot belongs to has been deleted` when that element is gone (a dialog deleted before its message). The
simulation records them without looking, so a test passed where a person saw nothing happen.

With two simulated browsers, the simulation also hands `ui.navigate` (and notify, download) to whichever browser a
test, or a page's outbox, touched last: a message sent to the first browser's live list while the second one signed in
sent the second one's sign-in to the first browser. Here each call goes to the browser whose page runs the handler."""

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
    _browsers.add(user)
    return user
