"""A select over another resource's records with server-side type-ahead (never loads a whole table)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from backoffice.db import read_session
from backoffice.listing import query, search
from backoffice.resources import RESOURCES
from backoffice.services import crud

from .first_suggestion import enter_takes_the_first
from .session import acting_user

MENU_CSS = (
    '.bo-related-menu { max-width: min(calc(100vw - 80px), 40rem) !important } '
    '.bo-related-menu .q-item__label { overflow-wrap: anywhere; min-width: 0 }'
)


def related_select(
    resource_key: str,
    label: str,
    *,
    value: int | None = None,
    empty_option: str | None = None,
    on_change: Callable | None = None,
) -> ui.select:
    """A select over another resource's records with server-side type-ahead (never loads a whole table);
    `empty_option` adds a first choice meaning "none" (query.NONE), for filters such as "No assignee": listed while
    nothing is typed or what is typed finds it ('no'), so the first suggestion of a name typed is a record."""
    target = RESOURCES[resource_key]

    def options(text: str = '') -> dict:
        """The suggestions for `text`, in the order listed: Enter takes the first (`first_suggestion`)."""
        user = acting_user()
        if user is None:
            return {}
        found: dict = search.in_labels({query.NONE: empty_option}, text) if empty_option else {}
        with read_session() as session:
            found.update(crud.lookup(session=session, actor=user, resource=target, text=text))
        return found

    def first_options() -> dict:
        found = options()
        user = acting_user()
        if user is not None and isinstance(value, int) and value not in found:
            with read_session() as session:
                found.update(crud.titles_for(session=session, resource=target, ids={value}))
        return found

    select = ui.select(first_options(), label=label, value=value, with_input=True, clearable=True, on_change=on_change)
    # its dropdown as wide as its longest option: a customer's long address ran it past a phone's edge, cut off, the
    # dialog's card beneath; as wide as the field at most now (a phone's dialog, its padding: 80 px narrower than the
    # window; 40rem, the widest form's), a long word wrapped (a constant: no value formatted into it)
    ui.add_css(MENU_CSS)
    select.props('popup-content-class=bo-related-menu')

    def typed(e) -> None:
        current = select.value
        found = options(e.args or '')
        if current is not None and current not in found:
            found[current] = select.options.get(current, str(current)) if isinstance(select.options, dict) else ''
        select.set_options(found, value=current)

    select.on('input-value', typed)
    return enter_takes_the_first(select, options)
