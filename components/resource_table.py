"""The list of any declared resource: server-side paging (keyset), sort, search, filters, columns, live refresh."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from nicegui import background_tasks, run, ui

from backoffice import i18n, stored_text
from backoffice.db import read_session
from backoffice.engine.declaration import link_fields, shown, shown_choices
from backoffice.formatting import due, money, number
from backoffice.i18n import N_, _
from backoffice.listing import query
from backoffice.listing.filters import day_range_from_address, typed_number
from backoffice.models import User
from backoffice.permissions import can, permissions_of, require
from backoffice.resources import RESOURCES, Resource
from backoffice.services import crud

from . import live, page_work, viewport
from .bulk_bar import BulkBar, BulkTool
from .date_input import DateInput
from .export_menu import export_menu
from .forms import FAILED, call
from .menu_on_open import MenuOnOpen
from .related_select import related_select
from .resource_cards import PhoneSort, as_cards, card_of
from .saved_views import SavedViews
from .session import acting_user, checked_together, once_connected

PAGE_SIZES = [10, 25, 50, 100]
NOTHING_MATCHES = N_('Nothing matches: clear the search or a filter to see more.')
REFRESH_DELAY = 0.1  # after a change's reload, seconds further changes wait: a burst reloads twice, not N times

_SHARED: dict[tuple, Future] = {}  # (resource, generation, …) → the check all lists of that queue share
_READS: dict[tuple, asyncio.Future] = {}  # (resource, generation, page, language) → the read its lists share
_SHARED_LOCK = threading.Lock()


# on a phone cells are padded less, and a text cell wraps (a long email address) instead of pushing the columns beside
# it out of sight. Wider, a text cell (bo-clip) shows one line, at most 16rem wide, ended by an ellipsis when the
# value is longer (the whole value in the cell's title): the value may break anywhere, so the table can narrow such a
# column to fit its width (a long name, a long email and a long company side by side), where a value kept on one line
# by nowrap made the table scroll sideways and pushed the later columns out of sight. A column is narrowed no further
# than 12 characters of its values (--bo-len, a value's length, set by list_table.js): a short value ('New',
# 'Question') stays whole beside a wide one. A heading wraps between its words ('Échéance / SLA'), so a column is
# as wide as its values need, not as its heading on one line; its sort arrow stays with the last word (HEADING: a
# line may break before the arrow q-th adds, which left 'N°' and 'Priorité' a line above the other headings, so that
# arrow is hidden and the same one drawn inside the last word's unbreakable span); and cells are padded
# 12 px a side, not Quasar's 16: a table of nine columns gains 72 px (the French requests list, an SLA overdue by
# years beside 'Mise à jour', was 8 px wider than its box and scrolled sideways). (A constant: no value is ever
# formatted into markup.)
LIST_CSS = (
    '@media (max-width: 599.98px) { '
    '.resource-table th, .resource-table td { padding-left: 6px; padding-right: 6px } '
    '.resource-table th:first-child, .resource-table td:first-child { padding-left: 4px; padding-right: 0 } '
    '.resource-table td.bo-wraps { white-space: normal; overflow-wrap: anywhere; '
    'min-width: 5rem !important } } '
    '@media (min-width: 600px) { '
    '.resource-table th { white-space: normal; overflow-wrap: normal; word-break: normal } '
    '.resource-table th > .q-table__sort-icon { display: none } .bo-head-end { white-space: nowrap } '
    '.resource-table th, .resource-table td { padding-left: 12px; padding-right: 12px } '
    '.resource-table td.bo-clip .bo-clip-text { '
    'display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 1; line-clamp: 1; overflow: hidden; '
    'white-space: normal; overflow-wrap: anywhere; word-break: break-all; '
    'min-width: calc(min(var(--bo-len, 12), 12) * 1ch); max-width: 16rem } } '
    # a part the width cookie's guess left out of the first paint (components/viewport.py) that this window shows
    # after all: what comes after it waits, unseen, until it is built, so that no row is shown where it would then be
    # pushed from under a click (the filters on a window wider than the cookie said, a phone's sort on a narrower)
    '@media (min-width: 640px) { .bo-filters-pending ~ * { visibility: hidden } } '
    '@media (max-width: 599.98px) { .bo-sort-pending, .bo-sort-pending ~ * { visibility: hidden } }'
)
# every heading: q-th (its sort on click, its classes) with its last word and sort arrow kept on one line (LIST_CSS);
# the label is shown as text
HEADING = (
    '<q-th :props="props">{{ props.col.label.slice(0, props.col.label.lastIndexOf(\' \') + 1) }}'
    '<span class="bo-head-end">{{ props.col.label.slice(props.col.label.lastIndexOf(\' \') + 1) }}'
    '<q-icon v-if="props.col.sortable" name="arrow_upward" :class="props.col.__iconClass" /></span></q-th>'
)
# a column declared to wrap: over lines, long words broken anywhere, and no wider than that (a long subject would
# otherwise take the width the other columns' values need)
WRAPPED = 'white-space: normal; min-width: 12rem; max-width: 28rem; overflow-wrap: anywhere'
TEXT_KINDS = ('text', 'email', 'related', 'choice', 'stored_text')  # words: they may wrap or be cut, numbers never
# one template for every 'due' column (and alarming one): the row carries _late_<column>; nothing from data is
# formatted into it; a text column's is cut as the others (LIST_CSS)
LATE_CELL = (
    '<q-td :props="props" :title="props.value || null" :style="{\'--bo-len\': String(props.value ?? \'\').length}">'
    '<span class="bo-clip-text" :class="props.row[\'_late_\' + props.col.name] '
    "? 'text-red-8 text-weight-bold' : ''\">{{ props.value }}</span></q-td>"
)
# a cell that names another record links to it (row's _link_<column>, a path the server made); the click opens the
# link, not the row
LINK_CELL = (
    '<q-td :props="props" :title="props.value || null" :style="{\'--bo-len\': String(props.value ?? \'\').length}">'
    '<a v-if="props.row[\'_link_\' + props.col.name]" :href="props.row[\'_link_\' + props.col.name]" '
    'class="text-primary bo-clip-text" @click.stop>{{ props.value }}</a>'
    '<div v-else class="bo-clip-text">{{ props.value }}</div></q-td>'
)


class ListCaption(ui.element, component='list_caption.js'):
    """The line over a list ('3,000 requests'); a live change sets it in the browser with the table's rows
    (`ListTable.patch_rows`), without an update of this element, which would render the whole page again."""

    def __init__(self, text: str = '') -> None:
        super().__init__()
        self._props['text'] = text
        self._props['stamp'] = 0  # each text sent: the browser shows it even when its prop had that text already
        self._told_in_a_patch = False

    @property
    def text(self) -> str:
        return self._props['text']

    @text.setter
    def text(self, value: str) -> None:
        if value != self._props['text'] or self._told_in_a_patch:
            self._props['text'] = value
            self._props['stamp'] += 1
            self._told_in_a_patch = False
            self.update()

    def show_quietly(self, text: str) -> None:
        """Change the text here only: the browser is told with the rows' patch."""
        with self._props.suspend_updates():
            self._props['text'] = text
        self._told_in_a_patch = True


class ListTable(ui.table, component='list_table.js'):
    """ui.table whose pagination, echoed back by the browser unchanged (Quasar reports it when the table mounts), is not
    sent to the browser again: with the first rows in the served page that echo would resend them and redraw the list
    (its cards) under the reader's eyes.

    A live change goes through `patch_rows`: only the rows that differ travel, with the order of all of them, and the
    browser redraws this table alone (`list_table.js`), where setting `rows` sends every row and NiceGUI renders the
    whole page again (20 agents' pages on /requests: one render of each whole page per change)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on('resync', lambda: self.update())  # the browser missed a change: it gets every row again

    @property
    def pagination(self) -> dict:
        return self._props['pagination']

    @pagination.setter
    def pagination(self, value: dict) -> None:
        if value != self._props.get('pagination'):
            self._props['pagination'] = value

    def patch_rows(
        self, rows: list[dict], *, pagination: dict | None = None, texts: dict[ListCaption, str] | None = None
    ) -> None:
        """Show `rows` (the whole page, in order) by sending the browser only the rows that are new or differ from
        those it shows, their order, the pagination if it changed, and new texts of captions beside the table."""
        key = self.row_key
        shown = {row[key]: row for row in self._props['rows']}
        changed = [row for row in rows if shown.get(row[key]) != row]
        order = [row[key] for row in rows]
        moved = order != list(shown)
        if len(changed) < len(rows):
            # the server's copy keeps the rows it holds already: a prop is made observable row by row, nested values
            # included (~2 ms for 25 rows with their cards: 40 ms of the event loop for 20 agents' lists per change)
            new = {id(row) for row in changed}
            rows = [row if id(row) in new else shown[row[key]] for row in rows]
        pagination = pagination if pagination is not None and pagination != self._props['pagination'] else None
        said = {label: text for label, text in (texts or {}).items() if label.text != text}
        with self._props.suspend_updates():  # a prop set sends the whole element (NiceGUI 3's observable props)
            self._props['rows'] = rows
            if pagination is not None:
                self._props['pagination'] = pagination
        for label, text in said.items():
            label.show_quietly(text)
        if changed or moved or pagination is not None or said:
            self.run_method('patchRows', changed, order, pagination, {label.id: text for label, text in said.items()})


class ResourceTable:
    """A table whose rows come from the server one page at a time; `state` is what a saved view stores."""

    def __init__(
        self,
        resource: Resource,
        *,
        on_open: Callable[[int], Any],
        trash: bool = False,
        bulk_tools: tuple[BulkTool, ...] = (),
        create: Callable[[], Any] | None = None,
        on_filters_changed: Callable[[], Any] | None = None,
        view: dict | None = None,
    ) -> None:
        """`view`: a saved view's state to start from (a queue named in the page's address), so that the first rows,
        served with the page, are already the view's, not every record's until `apply_view` comes."""
        self.resource = resource
        self.on_filters_changed = on_filters_changed  # a filter changed by hand (not by `apply_view`)
        self.create = create  # offered on an empty list, as the first thing to do
        self.on_open = on_open
        self.bulk_tools = bulk_tools  # a read-only list with tools still gets row selection and the bulk bar
        self.state: dict[str, Any] = {
            'search': '',
            'filters': {},
            'sort': resource.default_sort,
            'descending': resource.default_descending,
            'page_size': 25,
            'columns': [c.name for c in resource.columns if c.shown],
            'trash': trash,
        }
        if view is not None:
            self.state.update(self._view_state(view))
        self.arrived = 0  # records created since this view was shown, counted while they may be out of sight
        self.cursor: query.Cursor | None = None
        self.page = 1
        self._asked_page = 1  # the page of the latest load started: shown once it has come (see `load`)
        self.total, self.exact = 0, True
        self.controls: dict[str, ui.element] = {}  # search and filter inputs, so a saved view can set them
        self._date_inputs: dict[str, tuple[DateInput, DateInput]] = {}  # a date filter's fields: from, to
        self._number_inputs: dict[str, tuple[ui.input, ui.input]] = {}  # a number filter's fields: from, to
        self._applying = False
        self._refresh_pending = False
        self._refresh_again = False  # a change came while a refresh was under way: refresh once more after it
        self._linked_columns = linked_columns(resource)
        self._linked = linked_record(resource)  # '/customers?open=12': opened once the list has loaded
        self._loads = 0  # loads started; only the latest one shows its rows (see `load`)
        self._check_pending = False
        self._reader: User | None = None  # who the last load was for: a change's read starts with it (see `load`)
        self._candidates: set[int] = set()  # changed records out of sight, waiting to be checked against the filters
        self._arrivals_to_check: set[int] = set()  # new records, waiting to be checked against the search and filters
        self._arrival_check_pending = False
        self._build()
        live.resource_changed(resource.key).subscribe(self._on_change)

    # --- loading ----------------------------------------------------------------------------------------------------

    def request(self, page: int | None = None) -> query.ListRequest:
        return query.ListRequest(
            search=self.state['search'],
            filters=dict(self.state['filters']),
            sort=self.state['sort'],
            descending=self.state['descending'],
            page=page or self.page,
            page_size=self.state['page_size'],
            trash=self.state['trash'],
        )

    async def load(self, page: int | None = None, *, shared: bool = False) -> None:
        """Show a page. `shared`: a refresh after a change, when every open list of this resource reloads at once;
        lists showing the same page then share one read (20 agents on /requests cost one query, not 20), and their
        readers' sign-ins are checked together, off the event loop."""
        # a refresh reads the page last asked for, not the one still shown: a next page clicked while a change's reload
        # was starting had its answer taken over by a read of page one, and the arrow seemed to do nothing
        request, cursor = self.request(page or self._asked_page), self.cursor
        language = i18n.current()  # the rows' texts are made in a worker thread, in the reader's language
        # the load's number is taken before any await: a queue clicked while a change's readers are being checked
        # starts a later load, whose rows (asked for with the newer filters) are the ones to show
        self._loads += 1
        this_load = self._loads
        self._asked_page = request.page
        if shared:
            if self._reader is not None and can(self._reader, self.resource.read_permission):
                # the page's read starts beside the check of its readers; its rows show only to those still signed in
                self._shared_read(self._reader, request, cursor, language)
            user = await checked_together()
        else:
            user = acting_user()
        if user is None or this_load != self._loads:
            return
        if shared:
            fetched = await self._shared_fetch(user, request, cursor, language)
        else:
            fetched = await call(self._fetch, user, request, cursor, language)
        if fetched is FAILED or this_load != self._loads:
            # a later load started meanwhile (a queue clicked while the first rows were coming): its rows, asked for
            # with the newer filters, are the ones to show, whichever answer comes back last
            return
        result, rows = fetched
        self._reader = user
        _drop_unreadable_links(rows, self._linked_columns, user)
        self.cursor, self.page, self.total, self.exact = result.cursor, result.page, result.total, result.exact
        self._asked_page = result.page  # a page past the end is shown as the last one
        pagination = {
            'page': result.page,
            'rowsPerPage': result.page_size,
            'rowsNumber': result.total,
            'sortBy': self.state['sort'],
            'descending': bool(self.state['descending']),
            # the footer's words ('1–25 of about 990,000'), drawn by list_table.js with the pagination they describe
            'label': range_label(result.page, result.page_size, result.total, exact=result.exact),
        }
        counted = caption(self.resource, result.total, exact=result.exact, trash=self.state['trash'], sums=result.sums)
        nothing_yet = result.total == 0 and not self.narrowed() and not self.state['trash']
        if shared and nothing_yet == self.empty.visible:
            # a live change: the rows that differ travel and this table alone redraws, not the page
            self.table.patch_rows(rows, pagination=pagination, texts={self.caption: counted})
            self._open_linked()  # the page's first load, taken over by this one, had not opened it yet
            return
        self.table.rows = rows
        self.table.pagination = pagination
        self.phone_sort.show()
        self.caption.text = counted
        self.empty.set_visibility(nothing_yet)  # instead of an empty table: what to do first
        # no table message under the empty state (an empty label would bring Quasar's own 'No data available' back)
        self.table.props['hide-no-data'] = nothing_yet
        self.table.update()
        self._open_linked()

    def _open_linked(self) -> None:
        """The record a link asked for ('/customers?open=12'), opened once, by whichever load shows the rows first."""
        if self._linked is not None:
            record_id, self._linked = self._linked, None
            self.on_open(record_id)

    def _fetch(self, user: User, request: query.ListRequest, cursor: query.Cursor | None, language: str):
        with read_session() as session, i18n.use(language):
            result = query.list_page(
                session=session, actor=user, resource=self.resource, request=request, cursor=cursor
            )
            if self.resource.summed and result.exact and result.total and not request.trash:
                # the caption's sum, over every page, in the worker thread of the page's read
                found = query.sums(session=session, actor=user, resource=self.resource, request=request)
                result = replace(result, sums=found)
            return result, self._rows(session, result.rows)

    async def _shared_fetch(self, user: User, request: query.ListRequest, cursor: query.Cursor | None, language: str):
        """The lists showing the same page after a change await one read in one worker thread (20 agents on /requests:
        one query and one thread, not 20 threads waiting on each other). A read that fails is made again by each
        list on its own, which then shows its own error."""
        if not can(user, self.resource.read_permission):  # each list still checks its own reader
            return await call(self._fetch, user, request, cursor, language)  # refused, and says so, as a load is
        key, task = self._shared_read(user, request, cursor, language)
        try:
            fetched = await asyncio.shield(task)  # a page that goes away does not cancel the others' read
        except Exception:
            _READS.pop(key, None)
            return await call(self._fetch, user, request, cursor, language)
        if fetched is None:  # NiceGUI answers None instead of running it while the app stops
            raise asyncio.CancelledError
        result, rows = fetched
        return result, [dict(row) for row in rows]

    def _shared_read(
        self, user: User, request: query.ListRequest, cursor: query.Cursor | None, language: str
    ) -> tuple[tuple, asyncio.Future]:
        """The read of this page for the current change, started by the first list that asks for it."""
        # readers of one page share its rows only when they read the same language (the rows hold labels), and the
        # same role where the resource shows each role its own rows
        role = user.role if self.resource.row_filter is not None else None
        key = (self.resource.key, live.generation(self.resource.key), repr(request), repr(cursor), language, role)
        task = _READS.get(key)
        if task is None:
            for old in [k for k in _READS if k[0] == key[0] and k[1] != key[1]]:  # never asked for again
                del _READS[old]
            task = _READS[key] = asyncio.ensure_future(run.io_bound(self._fetch, user, request, cursor, language))
            task.add_done_callback(_seen)  # a read whose lists all went away: its error is not left unheard
        return key, task

    def _rows(self, session, records) -> list[dict]:
        related: dict[str, dict[int, str]] = {}
        for column in self.resource.columns:
            if column.kind == 'related' and column.related:
                ids = {getattr(record, column.name) for record in records}
                related[column.name] = crud.titles_for(
                    session=session, resource=RESOURCES[column.related], ids=ids, live=True, field=column.shows
                )  # one in the trash: an empty cell, no link
        rows = []
        for record in records:
            row = {'id': record.id}
            for column in self.resource.columns:
                value = column.value(record)
                if column.kind == 'due':
                    row[f'_due_{column.name}'] = value.isoformat() if value else None
                    row[f'_idle_{column.name}'] = (column.idle(record) if column.idle and not value else '') or ''
                if column.alarming:  # red in its cell and on the card (LATE_CELL, card_of)
                    row[f'_late_{column.name}'] = value in column.alarming
                if column.name in self._linked_columns:
                    target = self._linked_columns[column.name]
                    ident = getattr(record, column.opens or column.name)
                    row[f'_link_{column.name}'] = (
                        target.link.format(id=int(ident))
                        if ident is not None and (column.name not in related or ident in related[column.name])
                        else ''
                    )
                if column.kind == 'stored_text':  # in the reader's language (an older row: as stored)
                    key, params = (getattr(record, f'{column.name}_{part}', None) for part in ('key', 'params'))
                    row[column.name] = stored_text.show(value or '', key, params)
                    continue
                row[column.name] = (
                    related[column.name].get(value, '') if column.name in related else column.text(record)
                )
                if column.lead and row[column.name]:
                    said = self.resource.column(column.lead).text(record)
                    row[column.name] = f'{said} · {row[column.name]}' if said else row[column.name]
            rows.append(self._with_card(_count_down(row, self._due_columns)))
        return rows

    def _with_card(self, row: dict) -> dict:
        row['_card'] = card_of(self.resource, row)
        return row

    def _tick(self) -> None:
        """Deadlines count down on screen without asking the database: the texts are worked out again (only the rows
        whose countdown changed are sent)."""
        if self.table.rows:
            self.table.patch_rows(
                [self._with_card(_count_down(dict(row), self._due_columns)) for row in self.table.rows]
            )

    async def _count_down_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if self.table.is_deleted:
                return
            self._tick()

    async def reload(self) -> None:
        self.cursor = None
        self.arrived = 0
        self.arrivals.set_visibility(False)
        await self.load(1)

    def _on_change(self, payload: dict) -> None:
        shown = {row['id'] for row in self.table.rows}
        created = payload.get('action') == 'created'
        changed = ({payload.get('id')} | set(payload.get('ids') or ())) - {None}
        if created and (self.page > 1 or self.narrowed()):  # may be out of sight: say so
            if self.narrowed():  # only if it belongs here: a search or a filter may leave it out (see `_count_members`)
                self._arrivals_to_check |= changed
                if not self._arrival_check_pending:
                    self._arrival_check_pending = True
                    background_tasks.create(
                        self._count_members(), name=f'count new {self.resource.key}', context=ui.context.slot
                    )
            else:
                self.arrived += 1
                self._show_arrivals()
            if self.page > 1:  # keep the rows the reader is looking at where they are
                return
        if shown & changed or payload.get('action') in {
            'created',
            'restored',
            'deleted',
            'purged',
            'imported',
            'import_reverted',
        }:
            if self._refresh_pending:  # a burst of changes (a bulk edit, an import): one more reload after it
                self._refresh_again = True
                return
            self._refresh_pending = True
            # a task, not a ui.timer: a timer is an element, created and deleted in every open page on each change
            background_tasks.create(
                self._refresh_after_change(), name=f'refresh {self.resource.key} list', context=ui.context.slot
            )
        elif changed and self.page == 1 and not self.state['trash']:
            # a record out of sight changed: it may belong here now (it became unassigned, breached its SLA, got a
            # follow-up); ask once per burst which of them the search and filters match, and show them if any do
            self._candidates |= changed
            if not self._check_pending:
                self._check_pending = True
                background_tasks.create(
                    self._show_if_members(), name=f'check {self.resource.key} list', context=ui.context.slot
                )

    async def _show_if_members(self) -> None:
        """Check at once; records changed meanwhile are checked together after a pause (one query per burst)."""
        try:
            while self._candidates:
                candidates, self._candidates = self._candidates, set()
                if self.table.is_deleted:
                    return
                if self._refresh_pending:  # a reload is under way: one more after it shows these too
                    self._refresh_again = True
                    return
                user = await checked_together()
                if user is None or self.table.is_deleted:
                    return
                found = await call(self._members, user, self.request(1), candidates)
                if found is not FAILED and found and not self.table.is_deleted and self.page == 1:
                    self.cursor = None
                    await self.load(shared=True)
                await asyncio.sleep(REFRESH_DELAY)
        finally:
            self._check_pending = False

    async def _count_members(self) -> None:
        """New records count in the badge only when the search and filters shown match them (a new unassigned request
        is not new in Mine); those created while one check runs are checked together after it."""
        try:
            while self._arrivals_to_check:
                candidates, self._arrivals_to_check = self._arrivals_to_check, set()
                user = await checked_together()
                if user is None or self.table.is_deleted:
                    return
                found = await call(self._members, user, self.request(1), candidates)
                if found is not FAILED and found and not self.table.is_deleted:
                    self.arrived += len(found)
                    self._show_arrivals()
        finally:
            self._arrival_check_pending = False

    def _members(self, user: User, request: query.ListRequest, ids: set[int]) -> set[int]:
        """The lists of one queue ask once per change (20 agents on Unassigned: one query, not 20)."""
        require(user, self.resource.read_permission)
        key = (
            self.resource.key,
            live.generation(self.resource.key),
            'members',
            repr(request),
            permissions_of(user.role),  # a custom role's permissions may change: its answers with them
            tuple(sorted(ids)),
        )

        def check() -> set[int]:
            with read_session() as session:
                return query.matching_among(
                    session=session, actor=user, resource=self.resource, request=request, ids=ids
                )

        return _shared(key, check)

    def narrowed(self) -> bool:
        """Whether a search or a filter hides some records."""
        return bool(self.state['search']) or any(
            v not in (None, '', [], (None, None)) for v in self.state['filters'].values()
        )

    def _show_arrivals(self) -> None:
        self.arrivals.text = self.resource.arrivals(self.arrived)
        self.arrivals.set_visibility(True)

    async def show_arrivals(self) -> None:
        """The badge's click: every record from the first page, in the resource's default order."""
        await self.apply_view(
            {
                'search': '',
                'filters': {},
                'sort': self.resource.default_sort,
                'descending': self.resource.default_descending,
                'columns': self.state['columns'],
            }
        )

    async def _refresh_after_change(self) -> None:
        """Reload at once (a single change shows without waiting); changes heard while loading, or in the pause
        after it, reload once more after that pause, so that a burst of changes costs two loads, not one each."""
        try:
            while True:
                self._refresh_again = False
                if self.table.is_deleted:
                    return
                self.cursor = None  # the page's neighbours moved; fetch this page afresh
                await self.load(shared=True)
                await asyncio.sleep(REFRESH_DELAY)
                if not self._refresh_again:
                    return
        finally:
            self._refresh_pending = False

    # --- building ---------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        resource = self.resource
        with ui.row().classes('w-full items-center gap-2'):
            self.controls['search'] = (
                ui.input(
                    _('Search {list}').format(list=shown(resource.label).lower()),
                    on_change=lambda e: self._set(search=e.value or ''),
                )
                .props('clearable outlined dense debounce=300')
                .classes('grow min-w-48 bo-list-search max-sm:w-full')  # on a phone a line of its own: the views below
                .mark('search')
            )
            self.views = SavedViews(resource, current=lambda: dict(self.state), apply=self.apply_view)
            self._columns_menu()
            export_menu(resource, lambda: self.request(1))
        self.filter_row: ui.row | None = None
        self.filters_toggle: ui.button | None = None
        self.filters_built = not resource.filters
        if resource.filters:
            # on a phone the filters fold away behind a button; from 640 px on they are always shown
            toggle = ui.button(_('Filters'), icon='filter_list').props('flat dense').classes('sm:hidden')
            # (Quasar's .hidden is !important: no sm:flex)
            self.filter_row = ui.row().classes('w-full items-center gap-2 max-sm:hidden').mark('filter-row')
            toggle.on_click(self._toggle_filters)
            toggle.mark('filters-toggle')
            self.filters_toggle = toggle
            if viewport.narrow() and not self._filters_in_address():
                # folded away on the phone that asks: built once the page has painted, not with it (issue 20); a
                # wider window than the guess waits for it to show the rows (LIST_CSS)
                self.filter_row.classes('bo-filters-pending')
                once_connected(lambda _user: self.build_filters())
            else:
                self.build_filters()
        with ui.row().classes('w-full items-center gap-2') as caption_row:
            self.caption = ListCaption().classes('text-sm text-gray-500')
            self.arrivals = (
                ui.button(on_click=self.show_arrivals)
                .props('dense rounded unelevated color=orange-8 size=sm icon=fiber_new no-caps')
                .mark('arrivals')
            )
            self.arrivals.tooltip(_('Show everything, newest first'))
            self.arrivals.set_visibility(False)
            ui.space()
            # hidden from 600 px on: there built once the page has painted (issue 20)
            wide = viewport.wide()
            self.phone_sort = PhoneSort(resource, state=self.state, change=self._set, now=not wide)
            if wide:  # a phone after all waits for it to show the rows (LIST_CSS)
                caption_row.classes('bo-sort-pending')

                def build_sort(_user: Any) -> None:
                    self.phone_sort.build()
                    caption_row.classes(remove='bo-sort-pending')

                once_connected(build_sort)
        columns = [self._column(c) for c in resource.columns if c.name in self.state['columns']]
        # kept at the foot of the window while the list is in sight: ticking a card at the top of a long list on a
        # phone showed the bar 25 cards below, out of sight, as if the tick had done nothing
        self.bulk_holder = ui.column().classes('w-full gap-0 sticky bottom-0 z-10')
        # rows are ticked for the bulk bar: only for someone who may change the records or has a tool to use on them
        # (an agent's box on a canned reply, or a viewer's on any row, showed nothing when ticked)
        reader = acting_user()
        may_change = not resource.read_only and reader is not None and can(reader, resource.write_permission)
        selection = 'multiple' if may_change or self.bulk_tools else None
        self.table = (
            ListTable(
                columns=columns,
                rows=[],
                row_key='id',
                selection=selection,
                pagination={
                    'page': 1,
                    'rowsPerPage': 25,
                    'rowsNumber': 0,
                    'sortBy': self.state['sort'],
                    'descending': bool(self.state['descending']),
                },
            )
            .classes('w-full resource-table')
            .props('flat bordered binary-state-sort')
        )
        self.table.props['rows-per-page-options'] = PAGE_SIZES
        ui.add_css(LIST_CSS)
        self.table.add_slot('header-cell', HEADING)
        self.table.on('request', self._on_request)
        self.table.on_pagination_change(self._keep_total)
        self.table.on('rowClick', lambda e: self.on_open(e.args[1]['id']))
        for name in self._linked_columns:
            self.table.add_slot(f'body-cell-{name}', LINK_CELL)
        self._due_columns = [c.name for c in resource.columns if c.kind == 'due']
        alarming = [c.name for c in resource.columns if c.alarming and c.name not in self._linked_columns]
        for name in self._due_columns + alarming:  # red once overdue, or alarming; the text is the server's, as text
            self.table.add_slot(f'body-cell-{name}', LATE_CELL)
        if self._due_columns:
            # a task, not a ui.timer: a timer waits for the browser to connect, which makes NiceGUI serve the page at
            # once, before its first rows (page_work)
            background_tasks.create(self._count_down_every(30), name='list countdown', context=ui.context.slot)
        as_cards(self.table, selectable=selection is not None)  # on a phone each row is a card
        # the message is a prop (a value), hidden (hide-no-data) while the empty state below says what to do first
        self.table.props['no-data-label'] = _(NOTHING_MATCHES)
        self.table.add_slot(
            'no-data', '<div v-if="props.message" class="w-full text-center p-4 text-grey-7">{{ props.message }}</div>'
        )
        self._empty_state()
        self.bulk_holder.move(target_index=-1)
        with self.bulk_holder:
            self.bulk = BulkBar(
                resource,
                table=self.table,
                request=lambda: self.request(1),
                total=lambda: self.total,
                trash=lambda: self.state['trash'],
                done=self.load,
                tools=self.bulk_tools,
            )
        self._filter_from_address()
        # the first rows: read while the page is built and served in its HTML; a list built later (a tab, a dialog)
        # loads them once it is on screen
        if not page_work.start(self.load(), name=f'first rows of {resource.key}'):
            ui.timer(0, self.load, once=True)

    def build_filters(self) -> None:
        """The filters row's fields (once), showing what the list is already filtered by."""
        if self.filters_built or self.filter_row is None or self.filter_row.is_deleted:
            return
        self.filters_built = True
        self.filter_row.classes(remove='bo-filters-pending')
        with self.filter_row:
            for declared in self.resource.filters:
                self._filter(declared)
        self._applying = True
        try:
            self._show_filters(self.state['filters'])
        finally:
            self._applying = False

    def _toggle_filters(self) -> None:
        self.build_filters()
        if self.filter_row is not None:
            self.filter_row.classes(toggle='max-sm:hidden')

    def _filters_in_address(self) -> bool:
        try:
            params = ui.context.client.request.query_params
        except RuntimeError:
            return False
        return any(f.name in params for f in self.resource.filters)

    def _filter_from_address(self) -> None:
        """Start filtered by the related records the page's address names (/orders?customer_id=12): a record page's
        "See all" links, which can be bookmarked and opened in a new tab."""
        try:
            params = ui.context.client.request.query_params
        except RuntimeError:  # no page request (a list built later by a handler)
            return
        self._choice_from_address(params)
        self._say_filters_set()
        given = {
            f.name: (f, int(params[f.name]))
            for f in self.resource.filters
            if f.kind == 'related' and params.get(f.name, '').isdigit() and f.name in self.controls
        }
        if not given:
            return
        with read_session() as session:
            titles = {
                name: crud.titles_for(session=session, resource=RESOURCES[f.related], ids={value}).get(value)
                for name, (f, value) in given.items()
            }
        self._applying = True
        try:
            for name, (_, value) in given.items():
                if titles[name] is None:  # no such record (or one in the trash): the list is not narrowed to nothing
                    continue
                self.state['filters'][name] = value
                control = self.controls[name]
                control.set_options({**control.options, value: titles[name]}, value=value)
        finally:
            self._applying = False
        self._say_filters_set()

    def _choice_from_address(self, params) -> None:
        """A choice filter named in the address (/users?role=custom-3: the roles screen's "users hold it" link; one or
        more: /orders?status=paid&status=shipped), a yes/no one (/inventory?low_stock=yes: the low-stock notice of
        several products) or a date one (/orders?placed_at=2026-12-06..2026-12-06: a KPI card's "See these in the
        list"), shown in its fields as if typed; a value that is none of these is left out."""
        for declared in self.resource.filters:
            value = params.get(declared.name, '')
            if declared.kind == 'date_range' and declared.name in self._date_inputs:
                self._date_range_from_address(declared.name, value)
                continue
            if declared.kind == 'choice' and declared.name in self.controls:
                chosen = [v for v in dict.fromkeys(params.getlist(declared.name)) if v in (declared.choices or {})]
                if len(chosen) > 1:
                    self._applying = True
                    try:
                        self.state['filters'][declared.name] = chosen
                        self.controls[declared.name].set_value(chosen)
                    finally:
                        self._applying = False
                    continue
            if declared.kind in ('bool', 'present') and value in ('yes', 'no') and declared.name in self.controls:
                self._applying = True
                try:
                    self.state['filters'][declared.name] = value == 'yes'
                    self.controls[declared.name].set_value(value)
                finally:
                    self._applying = False
                continue
            if declared.kind != 'choice' or value not in (declared.choices or {}) or declared.name not in self.controls:
                continue
            self._applying = True
            try:
                self.state['filters'][declared.name] = [value]
                self.controls[declared.name].set_value([value])
            finally:
                self._applying = False

    def _date_range_from_address(self, name: str, value: str) -> None:
        given = day_range_from_address(value)
        if given is None:
            return
        self._applying = True
        try:  # the fields' changes set the filter, as a day typed in them does
            for field, day in zip(self._date_inputs[name], given, strict=True):
                field.value = day.isoformat() if day else ''
        finally:
            self._applying = False

    def _empty_state(self) -> None:
        """On a list with no records at all: a sentence saying what to do first, and the create button if allowed."""
        resource = self.resource
        with ui.column().classes('w-full items-center gap-2 p-4 text-center').mark('empty-state') as self.empty:
            ui.label(resource.said('none_yet')).classes('text-gray-600')
            if self.create is not None:
                ui.label(_('Start with the first one: {new}.').format(new=resource.said('new'))).classes(
                    'text-gray-600'
                )
                ui.button(resource.said('new'), icon='add', on_click=self.create).mark('empty-state-create')
        self.empty.set_visibility(False)

    def _column(self, column) -> dict:
        hidden = '' if column.on_phone else 'gt-xs'
        if column.kind in TEXT_KINDS:  # words may wrap on a phone; numbers, dates never
            hidden += ' bo-wraps'
            # wider: one line cut with an ellipsis (LIST_CSS), the whole value in the cell's title (list_table.js);
            # a column declared to wrap wraps instead, long unbroken words too
            hidden += '' if column.wrap else ' bo-clip'
        shape = {'style': WRAPPED} if column.wrap else {}
        return {
            'name': column.name,
            'label': shown(column.label),
            'field': column.name,
            'sortable': column.sortable,
            'align': 'left',
            'classes': hidden.strip(),
            'headerClasses': hidden.replace(' bo-clip', '').strip(),
            **shape,
        }

    def _keep_total(self, event) -> None:
        """The browser reports its pagination (e.g. when the table mounts) without the server's row count."""
        reported = dict(event.value or {})
        if reported.get('rowsNumber') != self.total:
            reported.update(rowsNumber=self.total, page=self.page)
        page, size = reported.get('page') or self.page, reported.get('rowsPerPage') or self.state['page_size']
        label = range_label(page, size, self.total, exact=self.exact)  # the footer's words for that pagination
        if reported != event.value or reported.get('label') != label:
            self.table.pagination = {**reported, 'label': label}

    async def _on_request(self, event) -> None:
        pagination = event.args['pagination']
        sort, descending = pagination.get('sortBy'), bool(pagination.get('descending'))
        if (
            (sort or self.resource.default_sort) != self.state['sort']
            or descending != self.state['descending']
            or pagination.get('rowsPerPage') != self.state['page_size']
        ):
            self.state.update(
                sort=sort or self.resource.default_sort,
                descending=descending,
                page_size=pagination.get('rowsPerPage') or 25,
            )
            self.cursor = None
            await self.load(1)
        else:
            await self.load(pagination.get('page') or 1)

    def _set(self, **changes) -> None:
        self.state.update(changes)
        self.cursor = None
        self._say_filters_set()
        if not self._applying:
            self.table.selected = []
            self.views.forget_choice()
            ui.timer(0, self.reload, once=True)

    async def apply_view(self, state: dict) -> None:
        """Show a saved view: its search, filters, sort and columns, in the controls too."""
        self._applying = True
        try:
            self.state.update(self._view_state(state))
            filters = self.state['filters']
            self._say_filters_set()
            self.controls['search'].value = self.state['search']
            self._show_filters(filters)
            self.table.columns = [self._column(c) for c in self.resource.columns if c.name in self.state['columns']]
            if self.columns_select is not None:  # built once the columns menu was opened
                self.columns_select.value = list(self.state['columns'])
        finally:
            self._applying = False
        await self.reload()

    def _view_state(self, state: dict) -> dict:
        """What of a saved view's state the list takes (not its trash), a date filter's days as dates."""
        filters = {
            name: tuple(date.fromisoformat(v) if v else None for v in value)
            if self._filter_kind(name) == 'date_range'
            else value
            for name, value in (state.get('filters') or {}).items()
        }
        return {k: v for k, v in state.items() if k in self.state and k != 'trash'} | {'filters': filters}

    def _show_filters(self, filters: dict) -> None:
        """The filter fields (those built) show `filters`. A select shows only a value among its options: a saved
        view's customer beyond the first options, or a tag typed but on no request, is added to them first."""
        for name, control in self.controls.items():
            if name != 'search' and self._filter_kind(name) in ('choice', 'tags'):
                chosen = list(filters.get(name) or [])  # a multiple select is never None
                missing = [v for v in chosen if v not in control.options]
                if missing and self._filter_kind(name) == 'tags':
                    control.set_options({**control.options, **{v: v for v in missing}}, value=chosen)
                else:
                    control.value = chosen
            elif self._filter_kind(name) == 'related':
                self._show_related(name, control, filters.get(name))
            elif self._filter_kind(name) in ('bool', 'present'):
                control.value = None if name not in filters else ('yes' if filters[name] else 'no')
        for name, fields in self._date_inputs.items():  # a saved view's days (dates, or ISO text as stored)
            given = filters.get(name) or (None, None)
            for field, day in zip(fields, given, strict=True):
                field.value = str(day)[:10] if day else ''
        for name, fields in self._number_inputs.items():  # a saved view's bounds, as the fields' text stored them
            given = filters.get(name) or (None, None)
            for field, bound in zip(fields, given, strict=True):
                field.value = '' if bound is None else str(bound)

    def _show_related(self, name: str, control: ui.element, value: Any) -> None:
        if value is None or value in control.options:
            control.value = value
            return
        declared = next(f for f in self.resource.filters if f.name == name)
        with read_session() as session:
            title = crud.titles_for(session=session, resource=RESOURCES[declared.related], ids={value}).get(value)
        if title is None:  # gone since the view was saved: the list is not narrowed to nothing
            self._set_filter(name, None)
            control.value = None
            return
        control.set_options({**control.options, value: title}, value=value)

    def _say_filters_set(self) -> None:
        """The phone's Filters button says how many filters hold ('Filters (2)'): a list opened filtered (a dashboard
        card's "See these in the list") or a saved view does not look like every record while its filters are folded."""
        if self.filters_toggle is None:
            return
        held = sum(1 for value in self.state['filters'].values() if value not in (None, '', [], (None, None)))
        self.filters_toggle.set_text(_('Filters ({n})').format(n=held) if held else _('Filters'))

    def _filter_kind(self, name: str) -> str | None:
        return next((f.kind for f in self.resource.filters if f.name == name), None)

    def _set_filter(self, name: str, value: Any) -> None:
        filters = dict(self.state['filters'])
        if value in (None, '', [], (None, None)):
            filters.pop(name, None)
        else:
            filters[name] = value
        self._set(filters=filters)
        if not self._applying and self.on_filters_changed is not None:
            self.on_filters_changed()

    def _filter(self, declared) -> None:
        if declared.kind == 'related' and not can(acting_user(), RESOURCES[declared.related].read_permission):
            return  # a role that may not read those records (a custom role may read requests, not customers)
        self._make_filter(declared)
        if declared.name in self.controls:
            self.controls[declared.name].mark(f'filter-{declared.name}')

    def _make_filter(self, declared) -> None:
        if declared.kind == 'choice':
            self.controls[declared.name] = (
                ui.select(
                    shown_choices(declared.choices),
                    label=shown(declared.label),
                    multiple=True,
                    clearable=True,
                    on_change=lambda e, n=declared.name: self._set_filter(n, e.value or None),
                )
                .props('outlined dense use-chips')
                .classes('min-w-40')
            )
        elif declared.kind == 'tags':  # the tags in use, or any other typed and Enter
            self.controls[declared.name] = (
                ui.select(
                    shown_choices(declared.choices),
                    label=shown(declared.label),
                    multiple=True,
                    clearable=True,
                    with_input=True,
                    new_value_mode='add-unique',
                    on_change=lambda e, n=declared.name: self._set_filter(n, e.value or None),
                )
                .props('outlined dense use-chips input-debounce=0')
                .classes('min-w-40')
            )
        elif declared.kind in ('bool', 'present'):
            self.controls[declared.name] = (
                ui.select(
                    {'yes': _('Yes'), 'no': _('No')},
                    label=shown(declared.label),
                    clearable=True,
                    on_change=lambda e, n=declared.name: self._set_filter(
                        n, None if e.value is None else e.value == 'yes'
                    ),
                )
                .props('outlined dense')
                .classes('min-w-36')
            )
            # as wide as its label (a long one, "Replaced admin still admin", was cut to "Replaced a…")
            width = len(shown(declared.label)) * 0.5 + 3.5
            self.controls[declared.name].style['min-width'] = f'max(9rem, {width:.1f}em)'
        elif declared.kind == 'date_range':
            self._date_range(declared)
        elif declared.kind == 'related':
            self._related_filter(declared)
        elif declared.kind == 'number_range':
            self._number_range(declared)

    def _date_range(self, declared) -> None:
        bounds: dict[str, date | None] = {'from': None, 'to': None}

        def changed(which: str, value: str | None) -> None:
            try:
                bounds[which] = date.fromisoformat(value) if value else None
            except ValueError:  # a day still being typed: the filter waits for a whole one
                return
            self._set_filter(
                declared.name, None if bounds == {'from': None, 'to': None} else (bounds['from'], bounds['to'])
            )

        # the reader's format (03/12/2026 in French), whatever the browser's language
        first = DateInput(
            _('{label} from').format(label=shown(declared.label)), on_change=lambda e: changed('from', e.value)
        )
        first.props('outlined dense clearable').classes('w-44').mark(f'filter-{declared.name}-from')
        last = DateInput(_('to'), on_change=lambda e: changed('to', e.value))
        last.props('outlined dense clearable').classes('w-44').mark(f'filter-{declared.name}-to')
        self._date_inputs[declared.name] = (first, last)

    def _number_range(self, declared) -> None:
        """Text, not number inputs: Chromium's read '1,5' as 15 in English; 12,50 and 12.50 both mean 12.50 here (as
        money fields read them), and what is not a number is said at its field and filters nothing."""
        bounds: dict[str, str | None] = {'low': None, 'high': None}

        def changed(which: str, field: ui.input) -> None:
            try:
                number = typed_number(field.value)
            except ValueError as error:
                field.error = str(error)
                return
            field.error = None
            bounds[which] = None if number is None else str(number)
            self._set_filter(
                declared.name, None if bounds == {'low': None, 'high': None} else (bounds['low'], bounds['high'])
            )

        # the message set on a change stays (auto validation would clear it right after the handler); w-40: the
        # label beside the error and clear icons
        low = ui.input(_('{label} from').format(label=shown(declared.label))).without_auto_validation()
        low.on_value_change(lambda: changed('low', low))
        low.props('outlined dense clearable debounce=400 inputmode=decimal').classes('w-40')
        low.mark(f'filter-{declared.name}-from')
        high = ui.input(_('to')).without_auto_validation()
        high.on_value_change(lambda: changed('high', high))
        high.props('outlined dense clearable debounce=400 inputmode=decimal').classes('w-40')
        high.mark(f'filter-{declared.name}-to')
        self._number_inputs[declared.name] = (low, high)

    def _related_filter(self, declared) -> None:
        column = self.resource.model.__table__.columns.get(declared.name)
        label = shown(declared.label)
        nobody = _('No {label}').format(label=label.lower()) if column is not None and column.nullable else None
        select = related_select(
            declared.related,
            label,
            empty_option=nobody,
            on_change=lambda e, n=declared.name: self._set_filter(n, e.value),
        )
        select.props('outlined dense').classes('min-w-48')
        self.controls[declared.name] = select

    def _columns_menu(self) -> None:
        """The columns button; its select is built on the first click (issue 20: nothing of it is seen before)."""
        button = ui.button(icon='view_column').props('flat round').mark('columns')
        button.props['aria-label'] = _('Columns')
        button.props['aria-haspopup'] = 'menu'
        button.tooltip(_('Columns'))
        self.columns_select: ui.select | None = None
        MenuOnOpen(button, self._columns_choice, menu=lambda: ui.menu().classes('p-2'))

    def _columns_choice(self) -> None:
        def show(e) -> None:
            chosen = e.value or []
            if self._applying:
                return
            self.state['columns'] = chosen
            self.table.columns = [self._column(c) for c in self.resource.columns if c.name in chosen]

        self.columns_select = (
            ui.select(
                {c.name: shown(c.label) for c in self.resource.columns},
                value=list(self.state['columns']),
                multiple=True,
                label=_('Columns shown'),
                on_change=show,
            )
            .props('use-chips')
            .classes('min-w-60')
            .mark('columns-shown')
        )


def caption(
    resource: Resource,
    total: int,
    *,
    exact: bool,
    trash: bool,
    sums: tuple[tuple[str | None, Any], ...] | None = None,
) -> str:
    """The line over a list: '3,000 customers', 'about 12,000 orders', '2 products in the trash'; with the sums of a
    list's money column (query.sums), what the rows add up to: '12 orders · €1,234.50 · £80.00'."""
    count = resource.counted(total)
    if trash:
        return (_('{count} in the trash') if exact else _('about {count} in the trash')).format(count=count)
    if not exact:
        return _('about {count}').format(count=count)
    return ' · '.join([count, *(money(amount, currency) for currency, amount in sums or ())])


def range_label(page: int, size: int, total: int, *, exact: bool) -> str:
    """The table's footer, the rows shown and the count the caption says: '1–25 of 3,000', '26–50 of about 990,000'
    ('1–25 sur environ 990 000'), numbers formatted as the caption's."""
    first, last = (page - 1) * size + 1, min(page * size, total)
    words = _('{first}–{last} of {total}') if exact else _('{first}–{last} of about {total}')
    return words.format(first=number(first), last=number(last), total=number(total))


def _shared(key: tuple, compute: Callable[[], Any]) -> Any:
    """One computation per key for every list that asks at the same time; keys of an earlier generation of the same
    resource are dropped (they are never asked for again)."""
    with _SHARED_LOCK:
        future = _SHARED.get(key)
        owner = future is None
        if owner:
            for old in [k for k in _SHARED if k[0] == key[0] and k[1] != key[1]]:
                del _SHARED[old]
            future = _SHARED[key] = Future()
    if owner:
        try:
            future.set_result(compute())
        except BaseException as error:
            future.set_exception(error)
            with _SHARED_LOCK:
                _SHARED.pop(key, None)
    return future.result()


def _seen(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # each list awaiting it handles the error; none left: nothing to say


def _count_down(row: dict, names: list[str]) -> dict:
    now = datetime.now(UTC)
    for name in names:
        deadline = row.get(f'_due_{name}')
        moment = datetime.fromisoformat(deadline) if deadline else None
        row[name] = due(moment, now) if moment is not None else row.get(f'_idle_{name}', '')  # 'Paused', as text
        row[f'_late_{name}'] = moment is not None and moment < now
    return row


def linked_columns(resource: Resource) -> dict[str, Resource]:
    """column → the resource whose record its cells link to: related columns, and columns that say which field `opens`
    it, when that resource's link is made from the record's id."""
    found = {}
    for column in resource.columns:
        target = RESOURCES.get(column.related) if column.related else None
        if target is not None and (column.kind == 'related' or column.opens) and link_fields(target.link) == ['id']:
            found[column.name] = target
    return found


def _drop_unreadable_links(rows: list[dict], linked: dict[str, Resource], user: User) -> None:
    """A list read is shared by everyone showing that page: a link to what this reader may not read is dropped."""
    for name, target in linked.items():
        if not can(user, target.read_permission):
            for row in rows:
                row.pop(f'_link_{name}', None)


def linked_record(resource: Resource) -> int | None:
    """The record a link asks this list to open ('/customers?open=12', the resource's declared link; or its own
    parameter where two lists share a screen: '/content?version=5'), if any."""
    path, _, query_part = resource.link.partition('?')
    parameter, _, value_part = query_part.partition('=')
    if value_part != '{id}' or not parameter or '&' in parameter:
        return None
    try:
        request = ui.context.client.request
    except RuntimeError:  # a client without a page request (none in practice)
        return None
    if request.url.path != path:
        return None
    value = request.query_params.get(parameter, '')
    return int(value) if value.isdigit() else None
