"""A select whose whole list is in the page (staff, products, suppliers) narrowed as every search reads what was typed:
Quasar's own filter keeps only the labels holding the typed text as one phrase ('Okafor Sam' kept nobody named
'Sam Okafor'); the page's answer, by the one rule (`search.in_labels`), replaces its options."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from backoffice.listing import search


def narrowed_as_searched(select: ui.select, choices: dict[Any, str]) -> ui.select:
    """`choices`: the select's whole list (the dict it was made with: a caller that adds to it later is followed)."""

    def shown(text: str) -> None:
        current = select.value
        found = search.in_labels(choices, text)
        if current is not None and current in choices:  # the picked one stays named in the field
            found.setdefault(current, choices[current])
        select.set_options(found, value=current)

    select.on('input-value', lambda e: shown(e.args or ''))
    # the list opened again without typing (or after a pick) is the whole list again, not the last narrowing
    select.on('popup-hide', lambda: shown(''))
    return select
