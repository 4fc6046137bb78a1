"""The import preview on screen: each row's action and changes in words (fields by label), paged over every row, and
a progress bar while a long preview or apply runs."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.engine.declaration import RESOURCES, Resource
from backoffice.formatting import display_value
from backoffice.i18n import N_, _, pgettext
from backoffice.services import crud
from backoffice.transfer.import_plan import RowPlan

from .resource_table import ListTable, range_label

CHANGE = N_('{field}: {before} → {after}')
GIVEN = N_('{field}: {value}')
CLEAR = N_('Will clear {field} (now {before})')
KEPT = N_('Kept as it is (empty cell): {fields}')
WITHHELD = N_('Kept as it is (only the person can agree to it): {fields}')
EMPTY = N_('(empty)')
PROGRESS = N_('{doing}: {done} of {total} rows')
PAGE_SIZE = 10
COLUMNS = [
    {'name': 'row', 'label': N_('Row'), 'field': 'row', 'align': 'left'},
    {'name': 'action', 'label': N_('Action'), 'field': 'action', 'align': 'left'},
    {'name': 'title', 'label': N_('Record'), 'field': 'title', 'align': 'left'},
    {'name': 'details', 'label': N_('Details'), 'field': 'details', 'align': 'left', 'classes': 'whitespace-normal'},
]


def action_label(action: str) -> str:
    """What the import does with a row, in words (a context of its own: 'New' is also a request's status)."""
    return {
        'create': pgettext('import action', 'New'),
        'update': pgettext('import action', 'Update'),
        'unchanged': pgettext('import action', 'Unchanged'),
        'error': pgettext('import action', 'Error'),
    }[action]


class Progress:
    """A bar and a line ("Previewing: 1,200 of 3,000 rows") fed from a worker thread through `report`."""

    def __init__(self, doing: str) -> None:
        self.doing, self.done, self.total = doing, 0, 0
        with ui.column().classes('w-full gap-1').mark('import-progress') as self.box:
            self.bar = ui.linear_progress(value=0, show_value=False).props('instant-feedback')
            self.line = ui.label(self._text()).classes('text-sm text-gray-600')
            self.timer = ui.timer(0.25, self._show)

    def report(self, done: int, total: int) -> None:  # called from the worker thread: plain values only
        self.done, self.total = done, total

    def _text(self) -> str:
        return _(PROGRESS).format(
            doing=self.doing, done=formatting.number(self.done), total=formatting.number(self.total)
        )

    def _show(self) -> None:
        self.bar.value = self.done / self.total if self.total else 0
        self.line.text = self._text()

    def close(self) -> None:
        self.timer.cancel()
        if not self.box.is_deleted:  # a newer preview may have cleared the place it was in
            self.box.delete()


class PreviewTable:
    """Every row of the plan, a page at a time: the pager counts all the rows, the page's details are written when
    it is shown. Its footer says what a list's says ('1–10 of 3,000', in the reader's language and numbers)."""

    def __init__(self, resource: Resource, plan: list[RowPlan]) -> None:
        self.resource, self.plan = resource, plan
        self.table = (
            ListTable(
                columns=[{**column, 'label': _(column['label'])} for column in COLUMNS],
                rows=[],
                row_key='row',
                pagination=self._pagination(1, PAGE_SIZE),
            )
            .classes('w-full')
            .props('dense flat bordered :rows-per-page-options="[10, 25, 50]"')
            .mark('import-preview')
        )
        self.table.on('request', self._request)
        self.show(1, PAGE_SIZE)

    def _request(self, event) -> None:
        pagination = event.args['pagination']
        self.show(pagination['page'], pagination['rowsPerPage'] or len(self.plan))

    def show(self, page: int, size: int) -> None:
        rows = self.plan[(page - 1) * size : page * size]
        titles = _related_titles(self.resource, rows)
        self.table.rows = [
            {
                'row': p.row,
                'action': action_label(p.action),
                'title': p.title,
                'details': p.reason or describe(self.resource, p, titles),
            }
            for p in rows
        ]
        self.table.pagination = self._pagination(page, size)

    def _pagination(self, page: int, size: int) -> dict[str, Any]:
        # the footer's words travel with the pagination they describe (list_table.js draws them)
        label = range_label(page, size, len(self.plan), exact=True)
        return {'page': page, 'rowsPerPage': size, 'rowsNumber': len(self.plan), 'label': label}


def describe(resource: Resource, row: RowPlan, titles: dict[str, dict[int, str]] | None = None) -> str:
    """A row's changes as a person reads them: 'Name: Ada Lovelace → Ada King; Kept as it is (empty cell): Consent'."""
    titles = titles or {}
    parts = []
    for name, (before, after) in row.changes.items():
        field, shown = _label(resource, name), lambda v, n=name: _shown(resource, n, v, titles)
        if name in row.cleared:
            parts.append(_(CLEAR).format(field=field, before=shown(before)))
        elif row.action == 'create':
            parts.append(_(GIVEN).format(field=field, value=shown(after)))
        else:
            parts.append(_(CHANGE).format(field=field, before=shown(before), after=shown(after)))
    if row.kept:
        parts.append(_(KEPT).format(fields=', '.join(_label(resource, name) for name in row.kept)))
    if row.withheld:
        parts.append(_(WITHHELD).format(fields=', '.join(_label(resource, name) for name in row.withheld)))
    return '; '.join(parts)


def _label(resource: Resource, name: str) -> str:
    return next((_(f.label) for f in resource.fields if f.name == name), name)


def _shown(resource: Resource, name: str, value: Any, titles: dict[str, dict[int, str]]) -> str:
    form_field = next((f for f in resource.fields if f.name == name), None)
    if form_field is None or value is None or value == '':
        return _(EMPTY) if value in (None, '') else str(value)
    if form_field.kind == 'related':
        return titles.get(name, {}).get(value, f'#{value}')
    column = next((c for c in resource.columns if c.name == name), None)
    choices = {**((column.choices if column else None) or {}), **(form_field.choices or {})}
    return display_value(value, form_field.kind, choices) or _(EMPTY)


def _related_titles(resource: Resource, rows: list[RowPlan]) -> dict[str, dict[int, str]]:
    """{field: {id: title}} of the related records one page of the preview names (one query per related field)."""
    found: dict[str, dict[int, str]] = {}
    for form_field in resource.fields:
        if form_field.kind != 'related':
            continue
        ids = {v for row in rows for v in row.changes.get(form_field.name, ()) if isinstance(v, int)}
        if ids:
            with read_session() as session:
                found[form_field.name] = crud.titles_for(
                    session=session, resource=RESOURCES[form_field.related], ids=ids
                )
    return found
