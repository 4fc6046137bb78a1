"""A form line's product (a purchase's, a draft order's), suggested by the server for what is typed."""

from __future__ import annotations

from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import _
from backoffice.services import catalog

from .first_suggestion import enter_takes_the_first
from .session import acting_user


def product_picker(value: int | None = None, named: str = '') -> ui.select:
    """Products suggested by the server for what is typed (`catalog.product_choices`: by SKU or name, in the whole
    catalogue), named 'SKU · name'; Enter takes the first suggestion. `value`: the product a saved line holds, shown as
    `named` when it is not among the first suggestions (or no longer in the catalogue)."""

    def options(text: str = '') -> dict[int, str]:
        user = acting_user()
        if user is None:
            return {}
        with read_session() as session:
            return catalog.product_choices(session=session, actor=user, text=text)

    first = options()
    if value is not None and value not in first:
        first[value] = named or _('Product {id}').format(id=value)
    select = ui.select(first, label=_('Product'), value=value, with_input=True)

    def shown(text: str) -> None:
        current = select.value
        named = select.options.get(current) if isinstance(select.options, dict) else None
        if current is not None and text == named:  # the field filled with the pick's name, not typed
            text = ''
        found = options(text)
        if current is not None and current not in found:
            found[current] = named or str(current)
        select.set_options(found, value=current)

    select.on('input-value', lambda e: shown(e.args or ''))
    select.on('popup-hide', lambda: shown(''))  # opened again: the first suggestions again, not the last narrowing
    return enter_takes_the_first(select, options)
