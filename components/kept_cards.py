"""A list of cards redrawn by live updates that keeps every card whose content did not change: a click the browser
sends from a card the server has just replaced is dropped without a word (NiceGUI knows no element by that id any
more), so a list drawn again on every colleague's change or job run loses the clicks made on it meanwhile."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from nicegui import ui


def key_of(*shown: Any) -> str:
    """A card's key from everything it shows or acts on (records as `model_dump(mode='json')`, texts, flags)."""
    return json.dumps(shown, default=str, sort_keys=True)


class KeptCards:
    """The cards in `box`, each drawn by its `draw` once and kept while its key stays the same; `empty` (a function
    drawing what an empty list says) shows instead when there is no card."""

    def __init__(self, box: ui.element, empty: Callable[[], Any]) -> None:
        self.box, self._empty = box, empty
        self._cards: dict[str, ui.element] = {}
        self._empty_shown: list[ui.element] = []

    def show(self, cards: list[tuple[str, Callable[[], ui.element]]]) -> None:
        """`cards`: (key, draw) in the order shown; `draw` returns the card it made."""
        kept, self._cards = self._cards, {}
        for element in self._empty_shown:
            if not element.is_deleted:
                element.delete()
        self._empty_shown = []
        keys = {key for key, _draw in cards}
        for key, card in kept.items():
            if key not in keys and not card.is_deleted:
                card.delete()
        with self.box:
            if not cards:
                known = set(self.box.default_slot.children)
                self._empty()
                self._empty_shown = [e for e in self.box.default_slot.children if e not in known]
                return
            for index, (key, draw) in enumerate(cards):
                card = kept.get(key)
                if card is None or card.is_deleted:
                    card = draw()
                if self.box.default_slot.children.index(card) != index:
                    card.move(self.box, target_index=index)
                self._cards[key] = card
