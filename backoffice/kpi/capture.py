"""Usage-event capture: validates a batch from the front office event by event, stores the good ones once each (by the
sender's event id), and says why each of the others was refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from backoffice.models import Customer, EventType, UsageEvent, utcnow

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(minutes=10)  # a front office's clock may run a little fast
MAX_AGE = timedelta(days=90)  # older than this is a replay or a broken client


class IncomingEvent(BaseModel):
    """One event as the front office sends it."""

    model_config = ConfigDict(extra='forbid')

    id: str = Field(min_length=1, max_length=64, description='Your unique id for this event; a resend is ignored')
    type: str = Field(description='One of: ' + ', '.join(t.name for t in EventType))
    ts: datetime = Field(description='When it happened (ISO 8601; without a zone it is read as UTC)')
    customer_email: str | None = Field(default=None, max_length=254)
    anonymous_id: str | None = Field(default=None, max_length=64, description="The browser's id before sign-in")
    session_id: str | None = Field(default=None, max_length=64)
    props: dict[str, Any] | None = Field(default=None, description='Small extras, e.g. {"path": "/shoes"}')

    @field_validator('type')
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EventType.__members__:
            raise ValueError(f'unknown type {value!r}')
        return value

    @field_validator('ts')
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator('props')
    @classmethod
    def _small(cls, value: dict | None) -> dict | None:
        if value is not None and len(str(value)) > 2000:
            raise ValueError('props is larger than 2000 characters')
        return value

    @model_validator(mode='after')
    def _someone(self) -> IncomingEvent:
        if not self.customer_email and not self.anonymous_id:
            raise ValueError('give customer_email or anonymous_id')
        return self


@dataclass
class BatchResult:
    accepted: int = 0  # stored now
    duplicates: int = 0  # stored before (or twice in this batch): not counted again
    errors: list[dict[str, Any]] = field(default_factory=list)  # {index, id, reason}

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
            result.errors.append({'index': index, 'id': _sent_id(raw), 'reason': _reason(error)})
            continue
        if event.ts > now + FUTURE_TOLERANCE:
            result.errors.append({'index': index, 'id': event.id, 'reason': 'ts is in the future'})
        elif event.ts < now - MAX_AGE:
            result.errors.append({'index': index, 'id': event.id, 'reason': f'ts is older than {MAX_AGE.days} days'})
        elif event.id in seen:
            result.duplicates += 1
        else:
            seen.add(event.id)
            valid.append((index, event))
    customers = _customer_ids(session, {e.customer_email.strip().lower() for _, e in valid if e.customer_email})
    rows = []
    for _index, event in valid:
        customer_id = customers.get(event.customer_email.strip().lower()) if event.customer_email else None
        rows.append(
            {
                'client_id': event.id,
                'type': int(EventType[event.type]),
                'ts': event.ts,
                'customer_id': customer_id,
                'anonymous_id': event.anonymous_id,
                'session_id': event.session_id,
                'props': event.props,
            }
        )
    if rows:
        stored = _insert_new(session, rows)
        result.accepted = stored
        result.duplicates += len(rows) - stored
        if mark_seen:
            _touch_last_seen(session, rows)
    session.commit()
    return result


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert, skipping ids stored before (a unique index decides, so two concurrent resends cannot both win)."""
    dialect = postgresql if session.bind.dialect.name == 'postgresql' else sqlite
    table = UsageEvent.__table__
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=['client_id']).returning(table.c.id)
    # executemany with RETURNING ("insertmanyvalues") hands back one row per row actually inserted, on both databases
    return len(session.execute(statement, rows).all())


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
    if not emails:
        return {}
    found = session.exec(
        select(func.lower(Customer.email), Customer.id)
        .where(func.lower(Customer.email).in_(sorted(emails)))
        .where(col(Customer.deleted_at).is_(None))
    ).all()
    return dict(found)


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = '.'.join(str(part) for part in first['loc'])
    message = first['msg'].removeprefix('Value error, ')
    return f'{where}: {message}' if where else message
