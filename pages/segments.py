"""Segments: who to re-engage — built-in and custom segments with a live count, their members, and the export of the
consenting ones (CSV or the team's email tool)."""

from __future__ import annotations

import asyncio
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.i18n import N_, _, ngettext
from backoffice.kpi.definitions import ACTIVITY_TYPES, EVENT_LABELS
from backoffice.models import CustomerStatus, User
from backoffice.permissions import can
from backoffice.resources.customers import STATUSES as CUSTOMER_STATUSES
from backoffice.services import segment_pushes, segments
from backoffice.services.segments import Filters
from backoffice.transfer.accounting_files import XLSX as XLSX_TYPE
from backoffice.validation import NAME_MAX
from components.forms import FAILED, call, call_now, clear_errors, counted, error_line, page_dialog, scroll_into_view
from components.screens import screen
from components.segment_members import PAGE as MEMBERS_PAGE
from components.segment_members import SegmentMembers, members_dialog
from components.session import acting_user

COUNT_AFTER = 0.3  # seconds of no typing before the live count runs
# the export's choices: (separator, marker, label); a semicolon for Excel in French, a comma for the email tools
SEPARATORS = [(';', 'semicolon', N_('CSV for Excel (;)')), (',', 'comma', N_('CSV with commas (,)'))]
XLSX = 'xlsx'  # the export's third choice: a workbook, not a CSV

NUMBER_FILTERS = {
    'signed_up_within_days': N_('Signed up within (days)'),
    'not_seen_for_days': N_('Not seen for (days)'),
    'seen_within_days': N_('Seen within (days)'),
    'min_orders': N_('At least this many paid orders'),
    'no_order_for_days': N_('No order for (days)'),
    'min_turnover': N_('Turnover at least'),
    'event_within_days': N_('… within (days)'),
}


@screen(
    '/segments',
    N_('Segments'),
    permission='segments.read',
    icon='groups',
    section=N_('People'),
    order=230,
    description=N_('Customers to re-engage: inactive, at risk, high value, your own'),
)
def segments_page(user: User) -> None:
    may_export = can(user, 'segments.export')

    @ui.refreshable
    def overview() -> None:
        with read_session() as session:
            found = segments.saved_segments(session=session)
            saved = [(s.id, s.name, s.filters, s.version) for s in found]
            # each one's schedule, in words, and why its last scheduled push failed ('' for none)
            pushes: dict[int | str, tuple[str, int | None, str, str, int]] = {
                s.id or 0: (s.push_frequency or '', s.push_weekday, *_said(s)) for s in found
            }
            # a built-in segment is scheduled as a saved one is (its own row: nothing to save first)
            for key, row in segment_pushes.built_in_schedules(session=session).items():
                pushes[key] = (row.push_frequency or '', row.push_weekday, *_said(row))
        totals: dict[str, tuple[ui.label, ui.label]] = {}

        def counted_line(marker: str) -> tuple[ui.label, ui.label]:
            """A card's count and, beside it, how many of them an export reaches (a campaign's real size)."""
            with ui.row().classes('items-baseline gap-2'):
                total = ui.label('…').classes('text-2xl font-semibold').mark(marker)
                reach = ui.label().classes('text-xs text-gray-500').mark(marker.replace('-total-', '-reach-', 1))
            return total, reach

        def schedule_button(which: int | str, name: str) -> None:
            """The clock on a card (a saved segment's id or a built-in one's key): its schedule's dialog."""
            frequency, weekday, _said_text, _failed, version = pushes.get(which, ('', None, '', '', 0))
            timed = (
                ui.button(
                    icon='schedule_send',
                    on_click=lambda: schedule_dialog(which, name, version, frequency, weekday),
                )
                .props('flat round dense size=sm')
                .classes('ml-auto' if isinstance(which, str) else '')  # a saved card's edit button pushes them right
                .mark(f'schedule-segment-{which}')
                .on('click.stop', js_handler='() => {}')
            )  # the card under it opens the members
            timed.props['aria-label'] = _('Push segment {name} on a schedule').format(name=name)
            # the clock in the primary colour while the segment is pushed on a schedule
            timed.props['color'] = 'primary' if frequency else 'grey-7'

        def schedule_lines(which: int | str) -> None:
            """The schedule in words under a card, and why its last scheduled push failed."""
            _frequency, _weekday, scheduled, failed, _version = pushes.get(which, ('', None, '', '', 0))
            if scheduled:
                ui.label(scheduled).classes('text-xs text-gray-600 break-words').mark(f'segment-schedule-{which}')
            if failed:
                ui.label(_('Last scheduled push failed: {reason}').format(reason=failed)).classes(
                    'text-xs text-red-700 break-words'
                ).mark(f'segment-push-error-{which}')

        with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-4 gap-3'):
            for segment in segments.BUILT_IN:
                with (
                    ui.card()
                    .classes('w-full gap-1 p-3 cursor-pointer')
                    .mark(f'segment-{segment.key}')
                    .on('click', lambda k=segment.key, n=_(segment.name): show_members(k, n))
                ):
                    with ui.row().classes('w-full items-center justify-between no-wrap gap-1'):
                        ui.label(_(segment.name)).classes('text-sm text-gray-600')
                        if may_export:
                            schedule_button(segment.key, _(segment.name))
                    totals[segment.key] = counted_line(f'segment-total-{segment.key}')
                    ui.label(_(segment.description)).classes('text-xs text-gray-500')
                    schedule_lines(segment.key)
            for segment_id, name, filters, version in saved:
                with (
                    ui.card()
                    .classes('w-full gap-1 p-3 cursor-pointer')
                    .mark(f'segment-saved-{segment_id}')
                    .on('click', lambda f=filters, n=name: show_members(Filters.model_validate(f), n))
                ):
                    with ui.row().classes('w-full items-center justify-between no-wrap gap-1'):
                        cut = (
                            ui.label(name).classes('text-sm text-gray-600 truncate').mark(f'segment-name-{segment_id}')
                        )
                        cut.props['title'] = name  # cut on the card: whole on hover (a value, never parsed)
                        if may_export:
                            edit = (
                                ui.button(
                                    icon='edit',
                                    on_click=lambda i=segment_id, n=name, f=filters, v=version: start_editing(
                                        i, n, f, v
                                    ),
                                )
                                .props('flat round dense size=sm color=grey-7')
                                .classes('ml-auto')
                                .mark(f'edit-segment-{segment_id}')
                                .on('click.stop', js_handler='() => {}')
                            )  # the card under it opens the members
                            edit.props['aria-label'] = _('Edit segment {name}').format(
                                name=name
                            )  # a value, never parsed
                            delete = (
                                ui.button(
                                    icon='delete_outline', on_click=lambda i=segment_id, n=name: delete_dialog(i, n)
                                )
                                .props('flat round dense size=sm color=grey-7')
                                .mark(f'delete-segment-{segment_id}')
                                .on('click.stop', js_handler='() => {}')
                            )  # the card under it opens the members
                            # a value, never parsed: a name formatted into a props string became a `:` prop (JS)
                            delete.props['aria-label'] = _('Delete segment {name}').format(name=name)
                            schedule_button(segment_id, name)
                    totals[f'saved-{segment_id}'] = counted_line(f'segment-total-saved-{segment_id}')
                    # what it selects, in words: a saved segment said only 'Custom segment'
                    ui.label(segments.describe(filters) or _('Every customer')).classes(
                        'text-xs text-gray-500 break-words'
                    ).mark(f'segment-filters-{segment_id}')
                    schedule_lines(segment_id)

        async def count_built_in() -> None:  # counting every customer can be slow: in a worker, after the page shows
            counted = await call(_count_all, user, [(i, f) for i, _name, f, _version in saved])
            if counted is not FAILED and counted is not None:  # None: the app stopped meanwhile (io_bound gives up)
                for key, (total, reach) in totals.items():
                    everyone, reachable = counted[key]
                    total.text = formatting.number(everyone)
                    reach.text = ngettext('{n} in an export', '{n} in an export', reachable).format(
                        n=formatting.number(reachable)
                    )

        ui.timer(0, count_built_in, once=True)

    overview()

    # the saved segment being edited in the builder ({} when building a new one): its id, name and the version opened
    editing: dict[str, Any] = {}

    with ui.card().classes('w-full gap-2') as builder:
        heading = ui.label(_('Build a segment')).classes('text-lg font-medium break-words').mark('builder-heading')
        fields: dict[str, ui.element] = {
            'status': ui.select(
                {s.value: _(formatting.label(s, CUSTOMER_STATUSES)) for s in CustomerStatus},
                label=_('Status'),
                clearable=True,
            ),
            'event_type': ui.select(
                {t: _(EVENT_LABELS[t]) for t in ACTIVITY_TYPES}, label=_('Did this'), clearable=True
            ),
        }
        with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-2'):
            for name, label in NUMBER_FILTERS.items():  # text: Chromium's number input read '1,5' as 15
                fields[name] = ui.input(_(label)).props(
                    'inputmode=decimal' if name == 'min_turnover' else 'inputmode=numeric'
                )
                fields[name].mark(f'segment-{name}')
            fields['min_turnover'].props['suffix'] = formatting.currency_symbol()  # a value, never parsed as props
        # "… within (days)" beside what it counts from ("Did this"), not three fields away from it; the status after
        # them, so that the six numbers fill the grid above
        with ui.grid().classes('w-full grid-cols-2 sm:grid-cols-3 gap-2') as did:
            pass
        fields['event_type'].move(did)
        fields['event_within_days'].move(did)
        fields['status'].move(did)
        for element in fields.values():
            element.props('outlined dense').classes('w-full')
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.column().classes('gap-0'):
                live_count = ui.label().classes('font-medium').mark('live-count')
                live_reach = ui.label().classes('text-xs text-gray-500').mark('live-reach')
            with ui.row().classes('gap-2'):
                ui.button(
                    _('Show customers'), on_click=lambda: _custom(lambda f: show_members(f, _('Custom segment')))
                ).props('flat')
                if may_export:
                    stop = ui.button(_('Stop editing'), on_click=lambda: stop_editing()).props('flat')
                    stop.mark('stop-editing').set_visibility(False)
                    save_button = ui.button(_('Save segment'), on_click=lambda: save_dialog()).mark('save-segment')

    def start_editing(segment_id: int, name: str, filters: dict[str, Any], version: int) -> None:
        """The saved segment's filters in the builder, its live count below them; Save changes it (at this version)."""
        editing.update(id=segment_id, name=name, version=version)
        for field, element in fields.items():
            value = filters.get(field)
            element.value = None if value is None else value if field in ('status', 'event_type') else str(value)
        heading.text = _('Edit segment “{name}”').format(name=name)
        save_button.text = _('Save changes')
        stop.set_visibility(True)
        scroll_into_view(builder, to_top=True)

    def stop_editing() -> None:
        editing.clear()
        for element in fields.values():
            element.value = None
        heading.text = _('Build a segment')
        save_button.text = _('Save segment')
        stop.set_visibility(False)

    def values() -> dict[str, Any]:
        return {name: element.value for name, element in fields.items() if element.value not in (None, '')}

    def _custom(then) -> Any:
        filters = call_now(segments.read_filters, values(), fields=fields)
        if filters is not FAILED:
            return then(filters)  # a coroutine (the members dialog): NiceGUI awaits what a handler returns
        return None

    typed = {'generation': 0}

    async def update_count(*, wait: float = COUNT_AFTER) -> None:
        """Count in a worker thread, once the typing has paused; a count for older filters is never shown."""
        typed['generation'] += 1
        generation = typed['generation']
        await asyncio.sleep(wait)
        if generation != typed['generation']:
            return
        clear_errors(fields)
        try:
            filters = segments.read_filters(values())
        except ValidationFailed as error:
            live_count.text, live_reach.text = _('Check the filters'), ''
            for name, text in error.errors.items():  # at the field, as it is typed (no focus moved: they are typing)
                if name in fields:
                    fields[name].error = text
            return
        actor = acting_user()
        if actor is None:
            return
        counted = await call(_count, actor, filters)  # refused in words if the role lost segments.read meanwhile
        if counted is FAILED:
            return
        if generation == typed['generation']:
            total, reachable = counted
            live_count.text = matches(total)
            live_reach.text = ngettext(
                '{n} in an export (agreed to marketing, not banned)',
                '{n} in an export (agreed to marketing, not banned)',
                reachable,
            ).format(n=formatting.number(reachable))

    for element in fields.values():
        element.on_value_change(lambda: update_count())
    ui.timer(0, lambda: update_count(wait=0), once=True)

    async def show_members(which: str | Filters, name: str) -> None:
        actor = acting_user()
        if actor is None:
            return
        found = await call(_members, actor, which)  # counting can be slow: in a worker, never on the event loop
        if found is FAILED:
            return
        rows, total, reachable = found
        with members_dialog() as dialog:
            with ui.row().classes('w-full items-center justify-between no-wrap'):
                ui.label(
                    ngettext('{name}: {n} customer', '{name}: {n} customers', total).format(
                        name=name, n=formatting.number(total)
                    )
                ).classes('text-lg font-medium min-w-0 break-words')  # a long name wraps: the Close button stays
                close = ui.button(icon='close', on_click=dialog.close).props('flat round dense').classes('shrink-0')
                close.props['aria-label'] = _('Close')
            SegmentMembers(which, rows, total)
            # before exporting, how many the campaign reaches (it said 150 customers, and the file held 44)
            ui.label(segments.reach(total, reachable)).classes('text-sm font-medium').mark('segment-reach')
            if may_export:
                ui.label(
                    _(
                        'Exports include only customers who agreed to marketing and are not banned; each export is '
                        'logged.'
                    )
                ).classes('text-xs text-gray-500')
                with read_session() as session:
                    pushes = bool(segments.webhook_address(session=session))
                if not pushes:  # the settings say an empty address turns the push off: no button that only says so
                    ui.label(_('No webhook address yet: an admin sets it in Settings → Segments.')).classes(
                        'text-xs text-gray-500'
                    ).mark('no-webhook')
                with ui.row().classes('w-full justify-end gap-2'):
                    if pushes:
                        ui.button(_('Push to webhook'), icon='send', on_click=lambda: push_dialog(which, name)).props(
                            'flat'
                        )
                    export_button(which, name)
        dialog.open()

    def export_button(which: str | Filters, name: str) -> None:
        """Export CSV with the separator the reader's spreadsheet expects (Excel in French: ';'); the arrow offers
        both, a comma for the email tools."""
        default = formatting.spreadsheet_separator()
        with (
            ui.dropdown_button(
                _('Export CSV'),
                icon='download',
                split=True,
                auto_close=True,
                on_click=lambda: export(which, name, default),
            )
            .props('no-caps')
            .mark('export-csv')
        ):  # as every button (main.py), which ui.dropdown_button is not
            for separator, marker, label in SEPARATORS:
                ui.item(_(label), on_click=lambda s=separator: export(which, name, s)).mark(f'export-csv-{marker}')
            ui.item(_('Excel workbook (.xlsx)'), on_click=lambda: export(which, name, XLSX)).mark('export-xlsx')

    async def export(which: str | Filters, name: str, separator: str) -> None:
        actor = acting_user()
        if actor is None:
            return
        exported = await call(_export, actor, which, name, separator)
        if exported is FAILED:
            return
        file_name, data, sent = exported
        ui.download.content(data, file_name, media_type=XLSX_TYPE if separator == XLSX else 'text/csv')
        ui.notify(
            ngettext('Exported {n} consenting customer', 'Exported {n} consenting customers', sent).format(
                n=formatting.number(sent)
            ),
            type='positive',
        )

    def push_dialog(which: str | Filters, name: str) -> None:
        with read_session() as session:
            address = segments.shown_address(session=session)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md gap-2'):
            ui.label(_('Push “{name}” to the webhook').format(name=name)).classes('text-lg font-medium')
            if address:
                ui.label(_('The consenting customers are sent to')).classes('text-sm text-gray-600')
                ui.label(address).classes('text-sm font-mono break-all').mark('webhook-address')
            else:
                ui.label(_('No webhook address yet: an admin sets it in Settings → Segments.')).classes(
                    'text-sm text-gray-600'
                )
            problem = error_line()

            async def push() -> None:
                actor = acting_user()
                if actor is None:
                    return
                sent = await call(_push, actor, which, name, message=problem)
                if sent is FAILED:
                    return
                dialog.close()
                ui.notify(
                    ngettext('Sent {n} consenting customer', 'Sent {n} consenting customers', sent).format(
                        n=formatting.number(sent)
                    ),
                    type='positive',
                )

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                if address:
                    ui.button(_('Push'), on_click=push).mark('confirm-push')
        dialog.open()

    def schedule_dialog(which: int | str, name: str, version: int, frequency: str, weekday: int | None) -> None:
        """How often the segment goes to the campaign tool without anyone pressing Push (as the person scheduling)."""
        with read_session() as session:
            address = segments.shown_address(session=session)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md gap-2'):
            ui.label(_('Push “{name}” on a schedule').format(name=name)).classes('text-lg font-medium break-words')
            if address:
                ui.label(_('Its consenting customers are sent to')).classes('text-sm text-gray-600')
                ui.label(address).classes('text-sm font-mono break-all')
            else:
                ui.label(_('No webhook address yet: an admin sets it in Settings → Segments.')).classes(
                    'text-sm text-gray-600'
                )
            options = {'': _('Never'), **{key: _(label) for key, label in segment_pushes.FREQUENCIES.items()}}
            how = (
                ui.select(options, value=frequency, label=_('How often'))
                .props('outlined')
                .classes('w-full')
                .mark('push-frequency')
            )
            days = {number: _(label) for number, label in segment_pushes.WEEKDAYS.items()}
            day = (
                ui.select(days, value=weekday or 0, label=_('Day of the week'))
                .props('outlined')
                .classes('w-full')
                .mark('push-weekday')
                .bind_visibility_from(how, 'value', value='weekly')
            )
            ui.label(
                _(
                    'It is sent as you: your right to export segments is checked at each push. A failed push is tried '
                    'again every hour and said in your notifications.'
                )
            ).classes('text-xs text-gray-500')
            problem = error_line()  # someone else's edit meanwhile, or no address: said here

            def save() -> None:
                actor = acting_user()
                if actor is None:
                    return
                done = call_now(
                    _schedule,
                    actor,
                    which,
                    version,
                    how.value,
                    day.value,
                    fields={'frequency': how, 'weekday': day},
                    message=problem,
                )
                if done is FAILED:
                    return
                dialog.close()
                ui.notify(_('Schedule saved') if how.value else _('No longer pushed on a schedule'), type='positive')
                overview.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save'), on_click=save).mark('confirm-schedule')
        dialog.open()

    def delete_dialog(segment_id: int, name: str) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md gap-2'):
            ui.label(_('Delete the segment “{name}”?').format(name=name)).classes('text-lg font-medium')
            ui.label(_('Its filters are removed; no customer is changed.')).classes('text-sm text-gray-600')

            def delete() -> None:
                actor = acting_user()
                if actor is None:
                    return
                deleted = call_now(_delete, actor, segment_id)
                dialog.close()
                if deleted is not FAILED:
                    ui.notify(_('Segment “{name}” deleted').format(name=name), type='positive')
                overview.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Delete'), on_click=delete).props('color=negative').mark('confirm-delete')
        dialog.open()

    def save_dialog() -> None:
        edited = dict(editing)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md gap-2'):
            ui.label(_('Save changes to the segment') if edited else _('Save segment')).classes('text-lg font-medium')
            name = (
                counted(ui.input(_('Name'), value=edited.get('name', '')), NAME_MAX).props('outlined').classes('w-full')
            )
            problem = error_line()  # someone else's edit meanwhile: said here, what was typed kept

            def save() -> None:
                actor = acting_user()
                if actor is None:
                    return
                shown = {'name': name, **fields}
                if edited:
                    saved = call_now(
                        _update,
                        actor,
                        edited['id'],
                        edited['version'],
                        name.value,
                        values(),
                        fields=shown,
                        message=problem,
                    )
                else:
                    saved = call_now(_save, actor, name.value, values(), fields=shown, message=problem)
                if saved is FAILED:
                    return
                dialog.close()
                if edited:
                    stop_editing()
                ui.notify(_('Changes saved') if edited else _('Segment saved'), type='positive')
                overview.refresh()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save'), on_click=save).mark('confirm-save')
        dialog.open()


def _count_all(actor: User, saved: list[tuple[int, dict[str, Any]]]) -> dict[str, tuple[int, int]]:
    """Each built-in segment's and saved one's ('saved-<id>') count, and how many of them agreed to marketing."""
    which: list[tuple[str, str | Filters]] = [(s.key, s.key) for s in segments.BUILT_IN]
    which += [(f'saved-{segment_id}', Filters.model_validate(filters)) for segment_id, filters in saved]
    with read_session() as session:
        return {
            key: (
                segments.count(session=session, actor=actor, which=selected),
                segments.count(session=session, actor=actor, which=selected, consenting_only=True),
            )
            for key, selected in which
        }


def _members(actor: User, which: str | Filters) -> tuple[list[dict[str, Any]], int, int]:
    with read_session() as session:
        rows = segments.members(session=session, actor=actor, which=which, limit=MEMBERS_PAGE)
        total = segments.count(session=session, actor=actor, which=which)
        return rows, total, segments.count(session=session, actor=actor, which=which, consenting_only=True)


def _count(actor: User, filters: Filters) -> tuple[int, int]:
    """How many customers the filters select, and how many of them an export reaches."""
    with read_session() as session:
        total = segments.count(session=session, actor=actor, which=filters)
        return total, segments.count(session=session, actor=actor, which=filters, consenting_only=True)


def _save(actor: User, name: str, filters: dict[str, Any]) -> Any:
    with session_scope() as session:
        return segments.save_segment(session=session, actor=actor, name=name, filters=filters)


def _update(actor: User, segment_id: int, version: int, name: str, filters: dict[str, Any]) -> Any:
    with session_scope() as session:
        return segments.update_segment(
            session=session, actor=actor, segment_id=segment_id, version=version, name=name, filters=filters
        )


def _delete(actor: User, segment_id: int) -> bool:
    with session_scope() as session:
        segments.delete_segment(session=session, actor=actor, segment_id=segment_id)
    return True


def _export(actor: User, which: str | Filters, name: str, separator: str):
    with session_scope() as session:
        if separator == XLSX:
            return segments.export_xlsx(session=session, actor=actor, which=which, name=name)
        return segments.export_csv(session=session, actor=actor, which=which, name=name, separator=separator)


def _schedule(actor: User, which: int | str, version: int, frequency: str | None, weekday: int | None) -> Any:
    """A saved segment's (its id) or a built-in one's (its key) schedule."""
    with session_scope() as session:
        return segment_pushes.schedule(
            session=session,
            actor=actor,
            segment_id=which if isinstance(which, int) else None,
            built_in=which if isinstance(which, str) else None,
            version=version,
            frequency=frequency,
            weekday=weekday,
        )


def _said(row: Any) -> tuple[str, str, int]:
    """A schedule's words on its card, why its last push failed, and the version its dialog saves at."""
    return segment_pushes.said(row), segment_pushes.error_said(row), row.version


def _push(actor: User, which: str | Filters, name: str) -> int:
    with session_scope() as session:
        return segments.push_to_webhook(session=session, actor=actor, which=which, name=name)


def matches(total: int) -> str:
    return ngettext('{n} customer matches', '{n} customers match', total).format(n=formatting.number(total))
