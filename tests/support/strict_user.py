"""Makes NiceGUI's simulated browser as strict as a real one: in a real browser `ui.notify`, `ui.navigate` and
`ui.download` find their page through the element whose handler is running, and raise `RuntimeError: The parent
element this slot belongs to has been deleted` when that element is gone (a dialog deleted before its message). The
simulation records them without looking, so a test passed where a person saw nothing happen."""

from __future__ import annotations

from typing import Any

from nicegui import context
from nicegui.testing import User


class _NeedsClient:
    """Calls through to the simulation's recorder after asking for the running element's page, as NiceGUI does."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder
        self.calls: list[tuple[tuple, dict]] = []  # with their options (a message's type), which the recorder drops

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _ = context.client  # raises like the real function when the element that runs this was deleted
        self.calls.append((args, kwargs))
        return self._recorder(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._recorder, name)
        if name in {'to', 'back', 'forward', 'reload', 'content', 'file', 'from_url'}:
            return _NeedsClient(found)
        return found


def make_strict(user: User) -> User:
    for name in ('notify', 'navigate', 'download'):
        setattr(user, name, _NeedsClient(getattr(user, name)))
    return user
