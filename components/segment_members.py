"""A segment's members in its dialog: searched by name or email, 50 at a time with "Show more", and how many of how
many are shown ("50 of 3,012"); a table on a desktop, a list on a phone. Every read runs in a worker thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.formatting import ago
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.services import segments
from backoffice.services.segments import Filters

from .forms import BOUNDED_CARD, FAILED, SCROLLING_BODY, call, page_dialog
from .session import acting_user

PAGE = 50  # members read at a time: the first page, then each "Show more"
COLUMNS = (('email', N_('Email')), ('name', N_('Name')), ('export', N_('In the export')), ('seen', N_('Last seen')))


@contextmanager
def members_dialog() -> Iterator[ui.dialog]:
    """A segment's dialog: no taller than the screen, the members scrolling inside it, its export below them."""
    with page_dialog() as dialog, ui.card().classes('w-full max-w-3xl gap-2').style(BOUNDED_CARD):
        yield dialog


class SegmentMembers:
    """The members part of a segment's dialog, opened with the first page and its count already read."""

    def __init__(self, which: str | Filters, rows: list[dict[str, Any]], total: int) -> None:
        self.which, self.rows, self.total = which, list(rows), total
        self.term = ''
        self.generation = 0  # a search answered after a newer one is never shown
        search = ui.input(placeholder=_('Search by name or email')).props('outlined dense clearable debounce=300')
        search.classes('w-full').mark('segment-members-search')
        search.props['aria-label'] = _('Search by name or email')  # a value, never parsed as props
        search.on_value_change(lambda e: self._search(e.value or ''))
        self.shown = ui.label().classes('text-sm text-gray-600').mark('segment-members-shown')
        # the members scroll inside the dialog: the search above and the export below stay in reach
        body = ui.column().classes('w-full gap-1').style(SCROLLING_BODY).mark('segment-members-body')
        with body:
            self._lists()
        self._show()

    def _lists(self) -> None:
        self.table = (
            ui.table(
                columns=[
                    {  # a phone: the email and name wrap anywhere, the short values stay whole: no sideways scroll
                        'name': c,
                        'label': _(label),
                        'field': c,
                        'align': 'left',
                        'classes': 'max-sm:[overflow-wrap:anywhere]' if c in ('email', 'name') else 'whitespace-nowrap',
                    }
                    for c, label in COLUMNS
                ],
                rows=[],
                row_key='id',
                pagination=0,  # every row read so far: "Show more" reads the next ones
            )
            .props('dense flat wrap-cells hide-bottom hide-no-data')
            .classes('w-full max-sm:hidden')
            .mark('segment-members')
        )
        # a phone: one entry a customer, the name then the email whole, not four columns that broke names and
        # addresses letter by letter
        self.phone = ui.list().props('dense separator').classes('w-full sm:hidden').mark('segment-members-phone')
        self.nobody = ui.label().classes('text-sm text-gray-500 break-words').mark('segment-members-nobody')
        self.more = ui.button(_('Show more'), icon='expand_more', on_click=self._more).props('flat no-caps')
        self.more.classes('self-center').mark('segment-members-more')

    def _show(self) -> None:
        self.table.rows = [_table_row(r) for r in self.rows]
        self.table.update()
        self.phone.clear()
        with self.phone:
            for r in self.rows:
                _phone_item(r)
        # said here, at any width: the table's own "no data" is Quasar's and says nothing of the search
        self.nobody.text = '' if self.rows else self._nobody()
        self.nobody.set_visibility(not self.rows)
        self.table.set_visibility(bool(self.rows))  # no headings over nobody
        self.shown.text = _('{shown} of {total}').format(
            shown=formatting.number(len(self.rows)), total=formatting.number(self.total)
        )
        self.more.set_visibility(len(self.rows) < self.total)

    def _nobody(self) -> str:
        if self.term:
            return _('No customer of this segment matches “{term}”.').format(term=self.term)
        return _('No customer is in this segment.')

    async def _search(self, term: str) -> None:
        self.generation += 1
        generation = self.generation
        actor = acting_user()
        if actor is None:
            return
        found = await call(_page, actor, self.which, term.strip(), None, True)  # counting can be slow: in a worker
        if found is FAILED or found is None or generation != self.generation:
            return
        self.term = term.strip()
        self.rows, total = found
        self.total = total if total is not None else len(self.rows)
        self._show()

    async def _more(self) -> None:
        actor = acting_user()
        if actor is None or not self.rows:
            return
        generation = self.generation
        found = await call(_page, actor, self.which, self.term, self.rows[-1]['id'], False)
        if found is FAILED or found is None or generation != self.generation:
            return
        self.rows += found[0]
        self._show()


def _page(
    actor: User, which: str | Filters, search: str, after: int | None, counted: bool
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of members after `after`, and (`counted`) how many the search finds in all."""
    with read_session() as session:
        rows = segments.members(session=session, actor=actor, which=which, limit=PAGE, search=search, after=after)
        total = segments.count(session=session, actor=actor, which=which, search=search) if counted else None
        return rows, total


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': row['id'],
        'email': row['email'],
        'name': row['name'],
        'export': segments.export_standing(row),  # 'Marketing: Yes' of a banned customer left out of the file
        'seen': ago(row['last_seen_at']),
    }


def _phone_item(row: dict[str, Any]) -> None:
    with ui.item(), ui.item_section():
        ui.item_label(row['name'] or row['email']).classes('break-words')
        ui.item_label(row['email']).props('caption').classes('break-all')
        ui.item_label(
            _('{export} · last seen: {seen}').format(
                export=segments.export_standing(row), seen=ago(row['last_seen_at'])
            )
        ).props('caption')
