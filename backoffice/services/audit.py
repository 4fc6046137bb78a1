"""The audit log: who changed what, when, with the fields before and after."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session, SQLModel, col, select

from backoffice import secret_hint, stored_text
from backoffice.i18n import _
from backoffice.models import ApiKey, AuditEntry, User, utcnow
from backoffice.stored_text import Sentence

SECRET_FIELDS = {'password_hash', 'secret', 'totp_secret'}  # 'secret': a webhook's signing secret
UNTRACKED_FIELDS = {'updated_at', 'version', 'created_at'}
MASK = secret_hint.MASK


_CHANNEL: ContextVar[str] = ContextVar('audit_channel', default='')


@contextmanager
def through(channel: str) -> Iterator[None]:
    """Entries recorded inside name the way the actor came with their email: 'maria@shop.com (API key ab12cd34)' (the
    log keeps it so; `named` says it to people as 'API key “Shop sync” (Maria Rossi)')."""
    token = _CHANNEL.set(channel)
    try:
        yield
    finally:
        _CHANNEL.reset(token)


def actor_label(actor: User | None) -> str:
    """Who an entry names: the actor's email (with the channel they came through), or 'system'."""
    if actor is None:
        return 'system'
    channel = _CHANNEL.get()
    return f'{actor.email} ({channel})'[:254] if channel else actor.email


def snapshot(record: SQLModel) -> dict[str, Any]:
    """A record's fields as JSON-safe values, secrets masked."""
    values = {}
    for name, value in record.model_dump().items():
        if name in SECRET_FIELDS:
            value = MASK
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        values[name] = value
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every tracked field that changed."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if name not in UNTRACKED_FIELDS and before.get(name) != value
    }


def record(
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    changes: dict[str, Any] | None = None,
    summary: str | Sentence = '',
    version: int | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction, so the change and its record commit together. A `Sentence` summary
    keeps its msgid and values too, so it shows in its reader's language (stored_text.show)."""
    summary, summary_key, summary_params = stored_text.stored(summary)
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_email=actor_label(actor),
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        summary=masked(summary)[:500],
        summary_key=summary_key,
        summary_params=masked(summary_params),
        changes=masked(changes or {}),
        version=version,
    )
    session.add(entry)
    return entry


def record_many(session: Session, actor: User | None, entries: list[dict[str, Any]]) -> None:
    """`record` for many entries at once (an import's thousands of rows): one INSERT of plain rows, no objects. Each
    entry holds `action`, `entity` and optionally `entity_id`, `changes`, `summary`, `version`."""
    if not entries:
        return
    at = utcnow()
    rows = [
        {
            'at': at,
            'actor_id': actor.id if actor else None,
            'actor_email': actor_label(actor),
            'action': entry['action'],
            'entity': entry['entity'],
            'entity_id': None if entry.get('entity_id') is None else str(entry['entity_id']),
            'summary': masked(entry.get('summary', ''))[:500],
            'changes': masked(entry.get('changes') or {}),
            'version': entry.get('version'),
        }
        for entry in entries
    ]
    session.execute(insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]  # SQLModel declares no __table__


def masked(value: Any) -> Any:
    """The value with the secrets inside addresses masked (user:password@, ?token=…, a chat hook's path: see
    secret_hint.scrub), in strings at any depth."""
    if isinstance(value, str):
        return secret_hint.scrub(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


# Every distinct action of the log by its index, one value after another (a loose index scan: a probe per action,
# however long the log), where SELECT DISTINCT would read the whole index.
_ACTIONS = text(
    'WITH RECURSIVE seen(action) AS ('
    ' SELECT MIN(action) FROM audit_log'
    ' UNION ALL'
    ' SELECT (SELECT MIN(later.action) FROM audit_log AS later WHERE later.action > seen.action)'
    ' FROM seen WHERE seen.action IS NOT NULL'
    ') SELECT action FROM seen WHERE action IS NOT NULL'
)


def actions_in_the_log(session: Session) -> list[str]:
    """The actions the log holds ('order.paid', 'user.created'), in order: what its "What" filter offers."""
    return [row[0] for row in session.connection().execute(_ACTIONS)]


def last_change(session: Session, entity: str, entity_id: Any) -> AuditEntry | None:
    statement = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(col(AuditEntry.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def named(session: Session, email: str | None) -> str | None:
    """How a message names the colleague an audit entry or a record knows by email ('changed by Lea Schmidt'): their
    name, or the email when they have none (or are no longer a user). A change made through an API key names the key
    as its list does and the person it acts as as people are named: 'API key “Shop sync” (Maria Rossi)'."""
    if not email:
        return email
    through = _THROUGH_KEY.fullmatch(email)
    if through is not None:
        key = session.exec(select(ApiKey).where(ApiKey.prefix == through['prefix'])).first()
        person = named(session, through['email']) or through['email']
        if key is None:  # deleted since: its prefix is all that is left of it
            return _('API key {prefix} ({person})').format(prefix=through['prefix'], person=person)
        return _('API key “{name}” ({person})').format(name=key.name, person=person)
    user = session.exec(select(User).where(User.email == email)).first()
    return (user.name or '').strip() or email if user is not None else email


def names_of(session: Session, entries: list[AuditEntry]) -> dict[str, str]:
    """Who did each of `entries`, by actor label, as `named` says it: for a timeline or a history that lists them."""
    return {entry.actor_email: named(session, entry.actor_email) or '' for entry in entries}


def through_api_key(email: str | None) -> bool:
    """Whether an entry's actor came through an API key (its label names the key after the person's email)."""
    return bool(email) and _THROUGH_KEY.fullmatch(email or '') is not None


# what actor_label wrote for a call through an API key (api/resources.py's `through`): 'maria@shop.com (API key ab12)'
_THROUGH_KEY = re.compile(r'(?P<email>.+) \(API key (?P<prefix>[^ ()]+)\)')


def entries_for(session: Session, entity: str, entity_id: Any, limit: int = 100) -> list[AuditEntry]:
    statement = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))


def recent_activity_of(session: Session, actor: User, limit: int = 8) -> list[AuditEntry]:
    """What this user did lately (their own sign-ins and changes): anyone may see their own."""
    statement = select(AuditEntry).where(AuditEntry.actor_id == actor.id).order_by(col(AuditEntry.id).desc())
    return list(session.exec(statement.limit(limit)))
