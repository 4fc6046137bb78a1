"""Enter in a picker takes the first suggestion for exactly what is in its field at that moment, as a person expects:
the browser sends the text with the Enter and the server reads the suggestions of that text, never the list on the
screen, which may still be that of fewer letters (typed fast, then Enter at once: a list fetched from the server, or
Quasar's own filter, which runs a moment after each letter, had not caught up, and Enter took the first suggestion of
an earlier, shorter text). Nothing matches: the field says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.i18n import N_, _

NOTHING_MATCHES = N_('Nothing matches “{text}”')

# Quasar's documented way ("focus first option after filtering"): after the list is narrowed to what was typed, its
# first option is highlighted, showing what Enter will take. A second `filter` listener beside NiceGUI's own, which
# narrows the options: Quasar runs this after-update function once both have answered.
HIGHLIGHT_FIRST = (
    '(typed, update) => update(null, (select) => { if (typed !== "" && select.options.length > 0) '
    '{ select.setOptionIndex(-1); select.moveOptionSelection(1, true); } })'
)

# Quasar hands its keydown to listeners before acting on it and skips a key marked `qKeyEvent`: Enter with text in the
# field goes to the server with that text, read from the input at that moment. Quasar keeps its own Enter, which takes
# the highlighted option, when the field is blank (it opens or closes the list) and when the person moved the highlight
# at this very text, by an arrow or page key or by the pointer over an option (Quasar's own hover highlight): they
# chose among the suggestions shown. A highlight they did not move is the first suggestion's, perhaps that of fewer
# letters (the list a moment behind the typing): the server's first for the text takes its place. The pointer is
# followed by one listener for the page (an option's id is its field's id, '_' and its index), set at the first key in
# a picker; a letter typed or an Enter forgets the move (the same text typed again later is a new list). An arrow or
# page key in the open list moves the highlight only (a page: as many options as the list shows): Quasar's own
# (fill-input) wrote the highlighted option's name into the field, which the page read as typed and narrowed the list to
# that one option; the field keeps what was typed until Enter or a click picks (the list closed: Quasar's ArrowDown
# opens it, a page key does nothing). Home and End move the caret in the text, as in any text field: Quasar's took the
# first or last option, its name written into the field, when the field was blank (QSelect leaves them to the caret
# only while it holds text).
ENTER_WITH_THE_TEXT = (
    '(e) => { const input = e.target; if (!input || input.value === undefined) return; '
    'if (!window.boPickerPointer) { window.boPickerPointer = true; document.addEventListener("mousemove", (m) => { '
    'const item = m.target.closest ? m.target.closest("[role=option]") : null; if (!item || !item.id) return; '
    'const field = document.getElementById(item.id.slice(0, item.id.lastIndexOf("_"))); '
    'if (field && field.value !== undefined) field.boMovedAt = field.value; }, true); } '
    'if (e.key === "Home" || e.key === "End") { e.qKeyEvent = true; return; } '
    'const paging = e.key === "PageUp" || e.key === "PageDown"; '
    'if (paging || e.key === "ArrowUp" || e.key === "ArrowDown") { if (paging) e.qKeyEvent = true; '
    'const picker = input.getAttribute("aria-expanded") === "true" '
    '&& typeof getElement === "function" ? getElement(input)?.$refs?.qRef : null; '
    'if (!picker || !picker.moveOptionSelection) { if (!paging) input.boMovedAt = input.value; return; } '
    'input.boMovedAt = input.value; e.qKeyEvent = true; e.preventDefault(); e.stopPropagation(); '
    'if (!paging) { picker.moveOptionSelection(e.key === "ArrowUp" ? -1 : 1, true); return; } '
    'const shown = [...document.querySelectorAll("[role=option]")].filter((o) => o.id.startsWith(input.id + "_")); '
    'const box = shown.length ? shown[0].closest(".q-menu") : null; const tall = box ? shown[0].offsetHeight : 0; '
    'const page = tall ? Math.max(1, Math.floor(box.clientHeight / tall)) : 1; '
    'const last = (picker.options || []).length - 1; if (last < 0) return; const down = e.key === "PageDown"; '
    'const to = down ? Math.min(last, picker.getOptionIndex() + page) : Math.max(0, picker.getOptionIndex() - page); '
    'picker.setOptionIndex(down ? to - 1 : to + 1); picker.moveOptionSelection(down ? 1 : -1, true); return; } '
    'if (e.key.length === 1 || e.key === "Backspace" || e.key === "Delete") { input.boMovedAt = null; return; } '
    'if (e.key !== "Enter" || e.isComposing || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey) return; '
    'const moved = input.boMovedAt === input.value; input.boMovedAt = null; '
    'if (input.value.trim() === "") return; '
    'const highlighted = [...document.querySelectorAll(".q-manual-focusable--focused")]'
    '.some((item) => item.id.startsWith(input.id + "_")); '
    'if (highlighted && moved) return; '
    'e.qKeyEvent = true; e.preventDefault(); e.stopPropagation(); emit(input.value); }'
)


def enter_takes_the_first(select: ui.select, suggestions: Callable[[str], dict[Any, str]]) -> ui.select:
    """Enter takes the first of `suggestions(text)` for the text in the field when Enter was pressed: the picker's own
    suggestions for a text, in the order it lists them (the same function its list is narrowed by). Tab no longer picks
    a suggestion (one is highlighted whenever something is typed: leaving the field would pick it). Enter on the name
    of the one already picked keeps it."""
    said: dict[str, str | None] = {'error': None}  # the field's "nothing matches", cleared by typing

    def entered(e: Any) -> None:
        text = e.args if isinstance(e.args, str) else ''
        current = select.value
        options = select.options if isinstance(select.options, dict) else {}
        if current is not None and str(options.get(current, '')).strip() == text.strip():
            select.run_method('hidePopup')
            return
        found = suggestions(text)
        if not found:
            said['error'] = _(NOTHING_MATCHES).format(text=text.strip())
            select.error = said['error']
            select.run_method('hidePopup')  # the list (the one picked before, kept named) covered the message
            return
        first = next(iter(found))
        _clear(select, said)
        select.set_options(dict(found), value=first)
        # the field shows the name picked, as Quasar's own pick fills it (a value set from here leaves the letters
        # typed in the field: Quasar keeps what a person typed), without narrowing the list again
        select.run_method('updateInputValue', str(found[first]), True, True)
        select.run_method('hidePopup')

    select.on('keydown', entered, js_handler=ENTER_WITH_THE_TEXT)

    def typed(e: Any) -> None:
        _clear(select, said)
        if isinstance(e.args, str) and e.args.strip():
            # the suggestions for the text, just set by the picker's own listener (registered before this one), replace
            # the list Quasar's filter highlighted the first of: a list of another length loses that highlight
            # (Quasar's redraw), so the first of the new list is highlighted again, showing what Enter takes (after
            # the list's update in the browser: messages follow the updates sent before them)
            select.run_method('setOptionIndex', -1)
            select.run_method('moveOptionSelection', 1, True)

    select.on('input-value', typed)
    select.on('filter', js_handler=HIGHLIGHT_FIRST)
    select.props('disable-tab-selection')
    return select


def _clear(select: ui.select, said: dict[str, str | None]) -> None:
    """Take back the field's "nothing matches" (only that: an error a save left there stays)."""
    if said['error'] is not None and select.error == said['error']:
        select.error = None
    said['error'] = None
