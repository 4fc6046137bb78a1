"""The audit log: who changed what, when, with the fields before and after."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from backoffice.models import AuditEntry, User

SECRET_FIELDS = {'password_hash', 'secret'}  # 'secret': a webhook's signing secret
UNTRACKED_FIELDS = {'updated_at', 'version', 'created_at'}


def snapshot(record: SQLModel) -> dict[str, Any]:
    """A record's fields as JSON-safe values, secrets masked."""
    values = {}
    for name, value in record.model_dump().items():
        if name in SECRET_FIELDS:
            value = '••••••'
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
    return {name: [before.get(name), value] for name, value in after.items()
            if name not in UNTRACKED_FIELDS and before.get(name) != value}


def record(session: Session, actor: User | None, action: str, entity: str, entity_id: Any = None, *,
           changes: dict[str, Any] | None = None, summary: str = '', version: int | None = None) -> AuditEntry:
    """Append an entry in the caller's transaction, so the change and its record commit together."""
    entry = AuditEntry(actor_id=actor.id if actor else None, actor_email=actor.email if actor else 'system',
                       action=action, entity=entity, entity_id=None if entity_id is None else str(entity_id),
                       summary=summary[:500], changes=changes or {}, version=version)
    session.add(entry)
    return entry


def last_change(session: Session, entity: str, entity_id: Any) -> AuditEntry | None:
    statement = (select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
                 .order_by(col(AuditEntry.id).desc()).limit(1))
    return session.exec(statement).first()


def entries_for(session: Session, entity: str, entity_id: Any, limit: int = 100) -> list[AuditEntry]:
    statement = (select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
                 .order_by(col(AuditEntry.id).desc()).limit(limit))
    return list(session.exec(statement))


def recent_activity_of(session: Session, actor: User, limit: int = 8) -> list[AuditEntry]:
    """What this user did lately (their own sign-ins and changes): anyone may see their own."""
    statement = select(AuditEntry).where(AuditEntry.actor_id == actor.id).order_by(col(AuditEntry.id).desc())
    return list(session.exec(statement.limit(limit)))
