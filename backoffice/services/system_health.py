"""The system's health at a glance: database, schema, outbox, webhooks, backups, disk; each check says ok, warning or
error."""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from backoffice import __version__, formatting, write_failures
from backoffice.config import Settings
from backoffice.db import schema_is_current
from backoffice.i18n import N_, _, ngettext, pgettext
from backoffice.models import (
    Delivery,
    DeliveryStatus,
    StaffMail,
    TicketMessage,
    User,
    WebhookDelivery,
    utcnow,
)
from backoffice.permissions import require
from backoffice.services import app_settings, backups

Status = Literal['ok', 'warning', 'error']
BACKUP_MAX_AGE = timedelta(hours=26)  # one a night, with some slack
OUTBOX_MAX_WAIT = timedelta(minutes=15)
FAILED_MAILS = 'failed-mails'  # /system's list of the emails the outbox gave up on (outside requests), with Retry
DISK_LOW_BYTES = 1024**3
WEBHOOK_FAILURES_SHOWN = timedelta(days=7)  # given-up deliveries the Webhooks check counts


@dataclass(frozen=True)
class Check:
    name: str  # also its key (a page marks it): English, marked for the catalog, shown through _()
    status: Status
    detail: str
    error: str = ''  # what a server answered, as it said it (a mail server's last refusal): shown apart, as code
    section: str = ''  # the part of /system where what it counts is listed and acted on (FAILED_MAILS), if any


def checks(*, session: Session, actor: User, settings: Settings) -> list[Check]:
    require(actor, 'system.manage')
    return [
        _database(session, settings),
        _schema(session),
        _outbox(session, settings),
        _webhooks(session),
        _backups(settings),
        _disk(settings),
    ]


def about(settings: Settings) -> dict[str, str]:
    """Versions and where things are, for a support ticket or an upgrade (names marked English: shown through _())."""
    url = make_url(settings.database_url)
    return {
        N_('Backoffice'): __version__,
        N_('Python'): platform.python_version(),
        N_('Database'): url.render_as_string(hide_password=True),
        N_('Data folder'): str(settings.data_dir.resolve()),
        N_('Mail'): _('SMTP configured') if settings.smtp_url else _('no SMTP server: replies wait in the outbox'),
        N_('Scheduled jobs'): pgettext('scheduled jobs', 'on')
        if settings.scheduler
        else _('off in this process (BACKOFFICE_SCHEDULER=0)'),
    }


def _database(session: Session, settings: Settings) -> Check:
    try:
        if settings.is_sqlite:
            version = session.exec(text('SELECT sqlite_version()')).one()[0]
            mode = session.exec(text('PRAGMA journal_mode')).one()[0]
            path = Path(make_url(settings.database_url).database or '')
            size = sum(p.stat().st_size for p in (path, Path(f'{path}-wal')) if p.exists())
            detail = _('SQLite {version}, {mode} mode, {size}').format(
                version=version, mode=mode.upper(), size=_bytes(size)
            )
            return Check(N_('Database'), 'ok' if mode.lower() == 'wal' else 'warning', detail)
        version = session.exec(text('SHOW server_version')).one()[0]
        size = session.exec(text('SELECT pg_database_size(current_database())')).one()[0]
        return Check(N_('Database'), 'ok', f'PostgreSQL {version}, {_bytes(size)}')
    except Exception as error:  # the page must show this, not fail
        return Check(N_('Database'), 'error', _('Cannot be read: {error}').format(error=error))


def _schema(session: Session) -> Check:
    if schema_is_current(session.get_bind()):
        return Check(N_('Schema'), 'ok', _('Up to date with this version'))
    return Check(N_('Schema'), 'error', _('Behind this version: run python -m backoffice migrate'))


def _outbox(session: Session, settings: Settings) -> Check:
    """Replies to customers and emails to staff (password-reset links, sign-in notices, digests) waiting or given up,
    and why they wait: the reason used to be only in the server's log, and staff emails were not counted at all."""
    replies, staff = _replies(session), _staff_emails(session)
    queued = replies.queued + staff.queued
    failed = replies.failed + staff.failed
    oldest = min((first for first in (replies.oldest, staff.oldest) if first is not None), default=None)
    # a try that failed, of a mail still waiting or given up: the newest of both outboxes (by when the mail was written)
    error = max(
        (replies, staff), key=lambda mails: mails.error_at.timestamp() if mails.error_at else float('-inf')
    ).error
    counted = _('{queued} waiting, {failed} failed').format(queued=queued, failed=failed)
    reasons = []
    if queued and not settings.smtp_url:
        reasons.append(_('no SMTP server is set (BACKOFFICE_SMTP_URL)'))
    elif queued and not app_settings.value(session=session, key='support_email'):
        reasons.append(_('nothing is sent until a support email is set at Settings → General'))
    elif queued and oldest is not None and utcnow() - oldest > OUTBOX_MAX_WAIT:
        reasons.append(_('the oldest has waited over 15 minutes'))
    # the emails outside requests are listed at /system's Failed emails, each with Retry; a reply to a customer is
    # retried on its request, where the thread shows it failed
    if staff.failed:
        reasons.append(
            ngettext(
                '{count} email to retry under Failed emails',
                '{count} emails to retry under Failed emails',
                staff.failed,
            ).format(count=formatting.number(staff.failed))
        )
    if replies.failed:
        reasons.append(
            ngettext(
                '{count} reply to a customer to retry on its request',
                '{count} replies to customers to retry on their requests',
                replies.failed,
            ).format(count=formatting.number(replies.failed))
        )
    if error:
        reasons.append(_('the mail server said:'))
    if not reasons:
        return Check(N_('Outbox'), 'ok', counted)
    detail = _('{counts}: {reasons}').format(counts=counted, reasons=pgettext('between reasons', '; ').join(reasons))
    return Check(N_('Outbox'), 'warning', detail, error=error, section=FAILED_MAILS if staff.failed else '')


@dataclass(frozen=True)
class _Mails:
    queued: int
    failed: int
    oldest: datetime | None  # of those waiting
    error: str  # the newest error of a mail waiting or given up
    error_at: datetime | None  # when that mail was written


def _replies(session: Session) -> _Mails:
    rows = session.exec(
        select(TicketMessage.delivery, func.count(), func.min(TicketMessage.created_at))
        .where(col(TicketMessage.delivery).in_([Delivery.queued, Delivery.failed]))
        .group_by(TicketMessage.delivery)
    ).all()
    last_error = session.exec(
        select(TicketMessage.delivery_error, TicketMessage.created_at)
        .where(
            col(TicketMessage.delivery).in_([Delivery.queued, Delivery.failed]),
            col(TicketMessage.delivery_error).is_not(None),
        )
        .order_by(col(TicketMessage.id).desc())
        .limit(1)
    ).first()
    counts = {state: (n, first) for state, n, first in rows}
    queued, oldest = counts.get(Delivery.queued, (0, None))
    error, error_at = last_error or ('', None)
    return _Mails(queued, counts.get(Delivery.failed, (0, None))[0], oldest, error or '', error_at)


def _staff_emails(session: Session) -> _Mails:
    """Emails to staff and the ones written to customers outside requests (portal sign-in links and invitations,
    companies' reports): one outbox."""
    rows = session.exec(
        select(StaffMail.status, func.count(), func.min(StaffMail.created_at))
        .where(col(StaffMail.status).in_(['queued', 'failed']))
        .group_by(StaffMail.status)
    ).all()
    last_error = session.exec(
        select(StaffMail.error, StaffMail.created_at)
        .where(col(StaffMail.status).in_(['queued', 'failed']), StaffMail.error != '')
        .order_by(col(StaffMail.id).desc())
        .limit(1)
    ).first()
    counts = {state: (n, first) for state, n, first in rows}
    queued, oldest = counts.get('queued', (0, None))
    error, error_at = last_error or ('', None)
    return _Mails(queued, counts.get('failed', (0, None))[0], oldest, error or '', error_at)


def _webhooks(session: Session) -> Check:
    """Deliveries the receiver has not taken yet (retried with backoff) and those given up on lately: a receiver down
    for hours showed nowhere but in the deliveries log. Counts only: what they carry stays with /webhooks' readers."""
    retrying = session.exec(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.pending, col(WebhookDelivery.attempts) > 0)
    ).one()
    given_up = session.exec(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.failed,
            col(WebhookDelivery.updated_at) >= utcnow() - WEBHOOK_FAILURES_SHOWN,
        )
    ).one()
    if not retrying and not given_up:
        return Check(N_('Webhooks'), 'ok', _('Every delivery taken or on its way'))
    detail = _('{retrying} being retried, {failed} given up in the last 7 days: see Webhooks').format(
        retrying=formatting.number(retrying), failed=formatting.number(given_up)
    )
    return Check(N_('Webhooks'), 'error' if given_up else 'warning', detail)


def _backups(settings: Settings) -> Check:
    # the backups of this database only: after a move onto PostgreSQL the SQLite ones stay listed, restorable elsewhere
    kept = backups.list_backups(settings)
    found = [backup for backup in kept if backup.fits(settings)]
    if not found and kept:
        return Check(
            N_('Backups'),
            'warning',
            _('No backup of this database yet (those kept were taken on {kind}): take one now').format(
                kind='PostgreSQL' if settings.is_sqlite else 'SQLite'
            ),
        )
    if not found:
        return Check(N_('Backups'), 'warning', _('No backup yet: take one now'))
    latest = found[0]
    age = utcnow() - latest.taken_at
    detail = ngettext(
        '{n} backup kept, latest {when} ({size})', '{n} backups kept, latest {when} ({size})', len(found)
    ).format(n=len(found), when=formatting.when(latest.taken_at), size=_bytes(latest.size))
    if latest.verified is False:
        return Check(
            N_('Backups'),
            'error',
            _('{detail}: it failed its check. {check}').format(detail=detail, check=latest.check_text()),
        )
    return Check(
        N_('Backups'),
        'ok' if age <= BACKUP_MAX_AGE else 'warning',
        detail if age <= BACKUP_MAX_AGE else _('{detail}: older than a day').format(detail=detail),
    )


def _disk(settings: Settings) -> Check:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(settings.data_dir)
    detail = _('{free} free of {total}').format(free=_bytes(usage.free), total=_bytes(usage.total))
    refused = write_failures.disk_full_recently()
    if refused is not None:
        return Check(
            N_('Disk'),
            'error',
            _('Full: a write was refused at {when} ({detail}). Free space, then check again.').format(
                when=formatting.when(refused), detail=detail
            ),
        )
    low = usage.free < DISK_LOW_BYTES or usage.free < usage.total * 0.05
    return Check(N_('Disk'), 'warning' if low else 'ok', detail)


def disk_state(settings: Settings) -> Literal['ok', 'low', 'full']:
    """For /healthz: 'full' while a write refused for a full disk is recent, 'low' under the warning threshold."""
    if write_failures.disk_full_recently() is not None:
        return 'full'
    try:
        usage = shutil.disk_usage(settings.data_dir)
    except OSError:
        return 'ok'  # no data folder yet: nothing written there to fill
    return 'low' if usage.free < DISK_LOW_BYTES or usage.free < usage.total * 0.05 else 'ok'


def _bytes(size: int) -> str:
    return formatting.size(size)
