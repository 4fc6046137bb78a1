"""A select whose whole list is in the page (staff, products, suppliers, canned replies, a long list of settings)
narrowed as every search reads what was typed: Quasar's own filter keeps only the labels holding the typed text as one
phrase ('Okafor Sam' kept nobody named 'Sam Okafor'); the page's answer, by the one rule (`search.in_labels`),
replaces its options, and Enter takes its first for the text in the field (`first_suggestion`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.listing import search

from .first_suggestion import enter_takes_the_first


def narrowed_as_searched(select: ui.select, choices: dict[Any, str] | Callable[[], dict[Any, str]]) -> ui.select:
    """`choices`: the select's whole list (the dict it was made with: a caller that adds to it later is followed), or
    what gives it (a page that reads it again on a reload)."""

    def whole() -> dict[Any, str]:
        return choices() if callable(choices) else choices

    def suggestions(text: str) -> dict[Any, str]:
        return search.in_labels(whole(), text)

    def shown(text: str) -> None:
        current = select.value
        everything = whole()
        if current is not None and text == everything.get(current):
            # not typed: the field filled with the pick's name (Quasar's fill-input says so on load and after each
            # pick), which left only the pick listed: a request's assignee offered no colleague to hand it to
            text = ''
        found = suggestions(text)
        if current is not None and current in everything:  # the picked one stays named in the field
            found.setdefault(current, everything[current])
        select.set_options(found, value=current)

    select.on('input-value', lambda e: shown(e.args or ''))
    # the list opened again without typing (or after a pick) is the whole list again, not the last narrowing
    select.on('popup-hide', lambda: shown(''))
    return enter_takes_the_first(select, suggestions)
