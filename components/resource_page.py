"""A record's own page from its declaration: its name and key values, the record dialog (edit, actions, history), and
the sections its resource declares (a customer's orders, requests…), each row a link, the most recent first."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from backoffice.db import read_session
from backoffice.engine.declaration import SectionRows, number, shown
from backoffice.formatting import when
from backoffice.i18n import N_, _
from backoffice.models import User
from backoffice.permissions import can
from backoffice.resources import RESOURCES, RecordSection, Resource
from backoffice.services import crud

from . import live
from .forms import FAILED, call, call_now
from .links import record_link, site_link
from .personal_data import personal_data_buttons
from .resource_form import action_buttons, open_record
from .server_error import record_id as parsed_id
from .session import acting_user

# every string a person reads on this page, in one place (marked here, translated where shown: _(TEXT[…]))
TEXT = {
    'not_found': N_('This record does not exist, or you may not read it.'),
    'back': N_('Back to the list'),
    'edit': N_('Edit'),
    'details': N_('Details and history'),
    'see_all': N_('See all'),
    'in_trash': N_('in the trash'),
    'count_more': N_('{count}+'),  # at least this many
}
SECTION_ROWS = 5  # the most recent few; "See all" opens the whole filtered list


class RecordPage:
    """The page of one record of `resource` (its `page` path, e.g. /customers/{id})."""

    def __init__(self, resource: Resource, user: User, record_id: str) -> None:
        self.resource, self.user = resource, user
        self.record_id = parsed_id(record_id) or 0
        loaded = call_now(_load, user, resource, self.record_id) if self.record_id else FAILED
        self.found = loaded is not FAILED  # a page adding its own panels below adds them only to a record shown
        if loaded is FAILED:
            ui.label(_(TEXT['not_found'])).mark('not-found')
            ui.link(_(TEXT['back']), f'/{resource.key}')
            return
        self.record, self.related, self.sections = loaded
        # a record in the trash shows itself (and Restore) only: a page's own panels act on a live record
        self.in_trash = getattr(self.record, 'deleted_at', None) is not None
        self.box = ui.column().classes('w-full gap-4 min-w-0')
        self._reloads = 0  # reloads started; only the latest one shows what it read (see `reload`)
        self.render()
        live.resource_changed(resource.key).subscribe(self._on_change)

    def _on_change(self, payload: dict) -> None:
        if payload.get('id') == self.record_id or self.record_id in (payload.get('ids') or ()):
            ui.timer(0.05, self.reload, once=True)

    async def reload(self) -> None:
        user = acting_user()
        if user is None or self.box.is_deleted:
            return
        self._reloads += 1  # changes in a row start reloads that may answer out of order: the latest started shows
        this_reload = self._reloads
        loaded = await call(_load, user, self.resource, self.record_id)
        if loaded is FAILED or this_reload != self._reloads or self.box.is_deleted:
            return
        if _shown(*loaded) == _shown(self.record, self.related, self.sections):
            return  # a change that shows nothing new (another field's save, a relayed echo): the page is not rebuilt,
            # so a click landing as the change arrives is not lost with the button it was on
        self.record, self.related, self.sections = loaded
        self.render()

    def render(self) -> None:
        self.box.clear()
        with self.box:
            self._header()
            with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
                for section, rows in self.sections:
                    _section(section, rows)

    def _header(self) -> None:
        resource, record = self.resource, self.record
        with ui.row().classes('w-full items-center gap-3 flex-wrap'):
            title = str(getattr(record, resource.title, '') or f'#{record.id}')
            ui.label(title).classes('text-xl font-medium break-all min-w-0').mark('record-title')
            if getattr(record, 'deleted_at', None):
                ui.badge(_(TEXT['in_trash']), color='negative')
            ui.space()
            writable = (
                not resource.read_only
                and can(self.user, resource.write_permission)
                and resource.changeable(record, self.user)
            )
            ui.button(
                _(TEXT['edit']) if writable else _(TEXT['details']),
                icon='edit' if writable else 'info',
                on_click=lambda: open_record(resource, record.id, on_saved=self.reload),
            ).props('outline').mark('open-record')
            action_buttons(resource, record, self.user, self.reload)
            personal_data_buttons(resource.personal_data, record, self.user, self.reload)
        with ui.element('div').classes('w-full grid grid-cols-2 lg:grid-cols-4 gap-x-6 gap-y-2'):
            for column in resource.columns:
                if column.name == resource.title:
                    continue
                value = getattr(record, column.name)
                with ui.column().classes('gap-0 min-w-0').mark(f'fact-{column.name}'):
                    ui.label(shown(column.label)).classes('text-xs text-gray-500')
                    if column.kind == 'related' and value is not None and self.related.get(column.name):
                        record_link(column.related, value, self.related[column.name], self.user)
                    elif column.kind == 'related':  # none, or one in the trash (shown nowhere but the trash)
                        ui.label('—')
                    else:
                        ui.label(column.text(record) or '—').classes('break-words min-w-0 max-w-full')
                    if column.detail is not None and (detail := column.detail(record)):
                        ui.label(detail).classes('text-xs text-gray-600 break-words min-w-0 max-w-full').mark(
                            f'fact-{column.name}-detail'
                        )


def _section(section: RecordSection, found: SectionRows) -> None:
    with ui.card().classes('w-full min-w-0 gap-2').mark(f'section-{section.key}'):
        with ui.row().classes('w-full items-center justify-between no-wrap'):
            ui.label(shown(section.label)).classes('font-medium')
            count = _(TEXT['count_more']).format(count=number(found.total)) if found.more else number(found.total)
            ui.badge(count).props('outline rounded').mark(f'count-{section.key}')
        if not found.rows:
            ui.label(shown(section.empty)).classes('text-sm text-gray-500')
        with ui.column().classes('w-full gap-2'):
            for row in found.rows:
                with ui.column().classes('w-full gap-0 min-w-0').mark(f'row-{section.key}'):
                    with ui.row().classes('w-full items-center gap-2 no-wrap'):
                        if row.href:
                            site_link(row.title, row.href).classes('break-words min-w-0 grow')
                        else:
                            ui.label(row.title).classes('break-words min-w-0 grow')
                        if row.status:
                            label = shown((section.statuses or {}).get(row.status, row.status))
                            ui.badge(label).props('outline').classes('shrink-0')
                    details = ' · '.join(part for part in (row.detail, when(row.at) if row.at else '') if part)
                    if details:
                        ui.label(details).classes('text-xs text-gray-500 break-words')
        if found.see_all:
            site_link(_(TEXT['see_all']), found.see_all).classes('text-sm').mark(f'see-all-{section.key}')


def _shown(record: Any, related: dict[str, str], sections: list) -> tuple:
    """What the page shows of a record, to compare two loads of it: its fields, its related titles, its sections."""
    return record.model_dump(), related, sections


def _load(user: User, resource: Resource, record_id: int) -> tuple[Any, dict[str, str], list]:
    with read_session() as session:
        record = crud.get_record(session=session, actor=user, resource=resource, record_id=record_id)
        related = {}
        for column in resource.columns:
            value = getattr(record, column.name)
            if column.kind == 'related' and column.related and value is not None:
                titles = crud.titles_for(
                    session=session, resource=RESOURCES[column.related], ids={value}, live=True, field=column.shows
                )
                related[column.name] = titles.get(value, '')
        sections = crud.record_sections(
            session=session, actor=user, resource=resource, record_id=record_id, limit=SECTION_ROWS
        )
        return record, related, sections
