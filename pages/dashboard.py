"""Dashboard: how the business is doing, phone first — KPI cards, then charts; reads the daily aggregates only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from nicegui import run, ui

from backoffice import formatting, i18n
from backoffice.db import read_session
from backoffice.formatting import ago
from backoffice.i18n import N_, _, ngettext, pgettext
from backoffice.kpi import days, read
from backoffice.kpi.read import Card, Period
from backoffice.models import User
from components import kpi_widgets as widgets
from components.forms import FAILED, call_now, in_language, page_dialog
from components.goal_widgets import goals_strip
from components.lean_plotly import LeanPlotly, preload_bundle
from components.links import site_link
from components.screens import screen
from components.session import acting_user

CUSTOM = 0  # the period switch's "Custom" choice
# while a period switch is read: the cards and charts dimmed, from the tap (data-switching, set by the browser) until
# the new ones are drawn (aria-busy, set by the server)
SWITCHING = (  # the toggle sends the index of the option tapped: any but Custom's (it opens a dialog) is read at once
    '(index) => { if (index !== %d) document.querySelector(".dashboard-content")?.setAttribute("data-switching", ""); }'
)
SWITCHED = 'document.querySelector(".dashboard-content")?.removeAttribute("data-switching")'
BUSY_CSS = """
.dashboard-content[data-switching], .dashboard-content[aria-busy=true] { opacity: .5; transition: opacity .1s; }
"""


@screen(
    '/',
    N_('Dashboard'),
    permission='kpis.read',
    icon='insights',
    order=0,
    description=N_('How the business is doing, KPIs and charts'),
)
def dashboard_page(user: User) -> None:
    with read_session() as session:  # the settings once for the build (a period switch reads them afresh)
        shown_with = read.shown_with(session=session)
    currency = shown_with.currency
    state = {'period': read.period_ending(30, zone=shown_with.zone), 'choice': 30}
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label(_('Welcome, {name}.').format(name=user.name.split()[0])).classes('text-gray-600')
        fresh = ui.label().classes('text-xs text-gray-500').mark('freshness')
    goals_strip(user, zone=shown_with.zone)  # the current key results: one read of the aggregates
    ui.add_css(BUSY_CSS)
    preload_bundle()  # the charts are in the first response: their script loads with the page's
    with ui.row().classes('w-full items-center gap-2'):
        toggle = ui.toggle(
            {
                7: _('{n} d').format(n=7),
                30: _('{n} d').format(n=30),
                90: _('{n} d').format(n=90),
                CUSTOM: pgettext('period', 'Custom'),
            },
            value=30,
        ).props('dense no-caps')
        shown = ui.label().classes('text-sm text-gray-500')
        busy = ui.spinner(size='1.25em').mark('dashboard-busy')
        busy.props['aria-label'] = _('Loading')
        busy.set_visibility(False)

    def show_freshness() -> None:
        with read_session() as session:
            updated = read.freshness(session=session)
        fresh.text = _('Updated {age}').format(age=_age(updated)) if updated else _('Not computed yet')

    def describe(period: Period, until: datetime | None = None) -> None:
        """What the cards compare; a period ending today with the days before up to the same time of day."""
        said = formatting.days(period.first, period.last)
        if until is None:
            shown.text = ngettext(
                '{days}, compared with the day before',
                '{days}, compared with the {n} days before',
                period.length,
            ).format(days=said, n=period.length)
        else:
            shown.text = ngettext(
                '{days}, compared with the day before, both up to {time}',
                '{days}, compared with the {n} days before, both up to {time}',
                period.length,
            ).format(days=said, n=period.length, time=formatting.clock(until, shown_with.zone))

    @ui.refreshable
    def cards(shown_data: read.Dashboard) -> None:
        # two compact cards per row on a phone: eight KPIs on its first screen
        running = read.running_day(state['period'], zone=shown_with.zone) is not None
        with ui.grid().classes('w-full grid-cols-2 lg:grid-cols-4 gap-2 sm:gap-3'):
            for card in shown_data.cards:
                widgets.kpi_card(card, currency, lambda c: open_card(c, state['period'], shown_with), running=running)

    # The first period's figures are in the first response (from the cached aggregates, no round trip): each chart
    # starts loading Plotly as soon as it is mounted. A period switch reads in a worker thread behind a busy state,
    # then sends the new cards and all four figures in one update; the charts stay and are redrawn in place.
    with ui.column().classes('dashboard-content w-full gap-3') as content:
        first_data, first_figures = _read(state['period'], shown_with)
        describe(state['period'], first_data.compared_until)
        cards(first_data)
        with ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-3'):
            charts = [_chart(title, figure) for title, figure in zip(_chart_titles(), first_figures, strict=True)]

    def set_busy(on: bool) -> None:
        busy.set_visibility(on)
        content.props['aria-busy'] = 'true' if on else 'false'
        if not on:  # what the tap set in the browser before the server heard of it (below)
            ui.run_javascript(SWITCHED)

    async def show(period: Period) -> None:
        """The period's cards and charts, read off the event loop; the last tap wins."""
        state['period'] = period
        state['asked'] = asked = state.get('asked', 0) + 1
        set_busy(True)
        describe(period)
        result = await run.io_bound(in_language, i18n.current(), _read, period, shown_with)
        if result is None or content.is_deleted or state['asked'] != asked:
            return  # the app is stopping, the page is gone, or a later tap is being read
        shown_data, figures = result
        describe(period, shown_data.compared_until)
        cards.refresh(shown_data)
        for chart, figure in zip(charts, figures, strict=True):
            chart.figure = figure
            chart.update()  # all four in this tick: one message to the browser
        set_busy(False)

    async def choose(value: int) -> None:
        previous, state['choice'] = state['choice'], value
        if value == CUSTOM:
            _custom_period(state, show, on_cancel=lambda: restore(previous), zone=shown_with.zone)
            return
        with read_session() as session:
            period = read.period_ending_today(value, session=session)
        await show(period)

    def restore(previous: int) -> None:
        """The dialog was left without choosing days: the switch shows again what the page shows."""
        state['choice'] = previous
        toggle.set_value(previous)  # the same days as on screen: a custom period stays, a last-N-days is re-read

    def choose_again() -> None:
        """A tap on "Custom" while a custom period shows (no value change): choose other days."""
        if toggle.value == CUSTOM and state['choice'] == CUSTOM and not state.get('choosing'):
            _custom_period(state, show, on_cancel=lambda: None, zone=shown_with.zone)

    toggle.on_value_change(lambda e: choose(e.value))
    # the busy state at the tap itself, before the server has heard of it: the browser dims the cards and charts
    toggle.on('update:model-value', js_handler=SWITCHING % list(toggle.options).index(CUSTOM))  # an int: no markup
    toggle.on('click', choose_again)  # after the value change, when the tap changed it

    async def read_ahead() -> None:
        """Once the page is drawn, the other periods of the switch are read into the cache (in a worker thread, once
        per state of the aggregates for all pages): a tap then costs two tiny queries instead of the pandas work."""
        language = i18n.current()
        for length in (7, 90):
            period = read.period_ending(length, zone=shown_with.zone)  # two seconds after the build: its settings
            if (
                content.is_deleted
                or await run.io_bound(in_language, language, _read_quietly, period, shown_with) is None
            ):
                return

    show_freshness()
    ui.timer(10, show_freshness, immediate=False)  # read at the build: not again as the page connects
    ui.timer(2, read_ahead, once=True)  # after the first paint: nothing competes with it


def _read(period: Period, shown_with: read.Shown) -> tuple[read.Dashboard, list[dict]]:
    """The period's cards and the four charts' figures (the aggregates are cached per state of `kpi_daily`)."""
    with read_session() as session:
        shown_data = read.dashboard(session=session, period=period, shown=shown_with)
    table, currency = shown_data.series, shown_with.currency
    running = read.running_day(period, zone=shown_with.zone)  # today, when the period ends with it: the day so far
    return shown_data, [
        widgets.turnover_and_orders(table, currency, running=running),
        widgets.funnel_figure(shown_data.funnel),
        widgets.line_figure(table, [('active_users', _('Active users'), 'accent')], running=running),
        widgets.backlog_figure(table, running=running),
    ]


def _read_quietly(period: Period, shown_with: read.Shown) -> bool | None:
    """A read ahead of a tap: a failure here is not the reader's (the tap reads again and says it)."""
    try:
        _read(period, shown_with)
    except Exception:  # noqa: BLE001 (the database may be gone with the page; the tap reads again)
        return None
    return True


def _chart_titles() -> list[str]:
    return [
        _('Turnover and orders per day'),
        _('Conversion funnel'),
        _('Active users'),
        _('Request backlog and SLA breaches'),
    ]


def _age(updated) -> str:
    seconds = read.age_in_seconds(updated)
    return _('{n} s ago').format(n=max(int(seconds), 0)) if seconds is not None and seconds < 60 else ago(updated)


def _chart(title: str, figure: dict) -> LeanPlotly:
    with ui.card().classes('w-full p-3 gap-1'):
        ui.label(title).classes('text-sm font-medium')
        return LeanPlotly(figure).classes('w-full h-60')


def open_card(card: Card, period: Period, shown_with: read.Shown) -> None:
    """The KPI's series over the period and the rows behind today's number."""
    currency = shown_with.currency
    with read_session() as session:
        table = read.series(session=session, period=period, keys=[card.key])
        behind = read.behind_today(session=session, key=card.key)
        listed = read.list_behind_today(session=session, key=card.key, user=acting_user())
    note = read.list_note(card.key) if listed is not None else None
    with page_dialog() as dialog, ui.card().classes('w-full max-w-3xl gap-2'):
        with ui.row().classes('w-full items-center justify-between no-wrap'):
            ui.label(_(card.label)).classes('text-lg font-medium')
            close = ui.button(icon='close', on_click=dialog.close).props('flat round dense')
            close.props['aria-label'] = _('Close')
        ui.label(_(card.definition)).classes('text-sm text-gray-500')
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.column().classes('gap-0'):
                ui.label(
                    _('{value} over the period').format(value=widgets.format_value(card.value, card.unit, currency))
                ).classes('font-medium')
                if card.left_out:  # an amount in another currency is not in the shop's money (sales report: the same)
                    ui.label(
                        ngettext(
                            '{n} paid order in another currency is not in this figure.',
                            '{n} paid orders in other currencies are not in this figure.',
                            card.left_out,
                        ).format(n=formatting.number(card.left_out))
                    ).classes('text-sm text-gray-600').mark('left-out')
                if card.previous is not None:  # what the change on the card is against
                    ui.label(_previous_line(card, period, shown_with)).classes('text-sm text-gray-600').mark(
                        'previous-period'
                    )
            ui.button(_('Download CSV'), icon='download', on_click=lambda: download(card.key, period)).props(
                'outline dense no-caps'
            ).mark('kpi-csv')
        figure = widgets.line_figure(
            table,
            [(card.key, _(card.label), 'primary')],
            unit=card.unit,
            currency=currency,
            running=read.running_day(period, zone=shown_with.zone),
        )
        LeanPlotly(figure).classes('w-full h-56')
        with ui.row().classes('w-full items-baseline justify-between gap-x-4 gap-y-0 pt-2'):
            ui.label(_("Behind today's number")).classes('text-sm font-medium')
            if listed is not None:  # the same records in their list, where they can be sorted, opened and exported
                site_link(_('See these in the list'), listed).classes('text-sm').mark('behind-list')
        if note is not None:  # the number is no count of the list's rows: what each holds
            ui.label(note).classes('text-sm text-gray-500').mark('behind-list-note')
        if behind.rows:
            _behind_rows(card.key, behind)
        else:
            ui.label(_('Nothing today yet.')).classes('text-sm text-gray-500')
    dialog.open()


def _behind_rows(key: str, behind: read.Behind) -> None:
    """Today's rows, the first 25 of all of them ("25 of 312") and a button for 25 more; on a phone the table leaves
    out its least needed columns and wraps long cells, so it fits the card instead of scrolling sideways."""
    table = ui.table(columns=_behind_columns(behind), rows=behind.rows).props('dense flat wrap-cells')
    table.classes('w-full').mark('behind-rows')
    with ui.row().classes('w-full items-center justify-between gap-2'):
        caption = ui.label().classes('text-sm text-gray-600').mark('behind-count')
        more = ui.button(_('Show more'), icon='expand_more').props('flat dense no-caps').mark('behind-more')

    def show(shown: read.Behind) -> None:
        table.rows = shown.rows
        caption.text = _('{shown} of {total}').format(
            shown=formatting.number(len(shown.rows)), total=formatting.number(shown.total)
        )
        caption.set_visibility(shown.total > len(shown.rows))
        more.set_visibility(shown.total > len(shown.rows))

    def show_more() -> None:
        with read_session() as session:
            show(read.behind_today(session=session, key=key, limit=len(table.rows) + read.BEHIND_PAGE))

    more.on_click(show_more)
    show(behind)


def _behind_columns(behind: read.Behind) -> list[dict]:
    phone = set(behind.not_on_phones)
    return [
        {'name': c, 'label': c, 'field': c, 'align': 'left'}
        | ({'classes': 'gt-xs', 'headerClasses': 'gt-xs'} if c in phone else {})
        for c in behind.columns
    ]


def _previous_line(card: Card, period: Period, shown_with: read.Shown) -> str:
    """The period before, as the card's change counts it: up to the same time of day when the period ends today."""
    value = widgets.format_value(card.previous, card.unit, shown_with.currency)
    change = widgets.change_text(card)
    if card.previous_until is None:
        return ngettext(
            '{value} the day before ({change})', '{value} the {n} days before ({change})', period.length
        ).format(value=value, n=period.length, change=change)
    return ngettext(
        '{value} the day before, up to {time} on {day} ({change})',
        '{value} the {n} days before, up to {time} on {day} ({change})',
        period.length,
    ).format(
        value=value,
        n=period.length,
        time=formatting.clock(card.previous_until, shown_with.zone),
        day=formatting.day(period.previous().last),
        change=change,
    )


def download(key: str, period: Period) -> None:
    """The KPI's days over the period shown, as a CSV file (raw values: a spreadsheet's own formats apply)."""
    with read_session() as session:
        content, name = read.series_csv(
            session=session, period=period, key=key, separator=formatting.spreadsheet_separator()
        )
    ui.download.content(content, name, 'text/csv')


def _custom_period(
    state: dict, show: Callable[[Period], Awaitable[None]], on_cancel: Callable[[], None], *, zone: str
) -> None:
    """Choose the days (up to today), then `show` them; leaving the dialog any other way than *Show* with days chosen
    (Cancel, Escape, a tap outside) calls `on_cancel`."""
    period = state['period']
    today = days.today(zone)
    applied = {'done': False}
    state['choosing'] = True
    with page_dialog() as dialog, ui.card().classes('gap-2'):
        ui.label(_('Choose the days')).classes('font-medium')
        # the date picker's own value format (ISO), not text for a person
        picker = ui.date({'from': period.first.isoformat(), 'to': period.last.isoformat()}).props('range')
        # the days after today cannot be tapped (Quasar's own day format, a date: no markup)
        picker.props[':options'] = f"day => day <= '{today:%Y/%m/%d}'"
        # a range opens on its first month: turned to the month of its last day once shown (two numbers, no text)
        year, month = read.calendar_month(period)
        dialog.on('show', js_handler=f"() => runMethod({picker.id}, 'setCalendarTo', [{year:d}, {month:d}])")
        refused = ui.label().classes('text-negative text-sm max-w-xs').props('role=alert').mark('days-message')
        refused.set_visibility(False)

        async def apply() -> None:
            # a range, or one day (tapped twice); nothing chosen, or days after today: said at the calendar, it stays
            period = call_now(read.picked_period, picker.value, zone=zone, message=refused)
            if period is FAILED:
                return
            applied['done'] = True
            dialog.close()
            await show(period)

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Show'), on_click=apply)

    def closed(opened: bool) -> None:
        if opened:
            return
        state['choosing'] = False
        if not applied['done']:
            on_cancel()

    dialog.on_value_change(lambda e: closed(e.value))
    dialog.open()
