"""Alert rules on the KPIs (managers and admins set them; everyone who sees the dashboard reads them): create, edit,
mute, snooze, delete, and the log of what fired, when, and who was told. Checking the rules is `alert_checks.py`,
sending the messages `alert_delivery.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from backoffice import events, formatting, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.registry import BY_KEY
from backoffice.models import AlertDelivery, AlertEvent, AlertRule, User, utcnow
from backoffice.permissions import can, require
from backoffice.services import audit
from backoffice.stored_text import sentence, word
from backoffice.validation import decimal_text, whole

MANAGE = 'alerts.manage'
READ = 'kpis.read'
KINDS = {
    'above': N_('Above a value'),
    'below': N_('Below a value'),
    'change': N_('Changes by more than N % (N points for a rate) against the previous period'),
    'no_data': N_('No data for N hours'),
}
CHANNELS = {'slack': 'Slack', 'teams': 'Microsoft Teams', 'mattermost': 'Mattermost', 'discord': 'Discord'}
SETTING_OF_CHANNEL = {channel: f'{channel}_webhook_url' for channel in CHANNELS}
NAME_MAX = 120  # characters of an alert's name
MAX_SNOOZE = timedelta(days=30)


@dataclass(frozen=True)
class Fired:
    """One firing as the alerts page lists it."""

    id: int
    rule: str
    kpi: str
    fired_at: datetime
    resolved_at: datetime | None
    value: float | None
    message: str
    silenced: str
    told: list[tuple[str, str, str]]  # (channel, target, status)


def rules(*, session: Session, actor: User) -> list[AlertRule]:
    require(actor, READ)
    return list(
        session.exec(select(AlertRule).where(col(AlertRule.deleted_at).is_(None)).order_by(col(AlertRule.name)))
    )


def history(*, session: Session, actor: User, limit: int = 50) -> list[Fired]:
    """The latest firings, newest first, with every delivery made for each."""
    require(actor, READ)
    rows = session.exec(
        select(AlertEvent, AlertRule)
        .join(AlertRule, col(AlertRule.id) == AlertEvent.rule_id)
        .order_by(col(AlertEvent.id).desc())
        .limit(limit)
    ).all()
    ids = [event.id for event, _rule in rows]
    told: dict[int, list[tuple[str, str, str]]] = {}
    if ids:
        for delivery in session.exec(
            select(AlertDelivery).where(col(AlertDelivery.event_id).in_(ids)).order_by(col(AlertDelivery.id))
        ):
            told.setdefault(delivery.event_id or 0, []).append((delivery.channel, delivery.target, delivery.status))
    return [
        Fired(
            event.id or 0,
            rule.name,
            rule.kpi,
            event.fired_at,
            event.resolved_at,
            event.value,
            stored_text.show(event.message, event.message_key, event.message_params),
            event.silenced,
            told.get(event.id or 0, []),
        )
        for event, rule in rows
    ]


def create_rule(*, session: Session, actor: User, data: dict[str, Any]) -> AlertRule:
    require(actor, MANAGE)
    values = _valid(session, data)
    rule = AlertRule(**values)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        'alert_rule.created',
        'alert_rule',
        rule.id,
        version=rule.version,
        changes=audit.diff({}, audit.snapshot(rule)),
        summary=_rule_said(rule),
    )
    _commit(session, rule.id)
    return rule


def update_rule(*, session: Session, actor: User, rule_id: int, data: dict[str, Any], version: int) -> AlertRule:
    """Change a rule (name, KPI, condition, value, days, who is told) from the version the editor loaded; a rule in
    alarm stays so until the next check says otherwise (it resolves then if the new condition no longer holds)."""
    require(actor, MANAGE)
    rule = get_for_update(session, AlertRule, rule_id, version, entity='alert_rule', label=N_('alert rule'))
    if rule.deleted_at is not None:
        raise NotFound(_('This alert rule no longer exists.'))
    values = _valid(session, data)
    before = audit.snapshot(rule)
    for name, value in values.items():
        setattr(rule, name, value)
    stamp(rule)
    session.add(rule)
    audit.record(
        session,
        actor,
        'alert_rule.updated',
        'alert_rule',
        rule.id,
        version=rule.version,
        changes=audit.diff(before, audit.snapshot(rule)),
        summary=_rule_said(rule),
    )
    _commit(session, rule.id)
    return rule


def set_muted(*, session: Session, actor: User, rule_id: int, muted: bool) -> AlertRule:
    """A muted rule is still checked (its firings are logged) but tells nobody until unmuted."""
    require(actor, MANAGE)
    rule = _rule(session, rule_id)
    rule.muted = muted
    stamp(rule)
    session.add(rule)
    audit.record(session, actor, 'alert_rule.muted' if muted else 'alert_rule.unmuted', 'alert_rule', rule_id)
    _commit(session, rule_id)
    return rule


def snooze(*, session: Session, actor: User, rule_id: int, hours: float) -> AlertRule:
    """Tell nobody about this rule for the next `hours` (0: wake it now)."""
    require(actor, MANAGE)
    rule = _rule(session, rule_id)
    length = timedelta(hours=hours)
    if length < timedelta(0) or length > MAX_SNOOZE:
        raise ValidationFailed({'hours': _('Snooze for at most {days} days').format(days=MAX_SNOOZE.days)})
    rule.snoozed_until = utcnow() + length if hours else None
    stamp(rule)
    session.add(rule)
    audit.record(
        session,
        actor,
        'alert_rule.snoozed',
        'alert_rule',
        rule_id,
        summary=sentence(N_('Snoozed for {hours} h'), hours=stored_text.count(hours)),
    )
    _commit(session, rule_id)
    return rule


def delete_rule(*, session: Session, actor: User, rule_id: int) -> None:
    require(actor, MANAGE)
    rule = _rule(session, rule_id)
    rule.deleted_at = utcnow()
    stamp(rule)
    session.add(rule)
    audit.record(
        session,
        actor,
        'alert_rule.deleted',
        'alert_rule',
        rule_id,
        summary=sentence(N_('Alert rule “{name}”'), name=rule.name),
    )
    _commit(session, rule_id)


def staff(*, session: Session, actor: User) -> dict[int, str]:
    """Active staff who may be told (they read the dashboard): id → name."""
    require(actor, READ)
    users = session.exec(select(User).where(col(User.is_active).is_(True)).order_by(col(User.name)))
    return {user.id or 0: user.name or user.email for user in users if can(user, READ)}


# --- helpers ---------------------------------------------------------------------------------------------------------


def _valid(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = ' '.join(str(data.get('name') or '').split())
    if not name:
        errors['name'] = _('This field is required')
    elif len(name) > NAME_MAX:
        errors['name'] = _('Use at most {count} characters').format(count=formatting.number(NAME_MAX))
    kpi = data.get('kpi')
    if kpi not in BY_KEY:
        errors['kpi'] = _('Choose a KPI from the list')
    kind = data.get('kind')
    if kind not in KINDS:
        errors['kind'] = _('Choose a condition')
    try:
        threshold = float(decimal_text(str(data.get('threshold'))))  # ambiguous ('1.234' in French): refused
        if threshold != threshold or abs(threshold) == float('inf'):
            raise ValueError
    except (TypeError, ValueError):
        errors['threshold'] = _('Enter a number')
        threshold = 0.0
    if kind in ('change', 'no_data') and threshold <= 0 and 'threshold' not in errors:
        errors['threshold'] = _('Enter a number above 0')
    try:
        window = whole(data.get('window_days', 1))  # '1,5' refused, never read as 15
    except ValueError:
        errors['window_days'] = _('Enter a whole number')
        window = 1
    if not 1 <= window <= 90:
        errors['window_days'] = _('Enter a number from {minimum} to {maximum}').format(minimum=1, maximum=90)
    recipients = sorted({int(i) for i in data.get('recipients') or []})
    if recipients:
        found = session.exec(select(User.id).where(col(User.id).in_(recipients))).all()
        if len(found) != len(recipients):
            errors['recipients'] = _('Choose members of staff from the list')
    channels = [c for c in data.get('channels') or [] if c]
    if any(c not in CHANNELS for c in channels):
        errors['channels'] = _('Choose channels from the list')
    if errors:
        raise ValidationFailed(errors)
    return {
        'name': name,
        'kpi': kpi,
        'kind': kind,
        'threshold': threshold,
        'window_days': window,
        'recipients': recipients,
        'email': bool(data.get('email')),
        'channels': ','.join(sorted(set(channels))),
    }


def _rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.deleted_at is not None:
        raise NotFound(_('This alert rule no longer exists.'))
    return rule


def _commit(session: Session, rule_id: int | None) -> None:
    events.after_commit(session, Topic.alerts, {'id': rule_id, 'action': 'changed'})
    session.commit()


def _rule_said(rule: AlertRule) -> stored_text.Sentence:
    """A rule saved, in the audit log: its name, KPI and condition, in each reader's language."""
    return sentence(
        N_('Alert rule “{name}” on {kpi}: {kind}, {threshold}'),
        name=rule.name,
        kpi=word(BY_KEY[rule.kpi].label) if rule.kpi in BY_KEY else rule.kpi,
        kind=word(KINDS[rule.kind], lower=True) if rule.kind in KINDS else rule.kind,
        threshold=stored_text.count(rule.threshold),
    )
