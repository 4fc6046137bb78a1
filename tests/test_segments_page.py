"""/segments as a manager uses it: built-in segments with their count, a segment's members, a live count while
building a custom segment, saving it, and the consenting-only CSV export."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import Customer, utcnow
from backoffice.services import app_settings, segments

from .support.factories import make_customer, make_user
from .support.signin import sign_in


def quiet_for(email: str, days: int) -> None:
    with session_scope() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
        customer.last_seen_at = utcnow() - timedelta(days=days)
        session.add(customer)
        session.commit()


async def test_a_manager_finds_inactive_customers_and_exports_the_consenting_ones(user: User) -> None:
    make_customer('gone@example.com', name='Gone', consent=True)
    make_customer('private@example.com', name='Private')
    make_customer('here@example.com', name='Here', consent=True)
    quiet_for('gone@example.com', 40)
    quiet_for('private@example.com', 50)
    quiet_for('here@example.com', 1)
    await sign_in(user, make_user('manager').email, path='/segments')
    await user.should_see('Inactive for 30 days')
    await user.should_see('3 customers match')            # no filter yet: everyone

    user.find(marker='segment-inactive').click()
    await user.should_see('Inactive for 30 days: 2 customers')
    rows = user.find(ui.table).elements.pop().rows
    assert sorted((row['email'], row['consent']) for row in rows) == [('gone@example.com', 'yes'),
                                                                      ('private@example.com', 'no')]
    user.find('Export CSV').click()
    response = await user.download.next(timeout=5)
    assert response.content.decode('utf-8-sig').splitlines() == ['email,name', 'gone@example.com,Gone']
    await user.should_see('Exported 1 consenting customers')


async def test_a_custom_segment_counts_live_and_is_saved(user: User) -> None:
    make_customer('a@example.com')
    make_customer('b@example.com')
    quiet_for('a@example.com', 10)
    quiet_for('b@example.com', 100)
    await sign_in(user, make_user('manager').email, path='/segments')
    await user.should_see('2 customers match')
    next(iter(user.find('Not seen for (days)').elements)).value = 30
    await user.should_see('1 customer matches')
    user.find('Save segment').click()
    user.find('Name').type('Lapsed')
    user.find(marker='confirm-save').click()
    await user.should_see('Lapsed')
    await user.should_see('Custom segment')


async def test_a_viewer_sees_segments_but_cannot_export(user: User) -> None:
    await sign_in(user, make_user('viewer').email, path='/segments')
    await user.should_see('Unfinished sign-up')
    await user.should_not_see('Save segment')


async def test_a_manager_deletes_a_saved_segment_after_confirming(user: User) -> None:
    manager = make_user('manager')
    with session_scope() as session:
        lapsed = segments.save_segment(session=session, actor=manager, name='Lapsed', filters={'not_seen_for_days': 30})
    await sign_in(user, manager.email, path='/segments')
    await user.should_see('Lapsed')

    user.find(marker=f'delete-segment-{lapsed.id}').click()
    await user.should_see('Delete the segment "Lapsed"?')   # asked first: nothing is deleted yet
    with read_session() as session:
        assert [s.name for s in segments.saved_segments(session=session)] == ['Lapsed']
    user.find(marker='confirm-delete').click()

    await user.should_see('Segment "Lapsed" deleted')
    with read_session() as session:
        assert segments.saved_segments(session=session) == []


async def test_a_push_shows_the_address_an_admin_stored(user: User) -> None:
    manager = make_user('manager')
    with session_scope() as session:
        app_settings.save(session=session, actor=make_user('admin'),
                          changes={'segments_webhook_url': 'https://mail-tool.example.com/in'}, loaded={})
    await sign_in(user, manager.email, path='/segments')
    user.find(marker='segment-inactive').click()
    await user.should_see('Push to webhook')
    user.find('Push to webhook').click()
    await user.should_see('https://mail-tool.example.com/in')


async def test_a_viewer_cannot_delete_a_saved_segment(user: User) -> None:
    with session_scope() as session:
        lapsed = segments.save_segment(session=session, actor=make_user('manager'), name='Lapsed', filters={})
    await sign_in(user, make_user('viewer').email, path='/segments')
    await user.should_see('Lapsed')
    await user.should_not_see(marker=f'delete-segment-{lapsed.id}')
