"""Checking the alert rules after each KPI refresh: one read of the aggregates for every rule, a firing recorded when
a rule crosses into alarm and a resolution when it comes back, each crossing told once (in-app at once; email and
chat messages queued for `alert_delivery.send_due`).

What a rule compares: above / below take the KPI over the last `window_days` days up to today (as a card adds days
up), except below on a KPI that adds days up (turnover, orders) and either on a rate (conversion, CSAT, abandonment):
complete days only, up to yesterday (today's total so far is below any floor each morning, a rate so far swings on a
few visitors); change takes the last `window_days` complete days (up to yesterday: today
is not over) against the same number of days before, in percent or, on a rate, in points (as the cards say it); no
data takes the hours since the newest row of the KPI's
source (its event type for visits, page views, sign-ups)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from backoffice import events, i18n
from backoffice.db import session_scope
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi import days, periods
from backoffice.kpi import sources as src
from backoffice.kpi.registry import BY_KEY
from backoffice.models import AlertDelivery, AlertEvent, AlertRule, EventType, KpiDaily, User, utcnow
from backoffice.permissions import can
from backoffice.services import app_settings, notifications, roles
from backoffice.services.alerts import CHANNELS
from backoffice.stored_text import Sentence, amount, count, percent, sentence, word

EVENT_OF_KPI = {
    'visits': EventType.visit,
    'page_views': EventType.page_view,
    'signups': EventType.signup_completed,
    'signup_abandonment': EventType.signup_started,
    'checkout_abandonment': EventType.checkout_started,
}


def evaluate(*, now: datetime | None = None) -> dict[str, int]:
    """Check every rule once; returns how many fired and resolved. Rules that stay as they were write nothing."""
    now = now or utcnow()
    counts = {'checked': 0, 'fired': 0, 'resolved': 0}
    with session_scope() as session:
        rules = list(session.execute(select(AlertRule).where(col(AlertRule.deleted_at).is_(None))).scalars())
        if not rules:
            return counts
        zone = app_settings.value(session=session, key='time_zone')
        today = days.today(zone, now)
        longest = max(rule.window_days for rule in rules)
        data = periods.daily(
            session=session,
            keys={r.kpi for r in rules if r.kind != 'no_data'},
            first=today - timedelta(days=2 * longest),
            last=today,
        )
        latest: dict[str, datetime | None] = {}
        for rule in rules:
            counts['checked'] += 1
            if rule.kpi not in BY_KEY:
                continue
            if rule.kind == 'no_data' and rule.kpi not in latest:
                latest[rule.kpi] = newest_data(session, rule.kpi)
            alarm, value = check(rule, data.get(rule.kpi, {}), today, now, latest.get(rule.kpi))
            if alarm and not rule.firing:
                _fire(session, rule, value, now)
                counts['fired'] += 1
            elif not alarm and rule.firing:
                _resolve(session, rule, value, now)
                counts['resolved'] += 1
        if counts['fired'] or counts['resolved']:
            events.after_commit(session, Topic.alerts, {'id': None, 'action': 'evaluated'})
            session.commit()
    return counts


def check(
    rule: AlertRule, by_day: dict[date, periods.Row], today: date, now: datetime, newest: datetime | None
) -> tuple[bool, float | None]:
    """Whether the rule is in alarm, and the value it looked at (a percentage for change, hours for no data)."""
    window = timedelta(days=rule.window_days)
    if rule.kind == 'no_data':
        hours = None if newest is None else round((now - newest).total_seconds() / 3600, 1)
        return hours is None or hours > rule.threshold, hours
    if rule.kind == 'change':
        last = today - timedelta(days=1)
        value = periods.value_over(rule.kpi, by_day, last - window + timedelta(days=1), last)
        previous = periods.value_over(rule.kpi, by_day, last - 2 * window + timedelta(days=1), last - window)
        if value is None or previous is None:
            return False, None
        if _in_points(rule):  # as the cards say it: conversion 5 % → 8 % moved 3 points, not 60 %
            change = round(value - previous, 1)
        elif not previous:
            return False, None
        else:
            change = round(100 * (value - previous) / abs(previous), 1)
        return abs(change) > rule.threshold, change
    last = today - timedelta(days=1) if _complete_days_only(rule) else today
    value = periods.value_over(rule.kpi, by_day, last - window + timedelta(days=1), last)
    if value is None:
        return False, None
    return (value > rule.threshold) if rule.kind == 'above' else (value < rule.threshold), value


def _in_points(rule: AlertRule) -> bool:
    """A change rule on a rate (conversion, CSAT, abandonment) counts the points it moved, its limit too."""
    return rule.kind == 'change' and BY_KEY[rule.kpi].unit == 'percent'


def _complete_days_only(rule: AlertRule) -> bool:
    """A day's total (turnover, orders) so far is below any floor each morning; a rate so far (conversion, CSAT,
    abandonment) swings on a handful of visitors after midnight — 0 % at 00:20 with 3 visits and no order yet — and
    today's abandonment counts the checkouts of the last minutes as abandoned: those compare complete days."""
    period = BY_KEY[rule.kpi].period
    return period == 'ratio' or (rule.kind == 'below' and period == 'sum')


def newest_data(session: Session, key: str) -> datetime | None:
    """When the newest row behind a KPI arrived (each an index seek)."""
    kpi = BY_KEY[key]
    instants: list[datetime | None] = []
    if 'events' in kpi.sources:
        kinds = [EVENT_OF_KPI[key]] if key in EVENT_OF_KPI else list(EventType)
        e = src.events.c
        instants += [session.execute(select(func.max(e.ts)).where(e.type == int(k))).scalar_one() for k in kinds]
    if 'orders' in kpi.sources and src.has_tables(session, 'orders'):
        instants.append(session.execute(select(func.max(src.orders.c.placed_at))).scalar_one())
    if 'tickets' in kpi.sources:
        instants.append(session.execute(select(func.max(src.tickets.c.created_at))).scalar_one())
    if not instants:  # the stock's level: when it was last computed
        instants.append(
            session.execute(select(func.max(KpiDaily.computed_at)).where(col(KpiDaily.kpi) == key)).scalar_one()
        )
    known = [_aware(i) for i in instants if i is not None]
    return max(known, default=None)


def describe(rule: AlertRule, value: float | None) -> str:
    """The alarm in words, in the current language."""
    return said(rule, value).shown()


def said(rule: AlertRule, value: float | None) -> Sentence:
    """The alarm as a sentence to store: its msgid and values, shown in each reader's language (stored_text)."""
    kpi = word(BY_KEY[rule.kpi].label)
    if rule.kind == 'no_data':
        return sentence(
            N_('Alert "{name}": no data for {kpi} for more than {hours} hours.'),
            name=rule.name,
            kpi=kpi,
            hours=count(rule.threshold),
        )
    if rule.kind == 'change':
        moved, limit = value or 0, rule.threshold
        points = _in_points(rule)
        return sentence(
            N_('Alert "{name}": {kpi} changed by {change} against the previous period (limit {limit}).'),
            name=rule.name,
            kpi=kpi,
            change=_points(moved) if points else percent(moved / 100, 1),
            limit=_points(limit) if points else percent(limit / 100, 1),
        )
    text = N_('Alert "{name}": {kpi} is {value}, below {threshold}.')
    if rule.kind != 'below':
        text = N_('Alert "{name}": {kpi} is {value}, above {threshold}.')
    return sentence(
        text, name=rule.name, kpi=kpi, value=_kpi_value(rule.kpi, value), threshold=_kpi_value(rule.kpi, rule.threshold)
    )


def _points(value: float) -> Sentence:
    """Percentage points as the cards write them (3 pts, −2.5 pts; French 2,5 pts), stored for each reader."""
    return sentence(N_('{n} pts'), n=count(Decimal(str(round(value, 1)))))


def describe_resolved(rule: AlertRule) -> str:
    return _('Back to normal: "{name}" on {kpi}.').format(name=rule.name, kpi=_(BY_KEY[rule.kpi].label))


# --- helpers ---------------------------------------------------------------------------------------------------------


def _fire(session: Session, rule: AlertRule, value: float | None, now: datetime) -> None:
    rule.firing, rule.last_value = True, value
    session.add(rule)
    quiet = silenced(rule, now)
    message = said(rule, value)
    event = AlertEvent(
        rule_id=rule.id or 0,
        fired_at=now,
        value=value,
        message=message.english[:500],
        message_key=message.key,
        message_params=message.params,
    )
    event.silenced = quiet
    session.add(event)
    session.flush()
    events.after_commit(session, Topic.alerts, {'id': rule.id, 'action': 'fired', 'event_id': event.id})
    if not quiet:
        _tell(session, rule, event, message.shown)


def _resolve(session: Session, rule: AlertRule, value: float | None, now: datetime) -> None:
    rule.firing, rule.last_value = False, value
    session.add(rule)
    event = (
        session.execute(
            select(AlertEvent)
            .where(col(AlertEvent.rule_id) == rule.id, col(AlertEvent.resolved_at).is_(None))
            .order_by(col(AlertEvent.id).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    if event is None:
        return
    event.resolved_at = now
    session.add(event)
    if not event.silenced and not silenced(rule, now):
        _tell(session, rule, event, lambda: describe_resolved(rule))


def _tell(session: Session, rule: AlertRule, event: AlertEvent, words) -> None:
    """In-app notices now (each in the reader's language); email and chat messages queued for the sender."""
    recipients = list(session.execute(select(User).where(col(User.id).in_(rule.recipients or []))).scalars())
    roles.sync(session)
    for user in recipients:
        if not can(user, 'kpis.read'):  # deactivated, or their role no longer reads the KPIs: not told
            continue
        with i18n.use(user.language):
            text = words()
        notifications.notify(session, user_id=user.id or 0, text=text, link='/alerts')
        session.add(
            AlertDelivery(
                event_id=event.id,
                channel='in_app',
                target=user.name or user.email,
                text=text,
                status='sent',
                attempts=1,
                sent_at=utcnow(),
            )
        )
        if rule.email:
            session.add(AlertDelivery(event_id=event.id, channel='email', target=user.email, text=text))
    for channel in filter(None, rule.channels.split(',')):
        if channel in CHANNELS:
            session.add(AlertDelivery(event_id=event.id, channel=channel, target=CHANNELS[channel], text=words()))


def _kpi_value(key: str, value: float | None) -> Any:
    """A KPI's value to store in a sentence, as periods.shown writes it: money, a percentage or a count."""
    unit = BY_KEY[key].unit
    if value is None:
        return '—'
    if unit == 'money':
        return amount(round(value, 2), app_settings.cached('currency'))
    if unit == 'percent':
        return percent(Decimal(str(value)) / 100, 1)  # exact: formatting.kpi_percent's rounding
    return count(value)


def silenced(rule: AlertRule, now: datetime) -> str:
    """'muted', 'snoozed', or '' when the rule tells its people."""
    if rule.muted:
        return 'muted'
    if rule.snoozed_until is not None and _aware(rule.snoozed_until) > now:
        return 'snoozed'
    return ''


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
