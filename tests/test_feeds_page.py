"""Spreadsheet feeds in the UI: a manager publishes a saved view from its list (the address shown once, with the
formula), finds it on /feeds and revokes it; an admin sees everyone's; an agent gets neither the button nor the page."""

from __future__ import annotations

import csv
import io

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.api.feeds import router
from backoffice.db import read_session, session_scope
from backoffice.models import SavedView, SheetFeed
from backoffice.resources import resource
from backoffice.services import feeds, views

from .support.api import api_client
from .support.factories import make_customer, make_user
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Q4 "VIP": <script>alert(1)</script> clients & déjà-vu'


def a_view(owner, name: str = HOSTILE) -> SavedView:
    state = {'search': '', 'filters': {'status': ['unfinished']}, 'sort': 'email', 'columns': ['email']}
    with session_scope() as session:
        return views.save_view(session=session, actor=owner, resource=resource('customers'), name=name, state=state)


async def test_a_manager_publishes_a_view_copies_its_address_and_revokes_it(user: User) -> None:
    manager = make_user('manager')
    make_customer('shown@example.com', status='unfinished')
    make_customer('hidden@example.com')
    view = a_view(manager)
    await signed_in(user, manager.email, path='/customers')
    await user.should_see(marker='views', retries=30)
    user.find(marker='views').elements.pop().set_value(view.id)
    user.find(marker='publish-view').click()
    await user.should_see('Publish as a spreadsheet feed')
    await user.should_see(HOSTILE)
    user.find(marker='publish-feed').click()
    await user.should_see('Shown only now', retries=30)
    url = user.find(marker='feed-url').elements.pop().value
    formula = user.find(marker='feed-formula').elements.pop().value
    assert formula == f'=IMPORTDATA("{url}")' and '/feeds/' in url and url.endswith('.csv')
    user.find(marker='copy-feed-url').click()
    await user.should_see('Copied to the clipboard.')

    async with api_client(router) as client:
        answer = await client.get(url[url.index('/feeds/') :])
    table = list(csv.reader(io.StringIO(answer.content.decode('utf-8-sig'))))
    assert table == [['ID', 'Email'], [table[1][0], 'shown@example.com']]

    user.find(marker='feed-done').click()
    await user.open('/feeds')
    await user.should_see(HOSTILE, retries=30)
    await user.should_see('1 read')
    [feed_id] = [f.id for f in _feeds()]
    user.find(marker=f'revoke-{feed_id}').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()
    await user.should_see('Feed revoked', retries=30)
    await eventually(lambda: _feeds()[0].revoked_by == manager.email)
    await user.should_see('Revoked')


async def test_an_admin_sees_everyones_feeds_and_an_agent_is_refused(user: User) -> None:
    manager = make_user('manager', name='Mia <b>Manager</b>')
    with session_scope() as session:
        published = feeds.publish(session=session, actor=manager, view_id=a_view(manager).id, fmt='xlsx')
    # the whole app, no session: the token is the key (no sign-in redirect), a cache-busting query is fine
    path = published.url[published.url.index('/feeds/') :]
    answer = await user.http_client.get(path + '?refresh=2', follow_redirects=False)
    assert answer.status_code == 200 and answer.headers['content-type'].startswith('application/vnd.openxml')
    assert (await user.http_client.get(path.replace('.xlsx', 'x.xlsx'), follow_redirects=False)).status_code == 404
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/feeds')
    await user.should_see(HOSTILE, retries=30)
    await user.should_see('Mia <b>Manager</b>', retries=5)
    user.find(marker='feed-scope').elements.pop().set_value(False)
    await user.should_see('No feeds yet', retries=30)


async def test_an_agent_has_no_feed_button_and_no_feeds_page(user: User) -> None:
    agent = make_user('agent')
    a_view(agent, name='Mine')
    await signed_in(user, agent.email, path='/customers')
    await user.should_see(marker='views', retries=30)
    await user.should_not_see(marker='publish-view')
    await user.open('/feeds')
    await user.should_see("You don't have access to this page", retries=30)
    assert user.find(kind=ui.label).elements  # the page answered with its refusal, no server error


def _feeds() -> list[SheetFeed]:
    with read_session() as session:
        return list(session.exec(select(SheetFeed)))


async def test_a_colleagues_new_feed_leaves_the_other_cards_in_place_so_a_revoke_is_not_lost(user: User) -> None:
    """Every publish or revoke by anyone drew every feed's card again: a Revoke pressed on a card replaced meanwhile
    was dropped by the browser without a word. The cards that show the same now stay; the new one is added."""
    admin = make_user('admin')
    manager = make_user('manager', name='Max "M" <i>m</i>')
    with session_scope() as session:
        first = feeds.publish(session=session, actor=admin, view_id=a_view(admin).id, fmt='csv')
    await signed_in(user, admin.email, path='/feeds')
    await user.should_see(marker=f'revoke-{first.feed_id}', retries=40)
    card = user.find(marker=f'feed-{first.feed_id}').elements.pop()
    revoke = user.find(marker=f'revoke-{first.feed_id}').elements.pop()

    with session_scope() as session:  # a colleague publishes another
        second = feeds.publish(session=session, actor=manager, view_id=a_view(manager, 'Other: "x"').id, fmt='csv')
    await user.should_see(marker=f'feed-{second.feed_id}', retries=40)
    assert not card.is_deleted and not revoke.is_deleted
    user.find(marker=f'revoke-{first.feed_id}').click()
    await user.should_see(marker='confirm-yes')
