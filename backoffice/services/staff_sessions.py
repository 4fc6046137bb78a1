"""Staff sessions one can see and end: each browser signed in (device, address, signed in, last seen); ending one
signs that browser out at once; a sign-in from a browser the account never used tells its owner."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from backoffice import events, i18n, permissions
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.formatting import when
from backoffice.i18n import N_, _
from backoffice.models import StaffSession, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit, notifications, roles, staff_mail
from backoffice.stored_text import count, sentence, word

TOUCH_EVERY = timedelta(minutes=1)  # "last seen" is written at most this often per session
SHOWN = 50  # the newest sessions listed


@dataclass(frozen=True)
class Started:
    key: str  # kept in the browser's session storage; the database holds its sha256 only
    session_id: int


def start(
    session: Session, *, user: User, user_agent: str, address: str, new_browser: bool, base_url: str = ''
) -> Started:
    """Record a sign-in (inside the caller's transaction, committed here). From a new browser the user gets a
    notification and an email asking whether it was them."""
    key = secrets.token_urlsafe(32)
    row = StaffSession(
        key=hash_key(key),
        user_id=user.id or 0,
        device=device_of(user_agent),
        user_agent=(user_agent or '')[:300],
        address=(address or '')[:64],
    )
    session.add(row)
    session.flush()
    if new_browser:
        _tell_of_new_browser(session, user, row, base_url)
    session.commit()
    return Started(key, row.id or 0)


def signed_in(
    session: Session, *, user_id: int, epoch: int | None, key: str | None
) -> tuple[User, StaffSession] | None:
    """The user a browser is signed in as and its live staff session, in one query: None once the user was deactivated
    or removed, all their sessions were ended (the epoch), or this one was (Security and sessions). The same query
    reads the custom roles' stamp, and re-reads the roles when it changed (`roles.sync`)."""
    if not user_id or not key:
        return None
    row = session.exec(_signed_in_statement(), params={'user_id': user_id, 'key': hash_key(key)}).first()
    if row is None:
        return None
    user, live, *stamp = row
    roles.sync(session, tuple(stamp))  # a custom role changed since this process last looked: its new permissions
    if not user.is_active or user.session_epoch != epoch or live is None or live.ended_at is not None:
        return None
    return user, live


SignInMark = tuple[Any, Any, Any]  # (user_id, epoch, key) as a browser's storage holds them


def signed_in_many(session: Session, marks: Any) -> dict[SignInMark, tuple[User, StaffSession] | None]:
    """`signed_in` for many browsers at once, in one query (a change that reloads the lists of 20 agents checks their
    20 sign-ins together): each `(user_id, epoch, key)` → the user and the live session, or None, by the same rules."""
    marks = {mark for mark in marks}
    asked = {mark: hash_key(mark[2]) for mark in marks if mark[0] and mark[2]}
    answers: dict[SignInMark, tuple[User, StaffSession] | None] = dict.fromkeys(marks)
    if not asked:
        return answers
    statement = (
        select(User, StaffSession, *roles.stamp_columns())
        .outerjoin(
            StaffSession,
            col(StaffSession.key).in_(set(asked.values())) & (col(StaffSession.user_id) == User.id),
        )
        .where(col(User.id).in_({mark[0] for mark in asked}))
    )
    rows = session.exec(statement).all()
    if rows:
        roles.sync(session, tuple(rows[0][2:]))
    users = {row[0].id: row[0] for row in rows}
    sessions = {(row[0].id, row[1].key): row[1] for row in rows if row[1] is not None}
    for mark, hashed in asked.items():
        user, live = users.get(mark[0]), sessions.get((mark[0], hashed))
        if user is not None and user.is_active and user.session_epoch == mark[1]:
            if live is not None and live.ended_at is None:
                answers[mark] = (user, live)
    return answers


@cache
def _signed_in_statement() -> Any:
    """signed_in's query, built once (it runs on every request and every handler's check)."""
    return (
        select(User, StaffSession, *roles.stamp_columns())
        .outerjoin(
            StaffSession,
            (col(StaffSession.key) == bindparam('key')) & (col(StaffSession.user_id) == User.id),
        )
        .where(User.id == bindparam('user_id'))
    )


def touch(session: Session, session_id: int) -> None:
    """Note that the person was seen now (a page load or input), at most once a minute."""
    row = session.get(StaffSession, session_id)
    if row is not None and row.ended_at is None and utcnow() - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = utcnow()
        session.add(row)
        session.commit()


def list_for(*, session: Session, actor: User, user_id: int) -> list[StaffSession]:
    """A user's active sessions, most recently seen first: one's own, or anyone's for those who manage users."""
    if user_id != actor.id:
        require(actor, 'users.manage')
        _within_reach(session.get(User, user_id), actor)
    statement = (
        select(StaffSession)
        .where(StaffSession.user_id == user_id, col(StaffSession.ended_at).is_(None))
        .order_by(col(StaffSession.last_seen_at).desc(), col(StaffSession.id).desc())
        .limit(SHOWN)
    )
    return list(session.exec(statement))


def end(*, session: Session, actor: User, session_id: int) -> StaffSession:
    """Sign one session out: one's own, or anyone's for those who manage users. Its open pages go to the sign-in
    page at once; its next request is refused."""
    row = session.get(StaffSession, session_id)
    if row is None or row.ended_at is not None:
        raise ValidationFailed({'': _('This session has already ended')})
    owner = session.get(User, row.user_id)
    if row.user_id != actor.id:
        require(actor, 'users.manage')
        _within_reach(owner, actor)
    ended = end_rows(
        session,
        user_id=row.user_id,
        reason='signed out by owner' if owner == actor else 'ended by admin',
        only=[row.id or 0],
    )
    audit.record(
        session,
        actor,
        'auth.session_ended',
        'user',
        row.user_id,
        summary=sentence(
            N_('Session {session} of {owner} ({device}, {address}) ended'),
            session=row.id,
            owner=owner.email if owner else str(row.user_id),
            device=row.device,
            address=row.address,
        ),
    )
    events.after_commit(session, Topic.sessions, {'user_id': row.user_id, 'session_ids': ended})
    session.commit()
    return row


def _within_reach(owner: User | None, actor: User) -> None:
    """Someone who manages staff sees and ends the sessions only of those whose every right they hold (as they may
    reset or deactivate only them): a custom role with users.manage neither signs an admin out nor reads where they
    sign in from."""
    if owner is not None and permissions.beyond(actor, permissions.permissions_of(owner.role)):
        raise ValidationFailed(
            {'': _("{email}'s role holds rights your own role does not: ask an admin").format(email=owner.email)}
        )


def end_others(*, session: Session, actor: User, keep_session_id: int) -> int:
    """Sign out every session of the actor but this one; returns how many ended."""
    ended = end_rows(session, user_id=actor.id or 0, reason='signed out by owner', keep=keep_session_id)
    if ended:
        audit.record(
            session,
            actor,
            'auth.sessions_ended',
            'user',
            actor.id,
            summary=sentence(N_('{email}: {count} other sessions ended'), email=actor.email, count=count(len(ended))),
        )
        events.after_commit(session, Topic.sessions, {'user_id': actor.id, 'session_ids': ended})
    session.commit()
    return len(ended)


def end_rows(
    session: Session, *, user_id: int, reason: str, keep: int | None = None, only: list[int] | None = None
) -> list[int]:
    """Mark a user's open sessions ended inside the caller's transaction (all, all but `keep`, or `only` these);
    returns their ids. The caller publishes Topic.sessions after commit."""
    statement = select(StaffSession).where(StaffSession.user_id == user_id, col(StaffSession.ended_at).is_(None))
    if keep is not None:
        statement = statement.where(StaffSession.id != keep)
    if only is not None:
        statement = statement.where(col(StaffSession.id).in_(only))
    now, ended = utcnow(), []
    for row in session.exec(statement):
        row.ended_at, row.ended_reason = now, reason[:60]
        session.add(row)
        ended.append(row.id or 0)
    return ended


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_BROWSERS = (
    ('Edg/', 'Edge'),
    ('OPR/', 'Opera'),
    ('Firefox/', 'Firefox'),
    ('Chrome/', 'Chrome'),
    ('Chromium/', 'Chromium'),
    ('Safari/', 'Safari'),
)
_SYSTEMS = (
    ('iPhone', 'iPhone'),
    ('iPad', 'iPad'),
    ('Android', 'Android'),
    ('Windows', 'Windows'),
    ('Mac OS X', 'macOS'),
    ('CrOS', 'ChromeOS'),
    ('Linux', 'Linux'),
)


def device_of(user_agent: str | None) -> str:
    """'Chrome on Windows' from a User-Agent; what it cannot tell stays out, never a guess."""
    agent = user_agent or ''
    browser = next((name for marker, name in _BROWSERS if marker in agent), '')
    system = next((name for marker, name in _SYSTEMS if marker in agent), '')
    if 'HeadlessChrome' in agent:
        browser = 'Headless Chrome'
    if browser and system:
        return f'{browser} on {system}'  # product names: the same in every language
    return browser or system or re.sub(r'[\x00-\x1f]', '', agent)[:40]


def _tell_of_new_browser(session: Session, user: User, row: StaffSession, base_url: str) -> None:
    with i18n.use(user.language):
        where = row.device or _('an unknown browser')
        notifications.notify(  # a sentence: read in the language the person reads the bell in, not the one of then
            session,
            user_id=user.id or 0,
            text=sentence(
                N_('New sign-in to your account from {device} ({address}). Was it you?'),
                device=row.device or word(N_('an unknown browser')),
                address=row.address or '?',
            ),
            link='/account/security',
        )
        body = _(
            'Someone signed in to your Backoffice account ({email}) from a browser it had not used before:\n\n'
            '{device}, address {address}, at {when}.\n\n'
            'If it was you, there is nothing to do. If not, change your password at once and end that session '
            'under "Security and sessions" in your user menu:\n{link}'
        ).format(
            email=user.email,
            device=where,
            address=row.address or '?',
            when=when(row.signed_in_at),
            link=f'{base_url}/account/security',
        )
        staff_mail.queue(session, user=user, subject=_('New sign-in to your account: was it you?'), body=body)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
