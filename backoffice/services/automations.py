"""Automation rules: "when an event, and these conditions hold of its record, then do these actions". Rules are kept
in order, may stop the chain, and are switched on only after a dry run of their current version; this module writes
and reads them and dry-runs them (services/automation_runner.py runs them for real)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice import automation_actions, changes
from backoffice.automation_actions import ExtensionAction
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import AutomationRule, AutomationRun, CannedReply, User, WebhookEndpoint, utcnow
from backoffice.permissions import PERMISSIONS, can, require
from backoffice.resources.sales import ORDER_STATUSES
from backoffice.resources.support import PRIORITIES, STATUSES
from backoffice.services import audit
from backoffice.services.alerts import CHANNELS
from backoffice.services.automation_fields import (
    EVENTS,
    RECORD_TYPES,
    Record,
    assignable,
    check_condition,
    describe_condition,
    holds,
    load,
)
from backoffice.stored_text import sentence

MANAGE = 'automations.manage'
MAX_CONDITIONS = 20
MAX_ACTIONS = 10
NAME_MAX = 120  # characters of a rule's name
TAG_MAX = 40  # of the tag an action adds
TEXT_MAX = 1000  # of a note or chat message an action writes
ROUND_ROBIN = 'round_robin'

# each action: its label and the kinds of record it applies to
ACTIONS: dict[str, tuple[str, frozenset[str]]] = {
    'assign': (N_('Assign'), frozenset({'request'})),
    'set_priority': (N_('Set priority'), frozenset({'request'})),
    'set_status': (N_('Set status'), frozenset({'request', 'order'})),
    'add_tag': (N_('Add a tag'), frozenset({'request'})),
    'add_note': (N_('Add an internal note'), frozenset({'request'})),
    'send_email': (N_('Send an email template'), frozenset(RECORD_TYPES)),
    'post_chat': (N_('Post to a chat channel'), frozenset(RECORD_TYPES)),
    'call_webhook': (N_('Call a webhook'), frozenset(RECORD_TYPES)),
}


EXTENSION_ACTIONS: dict[str, ExtensionAction] = {}


def add_action(action: ExtensionAction) -> None:
    if action.key in ACTIONS:
        raise ValueError(f'automation action {action.key!r} exists already')
    unknown = set(action.record_types) - set(RECORD_TYPES)
    if unknown or any(item.key not in ('target', 'value', 'text') for item in action.inputs):
        raise ValueError(f'automation action {action.key!r}: unknown record types or input keys')
    ACTIONS[action.key] = (action.label, frozenset(action.record_types))
    EXTENSION_ACTIONS[action.key] = action


def rules(*, session: Session, actor: User) -> list[AutomationRule]:
    """Every rule in the order they run."""
    require(actor, MANAGE)
    return list(
        session.exec(
            select(AutomationRule)
            .where(col(AutomationRule.deleted_at).is_(None))
            .order_by(col(AutomationRule.position), col(AutomationRule.id))
        )
    )


def create_rule(*, session: Session, actor: User, data: dict[str, Any]) -> AutomationRule:
    """A new rule, last in the order and switched off until a dry run."""
    require(actor, MANAGE)
    values = _valid(session, data, actor)
    last = session.exec(select(func.max(AutomationRule.position))).one()
    rule = AutomationRule(**values, position=(last or 0) + 1)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        'automation.created',
        'automations',
        rule.id,
        version=rule.version,
        changes=audit.diff({}, audit.snapshot(rule)),
        summary=sentence(N_('Added the automation {name}'), name=rule.name),
    )
    changes.commit(session, (Topic.automations, {'id': rule.id, 'action': 'created'}))
    return rule


def update_rule(*, session: Session, actor: User, rule_id: int, version: int, data: dict[str, Any]) -> AutomationRule:
    """Change a rule; a change of what it does or when switches it off until it is dry-run again."""
    require(actor, MANAGE)
    values = _valid(session, data, actor)
    rule = _locked(session, rule_id, version)
    if any(values[name] != getattr(rule, name) for name in ('event', 'conditions', 'actions')):
        values['enabled'], values['tested_version'] = False, None
    return _save(session, actor, rule, values, 'updated')


def set_enabled(*, session: Session, actor: User, rule_id: int, enabled: bool) -> AutomationRule:
    """Switch a rule on (only once its current version was dry-run) or off."""
    require(actor, MANAGE)
    rule = _locked(session, rule_id, None)
    if enabled and rule.tested_version != rule.version:
        raise ValidationFailed({'enabled': _('Dry-run this rule against a record before switching it on')})
    if enabled and (refused := _beyond(actor, rule.actions, EVENTS[rule.event].record_type)):
        raise ValidationFailed({'enabled': next(iter(refused.values()))})
    return _save(session, actor, rule, {'enabled': enabled}, 'enabled' if enabled else 'disabled')


def move(*, session: Session, actor: User, rule_id: int, by: int) -> list[AutomationRule]:
    """Move a rule up (by -1) or down (by 1) the order; every rule gets its place again 1, 2, 3…"""
    require(actor, MANAGE)
    ordered = [r for r in rules(session=session, actor=actor)]
    index = next((i for i, r in enumerate(ordered) if r.id == rule_id), None)
    if index is None:
        raise NotFound(_('This automation no longer exists.'))
    target = max(0, min(len(ordered) - 1, index + by))
    ordered.insert(target, ordered.pop(index))
    for position, rule in enumerate(ordered, start=1):
        if rule.position != position:
            rule.position = position
            session.add(rule)
    audit.record(
        session,
        actor,
        'automation.moved',
        'automations',
        rule_id,
        changes={'position': [index + 1, target + 1]},
        summary=sentence(N_('Moved the automation {name}'), name=ordered[target].name),
    )
    changes.commit(session, (Topic.automations, {'id': rule_id, 'action': 'moved'}))
    return ordered


def delete_rule(*, session: Session, actor: User, rule_id: int) -> None:
    require(actor, MANAGE)
    rule = _locked(session, rule_id, None)
    _save(session, actor, rule, {'deleted_at': utcnow(), 'enabled': False}, 'deleted')


@dataclass(frozen=True)
class DryRun:
    """What a rule would do to one record: whether it matches, each condition and whether it holds, the actions."""

    record: Record
    matched: bool
    conditions: list[tuple[str, bool]]
    actions: list[str]


def dry_run(*, session: Session, actor: User, rule_id: int, record_id: int) -> DryRun:
    """Check a rule against a record and say what it would do, changing nothing of the record; the dry run is logged
    and lets this version of the rule be switched on."""
    require(actor, MANAGE)
    rule = _rule(session, rule_id)
    record_type = EVENTS[rule.event].record_type
    record = load(session, record_type, record_id)
    if record is None:
        raise ValidationFailed({'record': _('Choose a record from the list')})
    conditions = [(describe_condition(c, record_type), holds(c, record.values, record_type)) for c in rule.conditions]
    matched = all(ok for _text, ok in conditions)
    said = [describe_action(session, action) for action in rule.actions] if matched else []
    session.add(
        AutomationRun(
            rule_id=rule.id,
            rule_name=rule.name,
            event=rule.event,
            record_type=record_type,
            record_id=record.id,
            record_label=record.label[:200],
            matched=matched,
            dry_run=True,
            actions=[
                {'kind': a['kind'], 'done': False, 'detail': text} for a, text in zip(rule.actions, said, strict=False)
            ],
        )
    )
    rule.tested_version = rule.version  # not a change of the rule: no new version
    session.add(rule)
    changes.commit(session, (Topic.automations, {'id': rule.id, 'action': 'dry-run'}))
    return DryRun(record, matched, conditions, said)


def runs(*, session: Session, actor: User, rule_id: int | None = None, limit: int = 100) -> list[AutomationRun]:
    """The newest runs (dry runs included), of one rule or of all."""
    require(actor, MANAGE)
    statement = select(AutomationRun).order_by(col(AutomationRun.id).desc()).limit(limit)
    if rule_id is not None:
        statement = statement.where(AutomationRun.rule_id == rule_id)
    return list(session.exec(statement))


def choices(*, session: Session, actor: User) -> dict[str, dict[Any, str]]:
    """What the rule form offers: staff to assign to, email templates (canned replies), chat channels, webhooks."""
    require(actor, MANAGE)
    templates = session.exec(
        select(CannedReply).where(col(CannedReply.deleted_at).is_(None)).order_by(col(CannedReply.title))
    )
    endpoints = session.exec(
        select(WebhookEndpoint).where(col(WebhookEndpoint.deleted_at).is_(None)).order_by(col(WebhookEndpoint.name))
    )
    return {
        'users': assignable(session),
        'templates': {t.id: t.title for t in templates},
        'channels': dict(CHANNELS),
        'endpoints': {e.id: e.name for e in endpoints},
    }


def describe_action(session: Session, action: dict[str, Any]) -> str:
    """'Assign to Maria Lopez', 'Set priority to Urgent', in the reader's language."""
    kind, target, value = action.get('kind'), action.get('target'), action.get('value')
    if kind in EXTENSION_ACTIONS:
        return EXTENSION_ACTIONS[str(kind)].describe(session, action)
    if kind == 'assign':
        if target == ROUND_ROBIN:
            return _('Assign in turn among the staff who answer requests')
        return _('Assign to {name}').format(name=_user_name(session, target))
    if kind == 'set_priority':
        return _('Set priority to {value}').format(value=_(PRIORITIES.get(str(value), str(value))))
    if kind == 'set_status':
        words = {**ORDER_STATUSES, **STATUSES}
        return _('Set status to {value}').format(value=_(words.get(str(value), str(value))))
    if kind == 'add_tag':
        return _('Add the tag “{tag}”').format(tag=value)
    if kind == 'add_note':
        return _('Add the internal note “{text}”').format(text=_short(action.get('text')))
    if kind == 'send_email':
        template = session.get(CannedReply, _int(value))
        name = template.title if template else str(value)
        to = _('the customer') if target == 'customer' else _user_name(session, target)
        return _('Email “{template}” to {to}').format(template=name, to=to)
    if kind == 'post_chat':
        return _('Post “{text}” to {channel}').format(
            text=_short(action.get('text')), channel=CHANNELS.get(str(target), target)
        )
    if kind == 'call_webhook':
        endpoint = session.get(WebhookEndpoint, _int(target))
        return _('Call the webhook {name}').format(name=endpoint.name if endpoint else target)
    return str(kind)


def describe_rule(session: Session, rule: AutomationRule) -> tuple[str, list[str], list[str]]:
    """The rule in words: its event, its conditions, its actions."""
    record_type = EVENTS[rule.event].record_type
    return (
        _(EVENTS[rule.event].label),
        [describe_condition(c, record_type) for c in rule.conditions],
        [describe_action(session, a) for a in rule.actions],
    )


# --- helpers ---------------------------------------------------------------------------------------------------------


def action_permission(kind: str, record_type: str) -> str | None:
    """What a person must hold to have a rule do this (a rule acts with a manager's rights: whoever writes or switches
    on a rule may make it do only what they may do themselves); None: automations.manage is enough."""
    if kind == 'set_status' and record_type == 'order':
        return 'orders.write'
    if kind in ('assign', 'set_priority', 'set_status', 'add_tag', 'add_note', 'send_email'):
        return 'tickets.write'
    if kind == 'post_chat':
        return 'alerts.manage'
    return None


def _beyond(actor: User, actions: list[dict[str, Any]], record_type: str) -> dict[str, str]:
    """The actions this person may not have a rule do, by field, each saying which permission it needs."""
    refused = {}
    for index, action in enumerate(actions):
        needed = action_permission(str(action.get('kind')), record_type)
        if needed is not None and not can(actor, needed):
            refused[f'actions.{index}.kind'] = _(
                'Your role may not do this itself ({permission}), so your rules may not either'
            ).format(permission=_(PERMISSIONS[needed]))
    return refused


def _valid(session: Session, data: dict[str, Any], actor: User) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(data.get('name') or '').strip()
    if not name:
        errors['name'] = _('This field is required')
    elif len(name) > NAME_MAX:
        errors['name'] = _('Keep it under {n} characters').format(n=NAME_MAX)
    event = data.get('event')
    if event not in EVENTS:
        errors['event'] = _('Choose an event from the list')
        raise ValidationFailed(errors)
    record_type = EVENTS[event].record_type
    conditions = [dict(c) for c in data.get('conditions') or []]
    if len(conditions) > MAX_CONDITIONS:
        errors['conditions'] = _('At most {count} conditions').format(count=MAX_CONDITIONS)
    for index, condition in enumerate(conditions):
        for key, message in check_condition(condition, record_type).items():
            errors[f'conditions.{index}.{key}'] = message
    actions = [dict(a) for a in data.get('actions') or []]
    if not actions:
        errors['actions'] = _('Add at least one action')
    elif len(actions) > MAX_ACTIONS:
        errors['actions'] = _('At most {count} actions').format(count=MAX_ACTIONS)
    for index, action in enumerate(actions):
        for key, message in _action_errors(session, action, record_type).items():
            errors[f'actions.{index}.{key}'] = message
    for key, message in _beyond(actor, actions, record_type).items():
        errors.setdefault(key, message)
    if errors:
        raise ValidationFailed(errors)
    return {
        'name': name,
        'event': event,
        'conditions': [
            {'field': c['field'], 'operator': c['operator'], 'value': str(c.get('value') or '').strip()}
            for c in conditions
        ],
        'actions': [_clean(a) for a in actions],
        'stop': bool(data.get('stop')),
    }


def _action_errors(session: Session, action: dict[str, Any], record_type: str) -> dict[str, str]:
    kind = action.get('kind')
    if kind not in ACTIONS:
        return {'kind': _('Choose an action from the list')}
    if record_type not in ACTIONS[kind][1]:
        return {'kind': _('This action applies to requests only')}
    if kind in EXTENSION_ACTIONS:
        return EXTENSION_ACTIONS[kind].check(session, action, record_type)
    target, value, text = action.get('target'), action.get('value'), str(action.get('text') or '').strip()
    staff = assignable(session)
    if kind == 'assign' and target != ROUND_ROBIN and _int(target) not in staff:
        return {'target': _('Choose an active member of staff who answers requests')}
    if kind == 'set_priority' and value not in PRIORITIES:
        return {'value': _('Choose a value from the list')}
    if kind == 'set_status' and value not in (STATUSES if record_type == 'request' else ORDER_STATUSES):
        return {'value': _('Choose a value from the list')}
    if kind == 'add_tag':
        tag = str(value or '').strip()
        if not tag:
            return {'value': _('This field is required')}
        if len(tag) > TAG_MAX:
            return {'value': _('Keep it under {n} characters').format(n=TAG_MAX)}
    if kind in ('add_note', 'post_chat'):
        if not text:
            return {'text': _('This field is required')}
        if len(text) > TEXT_MAX:
            return {'text': _('Keep it under {n} characters').format(n=TEXT_MAX)}
    if kind == 'send_email':
        template = session.get(CannedReply, _int(value))
        if template is None or template.deleted_at is not None:
            return {'value': _('Choose an email template from the list')}
        if target == 'customer':
            if record_type != 'request':
                return {'target': _('Only a request has a customer to email here: choose a member of staff')}
        elif _int(target) is None or session.get(User, _int(target)) is None:
            return {'target': _('Choose whom to email')}
    if kind == 'post_chat' and target not in CHANNELS:
        return {'target': _('Choose channels from the list')}
    if kind == 'call_webhook':
        endpoint = session.get(WebhookEndpoint, _int(target))
        if endpoint is None or endpoint.deleted_at is not None:
            return {'target': _('Choose a webhook from the list')}
    return {}


def _clean(action: dict[str, Any]) -> dict[str, Any]:
    kept = {'kind': action['kind']}
    for key in ('target', 'value', 'text'):
        if action.get(key) not in (None, ''):
            kept[key] = str(action[key]).strip()
    return kept


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _short(text: Any, limit: int = 60) -> str:
    text = str(text or '')
    return text if len(text) <= limit else text[: limit - 1] + '…'


def _user_name(session: Session, user_id: Any) -> str:
    user = session.get(User, _int(user_id)) if _int(user_id) is not None else None
    return (user.name or user.email) if user else str(user_id)


def _rule(session: Session, rule_id: int) -> AutomationRule:
    rule = session.get(AutomationRule, rule_id)
    if rule is None or rule.deleted_at is not None:
        raise NotFound(_('This automation no longer exists.'))
    return rule


def _locked(session: Session, rule_id: int, version: int | None) -> AutomationRule:
    rule = changes.get_for_update(
        session, AutomationRule, rule_id, version, entity='automations', label=N_('automation')
    )
    if rule.deleted_at is not None:
        raise NotFound(_('This automation no longer exists.'))
    return rule


def _save(session: Session, actor: User, rule: AutomationRule, values: dict[str, Any], action: str) -> AutomationRule:
    before = audit.snapshot(rule)
    still_tested = rule.tested_version == rule.version and 'tested_version' not in values
    for name, value in values.items():
        setattr(rule, name, value)
    diff = audit.diff(before, audit.snapshot(rule))
    if not diff:
        session.commit()
        return rule
    changes.stamp(rule)
    if still_tested:  # switched on or off, renamed: what it does was dry-run already
        rule.tested_version = rule.version
    session.add(rule)
    audit.record(
        session,
        actor,
        f'automation.{action}',
        'automations',
        rule.id,
        version=rule.version,
        changes=diff,
        summary=sentence(N_('Changed the automation {name}'), name=rule.name),
    )
    changes.commit(session, (Topic.automations, {'id': rule.id, 'action': action}))
    return rule


automation_actions.connect(add_action)  # an extension's actions, declared before or after this module loaded
