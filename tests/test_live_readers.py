"""Who a live change reaches: every open list showing it, checked as its reader's sign-in stands at that change (a
signed-out, deactivated or ended session gets nothing more and goes to the sign-in page); pages showing the same view
get the same rows from one read, their readers' sign-ins checked together in one query."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from nicegui.testing import User
from sqlalchemy import update
from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import StaffSession, utcnow
from backoffice.models import User as Staff
from backoffice.services import staff_sessions
from components import session
from components.resource_table import ResourceTable

from .support.factories import make_user, submit_request
from .support.lists import listed, rows_show, the_list
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = '<script>alert(1)</script> "double" \'single\' a:b :: ://x `tick` &amp; \\ ü'


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """The page reads the lists make, and the batches of sign-ins checked for live refreshes."""
    heard: dict[str, list] = {'reads': [], 'checks': [], 'threads': []}
    fetch, check = ResourceTable._fetch, staff_sessions.signed_in_many

    def counting_fetch(self: ResourceTable, *args: Any) -> Any:
        heard['reads'].append(args[1])
        return fetch(self, *args)

    def counting_check(session: Any, marks: Any) -> Any:
        marks = list(marks)
        heard['checks'].append(marks)
        heard['threads'].append(threading.current_thread())
        return check(session, marks)

    monkeypatch.setattr(ResourceTable, '_fetch', counting_fetch)
    monkeypatch.setattr(staff_sessions, 'signed_in_many', counting_check)
    return heard


def table_subjects(user: User) -> list[str]:
    return listed(user, 'subject')


def quietly(change: Callable[[Any], None]) -> None:
    """A change made where this process hears no event of it (another process, a database console): only the
    lists' own check of their reader can notice it."""
    with session_scope() as session:
        change(session)
        session.commit()


async def test_two_agents_on_the_same_view_get_the_same_rows_from_one_read_and_one_check(
    user: User, create_user: Callable[[], User], counted: dict[str, list]
) -> None:
    ada, bob = make_user('agent', name='Ada Agent'), make_user('agent', name='Bob Agent')
    submit_request('Already there', email='a@example.com')
    other = create_user()
    await signed_in(user, ada.email, path='/requests')
    await signed_in(other, bob.email, path='/requests')
    await rows_show(user, 'Already there', column='subject')
    await rows_show(other, 'Already there', column='subject')
    counted['reads'].clear(), counted['checks'].clear()

    submit_request(HOSTILE, email='h@example.com')
    await rows_show(user, HOSTILE, 'Already there', column='subject')
    await rows_show(other, HOSTILE, 'Already there', column='subject')
    assert table_subjects(user) == table_subjects(other) == [HOSTILE, 'Already there']  # the text as it was typed
    assert len(counted['reads']) == 1, 'each page read the list on its own'
    assert len(counted['checks']) == 1 and len(counted['checks'][0]) == 2, 'the sign-ins were checked one by one'
    assert threading.current_thread() not in counted['threads'], 'the sign-ins were checked on the event loop'


async def test_a_deactivated_agent_gets_no_more_rows_and_is_sent_to_sign_in(
    user: User, create_user: Callable[[], User]
) -> None:
    ada, bob = make_user('agent', name='Ada Agent'), make_user('agent', name='Bob Agent')
    other = create_user()
    await signed_in(user, ada.email, path='/requests')
    await signed_in(other, bob.email, path='/requests')
    submit_request('Seen by both', email='s@example.com')
    await rows_show(user, 'Seen by both', column='subject')
    await rows_show(other, 'Seen by both', column='subject')
    bobs_list = the_list(other, 'subject')

    quietly(lambda session: session.exec(update(Staff).where(Staff.id == bob.id).values(is_active=False)))
    submit_request('After the ban', email='b@example.com')
    await rows_show(user, 'After the ban', 'Seen by both', column='subject')  # the colleague still gets it
    await eventually(lambda: other.back_history[-1].startswith('/login'), message='the banned agent goes to sign in')
    assert 'After the ban' not in [row['subject'] for row in bobs_list.rows]
    await other.should_see('Sign in to continue')  # the sign-in page is shown, not only asked for


async def test_an_ended_session_gets_no_more_rows(user: User, create_user: Callable[[], User]) -> None:
    ada, bob = make_user('agent', name='Ada Agent'), make_user('agent', name='Bob Agent')
    other = create_user()
    await signed_in(user, ada.email, path='/requests')
    await signed_in(other, bob.email, path='/requests')
    await rows_show(other, absent=('After the end',), column='subject')
    bobs_list = the_list(other, 'subject')

    def end_bobs_sessions(session: Any) -> None:
        for row in session.exec(select(StaffSession).where(StaffSession.user_id == bob.id)):
            row.ended_at = utcnow()
            session.add(row)

    quietly(end_bobs_sessions)
    submit_request('After the end', email='e@example.com')
    await rows_show(user, 'After the end', column='subject')
    await eventually(
        lambda: other.back_history[-1].startswith('/login'), message='the signed-out agent goes to sign in'
    )
    await other.should_see('Sign in to continue')  # the sign-in page itself (the test ended while it was loading)
    assert 'After the end' not in [row['subject'] for row in bobs_list.rows]


async def test_a_check_cancelled_before_it_ran_leaves_no_list_waiting_and_the_next_change_checks_again(
    user: User,
) -> None:
    loop = asyncio.get_running_loop()
    first = session._batch(loop)
    waiting = first[(1, 0, 'key')] = loop.create_future()
    check = next(task for task in asyncio.all_tasks() if task.get_name() == session.CHECK_TASK)
    check.cancel()  # before its first line: a test's or the app's end cancels pending tasks so
    await eventually(check.done)
    await eventually(waiting.done)
    assert waiting.cancelled()
    second = session._batch(loop)
    assert second is not first
    await eventually(lambda: loop not in session._TOGETHER)  # the new batch ran its check (nobody in it) and left
