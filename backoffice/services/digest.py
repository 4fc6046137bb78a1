"""The founder's digest: each member of staff's choice (none, daily or weekly, at an hour of the shop's time zone, and
which KPI cards), what it holds — built with the recipient's own permissions — and its sending: "send me one now", the
hourly `digests` job (each period once: a unique `DigestSend` per period), and the signed unsubscribe link."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice import changes, db, formatting, i18n
from backoffice.config import get_settings
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.i18n import N_, _, ngettext
from backoffice.kpi import days, definitions
from backoffice.kpi import read as kpi_read
from backoffice.kpi.periods import shown
from backoffice.kpi.registry import BY_KEY, KPIS, Day
from backoffice.models import (
    AlertEvent,
    AlertRule,
    DigestChoice,
    DigestSend,
    Product,
    StaffMail,
    StockLevel,
    Ticket,
    User,
    utcnow,
)
from backoffice.permissions import can
from backoffice.services import app_settings, audit, digest_mail, goals, staff_mail, ticket_sla
from backoffice.services.digest_mail import CardLine, Digest, GoalLine, Named
from backoffice.stored_text import sentence

FREQUENCIES = {'none': N_('No digest'), 'daily': N_('Every day'), 'weekly': N_('Every week')}
WEEKDAYS = {
    0: N_('Monday'),
    1: N_('Tuesday'),
    2: N_('Wednesday'),
    3: N_('Thursday'),
    4: N_('Friday'),
    5: N_('Saturday'),
    6: N_('Sunday'),
}
LISTED = 10  # at most this many requests or products listed by name; the rest counted
UNSUBSCRIBE_PATH = '/digest/unsubscribe'


# --- the choice ------------------------------------------------------------------------------------------------------


def choice(*, session: Session, actor: User) -> DigestChoice:
    """One's own choice (a default, not stored, before the first save)."""
    found = session.exec(select(DigestChoice).where(DigestChoice.user_id == actor.id)).first()
    return found or DigestChoice(user_id=actor.id or 0, frequency='none', version=0)


def card_choices(actor: User) -> dict[str, str]:
    """The KPI cards a digest may show (marked English: show through _()); none without kpis.read."""
    if not can(actor, 'kpis.read'):
        return {}
    return {kpi.key: kpi.label for kpi in KPIS if kpi.card}


def save_choice(
    *, session: Session, actor: User, frequency: Any, weekday: Any, hour: Any, kpis: Any, version: int
) -> DigestChoice:
    """Change one's own digest (anyone signed in; only their own). `version` is the one read: 0 before the first."""
    errors: dict[str, str] = {}
    if frequency not in FREQUENCIES:
        errors['frequency'] = _('Choose no digest, every day or every week.')
    weekday_number = _whole(weekday, 0, 6)
    if weekday_number is None:
        errors['weekday'] = _('Choose a day of the week.')
    hour_number = _whole(hour, 0, 23)
    if hour_number is None:
        errors['hour'] = _('Choose an hour from 0 to 23.')
    allowed = card_choices(actor)
    chosen = [str(k) for k in (kpis or [])] if isinstance(kpis, list | tuple) else None
    if chosen is None or any(k not in allowed for k in chosen):
        errors['kpis'] = _('Choose among the listed KPI cards.')
    if errors:
        raise ValidationFailed(errors)
    db.one_at_a_time(session, f'digest_choice:{actor.id}')  # no row to lock before the first save: two tabs take turns
    stored = session.exec(select(DigestChoice).where(DigestChoice.user_id == actor.id).with_for_update()).first()
    current = stored.version if stored else 0
    if current != version:
        raise StaleRecord(N_('digest'), actor.name, stored.updated_at if stored else None, current)
    row = stored or DigestChoice(user_id=actor.id or 0, version=0)
    before = {'frequency': row.frequency, 'weekday': row.weekday, 'hour': row.hour, 'kpis': list(row.kpis or [])}
    row.frequency, row.weekday, row.hour = frequency, weekday_number or 0, hour_number or 0
    row.kpis = [k for k in allowed if k in (chosen or [])]  # the registry's order, no repeats
    row.version = current + 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    after = {'frequency': row.frequency, 'weekday': row.weekday, 'hour': row.hour, 'kpis': row.kpis}
    audit.record(
        session,
        actor,
        'digest.updated',
        'digest',
        row.id,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        summary=sentence(N_('Digest: {frequency}'), frequency=FREQUENCIES[row.frequency]),
        version=row.version,
    )
    changes.commit(session)
    return row


# --- what it holds ---------------------------------------------------------------------------------------------------


def period_of(frequency: str, today: date) -> tuple[date, date]:
    """The days a digest sent today covers: yesterday (daily), or the seven days up to yesterday (weekly)."""
    last = today - timedelta(days=1)
    return (last - timedelta(days=6) if frequency == 'weekly' else last), last


def build(
    *,
    session: Session,
    actor: User,
    first: date,
    last: date,
    kpis: list[str] | None = None,
    cache: dict[tuple[date, date], Any] | None = None,
) -> Digest:
    """The digest of [first, last] as this member of staff may read it: each section only with its permission;
    `cache` keeps the KPI cards of a period between readers (the job's run)."""
    zone = app_settings.value(session=session, key='time_zone')
    start, _unused = days.bounds(first, zone)
    _unused, end = days.bounds(last, zone)
    reads_kpis = can(actor, 'kpis.read')
    return Digest(
        actor.name,
        first,
        last,
        _cards(session, first, last, kpis, cache) if reads_kpis else None,
        _goals(session, actor) if reads_kpis else None,
        _alerts(session, start, end) if reads_kpis else None,
        _sla(session) if can(actor, 'tickets.read') else None,
        _low_stock(session) if can(actor, 'catalog.read') else None,
    )


def _cards(
    session: Session, first: date, last: date, keys: list[str] | None, cache: dict[tuple[date, date], Any] | None
) -> list[CardLine]:
    cards = cache.get((first, last)) if cache is not None else None
    if cards is None:  # the same for every reader of a period: the job reads them once per period
        cards = kpi_read.cards(session=session, period=kpi_read.Period(first, last))
        if cache is not None:
            cache[(first, last)] = cards
    wanted = set(keys or [])
    return [
        _now_if_unrecorded(session, c) if c.value is None and BY_KEY[c.key].snapshot else _card_line(c)
        for c in cards
        if not wanted or c.key in wanted
    ]


def _card_line(c: kpi_read.Card) -> CardLine:
    return CardLine(c.key, c.label, shown(c.key, c.value), c.change, c.good, c.spark, points=c.unit == 'percent')


def _now_if_unrecorded(session: Session, card: kpi_read.Card) -> CardLine:
    """A level (the low-stock count) is recorded only on the days the KPIs were refreshed: the first morning's daily
    digest had none for yesterday and read "—". Its figure now, as the section listing the rows says it, compared
    only with a recorded figure of the period before."""
    kpi = BY_KEY[card.key]
    now = utcnow()
    value = kpi.compute(Day(session, now, now, definitions.current(session=session))).value
    change = None
    if value is not None and card.previous:
        change = round(100 * (value - card.previous) / abs(card.previous), 1)
    good = None if not change else (change > 0) == (kpi.good == 'up')
    return _card_line(dataclasses.replace(card, value=value, change=change, good=good))


def _goals(session: Session, actor: User) -> list[GoalLine]:
    return [
        GoalLine(goal.title, result.title, result.progress, result.status)
        for goal in goals.board(session=session, actor=actor, current_only=True)
        for result in goal.results
    ]


def _alerts(session: Session, start: datetime, end: datetime) -> list[Named]:
    rows = session.exec(
        select(AlertEvent, AlertRule)
        .join(AlertRule, col(AlertRule.id) == AlertEvent.rule_id)
        .where(col(AlertEvent.fired_at) >= start, col(AlertEvent.fired_at) < end)
        .order_by(col(AlertEvent.fired_at))
    ).all()
    return [
        Named(
            rule.name,
            f'{formatting.when(event.fired_at)} — '
            + (
                _('resolved {when}').format(when=formatting.when(event.resolved_at))
                if event.resolved_at
                else _('firing')
            ),
            '/alerts',
        )
        for event, rule in rows
    ]


def _sla(session: Session) -> tuple[int, list[Named]]:
    # a request waiting on the customer is paused, not past its target (ticket_sla.CLOCK_RUNS)
    breached = (col(Ticket.sla_breached_at).is_not(None), col(Ticket.status).in_(ticket_sla.CLOCK_RUNS))
    tickets = session.exec(select(Ticket).where(*breached).order_by(col(Ticket.sla_breached_at)).limit(LISTED)).all()
    total = len(tickets)
    if total == LISTED:
        total = session.exec(select(func.count()).select_from(Ticket).where(*breached)).one()
    lines = [
        Named(
            f'#{t.number} {t.subject}',
            _('past its target since {when}').format(when=formatting.when(t.sla_breached_at)),
            f'/requests/{t.number}',
        )
        for t in tickets
    ]
    return total, lines


def _low_stock(session: Session) -> tuple[int, list[Named]]:
    # as the low-stock alert reads it: a product not stocked (its old row kept) or in the trash is not low
    low = (col(StockLevel.low_stock).is_(True), col(Product.stocked).is_(True), col(Product.deleted_at).is_(None))
    rows = session.exec(
        select(StockLevel, Product.name)
        .join(Product, col(Product.id) == StockLevel.product_id)
        .where(*low)
        .order_by(col(StockLevel.available), col(StockLevel.id))
        .limit(LISTED)
    ).all()
    total = len(rows)
    if total == LISTED:
        total = session.exec(
            select(func.count())
            .select_from(StockLevel)
            .join(Product, col(Product.id) == StockLevel.product_id)
            .where(*low)
        ).one()
    lines = [
        Named(
            f'{level.sku} {name}'.strip(),
            ngettext(
                '{available} available (minimum {minimum})',
                '{available} available (minimum {minimum})',
                formatting.plural_count(level.available),
            ).format(available=formatting.number(level.available), minimum=formatting.number(level.min_qty)),
            '/inventory',
        )
        for level, name in rows
    ]
    return total, lines


# --- sending ---------------------------------------------------------------------------------------------------------


def send_now(*, session: Session, actor: User, today: date | None = None) -> StaffMail:
    """ "Send me one now": the digest of one's chosen frequency's last period (daily when none is chosen), queued in
    the outbox at once, whatever the schedule."""
    mine = choice(session=session, actor=actor)
    today = today or days.today(app_settings.value(session=session, key='time_zone'))
    first, last = period_of(mine.frequency if mine.frequency != 'none' else 'daily', today)
    message = _queue(session, actor, mine, first, last)
    session.add(DigestSend(user_id=actor.id or 0, period_key=None, first_day=first, last_day=last, mail_id=message.id))
    audit.record(session, actor, 'digest.sent', 'digest', actor.id, summary=sentence(N_('Digest sent on request')))
    changes.commit(session)
    return message


def due(row: DigestChoice, now_local: datetime) -> str | None:
    """The period key a choice is due for at this local time, or None: daily from its hour on; weekly on its weekday
    from its hour on (and the rest of that week, should the job have been down)."""
    if row.frequency == 'daily':
        return period_key('daily', now_local.date()) if now_local.hour >= row.hour else None
    if row.frequency == 'weekly':
        start = now_local.date() - timedelta(days=(now_local.weekday() - row.weekday) % 7)
        if start == now_local.date() and now_local.hour < row.hour:
            return None
        return period_key('weekly', start)
    return None


def period_key(frequency: str, day: date) -> str:
    """The stored key of a scheduled period: 'daily:2026-12-02', 'weekly:2026-11-30' (machine text)."""
    return f'{frequency}:{day.isoformat()}'


def send_due(*, now: datetime | None = None) -> int:
    """The `digests` job: queue every digest whose period has come and was not sent; each in its own transaction, and
    a second run (or a second process) finds the period's `DigestSend` and sends nothing. Returns the digests queued."""
    from backoffice.db import session_scope

    with session_scope() as session:
        zone = app_settings.value(session=session, key='time_zone')
        ids = list(session.exec(select(DigestChoice.id).where(col(DigestChoice.frequency) != 'none')).all())
    now_local = (now or datetime.now(UTC)).astimezone(ZoneInfo(zone))
    queued = 0
    cards: dict[tuple[date, date], Any] = {}  # each period's KPI cards, read once for every reader
    for choice_id in ids:
        with session_scope() as session:
            row = session.get(DigestChoice, choice_id)
            user = session.get(User, row.user_id) if row else None
            key = due(row, now_local) if row else None
            if row is None or user is None or not user.is_active or key is None:
                continue
            sent = session.exec(
                select(DigestSend.id).where(DigestSend.user_id == user.id, DigestSend.period_key == key)
            ).first()
            if sent is not None:
                continue
            day = date.fromisoformat(key.split(':', 1)[1])
            first, last = period_of(row.frequency, day)
            record = DigestSend(user_id=user.id or 0, period_key=key, first_day=first, last_day=last)
            session.add(record)
            try:
                session.flush()  # the period's row first: a second runner stops here, before writing any mail
            except IntegrityError:
                session.rollback()
                continue
            record.mail_id = _queue(session, user, row, first, last, cards).id
            session.add(record)
            session.commit()
            queued += 1
    return queued


def _queue(
    session: Session,
    user: User,
    mine: DigestChoice,
    first: date,
    last: date,
    cache: dict[tuple[date, date], Any] | None = None,
) -> StaffMail:
    language = user.language or app_settings.default_language()
    with i18n.use(language):
        built = build(session=session, actor=user, first=first, last=last, kpis=list(mine.kpis or []), cache=cache)
        link = unsubscribe_url(get_settings().base_url, user.id or 0)
        made = digest_mail.render(built, base_url=get_settings().base_url, unsubscribe=link)
    return staff_mail.queue(
        session,
        user=user,
        subject=made.subject,
        body=made.text,
        html=made.html,
        parts=made.parts,
        headers={'List-Unsubscribe': f'<{link}>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click'},
    )


def sent(*, session: Session, actor: User, limit: int = 5) -> list[DigestSend]:
    """One's own latest digests."""
    return list(
        session.exec(
            select(DigestSend).where(DigestSend.user_id == actor.id).order_by(col(DigestSend.id).desc()).limit(limit)
        )
    )


# --- unsubscribing without signing in --------------------------------------------------------------------------------


def unsubscribe_token(user_id: int) -> str:
    """`<user id>.<HMAC-SHA256 of it with a key derived from the app's secret>`: per user, never expiring, forged by
    nobody without the secret."""
    return f'{int(user_id)}.{_signature(int(user_id))}'


def unsubscribe_url(base_url: str, user_id: int) -> str:
    return f'{base_url.rstrip("/")}{UNSUBSCRIBE_PATH}?token={unsubscribe_token(user_id)}'


def unsubscribe(*, session: Session, token: str) -> User | None:
    """Stop the digest of the token's user; None (and nothing changed) for a forged or malformed token."""
    user_part, _dot, signature = (token or '').partition('.')
    if (
        not user_part.isdecimal()
        or len(user_part) > 10
        or not hmac.compare_digest(signature, _signature(int(user_part)))
    ):
        return None
    user = session.get(User, int(user_part))
    if user is None:
        return None
    row = session.exec(select(DigestChoice).where(DigestChoice.user_id == user.id).with_for_update()).first()
    if row is not None and row.frequency != 'none':
        before = row.frequency
        row.frequency, row.version, row.updated_at = 'none', row.version + 1, utcnow()
        session.add(row)
        audit.record(
            session,
            None,
            'digest.unsubscribed',
            'digest',
            row.id,
            changes={'frequency': [before, 'none']},
            summary=sentence(N_('{name} unsubscribed from the digest by its link'), name=user.name),
            version=row.version,
        )
    changes.commit(session)
    return user


def _signature(user_id: int) -> str:
    key = hashlib.sha256(
        b'backoffice digest unsubscribe\0' + get_settings().resolved_storage_secret().encode()
    ).digest()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def _whole(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high and str(value).strip().lstrip('-').isdigit() else None
