"""Goals: objectives over a quarter or custom dates, their key results tied to the KPIs (or a manual number), where
each stands against what is expected by today, and check-ins; past periods stay as the history."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.kpi import days
from backoffice.kpi.registry import KPIS
from backoffice.models import User
from backoffice.permissions import can
from backoffice.services import alerts, app_settings, goals
from backoffice.services.goals import DIRECTIONS, Goal, Result
from components import live
from components.date_input import DateInput
from components.forms import FAILED, call, confirm, counted, error_line, hold_while_edited, page_dialog
from components.goal_widgets import progress_line, status_badge, value_of
from components.kept_cards import KeptCards, key_of
from components.screens import screen
from components.session import acting_user

CURRENT = 'current'
CUSTOM = 'custom'


@screen(
    '/goals',
    N_('Goals'),
    permission='kpis.read',
    icon='flag',
    order=5,
    description=N_('Objectives and key results tied to the KPIs'),
)
def goals_page(user: User) -> None:
    may_manage = can(user, goals.MANAGE)
    state: dict[str, Any] = {'period': CURRENT}
    with read_session() as session:
        history = goals.periods_with_goals(session=session, actor=user)
    choices = {CURRENT: _('Current objectives')} | {
        f'{first}/{last}': formatting.days(first, last) for first, last in history
    }
    with ui.row().classes('w-full items-center justify-between gap-2'):
        period = ui.select(choices, value=CURRENT, label=_('Period')).props('outlined dense').classes('w-64')
        period.mark('goals-period')
        if may_manage:
            ui.button(_('New objective'), icon='add', on_click=lambda: objective_dialog()).mark('new-objective')
    ui.label(
        _(
            'The expected progress grows evenly over the period. Within 10 points of it: on track; 10 to 25 points '
            'behind: at risk; further behind: off track.'
        )
    ).classes('text-xs text-gray-500')

    def chosen(event) -> None:
        state['period'] = event.value
        board()

    period.on_value_change(chosen)

    def board() -> None:
        reader = acting_user()  # every handler and refresh acts with the rights of now, not of the page's build
        if reader is None:
            return
        with read_session() as session:
            if state['period'] == CURRENT:
                shown = goals.board(session=session, actor=reader, current_only=True)
            else:
                first, last = (date.fromisoformat(part) for part in state['period'].split('/'))
                shown = [
                    g for g in goals.board(session=session, actor=reader) if (g.first_day, g.last_day) == (first, last)
                ]
        # an objective that shows the same keeps its card: a colleague's check-in on another one redraws the board, and
        # a card drawn again would drop the click on its "Check in" already on its way
        objective_cards.show([(key_of(asdict(goal)), lambda g=goal: objective_card(g)) for goal in shown])

    def objective_card(goal: Goal) -> ui.card:
        with ui.card().classes('w-full gap-2').mark(f'objective-{goal.id}') as card:
            with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(goal.title).classes('text-lg font-medium break-words')
                    owner = _('Owner: {name}').format(name=goal.owner) if goal.owner else _('No owner')
                    ui.label(f'{owner} · {formatting.days(goal.first_day, goal.last_day)}').classes(
                        'text-xs text-gray-500'
                    )
                if may_manage:
                    with ui.row().classes('no-wrap gap-0'):
                        add = ui.button(icon='add_chart', on_click=lambda g=goal: key_result_dialog(g))
                        add.props('flat round dense').tooltip(_('Add a key result'))
                        add.props['aria-label'] = _('Add a key result')
                        add.mark(f'add-key-result-{goal.id}')
                        remove = ui.button(icon='delete_outline', on_click=lambda g=goal: delete(g))
                        remove.props('flat round dense color=grey-7').tooltip(_('Delete the objective'))
                        remove.props['aria-label'] = _('Delete the objective')
                        remove.mark(f'delete-objective-{goal.id}')
            if not goal.results:
                ui.label(_('No key results yet.')).classes('text-sm text-gray-500')
            for result in goal.results:
                result_row(goal, result)
        return card

    def result_row(goal: Goal, result: Result) -> None:
        with ui.column().classes('w-full gap-1 border-t pt-2').mark(f'key-result-{result.id}'):
            with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                ui.label(result.title).classes('font-medium min-w-0 break-words')
                status_badge(result)
            measure = _(KPI_LABELS[result.kpi]) if result.kpi else _('Manual number')
            ui.label(
                _('{measure}: {current} (from {baseline} to {target})').format(
                    measure=measure,
                    current=value_of(result, result.current),
                    baseline=value_of(result, result.baseline),
                    target=value_of(result, result.target),
                )
            ).classes('text-sm')
            progress_line(result)
            with ui.row().classes('w-full items-center justify-between gap-2'):
                if result.confidence is not None:
                    ui.label(
                        _('Confidence {confidence}/10: {comment}').format(
                            confidence=result.confidence, comment=result.comment or '—'
                        )
                    ).classes('text-xs text-gray-600 break-words min-w-0')
                if may_manage:
                    with ui.row().classes('gap-1'):
                        ui.button(_('Check in'), on_click=lambda r=result: check_in_dialog(r)).props(
                            'flat dense no-caps'
                        ).mark(f'check-in-{result.id}')
                        ui.button(_('Edit'), on_click=lambda g=goal, r=result: key_result_dialog(g, r)).props(
                            'flat dense no-caps'
                        ).mark(f'edit-key-result-{result.id}')

    def objective_dialog() -> None:
        first, last = goals.quarter(days.today(app_settings.time_zone()))
        quarters = {}
        for step in (-1, 0, 1):
            day = first + timedelta(days=step * 92) if step >= 0 else first - timedelta(days=1)
            a, b = goals.quarter(day)
            quarters[f'{a}/{b}'] = formatting.days(a, b)
        quarters[CUSTOM] = _('Custom dates')
        opener = acting_user()
        if opener is None:
            return
        with read_session() as session:
            people = alerts.staff(session=session, actor=opener)
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(_('New objective')).classes('text-lg font-medium')
            title = counted(ui.input(_('Title')).props('outlined'), goals.TITLE_LENGTH)
            title.classes('w-full').mark('objective-title')
            owner = ui.select(people, value=opener.id, label=_('Owner')).props('outlined').classes('w-full')
            chosen = ui.select(quarters, value=f'{first}/{last}', label=_('Period')).props('outlined')
            chosen.classes('w-full').mark('objective-period')
            with ui.row().classes('w-full no-wrap gap-2') as custom:
                starts = DateInput(_('First day')).props('outlined stack-label').classes('grow')
                ends = DateInput(_('Last day')).props('outlined stack-label').classes('grow')
            custom.bind_visibility_from(chosen, 'value', backward=lambda v: v == CUSTOM)
            hold_while_edited(dialog, title, owner, chosen, starts, ends)
            message = error_line()

            async def save() -> None:
                if chosen.value == CUSTOM:
                    span = (_parse(starts.value), _parse(ends.value))
                else:
                    span = tuple(date.fromisoformat(part) for part in chosen.value.split('/'))
                data = {'title': title.value, 'owner_id': owner.value, 'first_day': span[0], 'last_day': span[1]}
                fields = {'title': title, 'owner_id': owner, 'first_day': starts, 'last_day': ends}
                actor = acting_user()
                if actor is None:
                    return
                if await call(_create_objective, actor, data, fields=fields, message=message) is not FAILED:
                    dialog.close()
                    ui.notify(_('Objective added.'), type='positive')
                    board()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Add objective'), on_click=save).mark('save-objective')
        dialog.open()

    def key_result_dialog(goal: Goal, result: Result | None = None) -> None:
        measures = {'': _('Manual number (typed at each check-in)')} | {k.key: _(k.label) for k in KPIS}
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            heading = (
                _('Edit the key result "{title}"').format(title=result.title)
                if result
                else _('Add a key result to "{title}"').format(title=goal.title)
            )
            ui.label(heading).classes('text-lg font-medium break-words')
            title = counted(
                ui.input(_('Title'), value=result.title if result else '').props('outlined'), goals.TITLE_LENGTH
            )
            title.classes('w-full').mark('key-result-title')
            kpi = ui.select(measures, value=(result.kpi or '') if result else '', label=_('Measured by'))
            kpi.props('outlined').classes('w-full').mark('key-result-kpi')
            with ui.row().classes('w-full no-wrap gap-2'):
                baseline = ui.input(_('Baseline'), value=_plain(result.baseline) if result else '0')
                baseline.props('outlined inputmode=decimal').classes('grow').mark('key-result-baseline')
                target = ui.input(_('Target'), value=_plain(result.target) if result else '')
                target.props('outlined inputmode=decimal').classes('grow').mark('key-result-target')
            direction = ui.select(
                {k: _(v) for k, v in DIRECTIONS.items()},
                value=result.direction if result else 'increase',
                label=_('Direction'),
            )
            direction.props('outlined').classes('w-full')
            hold_while_edited(dialog, title, kpi, baseline, target, direction)
            message = error_line()

            async def save() -> None:
                data = {
                    'title': title.value,
                    'kpi': kpi.value,
                    'baseline': baseline.value,
                    'target': target.value,
                    'direction': direction.value,
                }
                fields = {'title': title, 'kpi': kpi, 'baseline': baseline, 'target': target, 'direction': direction}
                actor = acting_user()
                if actor is None:
                    return
                if result is not None:
                    done = await call(
                        _update_key_result, actor, result.id, data, result.version, fields=fields, message=message
                    )
                else:
                    done = await call(_add_key_result, actor, goal.id, data, fields=fields, message=message)
                if done is not FAILED:
                    dialog.close()
                    # said either way, as an objective added and a check-in are (an added one said nothing)
                    ui.notify(_('Key result saved.') if result is not None else _('Key result added.'), type='positive')
                    board()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save') if result else _('Add key result'), on_click=save).mark('save-key-result')
        dialog.open()

    def check_in_dialog(result: Result) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
            ui.label(_('Check in on "{title}"').format(title=result.title)).classes('text-lg font-medium')
            value = None
            if result.kpi is None:
                value = ui.input(_('Value now')).props('outlined inputmode=decimal').classes('w-full')
                value.mark('check-in-value')
            ui.label(_('Confidence (1 to 10)')).classes('text-sm')
            confidence = ui.slider(min=1, max=10, step=1, value=result.confidence or 5).props('label-always markers')
            comment = ui.textarea(_('Comment')).props('outlined autogrow').classes('w-full').mark('check-in-comment')
            hold_while_edited(dialog, value, confidence, comment)
            message = error_line()

            async def save() -> None:
                fields: dict[str, Any] = {'comment': comment, 'confidence': confidence}
                if value is not None:
                    fields['value'] = value
                actor = acting_user()
                if actor is None:
                    return
                done = await call(
                    _check_in,
                    actor,
                    result.id,
                    comment.value,
                    confidence.value,
                    value.value if value is not None else None,
                    fields=fields,
                    message=message,
                )
                if done is not FAILED:
                    dialog.close()
                    ui.notify(_('Check-in saved.'), type='positive')
                    board()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                ui.button(_('Save check-in'), on_click=save).mark('save-check-in')
        dialog.open()

    async def delete(goal: Goal) -> None:
        # one tap on the bin beside "Add a key result" took the objective, its key results and check-ins away, and no
        # screen brings them back
        question = (
            ngettext(
                'Delete the objective "{title}" and its {n} key result?',
                'Delete the objective "{title}" and its {n} key results?',
                len(goal.results),
            ).format(title=goal.title, n=len(goal.results))
            if goal.results
            else _('Delete the objective "{title}"?').format(title=goal.title)
        )
        if not await confirm(question, _('Delete objective')):
            return
        actor = acting_user()
        if actor is not None and await call(_delete_objective, actor, goal.id) is not FAILED:
            ui.notify(_('Objective deleted.'), type='positive')
            board()

    objective_cards = KeptCards(
        ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-3'),
        lambda: ui.label(_('No objectives for this period yet.')).classes('text-gray-500').mark('no-goals'),
    )
    board()
    live.resource_changed(Topic.goals).subscribe(lambda _payload: board())  # a colleague's change


KPI_LABELS = {kpi.key: kpi.label for kpi in KPIS}


def _parse(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or '')
    except ValueError:
        return None


def _create_objective(user: User, data: dict[str, Any]) -> int | None:
    with session_scope() as session:
        return goals.create_objective(session=session, actor=user, data=data).id


def _add_key_result(user: User, objective_id: int, data: dict[str, Any]) -> int | None:
    with session_scope() as session:
        return goals.add_key_result(session=session, actor=user, objective_id=objective_id, data=data).id


def _update_key_result(user: User, key_result_id: int, data: dict[str, Any], version: int) -> int | None:
    with session_scope() as session:
        return goals.update_key_result(
            session=session, actor=user, key_result_id=key_result_id, data=data, version=version
        ).id


def _plain(value: float) -> str:
    """A stored number as one types it back (1500, 2.5): no grouping, so the form reads it again unchanged."""
    return f'{value:.6f}'.rstrip('0').rstrip('.')


def _check_in(user: User, key_result_id: int, comment: str, confidence: Any, value: Any) -> int | None:
    with session_scope() as session:
        return goals.check_in(
            session=session,
            actor=user,
            key_result_id=key_result_id,
            comment=comment,
            confidence=confidence,
            value=value,
        ).id


def _delete_objective(user: User, objective_id: int) -> None:
    with session_scope() as session:
        goals.delete_objective(session=session, actor=user, objective_id=objective_id)
