"""The shape of an automation action an extension adds (docs/EXTENSIONS.md), kept apart from the automation service so
that an extension can declare one while the core is still being imported: `register` queues it until
services/automations.py is loaded, which then adds every queued action (and later ones at once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class ActionInput:
    """One value an extension's action asks for in the rule form: `key` is where it is kept (target, value, text)."""

    key: str
    label: str
    kind: str = 'text'  # text | number


@dataclass(frozen=True)
class ExtensionAction:
    """An automation action added by an extension (extension_hooks): checked when a rule is saved, described in the
    rule and its dry run, and performed by the runner in its own transaction, as the rule's actor.
    `perform(session, actor, rule, action, record, trigger, index)` commits its change itself, as built-in ones do."""

    key: str
    label: str
    record_types: frozenset[str]
    inputs: tuple[ActionInput, ...]
    check: Callable[[Session, dict[str, Any], str], dict[str, str]]
    describe: Callable[[Session, dict[str, Any]], str]
    perform: Callable[..., None]


_queued: list[ExtensionAction] = []
_add: Callable[[ExtensionAction], None] | None = None


def register(action: ExtensionAction) -> None:
    """Add an extension's action: at once if the automation service is loaded, else when it is."""
    if _add is None:
        _queued.append(action)
    else:
        _add(action)


def connect(add: Callable[[ExtensionAction], None]) -> None:
    """services/automations.py, once loaded: how to add an action; the queued ones are added now."""
    global _add
    _add = add
    while _queued:
        add(_queued.pop(0))
