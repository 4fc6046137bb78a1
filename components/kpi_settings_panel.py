"""The KPIs section of /settings: the owner's definitions (with their dated record and the background recompute's
progress), the KPI jobs' recent runs, and the front-office snippet that sends usage events."""

from __future__ import annotations

from dataclasses import asdict

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.formatting import ago, when
from backoffice.i18n import _, ngettext
from backoffice.kpi import definitions, refresh
from backoffice.kpi.snippet import snippet
from backoffice.models import KpiJobRun, User
from backoffice.runtime import job_titles
from backoffice.services import job_runs

from .forms import FAILED, call, clear_errors
from .session import acting_user
from .whole_number import WholeNumberInput

NUMBERS = ('active_min_events', 'active_days', 'abandonment_hours', 'at_risk_days')


def kpi_settings_panel(user: User, base_url: str) -> None:
    with read_session() as session:  # the job runs read once for the build: the progress line and the runs' table
        current = definitions.current(session=session)
        runs = refresh.runs_shown(session=session)
    seen = asdict(current)  # what this admin was shown: a colleague's change since is kept, not sent back
    with ui.card().classes('w-full max-w-2xl gap-3').mark('kpi-definitions'):
        ui.label(_('KPI definitions')).classes('text-lg font-medium')
        ui.label(
            _(
                'What counts is yours to say. A change is kept with its date and recomputes the history of the KPIs '
                'it affects, in the background.'
            )
        ).classes('text-sm text-gray-500')
        fields: dict[str, ui.element] = {}
        for name in NUMBERS:
            fields[name] = (
                # text: Chromium's number input read '1,5' as 15; the service says the bounds
                WholeNumberInput(_(definitions.LABELS[name]), value=getattr(current, name))
                .props('outlined')
                .classes('w-full')
            )
        fields['active_types'] = (
            ui.select(
                {t: _(definitions.EVENT_LABELS[t]) for t in definitions.ACTIVITY_TYPES},
                label=_(definitions.LABELS['active_types']),
                multiple=True,
                value=list(current.active_types),
            )
            .props('outlined use-chips')
            .classes('w-full')
        )
        progress = ui.label().classes('text-sm').mark('recompute-progress')
        with ui.row().classes('w-full justify-end'):
            ui.button(_('Save definitions'), on_click=lambda: save())
        changes = ui.column().classes('w-full gap-0 text-sm')

    jobs = _jobs_card(runs.latest)

    with ui.card().classes('w-full max-w-4xl gap-2').mark('events-snippet'):
        ui.label(_('Front-office snippet')).classes('text-lg font-medium')
        ui.label(
            _(
                'Paste into every page of the shop, before </body>, with an API key that has only the events:write '
                "scope: it sends a visit per browser session and a page view per page. Customers' last-seen "
                "time moves only with events sent from the shop's server by a key that also has customers:seen."
            )
        ).classes('text-sm text-gray-500')
        ui.code(snippet(base_url), language='html').classes('w-full text-xs')

    def show_changes() -> None:
        with read_session() as session:
            records = definitions.history(session=session, limit=5)
        changes.clear()
        with changes:
            ui.label(_('Changes')).classes('text-xs uppercase tracking-wide text-gray-500')
            if not records:
                ui.label(_('The defaults, never changed.')).classes('text-gray-500')
            for record in records:
                ui.label(
                    _('{when} by {who}: {summary}').format(
                        when=when(record.changed_at), who=record.changed_by, summary=_summary(record.values)
                    )
                )

    def show_progress(shown: refresh.RunsShown) -> None:
        running, last = shown.running, shown.last_recompute
        if running is not None:
            progress.text = _('Recomputing history: {done} of {total} days…').format(
                done=formatting.number(running.done),
                total=formatting.number(running.total) if running.total else '?',
            )
        elif last is not None:
            progress.text = (
                ngettext(
                    'History recomputed {ago} ({n} day).', 'History recomputed {ago} ({n} days).', last.total or 0
                ).format(ago=ago(last.finished_at), n=formatting.number(last.total or 0))
                if not last.error
                else _('The last recompute failed: {error}').format(error=last.error)
            )
        else:
            progress.text = ''

    def read_progress() -> None:
        """The runs read again (every 2 s, and after a save): the progress line and the table, one statement."""
        with read_session() as session:
            shown = refresh.runs_shown(session=session)
        show_progress(shown)
        jobs.rows = [_run_row(run) for run in shown.latest]

    async def save() -> None:
        actor = acting_user()
        if actor is None:
            return
        clear_errors(fields)
        values = {
            name: field.number if isinstance(field, WholeNumberInput) else field.value for name, field in fields.items()
        }
        result = await call(_save, actor, values, dict(seen), fields=fields)
        if result is FAILED:
            return
        saved, diff = result
        seen.update(asdict(saved))  # the next save is compared with what this one left
        for name in NUMBERS:  # with a colleague's change kept, which the fields now show
            fields[name].value = str(getattr(saved, name))
        fields['active_types'].value = list(saved.active_types)
        if not diff:
            ui.notify(_('Nothing to save'))
            return
        keys = definitions.affected(diff)
        if keys:
            refresh.start_recompute(keys=keys, reason=f'definitions changed by {actor.email}')
        ui.notify(
            _('Definitions saved; recomputing the history in the background') if keys else _('Definitions saved'),
            type='positive',
        )
        show_changes()
        read_progress()

    show_changes()
    show_progress(runs)  # from the build's read; the timer's first read is 2 s later (not again on connecting)
    ui.timer(2, read_progress, immediate=False)


def _jobs_card(latest: list[KpiJobRun]) -> ui.table:
    """The newest runs; the table's rows are replaced when they are read again."""
    with ui.card().classes('w-full max-w-4xl gap-2'):
        ui.label(_('KPI jobs')).classes('text-lg font-medium')
        ui.label(
            _(
                'Every minute the KPIs of today are refreshed from what is new; every night the last weeks are '
                'recomputed fully.'
            )
        ).classes('text-sm text-gray-500')
        return (
            ui.table(
                columns=[
                    {'name': c, 'label': label, 'field': c, 'align': 'left'}
                    for c, label in (
                        ('job', _('Job')),
                        ('started', _('Started')),
                        ('ended', _('Ended')),
                        ('rows', _('Rows')),
                        ('error', _('Error')),
                    )
                ],
                rows=[_run_row(run) for run in latest],
                row_key='id',
            )
            .props('dense flat')
            .classes('w-full')
            .mark('kpi-jobs')
        )


def _run_row(run_: KpiJobRun) -> dict:
    return {
        'id': run_.id,
        'job': job_titles.title(run_.job),
        'started': when(run_.started_at),
        'ended': _('interrupted')
        if run_.error == job_runs.KPI_INTERRUPTED
        else when(run_.finished_at)
        if run_.finished_at
        else _('running ({done}/{total})').format(
            done=formatting.number(run_.done), total=formatting.number(run_.total)
        ),
        'rows': formatting.number(run_.rows),  # 12 345 in French
        'error': '' if run_.error == job_runs.KPI_INTERRUPTED else run_.error or '',
    }


def _summary(values: dict) -> str:
    d = definitions.Definitions(
        **{
            **asdict(definitions.Definitions()),
            **{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()},
        }
    )
    return _('{active} Abandonment after {hours} h; at risk after {days} days.').format(
        active=d.describe_active(), hours=d.abandonment_hours, days=d.at_risk_days
    )


def _save(actor: User, values: dict, seen: dict):
    with session_scope() as session:
        return definitions.change(session=session, actor=actor, values=values, seen=seen)
