"""Spreadsheet feeds over HTTP: a saved view published at a secret address gives its rows (its columns, its filters,
the publisher's current permissions); without, with a wrong or a revoked token it is 404; a publisher who lost the
right is refused; each fetch is counted; publishing and revoking are audited and checked on the server."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from backoffice.api.feeds import router
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, SheetFeed
from backoffice.permissions import PermissionDenied
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.services import feeds, users, views

from .support.api import api_client
from .support.factories import make_customer, make_user

HOSTILE = 'Pipe "Q4": <script>alert(1)</script> clients & déjà-vu'
CUSTOMERS = resource('customers')


def save_view(actor, name: str = HOSTILE, *, shared: bool = False, **state) -> int:
    base = {'search': '', 'filters': {}, 'sort': 'email', 'descending': False, 'columns': ['email', 'status']}
    with session_scope() as session:
        view = views.save_view(
            session=session, actor=actor, resource=CUSTOMERS, name=name, state={**base, **state}, shared=shared
        )
        return view.id


def publish(actor, view_id: int, fmt: str = 'csv') -> feeds.Published:
    with session_scope() as session:
        return feeds.publish(session=session, actor=actor, view_id=view_id, fmt=fmt)


def path_of(published: feeds.Published) -> str:
    return published.url[published.url.index('/feeds/') :]


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode('utf-8-sig'))))


def stored(feed_id: int) -> SheetFeed:
    with read_session() as session:
        feed = session.get(SheetFeed, feed_id)
        assert feed is not None
        return feed


@pytest.fixture(autouse=True)
def fresh_limits():
    feeds.limiter.reset()


async def test_a_published_view_gives_its_columns_and_filtered_rows_and_counts_each_fetch() -> None:
    manager = make_user('manager')
    make_customer('ann@example.com', name='Ann "=1+1" <b>', status='unfinished')
    make_customer('bob@example.com', name='Bob', status='active')
    make_customer('zoë@example.com', name='Zoë', status='unfinished')
    view_id = save_view(manager, filters={'status': ['unfinished']})
    published = publish(manager, view_id)
    assert published.formula == f'=IMPORTDATA("{published.url}")'
    token = path_of(published).removeprefix('/feeds/').removesuffix('.csv')
    assert len(token) >= 43  # 32 random bytes, URL-safe
    with read_session() as session:
        [feed] = session.exec(select(SheetFeed)).all()
    assert token not in feed.token_hash and feed.token_hash == feeds.digest(token)  # only the hash is kept

    async with api_client(router) as client:
        answer = await client.get(path_of(published))
        assert answer.status_code == 200, answer.text
        assert answer.headers['content-type'].startswith('text/csv')
        assert answer.headers['cache-control'] == 'no-store'
        table = rows_of(answer.content)
        assert table[0] == ['ID', 'Email', 'Status']
        assert [row[1] for row in table[1:]] == ['ann@example.com', 'zoë@example.com']  # the view's filter and sort
        assert all(row[2] == 'Unfinished sign-up' for row in table[1:])
        await client.get(path_of(published))
    feed = stored(feed.id)
    assert feed.access_count == 2 and feed.last_access_at is not None
    with read_session() as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == 'feed.published')).all()
        exported = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.exported')).all()
    assert entry.summary.startswith(f'Published view “{HOSTILE}” as a ')
    assert exported == []  # a fetch is counted on the feed, not logged each time


async def test_the_view_changes_the_feed_follows_and_xlsx_holds_raw_values() -> None:
    manager = make_user('manager')
    make_customer('ann@example.com', name='Ann', status='unfinished')
    make_customer('bob@example.com', name='Bob', status='active')
    view_id = save_view(manager, name='Everyone')
    published = publish(manager, view_id, 'xlsx')
    async with api_client(router) as client:
        answer = await client.get(path_of(published))
        assert answer.status_code == 200
        sheet = load_workbook(io.BytesIO(answer.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values[0] == ['ID', 'Email', 'Status'] and len(values) == 3
        assert isinstance(values[1][0], int)
        save_view(manager, name='Everyone', filters={'status': ['active']}, columns=['name'])  # replaces the view
        sheet = load_workbook(io.BytesIO((await client.get(path_of(published))).content)).active
        assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [['ID', 'Name'], [values[2][0], 'Bob']]
        wrong_format = path_of(published).replace('.xlsx', '.csv')
        assert (await client.get(wrong_format)).status_code == 404


async def test_no_wrong_or_revoked_token_is_404_and_revoking_is_audited() -> None:
    manager, admin, other = make_user('manager'), make_user('admin'), make_user('manager')
    make_customer('ann@example.com')
    published = publish(manager, save_view(manager))
    async with api_client(router) as client:
        for path in ('/feeds/.csv', '/feeds/nothing.csv', '/feeds/' + 'A' * 43 + '.csv', path_of(published) + 'x'):
            answer = await client.get(path)
            assert answer.status_code == 404, path
            assert 'No feed at this address' in answer.text
        assert (await client.get(path_of(published))).status_code == 200

        with session_scope() as session, pytest.raises(PermissionDenied):  # not theirs, not an admin
            feeds.revoke(session=session, actor=other, feed_id=published.feed_id)
        with session_scope() as session:
            feeds.revoke(session=session, actor=admin, feed_id=published.feed_id)
        with session_scope() as session, pytest.raises(ValidationFailed):
            feeds.revoke(session=session, actor=manager, feed_id=published.feed_id)
        answer = await client.get(path_of(published))
        assert answer.status_code == 404
    with read_session() as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == 'feed.revoked')).all()
        assert entry.actor_email == admin.email and entry.summary == f'Revoked the feed of view “{HOSTILE}”'
        mine = feeds.list_feeds(session=session, actor=manager)
        everyone = feeds.list_feeds(session=session, actor=admin, everyone=True)
        with pytest.raises(PermissionDenied):
            feeds.list_feeds(session=session, actor=manager, everyone=True)
    assert [row.revoked_by for row in mine] == [admin.email] and len(everyone) == 1


async def test_a_publisher_who_loses_the_right_gets_a_refusal_at_the_next_fetch() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    make_customer('ann@example.com')
    published = publish(manager, save_view(manager))
    async with api_client(router) as client:
        assert (await client.get(path_of(published))).status_code == 200
        with session_scope() as session:  # made an agent: may read customers, may not publish feeds
            users.update_user(session=session, actor=admin, user_id=manager.id, version=manager.version, role='agent')
        answer = await client.get(path_of(published))
        assert answer.status_code == 403 and 'may no longer read' in answer.text
        with session_scope() as session:
            current = session.get(type(manager), manager.id)
            users.update_user(session=session, actor=admin, user_id=manager.id, version=current.version, role='manager')
        assert (await client.get(path_of(published))).status_code == 200
        with session_scope() as session:
            current = session.get(type(manager), manager.id)
            users.set_active(session=session, actor=admin, user_id=manager.id, version=current.version, active=False)
        answer = await client.get(path_of(published))
        assert answer.status_code == 403 and 'can no longer sign in' in answer.text


async def test_a_deleted_view_is_gone_and_a_view_no_longer_shared_is_refused() -> None:
    owner, colleague = make_user('manager'), make_user('manager')
    make_customer('ann@example.com')
    team_view = save_view(owner, name='Team', shared=True)
    published = publish(colleague, team_view)  # a team view may be published by anyone who sees it
    mine = publish(owner, save_view(owner, name='Mine'))
    async with api_client(router) as client:
        assert (await client.get(path_of(published))).status_code == 200
        save_view(owner, name='Team', shared=False)
        answer = await client.get(path_of(published))
        assert answer.status_code == 403 and 'no longer shared' in answer.text
        with session_scope() as session:
            views.delete_view(session=session, actor=owner, view_id=stored(mine.feed_id).view_id)
        answer = await client.get(path_of(mine))
        assert answer.status_code == 410 and 'deleted' in answer.text


async def test_only_holders_of_the_permission_publish_views_they_see_and_fetches_are_rate_limited(monkeypatch) -> None:
    # a clock that stands still: no refill while a slow machine serves the calls
    monkeypatch.setattr(feeds, 'limiter', ratelimit.RateLimiter(feeds.FETCHES_PER_MINUTE, 60.0, clock=lambda: 0.0))
    agent, manager, viewer = make_user('agent'), make_user('manager'), make_user('viewer')
    private = save_view(manager, name='Private')
    with pytest.raises(PermissionDenied):
        publish(agent, save_view(agent, name='Agent view'))
    with pytest.raises(PermissionDenied):
        publish(viewer, private)
    with pytest.raises(Exception, match='no longer exists'):
        publish(make_user('manager'), private)  # another manager's private view
    with pytest.raises(ValidationFailed):
        publish(manager, private, 'pdf')
    published = publish(manager, private)
    async with api_client(router) as client:
        statuses = [(await client.get(path_of(published))).status_code for _ in range(feeds.FETCHES_PER_MINUTE + 1)]
        assert statuses[:-1] == [200] * feeds.FETCHES_PER_MINUTE
        answer = await client.get(path_of(published))
        assert answer.status_code == 429 and int(answer.headers['retry-after']) >= 1
