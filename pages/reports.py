"""Reports: the hub listing the ready reports, and one screen per report — its filters, a chart, the table with its
totals and CSV/XLSX/PDF downloads; every figure comes from services/reports.py, read off the event loop."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from backoffice.db import read_session
from backoffice.i18n import N_, _
from backoffice.kpi.days import today
from backoffice.models import User
from backoffice.reports.base import Chart, Table, cell, heading
from backoffice.services import app_settings, reports
from backoffice.services.reports import GRAINS, GROUPS, Report
from components.date_input import DateInput
from components.forms import FAILED, call
from components.lean_plotly import LeanPlotly
from components.report_charts import figure
from components.report_schedule import ScheduleList
from components.screens import screen
from components.session import acting_user


@screen(
    '/reports',
    N_('Reports'),
    permission=reports.PERMISSION,
    icon='summarize',
    order=7,
    description=N_('Ready reports: sales, VAT, stock value, returns, support, cohorts'),
)
def reports_page(user: User) -> None:
    with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-3'):
        for chosen in reports.REPORTS.values():
            with (
                ui.link(target=f'/reports/{chosen.key}')
                .classes('no-underline text-inherit')
                .mark(f'report-{chosen.key}'),
                ui.card().classes('w-full h-full gap-1 p-4 hover:shadow-md'),
            ):
                with ui.row().classes('items-center gap-2 no-wrap'):
                    ui.icon(chosen.icon).classes('text-xl text-primary')
                    ui.label(_(chosen.title)).classes('text-base font-medium')
                ui.label(_(chosen.description)).classes('text-sm text-gray-600')


class ReportScreen:
    def __init__(self, user: User, chosen: Report) -> None:
        self.user, self.report = user, chosen
        day = today(app_settings.time_zone())
        defaults = reports.default_params(chosen.key, day)
        self.today = day
        with read_session() as session:
            choices = reports.filter_choices(session=session, actor=user, key=chosen.key)
        ui.link(_('All reports'), '/reports').classes('text-sm')
        ui.label(_(chosen.description)).classes('text-sm text-gray-600')
        self.fields: dict[str, Any] = {}
        with ui.row().classes('w-full items-start gap-2').mark('report-filters'):
            if 'period' in chosen.filters:
                self.fields['first'] = DateInput(_('From'), value=defaults.first.isoformat(), on_change=self.show)
                self.fields['last'] = DateInput(_('To'), value=defaults.last.isoformat(), on_change=self.show)
            if 'at' in chosen.filters:
                self.fields['at'] = DateInput(_('Day (empty: now)'), value='', on_change=self.show)
            if 'group' in chosen.filters:
                self.fields['group'] = ui.select(
                    {key: _(label) for key, label in GROUPS.items()},
                    label=_('Show'),
                    value='product',
                    on_change=self.show,
                )
            if 'grain' in chosen.filters:
                self.fields['grain'] = ui.select(
                    {key: _(label) for key, label in GRAINS.items()},
                    label=_('Period'),
                    value='month',
                    on_change=self.show,
                )
                self.fields['grain'].bind_visibility_from(self.fields['group'], 'value', lambda v: v == 'period')
            if 'category' in chosen.filters:
                self.fields['category_id'] = ui.select(
                    {'': _('All categories'), **choices['category_id']},
                    label=_('Category'),
                    value='',
                    on_change=self.show,
                )
            if 'agent' in chosen.filters:
                self.fields['agent_id'] = ui.select(
                    {'': _('All agents'), **choices['agent_id']}, label=_('Agent'), value='', on_change=self.show
                )
            for element in self.fields.values():
                element.props('outlined dense').classes('min-w-36')
                if isinstance(element, DateInput):
                    element.props('debounce=600')  # a day being typed is read once the typing pauses
        with ui.row().classes('w-full items-center gap-2'):
            for fmt in ('csv', 'xlsx', 'pdf'):
                ui.button(fmt.upper(), icon='download', on_click=lambda f=fmt: self.download(f)).props(
                    'outline dense'
                ).mark(f'export-{fmt}')
        ScheduleList(user, chosen.key, self.values)
        self.notes = ui.column().classes('w-full gap-0').mark('report-notes')
        with ui.card().classes('w-full p-2'):
            self.chart = LeanPlotly(figure(_empty())).classes('w-full').mark('report-chart')
        self.table = ui.table(columns=[], rows=[], row_key='_row').classes('w-full').mark('report-table')
        self.table.props('flat bordered dense wrap-cells loading :rows-per-page-options="[25, 50, 100, 0]"')
        ui.timer(0, lambda: self.show(first=True), once=True)

    def values(self) -> dict[str, Any]:
        return {name: element.value for name, element in self.fields.items()}

    async def show(self, first: bool = False) -> None:
        # the first figures are read for whom the build was made (the session checked as the page connected); a
        # change of filter later asks who is signed in then
        actor = self.user if first else acting_user()
        if actor is None:
            return
        key, values, day = self.report.key, self.values(), self.today

        def read() -> Table:
            with read_session() as session:
                params = reports.params_from(key, values, day)
                return reports.run(session=session, actor=actor, key=key, params=params)

        with self.table:
            table = await call(read, fields=self.fields)
        if table is FAILED or self.table.is_deleted:
            return
        self.draw(table)

    def draw(self, table: Table) -> None:
        self.table.props(remove='loading')
        self.table.columns = [
            {
                'name': column.key,
                'label': heading(column),
                'field': column.key,
                'align': 'left' if column.kind == 'text' else 'right',
                **({} if index == 0 or column.phone else PHONE_HIDDEN),
                **({'classes': 'whitespace-nowrap'} if column.kind in ('month', 'day') else {}),
            }
            for index, column in enumerate(table.columns)
        ]
        rows = [*table.rows, table.totals] if table.totals else table.rows
        self.table.rows = [
            {'_row': index, **{c.key: cell(row, c, table.currency) for c in table.columns}}
            for index, row in enumerate(rows)
        ]
        self.chart.update_figure(figure(table))
        self.notes.clear()
        with self.notes:
            if not table.rows:
                ui.label(_('Nothing to report over this period.')).classes('text-gray-500')
            for note in table.notes:
                ui.label(note).classes('text-sm text-gray-600')

    async def download(self, fmt: str) -> None:
        actor = acting_user()
        if actor is None:
            return
        key, values, day = self.report.key, self.values(), self.today

        def make() -> tuple[bytes, str, str]:
            with read_session() as session:
                params = reports.params_from(key, values, day)
                return reports.export(session=session, actor=actor, key=key, params=params, fmt=fmt)  # type: ignore[arg-type]

        with self.table:
            made = await call(make, fields=self.fields)
            if made is FAILED:
                return
            content, name, media = made
            ui.download.content(content, name, media)
            ui.notify(_('{file} is downloading.').format(file=name))


PHONE_HIDDEN = {'classes': 'gt-xs', 'headerClasses': 'gt-xs'}


def _empty() -> Table:
    return Table(columns=(), rows=[], chart=Chart('bar', 'label', ()), currency='')


def _declare(chosen: Report) -> None:
    def build(user: User) -> None:
        ReportScreen(user, chosen)

    screen(
        f'/reports/{chosen.key}',
        chosen.title,
        permission=reports.PERMISSION,
        icon=chosen.icon,
        in_menu=False,
        description=chosen.description,
    )(build)


for _report in reports.REPORTS.values():
    _declare(_report)
