"""In-app notifications for staff (an SLA missed, stock running low): write, list unread, mark read."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backoffice import events, stored_text
from backoffice.events import Topic
from backoffice.models import Notification, User, utcnow
from backoffice.stored_text import Sentence


def notify(session: Session, *, user_id: int, text: str | Sentence, link: str = '') -> Notification:
    """Add a notification inside the caller's transaction; the recipient's bell updates once it commits. A `Sentence`
    text shows in the recipient's own language, whenever they read it (`shown`)."""
    english, key, params = stored_text.stored(text)
    notice = Notification(
        user_id=user_id, text=english[:500], text_key=key, text_params=params, link=link[:300], created_at=utcnow()
    )
    session.add(notice)
    session.flush()
    events.after_commit(session, Topic.notifications, {'id': notice.id, 'action': 'created', 'user_id': user_id})
    return notice


def unread_for(*, session: Session, user: User, limit: int = 50) -> list[Notification]:
    """The user's unread notifications, newest first (anyone signed in reads their own)."""
    statement = (
        select(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))


def mark_read(*, session: Session, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (these ids, or all of them); returns how many changed."""
    statement = select(Notification).where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    if notification_ids is not None:
        statement = statement.where(col(Notification.id).in_(notification_ids))
    unread = list(session.exec(statement))
    now = utcnow()
    for notice in unread:
        notice.read_at = now
        session.add(notice)
    if unread:
        events.after_commit(session, Topic.notifications, {'id': unread[0].id, 'action': 'read', 'user_id': user.id})
    session.commit()
    return len(unread)


def shown(notice: Notification) -> str:
    """A notification's text in the reader's language (an older one: as it was stored)."""
    return stored_text.show(notice.text, notice.text_key, notice.text_params)
