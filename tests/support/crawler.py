"""Crawls a screen in NiceGUI's simulated browser as a curious person would: every visible button, menu entry, tab and
the first rows of every list, every dialog these open (each tab, then submitted once empty and once filled in), and
fails on a server error, an error notification, or an action that gives no feedback at all. Buttons are found in the
element tree, so a new screen or action is crawled without a test being written for it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nicegui import background_tasks, ui
from nicegui.element import Element
from nicegui.elements.mixins.disableable_element import DisableableElement
from nicegui.elements.mixins.validation_element import ValidationElement
from nicegui.elements.mixins.value_element import ValueElement
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from nicegui.timer import Timer

from backoffice import i18n
from backoffice.models import Role

from .waiting import eventually

# the roles the crawl signs in as (test_crawler.py): built-in roles, and custom roles of one permission
# (`only:<permission>`: pages must not assume a built-in bundle). For these the crawl also asserts the access matrix's
# allowed half (each screen the role may open shows its title, not the no-access screen); test_access_matrix.py opens
# the screens they may not open
CRAWLED_ROLES = [r.value for r in Role] + ['only:tickets.read', 'only:orders.read', 'only:kpis.read']
# the roles whose account is in French for the crawl: every text its screens, rows, dialogs and answers ask for in
# French must have a translation (support/french.py), each screen's title shows in French (issue #14). The admin may
# open every screen
FRENCH_ROLES = {'admin'}
NO_ACCESS = "You don't have access to this page"
# what would end the crawl itself rather than test a screen (in English: `in_every_language` has them in each)
SKIPPED_LABELS = {'Log out'}
CLOSING_LABELS = {'Cancel', 'Close', 'Done', 'Not now', 'Keep'}
HOSTILE = 'Crawler\'s "test": <script>x</script>'
ROWS_OPENED = 2  # the first rows of each list
MAX_DEPTH = 2  # a dialog opened from a dialog is crawled; one opened from that only checked for feedback
# a page whose work has ended (`working`: no handler, live update or loading timer left) is settled once it has not
# changed for this long. The wait is pure sleep, paid at every settle (311 of them for the viewer's crawl alone, more
# for the admin's): 0.06 s cost the viewer's crawl 19 s of sleep, 0.02 s costs 6 s. It still spans two looks
# (`eventually` polls every 0.01 s), and what a finished handler sets off (events a worker thread published, the
# tasks they start) is already `working`
STEADY_SECONDS = 0.02
SHORT_TIMER_SECONDS = 1.0  # a one-off timer due within this is the page's work (a list loading), not a later chore
LONG_LIVED_SECONDS = 5.0  # a task still running after this is one of the app's loops, not an action's work
# loops waiting, not work: NiceGUI's own (waiting for something to send), and a list's countdown of due dates (sleeps
# 30 s between ticks, components/resource_table.py): without it a page with such a list was not settled until the loop
# was LONG_LIVED_SECONDS old, 5 s of sleep at every opening
IDLE_LOOPS = ('outbox loop', 'refresh bindings', 'list countdown')


@dataclass
class Crawl:
    user: User
    who: str
    language: str = i18n.SOURCE_LOCALE  # the signed-in account's: the screens' titles are looked for in it
    trail: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    actions: int = 0
    counter: int = 0
    first_seen: dict[asyncio.Task, float] = field(default_factory=dict)
    changes: int = 0  # changes the pages sent to the browser since the crawl first looked at them (`changed`)
    looks: dict[tuple[str, int], int] = field(default_factory=dict)  # (page, changes) -> fingerprint

    # --- the screen -------------------------------------------------------------------------------------------------

    async def screen(self, path: str, *, title: str, shell: bool = False) -> None:
        """Open the screen, which the role may open (it must show its `title`, not the no-access screen), and crawl
        it: its lists' first rows, then each of its buttons, menu entries and tabs (`shell`: also the header's and the
        menu's, done once per role)."""
        await self.open(path)
        shown_title = translated(title, self.language)
        if not self.user._sees(shown_title, None, None, None):  # noqa: SLF001  (should_see's look, without its waits)
            self.fail(f'may open {path} but does not see its title {shown_title!r}')
        if self.user._sees(translated(NO_ACCESS, self.language), None, None, None):  # noqa: SLF001
            self.fail(f'may open {path} but is shown the no-access screen')
        lists = len(self.lists(shell))
        for number in range(lists):
            for index in range(ROWS_OPENED):
                tables = self.lists(shell)  # found again: the page may have been opened again meanwhile
                if number < len(tables) and index < len(tables[number].rows):
                    await self.open_row(path, tables[number], index)
        for signature in [
            signature_of(e)
            for e in self.clickables(self.page_elements(shell=shell))
            if not isinstance(e, ui.table)  # its rows were opened above (a ListTable too, whatever its class name)
        ]:
            found = next(
                (e for e in self.clickables(self.page_elements(shell=shell)) if signature_of(e) == signature), None
            )
            if found is None:  # gone after an earlier action (e.g. a step of an order that is done)
                continue
            await self.act(found, f'{path}: {describe(found)}', depth=0)
            await self.back_to(path)

    def lists(self, shell: bool) -> list[ui.table]:
        return [e for e in self.clickables(self.page_elements(shell=shell)) if isinstance(e, ui.table)]

    async def open(self, path: str) -> None:
        self.trail.append(f'open {path}')
        await self.user.open(path)
        await self.settle()
        self.check(f'opening {path}')
        if current_path(self.user).startswith('/login'):
            self.fail(f'{path} asks to sign in: an action ended the session')

    async def back_to(self, path: str) -> None:
        """After an action: a dialog it left open (one the crawl does not go through: a read-only one with no main
        button, the second row's, one a dialog's submit opened) is closed as a person would, with Escape, and the
        crawl goes on from the page, as it does after a dialog it went through and closed; after a navigation, or a
        dialog that Escape does not close, the screen is opened again."""
        if current_path(self.user) == path and self.open_dialogs():
            await self.escape()
        if current_path(self.user) != path or self.open_dialogs():
            await self.open(path)

    async def escape(self) -> None:
        """Escape on each open dialog, the last opened first (one that Escape does not close is left open)."""
        for dialog in reversed(self.open_dialogs()):
            if {'persistent', 'no-esc-dismiss'} & set(dialog.props):
                return
            self.trail.append(f'Escape closes {describe(dialog)}')
            close(dialog)
            await self.settle()
            self.check(f'closing {describe(dialog)}')

    async def open_row(self, path: str, table: ui.table, index: int) -> None:
        row = table.rows[index]
        what = f'{path}: row {index + 1} of the list'
        before = self.snapshot()
        self.trail.append(what)
        with self.user.client:
            UserInteraction(self.user, {table}, None).trigger('rowClick', [{}, row, index])
        await self.feedback(before, what)
        opened = self.new_dialogs(before)
        if opened and index == 0:
            await self.dialog(opened[0], what, depth=1)
        await self.back_to(path)

    # --- one action -------------------------------------------------------------------------------------------------

    async def act(self, element: Element, what: str, *, depth: int) -> None:
        self.forget_field_errors()
        before = self.snapshot()
        self.trail.append(what)
        self.actions += 1
        with self.user.client:
            UserInteraction(self.user, {element}, None).click()
        await self.feedback(before, what)
        opened = self.new_dialogs(before)
        if opened and depth < MAX_DEPTH:
            await self.dialog(opened[0], what, depth=depth + 1)

    async def dialog(self, dialog: ui.dialog, what: str, *, depth: int) -> None:
        """Each tab; each other button (a nested dialog is crawled in turn); then submitted empty and filled in."""
        for tab in [e for e in self.clickables(shown_elements(dialog)) if isinstance(e, ui.tab)]:
            if dialog.value and not tab.is_deleted:
                await self.act(tab, f'{what} → tab {describe(tab)}', depth=depth)
        submit = primary_button(dialog)
        for signature in [signature_of(e) for e in self.clickables(shown_elements(dialog))]:
            if not dialog.value:
                return
            found = next((e for e in self.clickables(shown_elements(dialog)) if signature_of(e) == signature), None)
            if (
                found is None
                or found is submit
                or isinstance(found, (ui.tab, ui.table))
                or label(found) in in_every_language(frozenset(CLOSING_LABELS))
            ):
                continue
            if depth > 1:  # a dialog of a dialog: its own buttons are only its submit and cancel, checked below
                continue
            await self.act(found, f'{what} → {describe(found)}', depth=depth)
            for nested in self.open_dialogs():
                if nested is not dialog:
                    close(nested)
            await self.settle()
        submit = primary_button(dialog)
        if submit is None or not dialog.value:
            return
        originals = {id(e): e.value for e in inputs_of(dialog)}
        for element in inputs_of(dialog):
            element.value = None if isinstance(element, ui.number) else ''
        await self.act(submit, f'{what} → {describe(submit)} with every field empty', depth=MAX_DEPTH)
        if not dialog.value or dialog.is_deleted:
            return
        for element in inputs_of(dialog):
            element.value = originals.get(id(element)) or self.filled(element)
        for element in selects_of(dialog):
            if element.value in (None, '', []) and element.options:
                options = list(element.options)
                element.value = [options[0]] if element.multiple else options[0]
        submit = primary_button(dialog)
        if submit is not None and dialog.value:
            await self.act(submit, f'{what} → {describe(submit)} filled in', depth=MAX_DEPTH)
        if dialog.value and not dialog.is_deleted:
            close(dialog)
            await self.settle()

    def filled(self, element: ValueElement) -> Any:
        self.counter += 1
        name = ' '.join(  # as written in the code, whatever the language it is shown in
            english(str(text)) for text in (getattr(element, 'label', '') or '', element.props.get('label', ''))
        ).lower()
        if isinstance(element, ui.number):
            return element.props.get('min') or 1
        if element.props.get('inputmode') == 'numeric':  # a count typed as text (components/whole_number.py)
            return '1'
        if 'mail' in name:
            return f'crawler{self.counter}@example.com'
        if 'web' in name or 'url' in name or 'address' in name and 'http' in name:
            return 'https://example.com/crawler'
        return f'{HOSTILE} {self.counter}'

    # --- what the person notices ------------------------------------------------------------------------------------

    def forget_field_errors(self) -> None:
        """Before an action: errors an earlier action left at fields are cleared, so that the same error shown again
        counts as this action's answer (a person sees it again; without this the page would look unchanged)."""
        for element in self.elements():
            if isinstance(element, ValidationElement) and element.error:
                element.error = None

    def snapshot(self) -> tuple:
        notes = self.user.notify
        return (
            len(notes.calls),
            current_path(self.user),
            id(self.user.client),
            frozenset(d.id for d in self.open_dialogs()),
            len(self.user.download.http_responses),
            self.fingerprint(),
        )

    async def feedback(self, before: tuple, what: str) -> None:
        await eventually(
            lambda: self.errors or self.snapshot() != before, message=f'{self.who}: "{what}" gives the user feedback'
        )
        self.check(what)
        await self.settle()
        if any('not-found' in e._markers and shown(e) for e in self.elements()):  # noqa: SLF001
            self.fail(f'"{what}" leads to a page that does not exist')
        for args, kwargs in self.user.notify.calls[before[0] :]:
            if kwargs.get('type') == 'negative' or kwargs.get('color') == 'negative':
                self.fail(f'"{what}" showed an error message instead of an answer at a field: {args[0]!r}')
        self.check(what)

    async def settle(self) -> None:
        """Until the page's work has ended (its handlers, live updates and loading timers: see `working`) and the
        page has sent no change to the browser for a moment since."""
        last: list[Any] = [None, 0.0]

        def steady() -> bool:
            now = (self.changed(), len(self.open_dialogs()))
            if now != last[0] or self.working():
                last[0], last[1] = now, time.monotonic()
                return False
            return time.monotonic() - last[1] >= STEADY_SECONDS

        await eventually(steady, message=f'{self.who}: the page settles')

    def changed(self) -> tuple[str, int]:
        """The page, and how many changes it has sent to the browser (an element made, changed or deleted; a message
        or a navigation) since the crawl first looked at it: every change goes through the page's outbox."""
        client = self.user.client
        outbox = client.outbox
        if not getattr(outbox, '_crawl_counts', False):
            for name in ('enqueue_update', 'enqueue_delete', 'enqueue_message'):
                setattr(outbox, name, self._counting(getattr(outbox, name)))
            outbox._crawl_counts = True  # type: ignore[attr-defined]  # noqa: SLF001
        return client.id, self.changes

    def _counting(self, send: Callable[..., None]) -> Callable[..., None]:
        def counted(*args: Any, **kwargs: Any) -> None:
            self.changes += 1
            send(*args, **kwargs)

        return counted

    def fingerprint(self) -> int:
        """`fingerprint(user)`, computed again only when the page has sent a change since the last look."""
        key = self.changed()
        if key not in self.looks:
            self.looks = {key: fingerprint(self.user)}
        return self.looks[key]

    def working(self) -> bool:
        """Whether work the page started is still going on: an event handler or a live update (waiting on the
        database in a worker thread, say), a timer's callback running, or a one-off timer due soon (a list about to
        load). A repeating timer between two runs, NiceGUI's own loops and anything running for longer than
        LONG_LIVED_SECONDS (a loop of the app's) are not work to wait for."""
        now = time.monotonic()
        for task in list(background_tasks.running_tasks):
            if task.done() or task.get_name().startswith(IDLE_LOOPS):
                continue
            if now - self.first_seen.setdefault(task, now) > LONG_LIVED_SECONDS:
                continue
            coroutine = task.get_coro()
            frame = getattr(coroutine, 'cr_frame', None)
            timer = frame.f_locals.get('self') if frame is not None else None
            if isinstance(timer, Timer):
                invocation = timer._current_invocation  # noqa: SLF001
                if invocation is not None and not invocation.done():
                    return True
                if coroutine.cr_code.co_name == '_run_once' and timer.interval <= SHORT_TIMER_SECONDS:
                    return True
                continue
            return True
        return False

    def check(self, what: str) -> None:
        if self.errors:
            self.fail(f'the server logged an error after "{what}":\n' + '\n\n'.join(self.errors))

    def fail(self, message: str) -> None:
        trail = '\n  '.join(self.trail[-8:])
        raise AssertionError(f'{self.who}: {message}\n(last steps:\n  {trail})')

    # --- finding things ---------------------------------------------------------------------------------------------

    def page_elements(self, *, shell: bool) -> Iterator[Element]:
        """What a person sees on the page, outside dialogs (and the header and menu unless `shell`)."""

        def left_out(element: Element) -> bool:
            return isinstance(element, ui.dialog) or (not shell and isinstance(element, (ui.header, ui.left_drawer)))

        return shown_elements(self.user.client.layout, left_out=left_out)

    def clickables(self, elements: Iterable[Element]) -> list[Element]:
        """The elements among these (all shown: see `shown_elements`) that a person can click."""
        found = []
        for element in elements:
            if element.is_deleted:
                continue
            if isinstance(element, DisableableElement) and not element.enabled:
                continue
            if isinstance(element, ui.table):
                if element.rows and any(listener.type == 'rowClick' for listener in element._event_listeners.values()):  # noqa: SLF001
                    found.append(element)
            elif isinstance(element, ui.tab):
                if element.tabs is not None and element.tabs.value not in (element, element.props.get('name')):
                    found.append(element)
            elif isinstance(element, (ui.button, ui.menu_item)):
                if label(element) in in_every_language(frozenset(SKIPPED_LABELS)):
                    continue
                if any(marker.startswith('language-') for marker in element._markers):  # noqa: SLF001
                    continue  # the user menu's language choice: the crawl stays in its language (test_languages.py)
                # a click the browser handles alone (the menu button toggles the drawer there: components/shell.py)
                # sends the server nothing, so the simulated browser has nothing to see: tests/browser covers it
                if any(
                    listener.type == 'click' and listener.handler is not None
                    for listener in element._event_listeners.values()  # noqa: SLF001
                ):
                    found.append(element)
        return found

    def elements(self) -> list[Element]:
        """Every element of the page, in the order they were made (a look-up in the page's table of elements, much
        cheaper than walking its tree)."""
        return list(self.user.client.elements.values())

    def open_dialogs(self) -> list[ui.dialog]:
        return [e for e in self.elements() if isinstance(e, ui.dialog) and e.value and not e.is_deleted]

    def new_dialogs(self, before: tuple) -> list[ui.dialog]:
        return [d for d in self.open_dialogs() if d.id not in before[3]]


def shown_elements(root: Element, *, left_out: Callable[[Element], bool] = lambda _: False) -> Iterator[Element]:
    """`root` and its descendants that a person can see (or reach by opening a menu), in page order, in one walk
    down the tree (`shown` for every element would climb to the top from each); `left_out`: subtrees not to enter."""
    pending = [root]
    while pending:
        element = pending.pop()
        if not element.visible or (element is not root and left_out(element)):
            continue
        if isinstance(element, ui.dialog) and not element.value:
            continue
        if isinstance(element, ui.tab_panel) and not _current_panel(element):
            continue
        yield element
        pending.extend(reversed(list(element)))


def _current_panel(panel: ui.tab_panel) -> bool:
    """A tab panel is shown when it is the current one of its tab panels (or is not in any)."""
    slot = panel.parent_slot
    if slot is None or not isinstance(slot.parent, ui.tab_panels):
        return True
    value = slot.parent.value
    return (value.props.get('name') if isinstance(value, ui.tab) else value) == panel.props.get('name')


def shown(element: Element) -> bool:
    """What a person can see (or reach by opening a menu): not hidden, not in a closed dialog or another tab."""
    for each in (element, *element.ancestors()):
        if not each.visible:
            return False
        if isinstance(each, ui.dialog) and not each.value:
            return False
        if isinstance(each, ui.tab_panel) and not _current_panel(each):
            return False
    return True


def label(element: Element) -> str:
    own = str(getattr(element, 'text', '') or element.props.get('label') or '').strip()
    if own or isinstance(element, (ui.table, ui.dialog)):
        return own
    return next((str(e.text).strip() for e in element.descendants() if str(getattr(e, 'text', '') or '').strip()), '')


def describe(element: Element) -> str:
    name = label(element) or element.props.get('icon') or element.props.get('aria-label') or ''
    return f'{type(element).__name__.lower()} "{name}"'


def signature_of(element: Element) -> tuple:
    return (type(element).__name__.lower(), label(element), element.props.get('icon'), tuple(sorted(element._markers)))  # noqa: SLF001


def primary_button(dialog: ui.dialog) -> ui.button | None:
    """The dialog's main button: its last button that is neither flat nor outlined (Save, Create, Confirm…)."""
    buttons = [
        e
        for e in dialog.descendants()
        if isinstance(e, ui.button)
        and shown(e)
        and e.enabled
        and label(e)
        and label(e) not in in_every_language(frozenset(CLOSING_LABELS))
        and not {'flat', 'outline'} & set(e.props)
    ]
    return buttons[-1] if buttons else None


def inputs_of(dialog: ui.dialog) -> list[ValueElement]:
    return [
        e
        for e in dialog.descendants()
        if isinstance(e, (ui.input, ui.textarea, ui.number))
        and shown(e)
        and not e.props.get('readonly')
        and (not isinstance(e, DisableableElement) or e.enabled)
    ]


def selects_of(dialog: ui.dialog) -> list[ui.select]:
    return [e for e in dialog.descendants() if isinstance(e, ui.select) and shown(e) and e.enabled]


def close(dialog: ui.dialog) -> None:
    """As a person closing it with Escape."""
    dialog.close()


def translated(text: str, language: str) -> str:
    """The text as a reader in that language sees it (looked up without telling i18n.on_missing)."""
    return str(i18n.translations(language).gettext(text))


@cache
def in_every_language(texts: frozenset[str]) -> frozenset[str]:
    return frozenset(translated(text, language) for text in texts for language in i18n.available())


@cache
def _english_of() -> dict[str, str]:
    found: dict[str, str] = {}
    for language in i18n.available():
        for key, value in getattr(i18n.translations(language), '_catalog', {}).items():
            if isinstance(key, str) and isinstance(value, str) and value:
                found.setdefault(value, key.rpartition('\x04')[2])
    return found


def english(text: str) -> str:
    """A text shown in another language as the code writes it (a label: 'E-mail' → 'Email'), else itself."""
    return _english_of().get(text, text)


def current_path(user: User) -> str | None:
    return user.back_history[-1] if user.back_history else None


def fingerprint(user: User) -> int:
    """What a person sees on the page, as one number: the visible elements with their texts, values, icons (a copy
    button's checkmark is its only answer) and errors."""
    parts = []
    for element in shown_elements(user.client.layout):
        value = element.value if isinstance(element, ValueElement) else None
        parts.append(
            (
                element.id,
                str(getattr(element, 'text', '') or element.props.get('label') or ''),  # a container's: its children's
                tuple(element.classes),
                repr(value),
                element.props.get('icon'),
                element.props.get('error'),
                element.props.get('error-message'),
                len(element.rows) if isinstance(element, ui.table) else None,
                repr(element.rows[:3]) if isinstance(element, ui.table) else None,
            )
        )
    return hash(tuple(parts))


class ErrorLog(logging.Handler):
    """Collects what the server logs at ERROR (or with an exception) while the crawl runs, to name the action."""

    def __init__(self, crawl: Crawl) -> None:
        super().__init__(level=logging.DEBUG)
        self.crawl = crawl

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            text = record.getMessage()
            if record.exc_info:
                text += '\n' + logging.Formatter().formatException(record.exc_info)
            self.crawl.errors.append(text)
