"""Usage-event capture: validates a batch from the front office event by event, stores the good ones once each (by the
sender's event id), and says why each of the others was refused."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col

from backoffice.errors import readable
from backoffice.i18n import _
from backoffice.models import Customer, EventType, UsageEvent, utcnow

MAX_BATCH = 1000
_TYPE_NUMBERS = {t.name: int(t) for t in EventType}
FUTURE_TOLERANCE = timedelta(minutes=10)  # a front office's clock may run a little fast
MAX_AGE = timedelta(days=90)  # older than this is a replay or a broken client
_NUMBER = re.compile(r'\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*')
_DAY_ALONE = re.compile(r'\s*\d{4}-\d{2}-\d{2}\s*')  # a day without its time: 2026-11-23
# the shape of an address, not its full check (email_validator: ~0.4 ms each, most of a 1,000-event batch's time)
_EMAIL_SHAPE = re.compile(r'\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*')


class IncomingEvent(BaseModel):
    """One event as the front office sends it."""

    model_config = ConfigDict(extra='forbid')

    id: str = Field(min_length=1, max_length=64, description='Your unique id for this event; a resend is ignored')
    type: str = Field(description='One of: ' + ', '.join(t.name for t in EventType))
    ts: datetime = Field(
        description='When it happened: ISO 8601 text, e.g. 2026-11-23T18:04:05Z (without a zone it is read as UTC); '
        'a Unix timestamp (a number), or a date without its time, is refused'
    )
    customer_email: str | None = Field(default=None, max_length=254)
    anonymous_id: str | None = Field(default=None, max_length=64, description="The browser's id before sign-in")
    session_id: str | None = Field(default=None, max_length=64)
    props: dict[str, Any] | None = Field(default=None, description='Small extras, e.g. {"path": "/shoes"}')

    @field_validator('type')
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EventType.__members__:
            raise ValueError(
                _('unknown type {type}; one of: {types}').format(
                    type=repr(value[:40]), types=', '.join(EventType.__members__)
                )
            )
        return value

    @field_validator('customer_email')
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        # 'not an email' names nobody: stored, it was an event of no customer and no visitor, counted all the same
        if value is not None and value.strip() and not _EMAIL_SHAPE.fullmatch(value):
            raise ValueError(_('Enter a valid email address'))
        return value

    @field_validator('ts', mode='before')
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        """Only ISO 8601 text (or, from our own code, a datetime): pydantic would also read a number, or digits in
        text, as a Unix time in seconds or in milliseconds, guessing which from its size — not the documented format,
        and a guess that may be wrong."""
        if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
            raise ValueError(_('give an ISO 8601 date and time with its time zone, e.g. 2026-11-23T18:04:05Z'))
        if isinstance(value, str) and _DAY_ALONE.fullmatch(value):  # pydantic reads it as midnight UTC: a guessed time
            raise ValueError(_('give an ISO 8601 date and time with its time zone, e.g. 2026-11-23T18:04:05Z'))
        return value

    @field_validator('ts')
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        try:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00: in UTC after the year 9999, which no datetime holds
            raise ValueError(_('the time is out of range (years 1 to 9999 in UTC)')) from None

    @field_validator('props')
    @classmethod
    def _small(cls, value: dict | None) -> dict | None:
        if value is not None and len(str(value)) > 2000:
            raise ValueError(_('props is larger than 2000 characters'))
        return value

    @model_validator(mode='after')
    def _someone(self) -> IncomingEvent:
        # blank text names nobody either: such an event counted a visitor no one can be
        if not (self.customer_email or '').strip() and not (self.anonymous_id or '').strip():
            raise ValueError(_('give customer_email or anonymous_id'))
        return self


@dataclass
class BatchResult:
    accepted: int = 0  # stored now
    duplicates: int = 0  # stored before (or twice in this batch): not counted again
    errors: list[dict[str, Any]] = field(default_factory=list)  # {index, id, field, reason}

    @property
    def rejected(self) -> int:
        return len(self.errors)


def _sent_id(raw: Any) -> str | None:
    """The id a refused event was sent with, as text (a number is quoted back too), so the sender can match it."""
    value = raw.get('id') if isinstance(raw, dict) else None
    return None if value is None or isinstance(value, dict | list) else str(value)[:64]


def record_events(
    *, session: Session, batch: list[Any], now: datetime | None = None, mark_seen: bool = False
) -> BatchResult:
    """Store a batch of events; each bad one is refused on its own, with its index, id and the reason.

    The answer never depends on whether a customer_email is known (the events key sits in every shop page, so it must
    not tell which emails are customers): an event of an unknown email is stored without a customer, like any other.
    Only with `mark_seen` (a key holding `customers:seen`) do the events move their customers' last_seen_at."""
    now = now or utcnow()
    result = BatchResult()
    valid: list[tuple[int, IncomingEvent]] = []
    seen: set[str] = set()
    for index, raw in enumerate(batch):
        try:
            event = IncomingEvent.model_validate(raw)
        except ValidationError as error:
            result.errors.append({'index': index, 'id': _sent_id(raw), **_refusal(error)})
            continue
        if event.ts > now + FUTURE_TOLERANCE:
            result.errors.append({'index': index, 'id': event.id, 'field': 'ts', 'reason': _('ts is in the future')})
        elif event.ts < now - MAX_AGE:
            reason = _('ts is older than {n} days').format(n=MAX_AGE.days)
            result.errors.append({'index': index, 'id': event.id, 'field': 'ts', 'reason': reason})
        elif event.id in seen:
            result.duplicates += 1
        else:
            seen.add(event.id)
            valid.append((index, event))
    customers = _customer_ids(session, {e.customer_email.strip().lower() for _, e in valid if e.customer_email})
    rows = [
        {
            'client_id': event.id,
            'type': _TYPE_NUMBERS[event.type],
            'ts': event.ts,
            'customer_id': customers.get(event.customer_email.strip().lower()) if event.customer_email else None,
            'anonymous_id': event.anonymous_id,
            'session_id': event.session_id,
            'props': event.props,
        }
        for _index, event in valid
    ]
    if rows:
        stored = _insert_new(session, rows)
        result.accepted = stored
        result.duplicates += len(rows) - stored
        if mark_seen:
            _touch_last_seen(session, rows)
    session.commit()
    return result


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping ids stored before (a unique index decides, so two concurrent resends cannot both win); the
    number of rows inserted. One executemany of ready-made driver values: SQLAlchemy's own path builds and processes
    a parameter set per row, which cost more than the insert itself (bench/README.md, events_ingest.py)."""
    connection = session.connection()
    sql, names, processors, positional = _insert_plan(connection.dialect)
    columns = [
        [row[name] for row in rows] if process is None else list(map(process, [row[name] for row in rows]))
        for name, process in zip(names, processors, strict=True)
    ]
    values = list(zip(*columns, strict=True))
    params: list = values if positional else [dict(zip(names, row, strict=True)) for row in values]
    # with ON CONFLICT DO NOTHING, the rows counted are the rows inserted (both drivers sum an executemany's counts)
    return connection.exec_driver_sql(sql, params).rowcount


@functools.lru_cache(maxsize=8)
def _insert_plan(dialect: Dialect) -> tuple[str, list[str], list[Callable[[Any], Any] | None], bool]:
    """The insert's SQL for this database, its parameters' names in order, and each one's bind processor (how
    SQLAlchemy turns the value into what the driver takes: the same text for a time or a JSON value as before)."""
    table = UsageEvent.__table__
    module = postgresql if dialect.name == 'postgresql' else sqlite
    statement = module.insert(table).inline().on_conflict_do_nothing(index_elements=['client_id'])
    compiled = statement.compile(dialect=dialect, column_keys=list(_COLUMNS))
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.bind_names.values())
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    return compiled.string, names, processors, compiled.positional


_COLUMNS = ('client_id', 'type', 'ts', 'customer_id', 'anonymous_id', 'session_id', 'props')


def _touch_last_seen(session: Session, rows: list[dict[str, Any]]) -> None:
    latest: dict[int, datetime] = {}
    for row in rows:
        if row['customer_id'] is not None:
            latest[row['customer_id']] = max(row['ts'], latest.get(row['customer_id'], row['ts']))
    for customer_id, ts in latest.items():
        session.execute(
            update(Customer)
            .where(col(Customer.id) == customer_id)
            .where((col(Customer.last_seen_at).is_(None)) | (col(Customer.last_seen_at) < ts))
            .values(last_seen_at=ts)
        )


def _customer_ids(session: Session, emails: set[str]) -> dict[str, int]:
    """The customers (not deleted) of these lower-case emails, by email. Plain SQL with a parameter per email, through
    the lower(email) index: SQLAlchemy's expanding IN costs more per batch than the look-up itself."""
    if not emails:
        return {}
    connection = session.connection()
    mark = '?' if connection.dialect.paramstyle == 'qmark' else '%s'
    sql = (
        f'SELECT lower(email), id, deleted_at IS NULL, merged_into_id FROM {Customer.__tablename__} '
        f'WHERE lower(email) IN ({", ".join([mark] * len(emails))}) '
        'AND (deleted_at IS NULL OR merged_into_id IS NOT NULL)'
    )
    found: dict[str, int] = {}
    for email, customer_id, live, merged_into in connection.exec_driver_sql(sql, tuple(sorted(emails))).all():
        kept = customer_id if live else _kept(session, merged_into)
        if kept is not None:
            found[email] = kept
    return found


def _kept(session: Session, customer_id: int | None) -> int | None:
    """The live customer a merged duplicate was merged into (following a chain of merges), as /api/orders and
    /api/requests file what a merged duplicate's email sends: the shop still signs them in with it. Rare: read one by
    one."""
    seen: set[int] = set()
    while customer_id is not None and customer_id not in seen:
        seen.add(customer_id)
        customer = session.get(Customer, customer_id)
        if customer is None:
            return None
        if customer.merged_into_id is None:
            return customer.id if customer.deleted_at is None else None
        customer_id = customer.merged_into_id
    return None


def _refusal(error: ValidationError) -> dict[str, Any]:
    """Why an event was refused: its first error's field (None: the event as a whole) and the reason, in the caller's
    language (the route sets it), led by the field as it always was: `type: unknown type 'x'`."""
    first = error.errors()[0]
    where = '.'.join(str(part) for part in first['loc']) or None
    message = readable(first)
    return {'field': where, 'reason': f'{where}: {message}' if where else message}
