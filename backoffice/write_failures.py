"""Writes that fail because of the machine, not the input: the database busy past the wait, or the disk full. Each
becomes a ServiceError that says so in words (the API answers 503 or 507 with it, a page shows it where the action
was), and a full disk is remembered so that /healthz and /system report it."""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backoffice import writer_queue
from backoffice.errors import ServiceError
from backoffice.i18n import _
from backoffice.models.base import utcnow

# what may be the machine rather than the input: `classify` says which (and returns None for the rest)
MACHINE_ERRORS = (writer_queue.DatabaseBusy, PoolTimeout, DBAPIError, OSError)
REMEMBERED = timedelta(minutes=10)  # a full disk is reported this long after the last write it refused
_last_disk_full: datetime | None = None
_lock = threading.Lock()


class DatabaseBusy(ServiceError):
    """Other writes kept the database busy past the wait (→ 503 with Retry-After). Nothing was saved."""

    def __init__(self) -> None:
        super().__init__(_('The database is busy with other writes; nothing was saved. Try again in a moment.'))


class DiskFull(ServiceError):
    """The server's disk (or the database's size limit) is full (→ 507). Nothing was saved."""

    def __init__(self) -> None:
        super().__init__(
            _("The server's disk is full, so nothing was saved. An administrator must free space (see /system).")
        )


def classify(error: BaseException) -> ServiceError | None:
    """The ServiceError a machine failure stands for, or None for any other error (left to propagate)."""
    if isinstance(error, writer_queue.DatabaseBusy | PoolTimeout):  # PoolTimeout: every pooled connection in use
        return DatabaseBusy()
    text = str(getattr(error, 'orig', None) or error).lower()
    sqlstate = getattr(getattr(error, 'orig', None), 'sqlstate', None)
    if 'database or disk is full' in text or sqlstate == '53100' or getattr(error, 'errno', None) == errno.ENOSPC:
        remember_disk_full()
        return DiskFull()
    if 'database is locked' in text:
        return DatabaseBusy()
    return None


def remember_disk_full() -> None:
    global _last_disk_full
    with _lock:
        _last_disk_full = utcnow()


def disk_full_recently() -> datetime | None:
    """When a write last failed for a full disk, if within REMEMBERED."""
    with _lock:
        when = _last_disk_full
    return when if when is not None and utcnow() - when < REMEMBERED else None


def forget() -> None:
    """Tests: start with no failure remembered."""
    global _last_disk_full
    with _lock:
        _last_disk_full = None


LOCK_MESSAGES = ('database is locked', 'database is busy', 'database table is locked')


def lock_contention(error: BaseException | None) -> bool:
    """Whether `error` (or what it was raised from) is lock contention: SQLite's "database is locked" through
    SQLAlchemy or not, or this process's writers' queue waited past its limit (`writer_queue.DatabaseBusy`)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, writer_queue.DatabaseBusy):
            return True
        cause = getattr(error, 'orig', None) if isinstance(error, DBAPIError) else error
        if isinstance(cause, sqlite3.OperationalError) and any(m in str(cause).lower() for m in LOCK_MESSAGES):
            return True
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return False


def busy_item(log: logging.Logger, error: BaseException, item: str, *args: object) -> bool:
    """Scheduled work that handles its items one by one, each failure caught so the others go on: whether `error`, met
    on the item (`item % args` names it), is lock contention. If so, a WARNING without a traceback says the item is
    tried again at the next run, and the caller leaves the item as it was (not failed, no attempt counted, nobody told):
    other writers' load, nothing broken. Otherwise nothing is logged: the caller logs its ERROR as before."""
    if not lock_contention(error):
        return False
    log.warning(item + ': the database was busy with other writes; tried again at the next run', *args)
    return True
