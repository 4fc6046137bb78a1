"""Two saves at the same moment, in two threads: the first is held after its check until the second has checked too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType

import pytest


def first_saves_at_once(
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    first: Callable[[], object],
    second: Callable[[], object],
    *,
    held_at: str = 'utcnow',
) -> tuple[object, object]:
    """Run `first` and `second` (each a whole save in its own session) at once; what each returned or raised.

    `module.<held_at>` (by default its `utcnow`) is called as a save writes, after its check: the first save waits
    there until the second has passed its own check, or for 3 s (the second's check waits for the first's commit when
    the check and the write are one step)."""
    original = getattr(module, held_at)
    first_checked, second_checked = threading.Event(), threading.Event()

    def held(*args: object, **kwargs: object) -> object:
        if threading.current_thread().name == 'first':
            first_checked.set()
            second_checked.wait(timeout=3)
        elif threading.current_thread().name == 'second':
            second_checked.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, held_at, held)
    outcomes: dict[str, object] = {}

    def run(name: str, save: Callable[[], object]) -> None:
        if name == 'second':
            first_checked.wait(timeout=30)
        try:
            outcomes[name] = save()
        except Exception as error:  # noqa: BLE001 — what each save met is the test's finding
            outcomes[name] = error

    threads = [
        threading.Thread(target=run, args=('first', first), name='first'),
        threading.Thread(target=run, args=('second', second), name='second'),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes.get('first'), outcomes.get('second')
