"""Form helpers: call a service and show its error in the right place — each field's message at its field, a
whole-form message in the dialog's message line, else as a notification — plus page-owned dialogs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar

from nicegui import core, run, ui
from nicegui.elements.mixins.value_element import ValueElement

from backoffice import formatting, i18n, write_failures
from backoffice.errors import PermissionDenied, ServiceError, StaleRecord, ValidationFailed
from backoffice.i18n import _

T = TypeVar('T')


class _Failed:
    """What call() returns when the service refused: the error is already shown."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return 'FAILED'


FAILED: Final = _Failed()


async def call(
    fn: Callable[..., T],
    *args: Any,
    fields: dict[str, ui.element] | None = None,
    message: ui.label | None = None,
    on_stale: Callable[[StaleRecord], Any] | None = None,
    **kwargs: Any,
) -> T | _Failed:
    """Run a service call in a worker thread (never on the event loop). A ServiceError is shown where it belongs
    (see show_error) and FAILED is returned; `on_stale` handles someone else's newer save instead."""
    _clear(fields, message)
    try:
        result = await run.io_bound(in_language, i18n.current(), fn, *args, **kwargs)
    except StaleRecord as error:
        if on_stale is None:
            show_error(error, fields, message=message)
        else:
            on_stale(error)
        return FAILED
    except (ServiceError, PermissionDenied) as error:  # a role that lost the permission while the page was open
        show_error(error, fields, message=message)
        return FAILED
    if result is None and core.app.is_stopping:
        # NiceGUI answers None instead of running the call while the app shuts down (4.0 will cancel instead):
        # the page is going away, so end its handler as cancelled rather than hand it a result that is not one
        raise asyncio.CancelledError
    return result


def in_language(language: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run fn in the caller's language: a worker thread has no page, so the texts of what it raises (a ServiceError)
    or returns would otherwise be in the default language."""
    with i18n.use(language):
        try:
            return fn(*args, **kwargs)
        except write_failures.MACHINE_ERRORS as error:  # the machine, not the input: say so
            failure = write_failures.classify(error)
            if failure is None:
                raise
            raise failure from error


def call_now(
    fn: Callable[..., T],
    *args: Any,
    fields: dict[str, ui.element] | None = None,
    message: ui.label | None = None,
    **kwargs: Any,
) -> T | _Failed:
    """call() for a quick read that may stay on the event loop (one row by id, a file already in memory)."""
    _clear(fields, message)
    try:
        return fn(*args, **kwargs)
    except (ServiceError, PermissionDenied) as error:
        show_error(error, fields, message=message)
        return FAILED


E = TypeVar('E', bound=ui.element)


def counted(field: E, most: int) -> E:
    """A text field that takes at most `most` characters (the service's limit) and counts them under it in the
    reader's figures ("1,200 / 2,000"; French "1 200 / 2 000"), so typing that stops at the limit says why; a longer
    text sent another way is still refused at the field. The count follows each letter typed (the browser sends the
    field's text as it is typed): Quasar's own counter wrote the raw numbers ("1200 / 2000") and takes no format, so
    its slot shows the count instead, worked out as every number a person reads is (`formatting.number`)."""
    field.props['maxlength'] = most  # a value, never parsed as props
    field.props['counter'] = True  # keeps the field's bottom line, where the count shows, in its slot below
    with field.add_slot('counter'):
        count = ui.label().mark('character-count')

    language = i18n.current()  # the page's, also for a value set where no page is known (a worker thread)

    def show(*_event: Any) -> None:
        with i18n.use(language):
            typed = formatting.number(len(getattr(field, 'value', None) or ''))
            count.text = COUNT.format(count=typed, most=formatting.number(most))

    show()
    if isinstance(field, ValueElement):
        field.on_value_change(show)
    return field


COUNT = '{count} / {most}'  # no words: the same in every language, its figures the reader's


def not_counted(field: ui.element) -> None:
    """A field no longer typed into (shown read-only) counts nothing: on a value that cannot change, it is noise."""
    field.props['counter'] = False
    for count in field.slots['counter'].children if 'counter' in field.slots else []:
        count.set_visibility(False)


def error_line() -> ui.label:
    """The line of a dialog where a message about the whole form appears (hidden until there is one)."""
    line = ui.label().classes('text-negative text-sm').mark('form-error').props('role=alert')
    line.set_visibility(False)
    return line


def clear_errors(fields: dict[str, ui.element]) -> None:
    for field in fields.values():
        field.error = None


def _clear(fields: dict[str, ui.element] | None, message: ui.label | None) -> None:
    clear_errors(fields or {})
    if message is not None:
        message.set_visibility(False)


def show_error(
    error: ServiceError | PermissionDenied,
    fields: dict[str, ui.element] | None = None,
    *,
    message: ui.label | None = None,
) -> None:
    """Put each message at its field; what no field shows goes to the dialog's message line if there is one, else
    into a notification, so nothing is lost silently."""
    fields = fields or {}
    unplaced = []
    if isinstance(error, ValidationFailed):
        for name, text in error.errors.items():
            if name in fields:
                fields[name].error = text
            else:
                unplaced.append(text)
        # the first field in error, in the form's order, brought into view: after typing a long text at the foot of a
        # form, a title refused at its top was scrolled away and pressing Save seemed to do nothing
        first = next((element for name, element in fields.items() if name in error.errors), None)
        if first is not None and hasattr(first, 'error'):
            if getattr(first, 'focusable', True):  # a switch has no focus method (components/flag_switch.py)
                first.run_method('focus')  # Quasar focuses without scrolling: scroll it to the middle of its form too
            scroll_into_view(first)
    else:
        unplaced.append(str(error))
    if not unplaced:
        return
    if message is not None:
        message.text = ' '.join(unplaced)
        message.set_visibility(True)
    else:
        ui.notify(' '.join(unplaced), type='negative', multi_line=True)


# a long dialog (a record's form, an import's preview): the card no taller than Quasar's dialog allows, its body taking
# what is left and scrolling, the action bar below it never scrolled away
# (88 px: the 64 px above a dialog left for notifications, components/notices.NOTICE_ROOM, and Quasar's 24 px below)
BOUNDED_CARD = 'max-height: calc(100dvh - 88px); flex-wrap: nowrap; overflow: hidden'
# padding-bottom: a field's box reaching 1 px past its own (the password field's) gave a dialog with room to spare a
# scrollbar (New user at 1440×900)
SCROLLING_BODY = (
    'flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden; flex-wrap: nowrap; padding-bottom: 4px'
)


@contextmanager
def page_dialog() -> Iterator[ui.dialog]:
    """A dialog that belongs to the page, not to the element that opened it (a list refresh may delete that one),
    and that removes itself once the browser has hidden it."""
    with ui.context.client.content:
        dialog = ui.dialog()
    dialog.on('hide', dialog.delete)
    with dialog:
        yield dialog


def hold_while_edited(dialog: ui.dialog, *elements: Any) -> None:
    """With something typed or chosen in `elements` (None: skipped), Escape or a tap beside the dialog no longer closes
    it (Quasar shakes it instead): on a phone a tap beside a role's 33 ticks or a check-in's comment closed it without
    a word and the work was gone. Cancel still closes it, as asked; so does saving. As a declared form does."""
    watched = [element for element in elements if element is not None]
    first = [element.value for element in watched]

    def changed() -> None:
        edited = any(_blank(element.value) != _blank(value) for element, value in zip(watched, first, strict=True))
        if bool(dialog.props.get('persistent')) != edited:
            dialog.props['persistent'] = edited
            dialog.update()

    for element in watched:
        element.on_value_change(changed)


def _blank(value: Any) -> Any:
    return None if value == '' else value  # a field emptied again is as it opened (None or '')


def show_secret_once(label: str, secret: str, *, note: str = '') -> None:
    """A generated password or key, shown only now: it is stored hashed and cannot be shown again. `note`: why it is
    shown (already translated)."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(label).classes('text-lg font-medium')
        if note:
            ui.label(note).classes('text-sm').mark('secret-note')
        ui.label(_('Shown only now. Pass it on safely.')).classes('text-sm')
        with ui.row().classes('w-full items-center no-wrap gap-1'):
            ui.input(value=secret).props('readonly outlined').classes('grow font-mono').mark('generated-password')
            copy = ui.button(icon='content_copy', on_click=lambda: copy_to_clipboard(secret)).props('flat round')
            copy.props['aria-label'] = _('Copy')
            copy.tooltip(_('Copy')).mark('copy-secret')
        ui.button(_('Done'), on_click=dialog.close).classes('self-end')
    dialog.open()


def copy_to_clipboard(text: str) -> None:
    ui.clipboard.write(text)  # passed to the browser as a JSON string, never as code
    ui.notify(_('Copied to the clipboard.'), type='positive')


async def confirm(question: str, yes: str, *, title: str | None = None) -> bool:
    """Ask before going on; True only when the person chose `yes` (a label that says what happens). The caller passes
    texts already translated."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('confirm-dialog'):
        ui.label(title or _('Please confirm')).classes('text-lg font-medium')
        ui.label(question).classes('break-words').mark('confirm-question')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(_('Cancel'), on_click=lambda: dialog.submit(False)).props('flat').mark('confirm-no')
            ui.button(yes, on_click=lambda: dialog.submit(True)).mark('confirm-yes')
    return bool(await dialog)


def scroll_into_view(element: ui.element, *, to_top: bool = False) -> None:
    """Scroll the page to an element, to the middle of the screen (a field in error), or `to_top` (a section's heading:
    give it a `scroll-margin-top` to stay clear of the page's header). Through the element's own client: a handler may
    run without a slot (a background task, a test's call)."""
    where = '{block: "start", behavior: "smooth"}' if to_top else '{block: "center"}'
    element.client.run_javascript(f'getHtmlElement({int(element.id)})?.scrollIntoView({where})')
