"""Menus built on their first opening (issue 20, first paint): a page is served without the user menu's, the bell's, a
list's columns and export menus' contents; each shows the right content once clicked, customer and staff text as text,
and a page request checks the session once."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

import components.session
from backoffice.db import session_scope
from backoffice.resources import RESOURCES
from backoffice.services import notifications, views

from .support.factories import make_user
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Zoë "<img src=x onerror=window.__x=1>" <script>alert(1)</script>'


def menus(user: User) -> list[ui.menu]:
    return [element for element in user.client.elements.values() if isinstance(element, ui.menu)]


def shown_as_text(user: User, text: str) -> None:
    """The text is a label's text, and no element of the page takes it as markup."""
    assert any(getattr(element, 'text', None) == text for element in user.client.elements.values()), text
    assert not [e for e in user.client.elements.values() if isinstance(e, ui.html | ui.markdown) and text in e.content]


async def test_the_user_menu_is_built_on_its_first_click_and_says_who_is_signed_in(user: User) -> None:
    staff = make_user('agent', name=HOSTILE, email='zoe@example.com')
    await signed_in(user, staff.email, path='/customers')
    await user.should_see('Customers')
    await user.should_not_see(marker='log-out')  # not built with the page
    user.find(marker='account').click()
    await user.should_see(marker='log-out')
    await user.should_see('zoe@example.com')
    await user.should_see('Role: Agent')  # the role's name, as the users list says it
    await user.should_see(marker='language-fr')
    shown_as_text(user, HOSTILE)
    before = len(menus(user))
    user.find(marker='account').click()  # a second click opens the same menu (in the browser): nothing built again
    assert len(menus(user)) == before


async def test_the_bell_counts_once_the_page_is_served_and_lists_its_notices_when_opened(user: User) -> None:
    agent = make_user('agent')
    with session_scope() as session:
        notifications.notify(session, user_id=agent.id, text=f'Low stock: {HOSTILE}')
        notifications.notify(session, user_id=agent.id, text='Low stock: MUG')
        session.commit()
    await signed_in(user, agent.email, path='/requests')
    await eventually(lambda: user.find(marker='bell-count').elements.pop().text == '2')
    await user.should_not_see(marker='notification')  # the count is read, the notices are not built yet
    user.find(marker='bell').click()
    await user.should_see('Low stock: MUG')
    shown_as_text(user, f'Low stock: {HOSTILE}')
    assert len(user.find(marker='notification').elements) == 2
    with session_scope() as session:  # a new one while the menu is built: the menu follows, with the count
        notifications.notify(session, user_id=agent.id, text='Parcel lost')
        session.commit()
    notifications_changed(agent.id)
    await user.should_see('Parcel lost')
    await eventually(lambda: user.find(marker='bell-count').elements.pop().text == '3')


def notifications_changed(user_id: int) -> None:
    from backoffice.events import Topic
    from components import live

    live.resource_changed(Topic.notifications).emit({'id': 0, 'action': 'created', 'user_id': user_id})


async def test_a_lists_columns_and_export_menus_are_built_on_their_first_click(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/customers')
    await user.should_see(marker='columns')
    await user.should_not_see(marker='columns-shown')
    await user.should_not_see(marker='export-csv')
    user.find(marker='columns').click()
    await user.should_see(marker='columns-shown')
    select = user.find(marker='columns-shown').elements.pop()
    assert list(select.options) == [c.name for c in RESOURCES['customers'].columns]  # every column, by its label
    assert select.options['email'] == 'Email'
    table = user.find(kind=ui.table).elements.pop()
    assert 'email' in [c['name'] for c in table.columns]
    select.set_value([name for name in select.value if name != 'email'])  # a column hidden from the menu
    assert 'email' not in [c['name'] for c in table.columns]
    user.find(marker='export').click()
    await user.should_see(marker='export-csv')
    await user.should_see(marker='export-xlsx')


async def test_a_second_click_sent_before_the_browser_heard_the_menu_was_built_is_ignored(user: User) -> None:
    """A quick double click on Export: the second click left the browser before it learnt that the menu now opens
    by itself (the button's click no longer goes to the server). It must do nothing, not raise on the server."""
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/customers')
    button = user.find(marker='export').elements.pop()
    clicks = [key for key, listener in button._event_listeners.items() if listener.type == 'click']  # noqa: SLF001
    user.find(marker='export').click()
    await user.should_see(marker='export-csv')
    await eventually(lambda: not set(clicks) & set(button._event_listeners))  # noqa: SLF001  (the browser is told)
    for listener_id in clicks:  # as the browser's socket delivers it
        user.client.handle_event({'id': button.id, 'listener_id': listener_id, 'args': []})
    await user.should_see(marker='export-csv')


async def test_saved_views_are_read_once_the_page_is_served(user: User) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        views.save_view(
            session=session,
            actor=admin,
            resource=RESOURCES['customers'],
            name=HOSTILE,
            state={'search': 'zz', 'filters': {}, 'columns': ['email']},
            shared=False,
        )
    await signed_in(user, admin.email, path='/customers')
    select = user.find(marker='views').elements.pop()
    await eventually(lambda: HOSTILE in select.options.values())


async def test_a_page_request_checks_the_session_once(user: User, monkeypatch) -> None:
    """The middleware checks the session against the database; the page guard of the same request reads that check."""
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/customers')
    checks: list[int] = []
    real = components.session.staff_sessions.signed_in

    def counted(*args, **kwargs):
        checks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(components.session.staff_sessions, 'signed_in', counted)
    response = await user.http_client.get('/customers')
    assert response.status_code == 200 and 'Customers' in response.text
    assert len(checks) == 1


async def test_a_session_ended_between_requests_is_still_refused(user: User) -> None:
    """The check kept on a request is that request's only: the next page request checks again."""
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/customers')
    user.find(marker='account').click()
    user.find(marker='log-out').click()
    await user.should_see('Log in', retries=50)
    response = await user.http_client.get('/customers', follow_redirects=False)
    assert response.status_code in (302, 303, 307) and '/login' in response.headers['location']
