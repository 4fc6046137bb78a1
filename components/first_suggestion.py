"""Enter in a type-ahead takes its first suggestion once typing has narrowed the list, as a person expects: Quasar's
select highlights no option after filtering, and Enter with none highlighted did nothing (an arrow key first)."""

from __future__ import annotations

from nicegui import ui

# Quasar's documented way ("focus first option after filtering"): after the list is narrowed to what was typed, its
# first option is highlighted; Enter then takes it as if picked by an arrow key. A second `filter` listener beside
# NiceGUI's own, which narrows the options: Quasar runs this after-update function once both have answered.
HIGHLIGHT_FIRST = (
    '(typed, update) => update(null, (select) => { if (typed !== "" && select.options.length > 0) '
    '{ select.setOptionIndex(-1); select.moveOptionSelection(1, true); } })'
)


def enter_takes_the_first(select: ui.select) -> ui.select:
    """Highlight the first suggestion as the person types; Enter takes it. Tab no longer picks a suggestion (one is
    highlighted whenever something is typed: leaving the field would pick it). A touch device highlights none
    (Quasar's setOptionIndex is for desktops): a tap picks there."""
    select.on('filter', js_handler=HIGHLIGHT_FIRST)
    select.props('disable-tab-selection')
    return select
