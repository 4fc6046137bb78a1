"""Customer segments for re-engagement: the built-in ones, custom ones from filters on customers, orders and events,
their live count, and their export (CSV or an outbound webhook) — only customers who agreed to marketing, audited."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backoffice import formatting, outbound, stored_text
from backoffice.errors import NotFound, StaleRecord, ValidationFailed, field_errors
from backoffice.i18n import N_, _, ngettext, supported
from backoffice.kpi import definitions
from backoffice.kpi import sources as src
from backoffice.kpi.definitions import EVENT_LABELS
from backoffice.models import Customer, CustomerStatus, EventType, Segment, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, audit
from backoffice.services.erased import ERASED_DOMAIN
from backoffice.stored_text import Sentence, sentence
from backoffice.transfer import accounting_files
from backoffice.transfer.accounting_files import Sheet
from backoffice.transfer.csv_out import SEPARATORS, csv_bytes
from backoffice.validation import OptionalWholeNumber, TypedDecimal, clean_name

EXPORT_LIMIT = 100_000
HEADER = ('email', 'name', 'language')  # an export's columns, as the email tools import them
MAX_REDIRECTS = 3  # a push follows this many redirects, each new address checked like the first


@dataclass(frozen=True)
class BuiltIn:
    key: str
    name: str
    description: str


BUILT_IN = (
    BuiltIn('inactive', N_('Inactive for 30 days'), N_('Customers not seen in the front office for 30 days or more.')),
    BuiltIn('unfinished_signup', N_('Unfinished sign-up'), N_('People who started signing up and never completed it.')),
    BuiltIn('high_value', N_('High value'), N_('The top 10 percent of buying customers by turnover (paid orders).')),
    BuiltIn(
        'at_risk',
        N_('At risk'),
        N_('Seen in the 60 days before, but not for the number of days set in the KPI definitions (at-risk days).'),
    ),
)
BUILT_IN_BY_KEY = {segment.key: segment for segment in BUILT_IN}
# as the customers' list says them (backoffice.resources.customers imports this module: the words are repeated here)
STATUS_WORDS = {
    CustomerStatus.active: N_('Active'),
    CustomerStatus.unfinished: N_('Unfinished sign-up'),
    CustomerStatus.banned: N_('Banned'),
}


class Filters(BaseModel):
    """A custom segment's filters; each one left empty does not filter."""

    status: CustomerStatus | None = None
    signed_up_within_days: OptionalWholeNumber = Field(default=None, ge=1, le=3650)
    not_seen_for_days: OptionalWholeNumber = Field(default=None, ge=1, le=3650)
    seen_within_days: OptionalWholeNumber = Field(default=None, ge=1, le=3650)
    min_orders: OptionalWholeNumber = Field(default=None, ge=1, le=100_000)
    # bought before, but not for this long: a re-engagement campaign's customers ('Not seen' is the front office's)
    no_order_for_days: OptionalWholeNumber = Field(default=None, ge=1, le=3650)
    min_turnover: TypedDecimal = Field(default=None, ge=0)  # 12,50 or 12.50
    event_type: str | None = None
    event_within_days: OptionalWholeNumber = Field(default=None, ge=1, le=365)

    @field_validator('event_type')
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value and value not in EventType.__members__:
            raise ValueError(_('Choose one of the listed event types'))
        return value or None

    @field_validator('event_within_days')
    @classmethod
    def _of_an_event(cls, value: int | None, info: ValidationInfo) -> int | None:
        """'Within 7 days' alone filtered nothing, silently: the count stayed everyone's."""
        if value and not info.data.get('event_type') and 'event_type' not in _failed(info):
            raise ValueError(_('Choose what they did first'))
        return value


def read_filters(values: dict[str, Any]) -> Filters:
    """A custom segment's filters as typed in a form, or ValidationFailed naming each bad field."""
    try:
        return Filters.model_validate(values)
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None


def conditions(
    session: Session, which: str | Filters, *, now: datetime | None = None, customer_id: int | None = None
) -> list[ColumnElement]:
    """The WHERE conditions on customers that select a segment (a built-in key, or custom filters); `customer_id`
    narrows the order totals to that one customer's orders, so asking whether one customer is in a segment reads
    their orders only."""
    now = now or utcnow()
    c = Customer.__table__.c
    # an erased customer is nobody to re-engage: never counted, listed or exported (by their erased address: the box
    # of their consent could be ticked again on an older database, and the export then held them)
    base = [c.deleted_at.is_(None), c.email.not_like(f'%@{ERASED_DOMAIN}')]
    if isinstance(which, str):
        return base + _built_in(session, which, now)
    f = which
    if f.status:
        base.append(c.status == f.status.value)
    if f.signed_up_within_days:
        base.append(c.signed_up_at >= now - timedelta(days=f.signed_up_within_days))
    if f.not_seen_for_days:  # never seen: since they signed up (one who signed up yesterday is not 60 days quiet)
        quiet_since = now - timedelta(days=f.not_seen_for_days)
        base.append(or_(c.last_seen_at < quiet_since, and_(c.last_seen_at.is_(None), c.signed_up_at < quiet_since)))
    if f.seen_within_days:
        base.append(c.last_seen_at >= now - timedelta(days=f.seen_within_days))
    if (f.min_orders or f.min_turnover is not None) and src.has_tables(session, 'orders'):
        o = src.orders.c
        buyers = select(o.customer_id).where(*_sales(o)).group_by(o.customer_id)
        if customer_id is not None:
            buyers = buyers.where(o.customer_id == customer_id)
        if f.min_orders:
            buyers = buyers.having(func.count() >= f.min_orders)
        if f.min_turnover is not None:
            buyers = buyers.having(func.sum(o.total) >= f.min_turnover)
        base.append(c.id.in_(buyers))
    elif f.min_orders or f.min_turnover is not None:
        base.append(c.id.is_(None))  # no orders module: nobody has bought
    if f.no_order_for_days and src.has_tables(session, 'orders'):
        o = src.orders.c
        lapsed = (
            select(o.customer_id)
            .where(*_sales(o))
            .group_by(o.customer_id)
            .having(func.max(o.placed_at) < now - timedelta(days=f.no_order_for_days))
        )
        if customer_id is not None:
            lapsed = lapsed.where(o.customer_id == customer_id)
        base.append(c.id.in_(lapsed))
    elif f.no_order_for_days:
        base.append(c.id.is_(None))
    if f.event_type:
        e = src.events.c
        since = now - timedelta(days=f.event_within_days or 30)
        base.append(exists().where(e.customer_id == c.id, e.type == int(EventType[f.event_type]), e.ts >= since))
    return base


def count(
    *, session: Session, actor: User, which: str | Filters, consenting_only: bool = False, search: str = ''
) -> int:
    """How many customers the segment holds; `consenting_only`: how many of them an export or a push reaches;
    `search`: how many of them a name or email search finds."""
    require(actor, 'segments.read')
    statement = select(func.count()).select_from(Customer.__table__).where(*conditions(session, which))
    if consenting_only:
        statement = statement.where(*_reachable())
    if search.strip():
        statement = statement.where(_found(search))
    return session.execute(statement).scalar_one()


def reach(total: int, reachable: int) -> str:
    """What a segment's count means for a campaign: how many of its customers an export reaches (those who agreed
    to marketing and are not banned: a banned customer who agreed was counted as 'agreed', and left out of the file)."""
    if total and reachable == total:
        return _('All of them are in an export (agreed to marketing, not banned).')
    return ngettext(
        '{n} of them is in an export (agreed to marketing, not banned).',
        '{n} of them are in an export (agreed to marketing, not banned).',
        reachable,
    ).format(n=formatting.number(reachable))


IN_EXPORT = N_('In the export')
OUT_BANNED = N_('Not exported: banned')
OUT_NO_CONSENT = N_('Not exported: no marketing consent')


def export_standing(member: dict[str, Any]) -> str:
    """Whether one of `members`' rows is in the segment's export and, if not, why (the rule of `_reachable`, in
    words): a banned customer who agreed to marketing said 'Marketing: Yes' and was not in the file."""
    if _banned(member):
        return _(OUT_BANNED)
    if not member['marketing_consent']:
        return _(OUT_NO_CONSENT)
    return _(IN_EXPORT)


def exported(member: dict[str, Any]) -> bool:
    """Whether one of `members`' rows is in the segment's export (as `_reachable` selects it)."""
    return not _banned(member) and bool(member['marketing_consent'])


def _banned(member: dict[str, Any]) -> bool:
    return getattr(member['status'], 'value', member['status']) == CustomerStatus.banned.value


def describe(filters: Filters | dict[str, Any]) -> str:
    """A custom segment's filters in words, as its card says them ('Not seen for 60 days · Turnover at least 100.50');
    '' when it filters nothing."""
    f = filters if isinstance(filters, Filters) else Filters.model_validate(filters)
    parts = []
    if f.status:
        parts.append(_('Status: {status}').format(status=_(STATUS_WORDS[f.status])))
    if f.signed_up_within_days:
        parts.append(_('Signed up within {n} days').format(n=f.signed_up_within_days))
    if f.not_seen_for_days:
        parts.append(_('Not seen for {n} days').format(n=f.not_seen_for_days))
    if f.seen_within_days:
        parts.append(_('Seen within {n} days').format(n=f.seen_within_days))
    if f.min_orders:
        parts.append(
            ngettext('At least {n} paid order', 'At least {n} paid orders', f.min_orders).format(n=f.min_orders)
        )
    if f.no_order_for_days:
        parts.append(_('Ordered before, none for {n} days').format(n=f.no_order_for_days))
    if f.min_turnover is not None:
        parts.append(
            _('Turnover at least {amount}').format(amount=formatting.money(f.min_turnover, formatting.shop_currency()))
        )
    if f.event_type:
        parts.append(
            _('{event} within {n} days').format(
                event=_(EVENT_LABELS.get(f.event_type, f.event_type)), n=f.event_within_days or 30
            )
        )
    return ' · '.join(parts)


def members(
    *,
    session: Session,
    actor: User,
    which: str | Filters,
    limit: int = 50,
    consenting_only: bool = False,
    search: str = '',
    after: int | None = None,
) -> list[dict[str, Any]]:
    """The segment's customers in the order they joined, `limit` at a time: `after` is the last id of the page before
    (keyset: a deep page of 3,000 reads no more than the first); `search` keeps those whose name or email holds it."""
    require(actor, 'segments.read')
    c = Customer.__table__.c
    statement = (
        select(c.id, c.email, c.name, c.language, c.status, c.marketing_consent, c.last_seen_at)
        .where(*conditions(session, which))
        .order_by(c.id)
        .limit(limit)
    )
    if consenting_only:
        statement = statement.where(*_reachable())
    if search.strip():
        statement = statement.where(_found(search))
    if after is not None:
        statement = statement.where(c.id > after)
    return [dict(row._mapping) for row in session.execute(statement)]


def export_csv(
    *, session: Session, actor: User, which: str | Filters, name: str, separator: str = ','
) -> tuple[str, bytes, int]:
    """A CSV of the segment's customers who agreed to marketing (email, name, the language to write to them in); the
    export is audited. `separator`:
    ',' for email tools, ';' for Excel where the decimal mark is a comma (French), which reads a comma file as one
    column."""
    require(actor, 'segments.export')
    if separator not in SEPARATORS:
        raise ValidationFailed({'separator': _('Choose a comma or a semicolon')})
    rows = members(session=session, actor=actor, which=which, limit=EXPORT_LIMIT, consenting_only=True)
    data = csv_bytes(
        list(HEADER),
        ([row['email'], row['name'] or '', _language(row)] for row in rows),
        separator=separator,
    )
    _audit(session, actor, 'segments.exported', name, which, len(rows), 'CSV' if separator == ',' else 'CSV (;)')
    session.commit()
    return f'segment-{_slug(name)}.csv', data, len(rows)


def export_xlsx(*, session: Session, actor: User, which: str | Filters, name: str) -> tuple[str, bytes, int]:
    """The same customers as export_csv (those who agreed to marketing), as an Excel workbook: one sheet, the header
    row frozen, every value text (a name starting with '=' is no formula); audited as the CSV is."""
    require(actor, 'segments.export')
    rows = members(session=session, actor=actor, which=which, limit=EXPORT_LIMIT, consenting_only=True)
    data = accounting_files.xlsx(
        [Sheet('segment', HEADER, [[row['email'], row['name'] or '', _language(row)] for row in rows])]
    )
    _audit(session, actor, 'segments.exported', name, which, len(rows), 'XLSX')
    session.commit()
    return f'segment-{_slug(name)}.xlsx', data, len(rows)


def push_to_webhook(*, session: Session, actor: User, which: str | Filters, name: str, timeout: float = 10) -> int:
    """POST the consenting customers as JSON to the team's email tool, at the address stored in the settings (an
    admin's choice, validated and audited there, never typed at push time); the push is audited."""
    require(actor, 'segments.export')
    pushed = deliver(session=session, actor=actor, which=which, name=name, timeout=timeout)
    if isinstance(pushed, Sentence):
        raise ValidationFailed({'url': stored_text.show(*stored_text.stored(pushed))})
    return pushed


NO_ADDRESS = N_('No webhook address yet: an admin sets it in Settings → Segments')
NOT_ACCEPTED = N_('The webhook did not accept it: {error}')


def deliver(
    *, session: Session, actor: User, which: str | Filters, name: str, timeout: float = 10, scheduled: bool = False
) -> int | Sentence:
    """The push itself: how many customers were sent (audited, committed), or why not as a sentence to store or show
    (no address, the receiver's refusal); the caller has checked the actor may export. `scheduled`: the audit entry
    says it was the segment's schedule, not a press of the button. No transaction is open while the receiver answers
    (up to `timeout`): what to send is read and that transaction ended first, the audit entry written after, in a
    short one of its own (on SQLite, every other writer would wait for the push, and past the busy timeout fail)."""
    url = webhook_address(session=session)
    if not url:
        return sentence(NO_ADDRESS)
    rows = members(session=session, actor=actor, which=which, limit=EXPORT_LIMIT, consenting_only=True)
    customers = [{'email': r['email'], 'name': r['name'], 'language': _language(r)} for r in rows]
    body = json.dumps({'segment': name, 'customers': customers})
    target = shown_address(session=session)
    session.commit()  # nothing written: this ends the reading transaction (and lets go of SQLite's write lock)
    answer = outbound.post(
        url, body.encode(), {'Content-Type': 'application/json'}, timeout=timeout, max_redirects=MAX_REDIRECTS
    )
    if not answer.ok:
        # the app's own words ('could not connect') in the reader's language; the receiver's ('HTTP 503 …') as they came
        error = stored_text.word(answer.error) if answer.error in outbound.REASONS else (answer.error or '')
        return sentence(NOT_ACCEPTED, error=error)
    _audit(session, actor, 'segments.pushed', name, which, len(rows), target, scheduled=scheduled)
    session.commit()
    return len(rows)


def _language(row: dict[str, Any]) -> str:
    """The language a campaign writes to this customer in: theirs, else the shop's default (as their emails)."""
    return supported(row['language']) or app_settings.default_language()


def webhook_address(*, session: Session) -> str:
    return app_settings.value(session=session, key='segments_webhook_url') or ''


def shown_address(*, session: Session) -> str:
    """The webhook's address as people see it (its host and a hint: the path or the query may hold its secret)."""
    return app_settings.hint('segments_webhook_url', webhook_address(session=session))


def save_segment(*, session: Session, actor: User, name: str, filters: dict[str, Any]) -> Segment:
    require(actor, 'segments.export')
    name, cleaned = _checked(session, name, filters, segment_id=None)
    segment = Segment(name=name, filters=cleaned, created_by=actor.email)
    with _unless_name_taken(session):
        session.add(segment)
        session.flush()
        audit.record(
            session,
            actor,
            'segments.created',
            'segments',
            segment.id,
            changes={'filters': [None, segment.filters]},
            summary=sentence(N_('Segment “{name}” created'), name=name),
        )
        session.commit()
    return segment


def update_segment(
    *, session: Session, actor: User, segment_id: int, version: int, name: str, filters: dict[str, Any]
) -> Segment:
    """A saved segment's new name or filters, at the version the operator opened (someone else's edit since then is
    never overwritten: StaleRecord names them); audited with what changed."""
    require(actor, 'segments.export')
    segment = session.get(Segment, segment_id, with_for_update=session.bind.dialect.name != 'sqlite')
    if segment is None:
        raise NotFound(_('This segment no longer exists (someone deleted it).'))
    if segment.version != version:
        last = audit.last_change(session, 'segments', segment_id)
        raise StaleRecord(
            N_('segment'),
            audit.named(session, last.actor_email) if last else None,
            last.at if last else segment.updated_at,
            segment.version,
            sent_version=version,
        )
    name, cleaned = _checked(session, name, filters, segment_id=segment_id)
    changes = {
        field: [before, after]
        for field, before, after in (('name', segment.name, name), ('filters', segment.filters, cleaned))
        if before != after
    }
    if not changes:
        session.rollback()
        return segment
    with _unless_name_taken(session):
        segment.name, segment.filters = name, cleaned
        segment.version += 1
        segment.updated_at = utcnow()
        session.add(segment)
        audit.record(
            session,
            actor,
            'segments.changed',
            'segments',
            segment.id,
            changes=changes,
            version=segment.version,
            summary=sentence(N_('Segment “{name}” changed'), name=name),
        )
        session.commit()
    return segment


def delete_segment(*, session: Session, actor: User, segment_id: int) -> None:
    """Delete a saved segment (its customers are untouched); audited with the filters it had."""
    require(actor, 'segments.export')
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(_('This segment no longer exists (someone deleted it).'))
    audit.record(
        session,
        actor,
        'segments.deleted',
        'segments',
        segment.id,
        changes={'name': [segment.name, None], 'filters': [segment.filters, None]},
        summary=sentence(N_('Segment “{name}” deleted'), name=segment.name),
    )
    session.delete(segment)
    session.commit()


def saved_segments(*, session: Session) -> list[Segment]:
    return list(session.execute(select(Segment).order_by(col(Segment.name))).scalars())


# --- helpers ---------------------------------------------------------------------------------------------------------


def _checked(session: Session, name: str, filters: dict[str, Any], *, segment_id: int | None) -> tuple[str, dict]:
    """The cleaned name and filters, or every problem at its field (a name taken whatever its case, but this
    segment's own)."""
    errors = {}
    try:
        cleaned = Filters.model_validate(filters)
    except ValidationError as error:
        errors = field_errors(error)
        cleaned = None
    try:
        name = clean_name(name)
    except ValueError as error:
        errors['name'] = _('Give the segment a name') if not (name or '').strip() else str(error)
    else:
        taken = select(Segment.id).where(func.lower(Segment.name) == name.lower(), Segment.id != (segment_id or 0))
        if session.execute(taken).first():
            errors['name'] = _(NAME_TAKEN)
    if errors or cleaned is None:
        raise ValidationFailed(errors)
    return name, cleaned.model_dump(mode='json', exclude_none=True)


NAME_TAKEN = N_('A segment with this name exists')


@contextmanager
def _unless_name_taken(session: Session) -> Iterator[None]:
    """The write; a name another save took at the same instant (the unique index on lower(name)) is told at the name
    field as the check before it would have, not as a database error."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise ValidationFailed({'name': _(NAME_TAKEN)}) from None


def _built_in(session: Session, key: str, now: datetime) -> list[ColumnElement]:
    c = Customer.__table__.c
    if key == 'inactive':
        month = now - timedelta(days=30)
        return [or_(c.last_seen_at < month, and_(c.last_seen_at.is_(None), c.signed_up_at < month))]
    if key == 'unfinished_signup':
        return [c.status == CustomerStatus.unfinished.value]
    if key == 'at_risk':
        quiet = definitions.current(session=session).at_risk_days
        return [c.last_seen_at < now - timedelta(days=quiet), c.last_seen_at >= now - timedelta(days=quiet + 60)]
    if key == 'high_value':
        if not src.has_tables(session, 'orders'):
            return [c.id.is_(None)]
        o = src.orders.c
        buyers = session.execute(select(func.count(o.customer_id.distinct())).where(*_sales(o))).scalar_one()
        top = (
            select(o.customer_id)
            .where(*_sales(o))
            .group_by(o.customer_id)
            .order_by(func.sum(o.total).desc(), o.customer_id)
            .limit(math.ceil(buyers / 10))
        )
        return [c.id.in_(top.scalar_subquery())] if buyers else [c.id.is_(None)]
    raise KeyError(key)


def _audit(
    session: Session,
    actor: User,
    action: str,
    name: str,
    which: str | Filters,
    rows: int,
    target: str,
    *,
    scheduled: bool = False,
) -> None:
    described = which if isinstance(which, str) else which.model_dump(mode='json', exclude_none=True)
    changes = {
        'segment': [None, name],
        'filters': [None, described],
        'customers': [None, rows],
        'to': [None, target],
    }
    if scheduled:
        changes['scheduled'] = [None, True]
    audit.record(
        session,
        actor,
        action,
        'segments',
        None,
        changes=changes,
        summary=sentence(
            N_('Segment “{name}”: {rows} consenting customers sent to {target}'),
            name=name,
            rows=stored_text.count(rows),
            target=target,
        ),
    )


def _slug(name: str) -> str:
    """A file name's part from a segment's name: 'Été: "VIP", <b>' → 'été-vip-b' (one dash between words, not
    one a character left out)."""
    return '-'.join(''.join(ch if ch.isalnum() else ' ' for ch in name.lower()).split()) or 'segment'


def _found(search: str) -> ColumnElement[bool]:
    """A customer whose name or email holds the typed text, in any case; `%` and `_` are letters here, not wildcards."""
    c = Customer.__table__.c
    term = search.strip().lower()
    return or_(func.lower(c.email).contains(term, autoescape=True), func.lower(c.name).contains(term, autoescape=True))


def _reachable() -> tuple:
    """The customers an export or a push may reach: they agreed to marketing and are not banned (an erased customer is
    in no segment: `conditions`)."""
    c = Customer.__table__.c
    return (c.marketing_consent.is_(True), c.status != CustomerStatus.banned.value)


def _failed(info: ValidationInfo) -> set[str]:
    """The fields before this one that failed their own checks (absent from info.data): their message is enough."""
    return {name for name in Filters.model_fields if name not in info.data} if info.data is not None else set()


def _sales(o) -> tuple:
    """Paid orders that are sales: an exchange's replacement order (paid at 0) is not a purchase (as the KPIs count)."""
    return (o.status.in_(src.PAID), o.source.not_in(src.NOT_SALES))
