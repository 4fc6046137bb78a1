"""The automation rule form: its name and event, the conditions (field, comparison, value, typed by the field) and
the actions (each with what it needs), rows added and removed; each error shows at its row's input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from backoffice.db import read_session, session_scope
from backoffice.i18n import N_, _, pgettext
from backoffice.models import AutomationRule, User
from backoffice.resources.sales import ORDER_STATUSES
from backoffice.resources.support import PRIORITIES, STATUSES
from backoffice.services import automations
from backoffice.services.automation_fields import EVENTS, FIELDS, NO_VALUE, OPERATORS, VALUE_MAX, operator_word
from components.forms import FAILED, call, counted, error_line, page_dialog
from components.session import acting_user


def rule_dialog(user: User, rule: AutomationRule | None, saved: Callable[[], None]) -> None:
    """Add a rule (rule None) or change one; `saved` runs once it is stored."""
    with read_session() as session:
        offered = automations.choices(session=session, actor=user)
    state: dict[str, Any] = {
        'name': rule.name if rule else '',
        'event': rule.event if rule else 'request.created',
        'stop': rule.stop if rule else False,
        'conditions': [dict(c) for c in rule.conditions] if rule else [],
        'actions': [dict(a) for a in rule.actions] if rule else [{'kind': 'assign', 'target': 'round_robin'}],
    }
    fields: dict[str, ui.element] = {}
    with page_dialog() as dialog, ui.card().classes('w-full max-w-2xl').mark('automation-dialog'):
        ui.label(_('New rule') if rule is None else _('Change the rule')).classes('text-lg font-medium')
        name = (
            counted(ui.input(_('Name'), value=state['name']), automations.NAME_MAX).props('outlined').classes('w-full')
        )
        name.mark('automation-name')
        event = (
            ui.select({key: _(e.label) for key, e in EVENTS.items()}, value=state['event'], label=_('When'))
            .props('outlined')
            .classes('w-full')
            .mark('automation-event')
        )

        def event_changed(new: Any) -> None:
            if new.value == state['event']:
                return
            state['event'], state['conditions'] = new.value, []
            kinds = _action_kinds(new.value)
            state['actions'] = [a for a in state['actions'] if a.get('kind') in kinds] or [{'kind': next(iter(kinds))}]
            editor.refresh()

        event.on_value_change(event_changed)

        @ui.refreshable
        def editor() -> None:
            fields.clear()
            fields.update({'name': name, 'event': event})
            record_type = EVENTS[state['event']].record_type
            ui.label(_('If (all of these hold; none: always)')).classes('font-medium mt-2')
            for index, condition in enumerate(state['conditions']):
                condition_row(index, condition, record_type)
            add = ui.button(_('Add a condition'), icon='add', on_click=lambda: add_row('conditions', record_type))
            add.props('flat dense no-caps').mark('add-condition')
            ui.label(_('Then (in this order)')).classes('font-medium mt-2')
            for index, action in enumerate(state['actions']):
                action_row(index, action, record_type)
            more = ui.button(_('Add an action'), icon='add', on_click=lambda: add_row('actions', record_type))
            more.props('flat dense no-caps').mark('add-action')

        def add_row(kind: str, record_type: str) -> None:
            if kind == 'conditions':
                first = next(iter(FIELDS[record_type].values()))
                state['conditions'].append(
                    {'field': first.name, 'operator': next(iter(OPERATORS[first.kind])), 'value': ''}
                )
            else:
                state['actions'].append({'kind': next(iter(_action_kinds(state['event'])))})
            editor.refresh()

        def remove(kind: str, index: int) -> None:
            state[kind].pop(index)
            editor.refresh()

        def condition_row(index: int, condition: dict[str, Any], record_type: str) -> None:
            spec = FIELDS[record_type].get(condition.get('field')) or next(iter(FIELDS[record_type].values()))
            with ui.row().classes(ROW).mark(f'condition-{index}'):
                chosen = (
                    ui.select(
                        {name: _(f.label) for name, f in FIELDS[record_type].items()}, value=spec.name, label=_('Field')
                    )
                    .props('outlined dense')
                    .classes('w-40 grow sm:grow-0')
                    .mark(f'condition-field-{index}')
                )

                def field_changed(new: Any, row: dict[str, Any] = condition) -> None:
                    picked = FIELDS[record_type][new.value]
                    row.update(field=new.value, operator=next(iter(OPERATORS[picked.kind])), value='')
                    editor.refresh()

                chosen.on_value_change(field_changed)
                operators = {key: operator_word(spec.kind, key) for key in OPERATORS[spec.kind]}
                operator = (
                    ui.select(
                        operators,
                        value=condition.get('operator') if condition.get('operator') in operators else None,
                        label=_('Comparison'),
                    )
                    .props('outlined dense')
                    .classes('w-40 grow sm:grow-0')
                    .mark(f'condition-operator-{index}')
                )

                def operator_changed(new: Any, row: dict[str, Any] = condition) -> None:
                    had_value = row.get('operator') not in NO_VALUE
                    row['operator'] = new.value
                    if had_value != (new.value not in NO_VALUE):
                        editor.refresh()

                operator.on_value_change(operator_changed)
                fields[f'conditions.{index}.field'], fields[f'conditions.{index}.operator'] = chosen, operator
                if condition.get('operator') not in NO_VALUE:
                    if spec.kind == 'choice':
                        value = ui.select(
                            {key: _(word) for key, word in spec.choices.items()},
                            value=condition.get('value') or None,
                            label=_('Value'),
                        )
                    else:
                        value = counted(ui.input(_('Value'), value=str(condition.get('value') or '')), VALUE_MAX)
                        if spec.kind == 'number':
                            value.props('inputmode=decimal')
                    value.props('outlined dense').classes('grow min-w-32').mark(f'condition-value-{index}')
                    value.on_value_change(lambda new, row=condition: row.update(value=new.value))
                    fields[f'conditions.{index}.value'] = value
                remove_button(lambda i=index: remove('conditions', i), f'remove-condition-{index}')

        def action_row(index: int, action: dict[str, Any], record_type: str) -> None:
            kinds = _action_kinds(state['event'])
            with ui.row().classes(ROW).mark(f'action-{index}'):
                kind = ui.select(
                    kinds, value=action.get('kind') if action.get('kind') in kinds else None, label=_('Do')
                )
                kind.props('outlined dense').classes('w-56 grow sm:grow-0').mark(f'action-kind-{index}')

                def kind_changed(new: Any, row: dict[str, Any] = action) -> None:
                    row.clear()
                    row['kind'] = new.value
                    editor.refresh()

                kind.on_value_change(kind_changed)
                fields[f'actions.{index}.kind'] = kind
                for key, element in _action_inputs(action, record_type, offered).items():
                    element.props('outlined dense').classes('grow min-w-40').mark(f'action-{key}-{index}')
                    element.on_value_change(lambda new, row=action, k=key: row.update({k: new.value}))
                    fields[f'actions.{index}.{key}'] = element
                remove_button(lambda i=index: remove('actions', i), f'remove-action-{index}')

        with ui.column().classes('w-full gap-1'):
            editor()
        stop = ui.checkbox(_('Stop here: the rules after this one do not run when it matched'), value=state['stop'])
        stop.mark('automation-stop')
        ui.label(_(PLACEHOLDERS_HELP)).classes('text-xs text-gray-500')
        message = error_line()

        async def save() -> None:
            data = {
                'name': name.value,
                'event': state['event'],
                'stop': stop.value,
                'conditions': state['conditions'],
                'actions': state['actions'],
            }
            shown = {key: element for key, element in fields.items() if hasattr(element, 'error')}
            actor = acting_user()  # the rights of now: a rule acts as a manager, so never with a role since taken away
            if actor is None:
                return
            if rule is None:
                done = await call(_create, actor, data, fields=shown, message=message)
            else:
                done = await call(_update, actor, rule.id, rule.version, data, fields=shown, message=message)
            if done is FAILED:
                return
            dialog.close()
            ui.notify(_('Rule saved. Dry-run it against a record to switch it on.'), type='positive')
            saved()

        with ui.row().classes('w-full justify-end'):
            ui.button(_('Cancel'), on_click=dialog.close).props('flat')
            ui.button(_('Save'), on_click=save).mark('save-automation')
    dialog.open()


ROW = 'w-full items-start gap-2 border border-gray-300 rounded p-2'  # a condition or an action
PLACEHOLDERS_HELP = N_(
    "Notes and chat messages may use {record}, {link} and the record's fields, such as {subject} or {total}."
)


def remove_button(on_click, mark: str) -> None:
    button = ui.button(icon='delete_outline', on_click=on_click).props('flat round dense').mark(mark)
    button.props['aria-label'] = _('Remove')
    button.tooltip(_('Remove'))


def _action_kinds(event: str) -> dict[str, str]:
    record_type = EVENTS[event].record_type
    return {key: _(label) for key, (label, types) in automations.ACTIONS.items() if record_type in types}


def _action_inputs(action: dict[str, Any], record_type: str, offered: dict[str, dict]) -> dict[str, Any]:
    """The inputs one action needs, by the key of the value each sets (target, value, text)."""
    kind = action.get('kind')
    staff = {str(key): name for key, name in offered['users'].items()}
    if kind == 'assign':
        people = {automations.ROUND_ROBIN: _('In turn, among those who answer requests'), **staff}
        return {'target': ui.select(people, value=action.get('target'), label=pgettext('email recipient', 'To'))}
    if kind == 'set_priority':
        return {
            'value': ui.select({k: _(v) for k, v in PRIORITIES.items()}, value=action.get('value'), label=_('Priority'))
        }
    if kind == 'set_status':
        words = STATUSES if record_type == 'request' else ORDER_STATUSES
        return {'value': ui.select({k: _(v) for k, v in words.items()}, value=action.get('value'), label=_('Status'))}
    if kind == 'add_tag':
        return {'value': counted(ui.input(_('Tag'), value=action.get('value') or ''), automations.TAG_MAX)}
    if kind == 'add_note':
        return {
            'text': counted(ui.textarea(_('Note'), value=action.get('text') or ''), automations.TEXT_MAX).props(
                'autogrow'
            )
        }
    if kind == 'send_email':
        templates = {str(key): title for key, title in offered['templates'].items()}
        to = ({'customer': _('The customer')} if record_type == 'request' else {}) | staff
        return {
            'value': ui.select(templates, value=action.get('value'), label=_('Template (a canned reply)')),
            'target': ui.select(to, value=action.get('target'), label=pgettext('email recipient', 'To')),
        }
    if kind == 'post_chat':
        return {
            'target': ui.select(offered['channels'], value=action.get('target'), label=_('Channel')),
            'text': counted(ui.input(_('Message'), value=action.get('text') or ''), automations.TEXT_MAX),
        }
    if kind == 'call_webhook':
        endpoints = {str(key): name for key, name in offered['endpoints'].items()}
        return {'target': ui.select(endpoints, value=action.get('target'), label=_('Webhook'))}
    if kind in automations.EXTENSION_ACTIONS:  # an extension's action: the inputs it declares
        return {
            item.key: ui.input(_(item.label), value=str(action.get(item.key) or '')).props(
                'type=number' if item.kind == 'number' else ''
            )
            for item in automations.EXTENSION_ACTIONS[kind].inputs
        }
    return {}


def _create(user: User, data: dict[str, Any]) -> int | None:
    with session_scope() as session:
        return automations.create_rule(session=session, actor=user, data=data).id


def _update(user: User, rule_id: int, version: int, data: dict[str, Any]) -> int | None:
    with session_scope() as session:
        return automations.update_rule(session=session, actor=user, rule_id=rule_id, version=version, data=data).id
