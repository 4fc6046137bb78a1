"""The system's own records: the audit log and the sign-in throttle."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, func, literal_column
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, utcnow


class AuditEntry(SQLModel, table=True):
    """One change: who did what to which record, with the fields before and after."""

    __tablename__ = 'audit_log'
    __table_args__ = (
        Index('ix_audit_log_entity', 'entity', 'entity_id'),
        Index('ix_audit_log_entity_at', 'entity', 'at', 'id'),  # filtered by record type, newest first (0016)
        # search: trigram GIN indexes on PostgreSQL; SQLite searches the FTS5 table `audit_log_fts` (migration 0016,
        # not part of the metadata), so these expression indexes exist only on PostgreSQL
        *(
            Index(
                f'ix_audit_log_{name}_trgm',
                func.lower(literal_column(name)).label(f'{name}_lower'),
                postgresql_using='gin',
                postgresql_ops={f'{name}_lower': 'gin_trgm_ops'},
            )
            for name in ('actor_email', 'action', 'summary')
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key='users.id', index=True)
    actor_email: str = Field(default='system', max_length=254)
    action: str = Field(max_length=60, index=True)  # e.g. 'user.created'
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=60)
    summary: str = Field(default='', max_length=500)  # in English, searched; shown from summary_key when it has one
    summary_key: str | None = Field(default=None, max_length=500)  # the msgid (backoffice/stored_text.py)
    summary_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    version: int | None = None  # the record's version after this change
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LoginThrottle(SQLModel, table=True):
    """Failed password checks: per email and address ('pair:<ip> <email>'), per address ('address:<ip>'), per
    known browser ('browser:<token id>') and per signed-in user changing their password ('password-check:<id>')."""

    __tablename__ = 'login_throttle'

    key: str = Field(primary_key=True, max_length=300)
    failures: int = 0
    locked_until: datetime | None = None
    last_failure_at: datetime | None = None


class SavedView(EditableTable, table=True):
    """A named filter + sort + columns on a resource list; private to its owner unless shared with the team."""

    __tablename__ = 'saved_views'
    __table_args__ = (Index('ix_saved_views_resource_owner', 'resource', 'owner_id'),)

    resource: str = Field(max_length=60)
    owner_id: int = Field(foreign_key='users.id')
    name: str = Field(max_length=80)
    shared: bool = False
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ImportBatch(SQLModel, table=True):
    """One applied import: what it created and what it changed (with the values before), so it can be reverted."""

    __tablename__ = 'import_batches'

    id: int | None = Field(default=None, primary_key=True)
    resource: str = Field(max_length=60, index=True)
    actor_id: int | None = Field(default=None, foreign_key='users.id')
    file_name: str = Field(default='', max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    created_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # id → before
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reverted_at: datetime | None = None


class AppSetting(SQLModel, table=True):
    """One application setting's value (the typed definitions live in services/app_settings.py)."""

    __tablename__ = 'app_settings'

    key: str = Field(primary_key=True, max_length=60)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default='system', max_length=254)
