"""A request's side details: tags, the order it is about, the bug report (severity, steps, status, fixed in),
duplicate, customer rating.

What a customer wrote (a rating comment) is shown with ui.label, as text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from backoffice.i18n import _
from backoffice.models import Order, Ticket, TicketType
from backoffice.resources.support import BUG_STATUSES, SEVERITIES
from backoffice.services import returns, ticket_input, tickets

from .forms import counted, page_dialog

Change = Callable[..., Awaitable[bool]]  # (fields to show errors at, **changes) → saved?


class TagsField:
    """The request's tags, built once and then updated where they are (never built anew), so that the text being typed
    in the field stays in the browser when a colleague changes the tags. A chip added or removed saves at once; one
    the save refused (a colleague changed the tags first: the warning names them) stays on the screen until Reload,
    which puts this agent's additions and removals over the colleague's tags and saves that."""

    def __init__(self, ticket: Ticket, *, may_write: bool, change: Change) -> None:
        self.built = list(ticket.tags or [])  # what the field showed of the stored tags: its save goes over those
        self.select = ui.select(
            list(self.built),  # copies: the select appends a tag typed anew to its options list
            value=list(self.built),
            label=_('Tags'),
            multiple=True,
            new_value_mode='add-unique',
            on_change=lambda e: self._save(list(e.value or []), change),
        )
        self.select.props('outlined dense use-chips use-input hide-dropdown-icon input-debounce=0')
        self.select.classes('w-full').mark('tags')
        self.select.props['hint'] = _('Type a tag and press Enter')
        if not may_write:
            self.select.disable()

    def unsaved(self, ticket: Ticket) -> bool:
        """The field holds chips neither built nor stored: a change the save refused."""
        on_screen = list(self.select.value or [])
        return on_screen != self.built and on_screen != list(ticket.tags or [])

    def show(self, ticket: Ticket, *, afresh: bool) -> None:
        """The stored tags, with (`afresh`: the warning's Reload) this agent's unsaved changes put over them."""
        stored, on_screen = list(ticket.tags or []), list(self.select.value or [])
        shown = stored
        if afresh:
            added = [tag for tag in on_screen if tag not in self.built and tag not in stored]
            removed = {tag for tag in self.built if tag not in on_screen}
            shown = [tag for tag in stored if tag not in removed] + added
        self.built = stored  # set first: showing the stored tags is no change to save
        self.select.set_options(list(dict.fromkeys([*stored, *shown])), value=shown)

    async def _save(self, value: list[str], change: Change) -> None:
        if value == self.built:
            return
        self.select.error = None
        await change({'tags': self.select}, tags=value)


def order_link(ticket: Ticket, order: Order | None, *, may_open: bool) -> None:
    """ "Order 100042" in the header: a link to the order when it is this customer's and the user may see orders."""
    if not ticket.order_number:
        return
    if order is not None and may_open:
        ui.link(_('Order {number}').format(number=order.number), f'/orders/{order.number}').mark('order-link')
    else:
        ui.label(_('Order {number}').format(number=ticket.order_number)).mark('order-ref')


def order_input(ticket: Ticket, *, found: bool, may_write: bool, change: Change) -> ui.input:
    """The order the request is about (its number or the shop's own order id), saved on Enter or when leaving it."""
    field = (
        counted(ui.input(_('Order no.'), value=ticket.order_number or ''), ticket_input.SHORT_LINE_MAX)
        .props('outlined dense')
        .classes('w-full')
        .mark('order-number')
    )
    if ticket.order_number:
        field.props['hint'] = (
            _("One of this customer's orders") if found else _('No order of this customer has this number')
        )
    elif returns.waits_for_order(ticket):  # else "Start a return" is missing with no word why
        field.props['hint'] = _("Enter the order's number to start a return")
    if not may_write:
        field.disable()
        return field

    async def save() -> None:
        value = (field.value or '').strip() or None
        if value != ticket.order_number:
            field.error = None
            await change({'order_number': field}, order_number=value)

    field.on('keydown.enter', save)
    field.on('blur', save)
    return field


def bug_panel(ticket: Ticket, *, may_write: bool, change: Change) -> dict[str, Any]:
    """Only for requests of type bug: its report, through to "fixed in version X". Returns its fields by name (none
    for another type), whose values `bug_values` says the same way."""
    if ticket.type != TicketType.bug:
        return {}
    with ui.card().classes('w-full gap-2').props('flat bordered').mark('bug-report'):
        with ui.row().classes('items-center gap-2'):
            ui.icon('bug_report').classes('text-red-700')
            ui.label(_('Bug report')).classes('font-medium')
        fields = {
            'severity': ui.select(
                _choices(SEVERITIES), label=_('Severity'), value=_value(ticket.severity), clearable=True
            ).mark('severity'),
            'bug_status': ui.select(
                _choices(BUG_STATUSES), label=_('Bug status'), value=_value(ticket.bug_status)
            ).mark('bug-status'),
            'fixed_in_version': counted(
                ui.input(_('Fixed in version'), value=ticket.fixed_in_version or ''), ticket_input.SHORT_LINE_MAX
            ).mark('fixed-in'),
            'steps': counted(ui.textarea(_('Steps to reproduce'), value=ticket.steps or ''), ticket_input.BODY_MAX)
            .props('autogrow')
            .mark('steps'),
        }
        for field in fields.values():
            field.props('outlined dense').classes('w-full')
            if not may_write:
                field.disable()
        if may_write:

            async def save() -> None:
                for field in fields.values():
                    field.error = None
                await change(fields, **on_screen(fields))

            ui.button(_('Save bug report'), icon='save', on_click=save).props('outline').mark('save-bug')
    return fields


def on_screen(fields: dict[str, Any]) -> dict[str, Any]:
    """What the bug report's fields hold, as saved (empty: None)."""
    return {name: (field.value or None) for name, field in fields.items()}


def bug_values(ticket: Ticket) -> dict[str, Any]:
    """The stored bug report, as `on_screen` says a panel's fields."""
    return {
        'severity': _value(ticket.severity),
        'bug_status': _value(ticket.bug_status),
        'fixed_in_version': ticket.fixed_in_version or None,
        'steps': ticket.steps or None,
    }


def duplicate_line(
    ticket: Ticket, original_number: int | None, *, may_write: bool, mark: Callable[[Any, ui.input], Awaitable[bool]]
) -> None:
    """ "Duplicate of #N" with a link, or the button to mark it as one (asks for the original's number)."""
    if original_number is not None:
        with ui.row().classes('items-center gap-1 text-sm').mark('duplicate-of'):
            ui.icon('content_copy').classes('text-gray-500')
            ui.label(_('Duplicate of'))
            ui.link(f'#{original_number}', f'/requests/{original_number}')
        return
    if not may_write or not tickets.may_mark_duplicate(ticket):
        return

    def ask() -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-sm'):
            ui.label(_('Mark as a duplicate')).classes('text-lg font-medium')
            ui.label(_('This request will be closed, with a note pointing to the original.')).classes('text-sm')
            number = (
                ui.input(_('Original request no.'))
                .props('outlined autofocus inputmode=numeric')
                .classes('w-full')
                .mark('duplicate-number')
            )

            async def confirm() -> None:
                number.error = None
                if await mark(number.value, number):
                    dialog.close()

            # Enter takes the number typed, as the merge and link dialogs' Enter does: it did nothing here
            number.on('keydown.enter', confirm)

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Mark as duplicate'), on_click=confirm).mark('confirm-duplicate')
        dialog.open()

    ui.button(_('Mark as duplicate'), icon='content_copy', on_click=ask).props('flat dense no-caps').mark('duplicate')


def rating_view(ticket: Ticket) -> None:
    if ticket.rating is None:
        return
    with ui.card().classes('w-full gap-1').props('flat bordered').mark('rating'):
        with ui.row().classes('items-center gap-2'):
            ui.label(_('Customer rating')).classes('font-medium')
            ui.rating(value=ticket.rating, max=5, size='sm').props('readonly color=amber-8')
            ui.label(f'{ticket.rating}/5').classes('text-sm text-gray-600')
        if ticket.rating_comment:
            ui.label(ticket.rating_comment).classes('text-sm whitespace-pre-wrap break-words').mark('rating-comment')


def _choices(choices: dict[str, str]) -> dict[str, str]:
    return {key: _(label) for key, label in choices.items()}


def _value(choice: Any) -> str | None:
    return None if choice is None else getattr(choice, 'value', choice)
