"""Spreadsheet feeds: a saved view published as a live CSV or XLSX at a secret, revocable address (Google Sheets'
IMPORTDATA, Excel's Power Query). Only the token's sha256 is stored; every fetch reads the feed, the view and the
publisher afresh, so the rows follow the view's filters and columns and the publisher's current permissions."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select, update

from backoffice import events
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES, Resource
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.listing import query
from backoffice.models import SavedView, SheetFeed, User, utcnow
from backoffice.permissions import PermissionDenied, can, require
from backoffice.runtime import ratelimit
from backoffice.services import audit, roles
from backoffice.stored_text import sentence
from backoffice.transfer import exports

PUBLISH = 'feeds.publish'
MANAGE_ALL = 'users.manage'  # an admin sees and revokes everyone's feeds
FORMATS = ('csv', 'xlsx')
TOKEN_BYTES = 32
FETCHES_PER_MINUTE = 30  # per feed: a sheet refreshes every hour or so; a loop hammering the address is stopped
PATH = '/feeds/'
_TOKEN = re.compile(r'^[A-Za-z0-9_-]{43,86}$')

limiter = ratelimit.RateLimiter(FETCHES_PER_MINUTE, 60.0, name='feeds')


@dataclass(frozen=True)
class Published:
    """A feed just published: its address holds the token, shown this once."""

    feed_id: int
    url: str

    @property
    def formula(self) -> str:
        return f'=IMPORTDATA("{self.url}")'


@dataclass(frozen=True)
class FeedRow:
    """One feed as the lists show it."""

    id: int
    view_name: str
    resource: str
    list_label: str
    publisher: str
    publisher_id: int | None
    format: str
    created_at: datetime
    last_access_at: datetime | None
    access_count: int
    revoked_at: datetime | None
    revoked_by: str | None


class FeedRefused(Exception):
    """A fetch that gets no rows: the HTTP status and the sentence said to the caller."""

    def __init__(self, status: int, message: str, retry_after: int = 0, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after
        self.headers = headers or {}  # a 429's rate-limit headers


@dataclass
class Served:
    """A fetch's answer: the bytes, produced as they are sent; the read session closes once they are out."""

    file_name: str
    media_type: str
    chunks: Iterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)  # the feed's rate limit: what is left, when it is all back


# --- publishing, listing, revoking -----------------------------------------------------------------------------------


def publish(*, session: Session, actor: User, view_id: int, fmt: str) -> Published:
    """Publish one of the views the actor sees (their own or a team view) as a feed; the address is returned once."""
    require(actor, PUBLISH)
    if fmt not in FORMATS:
        raise ValidationFailed({'format': _('Choose CSV or XLSX')})
    view = session.get(SavedView, view_id)
    if view is None or (view.owner_id != actor.id and not view.shared):
        raise NotFound(_('This view no longer exists.'))
    resource = RESOURCES.get(view.resource)
    if resource is None:
        raise NotFound(_('This view no longer exists.'))
    require(actor, resource.read_permission)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = SheetFeed(
        token_hash=digest(token),
        view_id=view.id,
        view_name=view.name,
        resource=view.resource,
        publisher_id=actor.id,
        format=fmt,
    )
    session.add(feed)
    session.flush()
    audit.record(
        session,
        actor,
        'feed.published',
        'sheet_feeds',
        feed.id,
        summary=sentence(N_('Published view “{name}” as a {format} feed'), name=view.name, format=fmt.upper()),
        changes={'view': [None, view.name], 'format': [None, fmt]},
    )
    events.after_commit(session, Topic.feeds, {'id': feed.id, 'action': 'published'})
    session.commit()
    return Published(feed_id=feed.id or 0, url=address(token, fmt))


def address(token: str, fmt: str) -> str:
    return f'{get_settings().base_url.rstrip("/")}{PATH}{token}.{fmt}'


def list_feeds(*, session: Session, actor: User, everyone: bool = False, view_id: int | None = None) -> list[FeedRow]:
    """The actor's feeds (or everyone's, for an admin), newest first, revoked ones last."""
    if everyone:
        require(actor, MANAGE_ALL)
    else:
        require(actor, PUBLISH)
    statement = select(SheetFeed).order_by(col(SheetFeed.revoked_at).is_not(None), col(SheetFeed.id).desc())
    if not everyone:
        statement = statement.where(SheetFeed.publisher_id == actor.id)
    if view_id is not None:
        statement = statement.where(SheetFeed.view_id == view_id)
    feeds = list(session.exec(statement.limit(500)))
    people = {
        user.id: user
        for user in session.exec(
            select(User).where(col(User.id).in_({f.publisher_id for f in feeds if f.publisher_id}))
        )
    }
    return [_row(feed, people.get(feed.publisher_id)) for feed in feeds]


def revoke(*, session: Session, actor: User, feed_id: int) -> SheetFeed:
    """Revoke a feed: its address answers 404 from now on. By its publisher (whatever their permissions now) or an
    admin."""
    feed = session.get(SheetFeed, feed_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if feed is None:
        raise NotFound(_('This feed no longer exists.'))
    if feed.publisher_id != actor.id and not can(actor, MANAGE_ALL):
        raise PermissionDenied(MANAGE_ALL)
    if feed.revoked_at is not None:
        raise ValidationFailed({'': _('This feed was already revoked by {who}.').format(who=feed.revoked_by or '')})
    feed.revoked_at, feed.revoked_by = utcnow(), actor.email
    feed.updated_at, feed.version = utcnow(), feed.version + 1
    session.add(feed)
    audit.record(
        session,
        actor,
        'feed.revoked',
        'sheet_feeds',
        feed.id,
        summary=sentence(N_('Revoked the feed of view “{name}”'), name=feed.view_name),
        changes={'revoked': [False, True]},
        version=feed.version,
    )
    events.after_commit(session, Topic.feeds, {'id': feed.id, 'action': 'revoked'})
    session.commit()
    return feed


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- a fetch ---------------------------------------------------------------------------------------------------------


def serve(*, token: str, fmt: str) -> Served:
    """The rows of the feed at this address, or FeedRefused: 404 unknown or revoked, 429 too often, 410 gone (the
    view or the publisher), 403 the publisher may no longer read them. The access is counted before the rows go."""
    feed_id, resource, request, columns, publisher_id, rate = _admit(token, fmt)
    stack = ExitStack()
    session = stack.enter_context(read_session())
    try:
        publisher = session.get(User, publisher_id)
        if publisher is None:
            raise FeedRefused(410, _('The person who published this feed no longer has an account.'))
        export = exports.export_rows(
            session=session,
            actor=publisher,
            resource=resource,
            request=request,
            fmt=fmt,  # type: ignore[arg-type]
            columns=columns,
            audited=False,
        )
    except (ServiceError, ValueError) as error:  # a filter the list no longer takes as saved
        stack.close()
        raise FeedRefused(410, _('The saved view of this feed no longer fits its list: save it again.')) from error
    except BaseException:
        stack.close()
        raise
    return Served(
        file_name=f'feed-{feed_id}.{fmt}',
        media_type=export.media_type,
        chunks=_closing(export.chunks, stack),
        headers=rate.headers(),
    )


def _admit(token: str, fmt: str) -> tuple[int, Resource, query.ListRequest, list[str], int, ratelimit.Decision]:
    gone = _('No feed at this address: it may have been revoked.')
    if fmt not in FORMATS or not _TOKEN.match(token or ''):
        raise FeedRefused(404, gone)
    with session_scope() as session:
        feed = session.exec(select(SheetFeed).where(SheetFeed.token_hash == digest(token))).first()
        if feed is None or feed.revoked_at is not None or feed.format != fmt:
            raise FeedRefused(404, gone)
        decision = limiter.hit(f'feed:{feed.id}')
        if not decision.allowed:
            message = _('This feed was read too often: try again in a minute.')
            raise FeedRefused(429, message, decision.retry_after, decision.headers())
        session.exec(
            update(SheetFeed)
            .where(col(SheetFeed.id) == feed.id)
            .values(last_access_at=utcnow(), access_count=col(SheetFeed.access_count) + 1)
        )
        session.commit()
        roles.sync(session)  # a custom role changed in another process: its holders' permissions follow at once
        publisher = session.get(User, feed.publisher_id) if feed.publisher_id else None
        view = session.get(SavedView, feed.view_id) if feed.view_id else None
        resource = RESOURCES.get(feed.resource)
        if publisher is None:
            raise FeedRefused(410, _('The person who published this feed no longer has an account.'))
        if view is None or resource is None:
            raise FeedRefused(410, _('The saved view of this feed was deleted.'))
        if not publisher.is_active:
            raise FeedRefused(403, _('The person who published this feed can no longer sign in, so it is closed.'))
        if not can(publisher, PUBLISH) or not can(publisher, resource.read_permission):
            raise FeedRefused(403, _('The person who published this feed may no longer read these records.'))
        if view.owner_id != publisher.id and not view.shared:
            raise FeedRefused(403, _('The saved view of this feed is no longer shared with its publisher.'))
        request, columns = request_of(resource, view.state)
        return feed.id or 0, resource, request, columns, publisher.id or 0, decision


def request_of(resource: Resource, state: dict[str, Any]) -> tuple[query.ListRequest, list[str]]:
    """A saved view's state as a list request (every row, not a page) and its columns in the list's order."""
    kinds = {f.name: f.kind for f in resource.filters}
    filters = {}
    for name, value in (state.get('filters') or {}).items():
        if name not in kinds:
            continue  # a filter the list no longer has
        if kinds[name] in ('date_range', 'number_range') and isinstance(value, list):
            value = tuple(value)
        filters[name] = value
    sort = state.get('sort') if state.get('sort') in resource.sortable() else None
    request = query.ListRequest(
        search=str(state.get('search') or ''),
        filters=filters,
        sort=sort,
        descending=state.get('descending') if isinstance(state.get('descending'), bool) else None,
        page_size=500,
    )
    chosen = set(state.get('columns') or [])
    columns = [c.name for c in resource.columns if c.name in chosen] or [c.name for c in resource.columns if c.shown]
    return request, columns


def _closing(chunks: Iterator[bytes], stack: ExitStack) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        stack.close()


def _row(feed: SheetFeed, publisher: User | None) -> FeedRow:
    resource = RESOURCES.get(feed.resource)
    return FeedRow(
        id=feed.id or 0,
        view_name=feed.view_name,
        resource=feed.resource,
        list_label=resource.label if resource else feed.resource,
        publisher=publisher.name if publisher else _('(deleted account)'),
        publisher_id=feed.publisher_id,
        format=feed.format,
        created_at=feed.created_at,
        last_access_at=feed.last_access_at,
        access_count=feed.access_count,
        revoked_at=feed.revoked_at,
        revoked_by=feed.revoked_by,
    )
