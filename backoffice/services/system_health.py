"""The system's health at a glance: database, schema, outbox, backups, disk; each check says ok, warning or error."""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from backoffice import __version__, formatting
from backoffice.config import Settings
from backoffice.db import schema_is_current
from backoffice.models import Delivery, TicketMessage, User, utcnow
from backoffice.permissions import require
from backoffice.services import backups

Status = Literal['ok', 'warning', 'error']
BACKUP_MAX_AGE = timedelta(hours=26)  # one a night, with some slack
OUTBOX_MAX_WAIT = timedelta(minutes=15)
DISK_LOW_BYTES = 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def checks(*, session: Session, actor: User, settings: Settings) -> list[Check]:
    require(actor, 'system.manage')
    return [
        _database(session, settings),
        _schema(session),
        _outbox(session, settings),
        _backups(settings),
        _disk(settings),
    ]


def about(settings: Settings) -> dict[str, str]:
    """Versions and where things are, for a support ticket or an upgrade."""
    url = make_url(settings.database_url)
    return {
        'Backoffice': __version__,
        'Python': platform.python_version(),
        'Database': url.render_as_string(hide_password=True),
        'Data folder': str(settings.data_dir.resolve()),
        'Mail': 'SMTP configured' if settings.smtp_url else 'no SMTP server: replies wait in the outbox',
        'Scheduled jobs': 'on' if settings.scheduler else 'off in this process (BACKOFFICE_SCHEDULER=0)',
    }


def _database(session: Session, settings: Settings) -> Check:
    try:
        if settings.is_sqlite:
            version = session.exec(text('SELECT sqlite_version()')).one()[0]
            mode = session.exec(text('PRAGMA journal_mode')).one()[0]
            path = Path(make_url(settings.database_url).database or '')
            size = sum(p.stat().st_size for p in (path, Path(f'{path}-wal')) if p.exists())
            detail = f'SQLite {version}, {mode.upper()} mode, {_bytes(size)}'
            return Check('Database', 'ok' if mode.lower() == 'wal' else 'warning', detail)
        version = session.exec(text('SHOW server_version')).one()[0]
        size = session.exec(text('SELECT pg_database_size(current_database())')).one()[0]
        return Check('Database', 'ok', f'PostgreSQL {version}, {_bytes(size)}')
    except Exception as error:  # the page must show this, not fail
        return Check('Database', 'error', f'Cannot be read: {error}')


def _schema(session: Session) -> Check:
    if schema_is_current(session.get_bind()):
        return Check('Schema', 'ok', 'Up to date with this version')
    return Check('Schema', 'error', 'Behind this version: run python -m backoffice migrate')


def _outbox(session: Session, settings: Settings) -> Check:
    rows = session.exec(
        select(TicketMessage.delivery, func.count(), func.min(TicketMessage.created_at))
        .where(col(TicketMessage.delivery).in_([Delivery.queued, Delivery.failed]))
        .group_by(TicketMessage.delivery)
    ).all()
    counts = {delivery: (count, oldest) for delivery, count, oldest in rows}
    queued, oldest = counts.get(Delivery.queued, (0, None))
    failed = counts.get(Delivery.failed, (0, None))[0]
    parts = [f'{queued} waiting', f'{failed} failed']
    if failed:
        return Check('Outbox', 'warning', ', '.join(parts) + ': retry them on their requests')
    if queued and not settings.smtp_url:
        return Check('Outbox', 'warning', ', '.join(parts) + ': no SMTP server is set (BACKOFFICE_SMTP_URL)')
    if queued and oldest is not None and utcnow() - oldest > OUTBOX_MAX_WAIT:
        return Check('Outbox', 'warning', ', '.join(parts) + ': the oldest has waited over 15 minutes')
    return Check('Outbox', 'ok', ', '.join(parts))


def _backups(settings: Settings) -> Check:
    found = backups.list_backups(settings)
    if not found:
        return Check('Backups', 'warning', 'No backup yet: take one now')
    latest = found[0]
    age = utcnow() - latest.taken_at
    detail = f'{len(found)} kept, latest {formatting.when(latest.taken_at)} ({_bytes(latest.size)})'
    if latest.verified is False:
        return Check('Backups', 'error', f'{detail}: it failed its check. {latest.check}')
    return Check(
        'Backups',
        'ok' if age <= BACKUP_MAX_AGE else 'warning',
        detail if age <= BACKUP_MAX_AGE else f'{detail}: older than a day',
    )


def _disk(settings: Settings) -> Check:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(settings.data_dir)
    detail = f'{_bytes(usage.free)} free of {_bytes(usage.total)}'
    low = usage.free < DISK_LOW_BYTES or usage.free < usage.total * 0.05
    return Check('Disk', 'warning' if low else 'ok', detail)


def _bytes(size: int) -> str:
    for unit in ('bytes', 'KB', 'MB', 'GB', 'TB'):
        if size < 1024 or unit == 'TB':
            return f'{size:,.0f} {unit}' if unit == 'bytes' else f'{size:,.1f} {unit}'
        size /= 1024
    return f'{size} bytes'
