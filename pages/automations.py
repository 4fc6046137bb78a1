"""Automations: rules "when an event, and conditions, then actions", in the order they run; a dry run against a
chosen record before a rule is switched on; and the log of every run (what matched, what was done, errors)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from backoffice import formatting
from backoffice.db import read_session, session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _, pgettext
from backoffice.models import AutomationRule, AutomationRun, User
from backoffice.services import automations
from backoffice.services.automation_fields import EVENTS, RECORD_TYPES, link_of, recent
from components import live
from components.automation_form import rule_dialog
from components.forms import FAILED, call, confirm, error_line, page_dialog
from components.in_page_type_ahead import narrowed_as_searched
from components.kept_cards import KeptCards, key_of
from components.links import site_link
from components.screens import screen
from components.session import acting_user


@screen(
    '/automations',
    N_('Automations'),
    permission=automations.MANAGE,
    icon='bolt',
    section=N_('Administration'),
    order=925,
    description=N_('Rules that act by themselves when requests, orders, stock or customers change'),
)
def automations_page(user: User) -> None:
    with ui.row().classes('w-full items-center justify-between gap-2') as anchor:
        ui.label(_(HELP)).classes('text-sm text-gray-600 max-w-3xl')
        ui.button(_('New rule'), icon='add', on_click=lambda: open_rule(None)).mark('new-automation')

    def show_rules() -> None:
        reader = acting_user()
        if reader is None:
            return
        with read_session() as session:
            shown = automations.rules(session=session, actor=reader)
            words = {rule.id: automations.describe_rule(session, rule) for rule in shown}
        # a card that shows the same is kept: every rule that runs tells the page, and a card drawn again for it would
        # drop the click on its "Switch off" or "Edit" already on its way
        rule_cards.show(
            [
                (
                    key_of(rule.model_dump(mode='json'), place, len(shown), words[rule.id]),
                    lambda r=rule, p=place: rule_card(r, p, len(shown), words[r.id]),
                )
                for place, rule in enumerate(shown, start=1)
            ]
        )

    def rule_card(rule: AutomationRule, place: int, count: int, words: tuple[str, list[str], list[str]]) -> ui.card:
        event, conditions, actions = words
        with ui.card().classes('w-full gap-1').mark(f'automation-{rule.id}') as card:
            with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                with ui.row().classes('items-center gap-2 no-wrap min-w-0'):
                    ui.label(str(place)).classes('text-gray-500 font-mono')
                    ui.label(rule.name).classes('font-medium break-words min-w-0')
                on = ui.badge(_('On') if rule.enabled else _('Off'), color='positive' if rule.enabled else 'grey')
                on.props('outline').mark(f'state-{rule.id}')
            ui.label(_('When: {event}').format(event=event)).classes('text-sm break-words')
            ui.label(
                _('If: {conditions}').format(conditions=_(' and ').join(conditions)) if conditions else _('If: always')
            ).classes('text-sm break-words')
            ui.label(_('Then: {actions}').format(actions='; '.join(actions))).classes('text-sm break-words')
            if rule.stop:
                ui.label(_('Stops here: the rules after it do not run for this event.')).classes(
                    'text-xs text-gray-500'
                )
            if not rule.enabled and rule.tested_version != rule.version:
                ui.label(_('Dry-run it against a record to switch it on.')).classes('text-xs text-amber-800')
            with ui.row().classes('gap-1 items-center'):
                up = icon_button('arrow_upward', lambda r=rule: act(_move, r.id, -1), place == 1, f'up-{rule.id}')
                up.props['aria-label'] = _('Move up')
                up.tooltip(_('Move up'))
                down = icon_button(
                    'arrow_downward', lambda r=rule: act(_move, r.id, 1), place == count, f'down-{rule.id}'
                )
                down.props['aria-label'] = _('Move down')
                down.tooltip(_('Move down'))
                ui.button(_('Dry run'), icon='science', on_click=lambda r=rule: dry_run_dialog(r)).props(
                    'flat dense no-caps'
                ).mark(f'dry-run-{rule.id}')
                ui.button(
                    _('Switch off') if rule.enabled else _('Switch on'),
                    on_click=lambda r=rule: act(_switch, r.id, not r.enabled),
                ).props('flat dense no-caps').mark(f'switch-{rule.id}')
                ui.button(_('Edit'), on_click=lambda r=rule: open_rule(r)).props('flat dense no-caps').mark(
                    f'edit-{rule.id}'
                )
                ui.button(_('Delete'), on_click=lambda r=rule: delete(r)).props('flat dense no-caps color=grey-7').mark(
                    f'delete-{rule.id}'
                )
        return card

    async def act(fn, *args: Any) -> None:
        # the answer shows from the page's header, not from the button: a live refresh may replace the list meanwhile
        with anchor:
            actor = acting_user()
            if actor is not None and await call(fn, actor, *args) is not FAILED:
                show_rules()

    async def delete(rule: AutomationRule) -> None:
        question = _('Delete the rule “{name}”? It stops acting at once; its runs stay in the log.').format(
            name=rule.name
        )
        with anchor:
            if await confirm(question, _('Delete')):
                await act(_delete, rule.id)

    def saved() -> None:
        show_rules()

    def open_rule(rule: AutomationRule | None) -> None:
        opener = acting_user()  # every handler acts with the rights of now, not of the page's build
        if opener is not None:
            rule_dialog(opener, rule, saved)

    def dry_run_dialog(rule: AutomationRule) -> None:
        record_type = EVENTS[rule.event].record_type
        with read_session() as session:
            options = {record.id: record.label for record in recent(session, record_type)}
        with page_dialog() as dialog, ui.card().classes('w-full max-w-lg').mark('dry-run-dialog'):
            ui.label(_('Dry run: {name}').format(name=rule.name)).classes('text-lg font-medium break-words')
            ui.label(_(DRY_RUN_HELP)).classes('text-sm text-gray-600')
            chosen = (
                ui.select(
                    options,
                    value=next(iter(options), None),
                    label=_('{kind} to test against').format(kind=_(RECORD_TYPES[record_type])),
                    with_input=True,
                )
                .props('outlined')
                .classes('w-full')
                .mark('dry-run-record')
            )
            narrowed_as_searched(chosen, options)
            if not options:
                ui.label(_('There is no record of this kind yet to test against.')).classes('text-sm text-gray-500')
            message = error_line()
            result = ui.column().classes('w-full gap-1').mark('dry-run-result')

            async def run_it() -> None:
                actor = acting_user()
                if actor is None:
                    return
                found = await call(_dry_run, actor, rule.id, chosen.value, fields={'record': chosen}, message=message)
                if found is FAILED:
                    return
                result.clear()
                with result:
                    show_dry_run(found)
                show_rules()

            with ui.row().classes('w-full justify-end'):
                ui.button(_('Close'), on_click=dialog.close).props('flat')
                ui.button(_('Run the dry run'), icon='science', on_click=run_it).mark('run-dry-run')
        dialog.open()

    @ui.refreshable
    def runs() -> None:
        reader = acting_user()
        if reader is None:
            return
        with read_session() as session:
            found = automations.runs(session=session, actor=reader, limit=50)
        if not found:
            ui.label(_('No run yet.')).classes('text-gray-500').mark('no-runs')
        for run in found:
            run_row(run)

    rule_cards = KeptCards(
        ui.column().classes('w-full gap-4'),
        lambda: ui.label(_('No automation rules yet.')).classes('text-gray-500').mark('no-automations'),
    )
    show_rules()
    ui.label(_('Runs')).classes('text-lg font-medium mt-4')
    ui.label(_(RUNS_HELP)).classes('text-sm text-gray-600')
    runs()

    def changed(_payload: dict) -> None:  # a rule ran, or a colleague changed one
        show_rules()
        runs.refresh()

    live.resource_changed(Topic.automations).subscribe(changed)


def show_dry_run(found: automations.DryRun) -> None:
    verdict = _('{record} matches: this is what the rule would do.') if found.matched else _('{record} does not match.')
    ui.label(verdict.format(record=found.record.label)).classes('font-medium break-words').mark('dry-run-verdict')
    for text, holds in found.conditions:
        with ui.row().classes('items-center gap-1 no-wrap'):
            ui.icon('check' if holds else 'close').classes('text-green-700' if holds else 'text-red-700')
            ui.label(text).classes('text-sm break-words')
    for text in found.actions:
        with ui.row().classes('items-center gap-1 no-wrap'):
            ui.icon('arrow_forward').classes('text-gray-600')
            ui.label(text).classes('text-sm break-words')
    ui.label(_('Nothing was changed.')).classes('text-xs text-gray-500')


def run_row(run: AutomationRun) -> None:
    with ui.card().classes('w-full gap-0 p-3').props('flat bordered').mark(f'run-{run.id}'):
        with ui.row().classes('w-full items-center gap-x-2 gap-y-0'):
            if run.dry_run:
                ui.badge(_('Dry run'), color='grey').props('outline')
            elif run.matched:
                ui.badge(pgettext('automation run', 'Matched'), color='positive').props('outline')
            else:
                ui.badge(_('Did not match'), color='grey').props('outline')
            if run.error:
                ui.badge(_('Errors'), color='negative').props('outline')
            ui.label(run.rule_name).classes('font-medium text-sm break-words')
            site_link(run.record_label, link_of(run.record_type, run.record_id, run.record_label)).classes(
                'text-sm break-all'
            )
        ui.label(
            _('{event} · {when}').format(
                event=_(EVENTS[run.event].label) if run.event in EVENTS else run.event, when=formatting.when(run.at)
            )
        ).classes('text-xs text-gray-500')
        for action in run.actions:
            with ui.row().classes('items-center gap-1 no-wrap'):
                if run.dry_run:
                    ui.icon('arrow_forward').classes('text-gray-600')
                else:
                    ui.icon('check' if action.get('done') else 'close').classes(
                        'text-green-700' if action.get('done') else 'text-red-700'
                    )
                ui.label(str(action.get('detail', action.get('kind')))).classes('text-sm break-words')
            if action.get('error'):
                ui.label(str(action['error'])).classes('text-xs text-red-700 break-words ml-6')


def icon_button(icon: str, on_click, disabled: bool, mark: str) -> ui.button:
    button = ui.button(icon=icon, on_click=on_click).props('flat round dense').mark(mark)
    if disabled:
        button.disable()
    return button


HELP = N_(
    'Rules run in this order when their event happens, once the change is saved, and act as "Automation: <rule '
    'name>" in the audit log. A rule is switched on after a dry run against a record; an automation never sets itself '
    'off again on the same record.'
)
DRY_RUN_HELP = N_('Checks the rule against a record and shows what it would do. Nothing is changed.')
RUNS_HELP = N_('Every rule checked against a record: whether it matched, what was done, and any error.')


def _move(user: User, rule_id: int, by: int) -> None:
    with session_scope() as session:
        automations.move(session=session, actor=user, rule_id=rule_id, by=by)


def _switch(user: User, rule_id: int, enabled: bool) -> None:
    with session_scope() as session:
        automations.set_enabled(session=session, actor=user, rule_id=rule_id, enabled=enabled)


def _delete(user: User, rule_id: int) -> None:
    with session_scope() as session:
        automations.delete_rule(session=session, actor=user, rule_id=rule_id)


def _dry_run(user: User, rule_id: int, record_id: int | None) -> automations.DryRun:
    with session_scope() as session:
        return automations.dry_run(session=session, actor=user, rule_id=rule_id, record_id=record_id or 0)
