"""Goals drawn: a key result's progress line (value, bar, status against today's expected progress) and the compact
strip of the current key results on top of the dashboard (one query of the aggregates; a row that scrolls on a
phone)."""

from __future__ import annotations

from decimal import Decimal

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session
from backoffice.i18n import _
from backoffice.kpi import periods
from backoffice.kpi.registry import BY_KEY
from backoffice.models import User
from backoffice.services import app_settings, goals
from backoffice.services.goals import STATUSES, Result

COLORS = {'on_track': 'positive', 'at_risk': 'warning', 'off_track': 'negative'}


def value_of(result: Result, value: float | None) -> str:
    """A key result's value as a person reads it: money as money (€1,250.00; 1 250,00 € in French), a share as a
    percentage, a count as a number."""
    if value is None:
        return '—'
    if result.kpi is None:
        return formatting.number(value)
    if BY_KEY[result.kpi].unit == 'money':
        return formatting.money(Decimal(str(round(value, 2))), app_settings.cached('currency') or 'EUR')
    return periods.shown(result.kpi, value)


def status_badge(result: Result) -> None:
    ui.badge(_(STATUSES[result.status]), color=COLORS[result.status]).props('outline').mark(f'status-{result.id}')


def progress_line(result: Result) -> None:
    """The bar with the expected progress beside it in words."""
    ui.linear_progress(value=result.progress, show_value=False, color=COLORS[result.status]).props(
        'rounded size=8px'
    ).classes('w-full')
    ui.label(
        _('{done} done, {expected} expected by today').format(
            done=formatting.percent(result.progress), expected=formatting.percent(result.expected)
        )
    ).classes('text-xs text-gray-500')


def goals_strip(user: User, *, zone: str | None = None) -> None:
    """The current objectives' key results, compact; nothing at all when there are none. `zone`: the settings' time
    zone, when the page has read it already."""
    with read_session() as session:
        current = goals.board(session=session, actor=user, current_only=True, zone=zone)
    results = [r for goal in current for r in goal.results]
    if not results:
        return
    # cards of one height: a title over two lines made its card taller than the rest
    with ui.row().classes('w-full no-wrap items-stretch overflow-x-auto gap-2 pb-1').mark('goals-strip'):
        for result in results:
            with ui.link(target='/goals').classes('no-underline text-inherit shrink-0'):
                with ui.card().classes('w-44 h-full gap-1 p-2').props('flat bordered'):
                    # two lines, a long word broken, rather than one cut after some 25 letters ('Partners: "sig…'):
                    # the whole title on hover, and a tap opens /goals, where it is whole
                    title = ui.label(result.title).classes('text-xs font-medium leading-tight w-full')
                    title.classes('line-clamp-2 wrap-anywhere')
                    with title, ui.tooltip():
                        ui.label(result.title)  # as text (a tooltip's own text is read as markup)
                    with ui.row().classes('w-full items-center justify-between no-wrap gap-1'):
                        ui.label(formatting.percent(result.progress)).classes('text-base font-semibold')
                        status_badge(result)
                    ui.linear_progress(value=result.progress, show_value=False, color=COLORS[result.status]).props(
                        'rounded size=4px'
                    )
