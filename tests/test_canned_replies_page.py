"""Canned replies have their screen: a manager writes, changes and deletes them; an agent reads them there and uses
them in the reply box, but cannot change what the whole desk sends."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import CannedReply
from backoffice.models import User as UserRow
from backoffice.permissions import PermissionDenied
from backoffice.resources import resource
from backoffice.services import audit, crud
from components.screens import SCREENS, menu_for

from .support.api import key_for
from .support.factories import make_user
from .support.lists import open_row, rows_show
from .support.signin import signed_in
from .support.waiting import eventually

TITLE = 'Late parcel: "sorry" <script>x</script>'


def stored_titles() -> list[str]:
    with read_session() as session:
        rows = session.exec(select(CannedReply).where(CannedReply.deleted_at.is_(None)))
        return sorted(reply.title for reply in rows)


async def test_a_manager_writes_changes_and_deletes_a_canned_reply(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/canned-replies')
    await user.should_see('Canned replies')
    user.find('New canned reply').click()
    user.find('Title *').type(TITLE)
    user.find('Text *').type('Hello {customer_name}: your order {order_number} ships today.')
    user.find('Create canned reply').click()
    await eventually(lambda: stored_titles() == [TITLE])
    await rows_show(user, TITLE, column='title')

    open_row(user, TITLE, column='title')
    await user.should_see('Save changes')
    user.find('Title *').clear().type('Late parcel')
    user.find('Save changes').click()
    await eventually(lambda: stored_titles() == ['Late parcel'])
    await rows_show(user, 'Late parcel', absent=(TITLE,), column='title')

    open_row(user, 'Late parcel', column='title')
    await user.should_see('Delete')
    delete = user.find(kind=ui.button, content='Delete')
    delete.elements = {max(delete.elements, key=lambda button: button.id)}  # the dialog opened last, not a view's
    delete.click()
    await user.should_see('moved to the trash')
    await eventually(lambda: stored_titles() == [])


async def test_a_canned_replys_title_and_text_count_up_to_their_limits(user: User) -> None:
    """Its title (120, the table's column) and its text (20,000, several lines) count their characters as typed."""
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/canned-replies')
    await user.should_see('Canned replies')
    user.find('New canned reply').click()
    (title,) = user.find('Title *').elements
    (text,) = user.find('Text *').elements
    assert isinstance(text, ui.textarea)
    assert (title.props.get('counter'), title.props.get('maxlength')) == (True, 120)
    assert (text.props.get('counter'), text.props.get('maxlength')) == (True, 20_000)
    user.find('Title *').type(TITLE)
    user.find('Text *').type('Hello {customer_name}: "sorry" <script>x</script>')
    user.find('Create canned reply').click()
    await eventually(lambda: stored_titles() == [TITLE])


async def test_an_agent_reads_canned_replies_but_cannot_change_them(user: User) -> None:
    agent, manager = make_user('agent'), make_user('manager')
    with session_scope() as session:
        crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={'title': TITLE, 'body': 'Hello'},
        )
    assert '/canned-replies' in [s.path for s in menu_for(agent)]
    await signed_in(user, agent.email, path='/canned-replies')
    await rows_show(user, TITLE, column='title')
    await user.should_see('Managers write and change them.')
    await user.should_not_see('New canned reply')
    # no box to tick on a row: ticking one showed nothing (nothing the agent may do with selected replies)
    assert user.find(kind=ui.table).elements.pop().props.get('selection') in (None, 'none')
    with session_scope() as session, pytest.raises(PermissionDenied):
        crud.create_record(session=session, actor=agent, resource=resource('canned-replies'), data={'title': 'x'})


def test_the_canned_replies_screen_is_in_the_support_menu() -> None:
    declared = SCREENS['/canned-replies']
    assert (declared.section, declared.permission, declared.public) == ('Support', 'tickets.read', False)


async def test_a_reply_written_through_an_api_key_names_the_key_and_its_person_in_its_history(user: User) -> None:
    """The History tab said 'maria@example.com (API key ab12cd34)', as the log keeps it; it names the key as its list
    does and people by name, as the warnings of a colleague's change do."""
    key, _secret = key_for(
        'manager', 'write:canned-replies', name='Sync: "nightly" <script>x</script>', person_name="Maria 'Mia' R: <b>"
    )
    with session_scope() as session, audit.through(f'API key {key.prefix}'):  # as /api/v1 writes it
        crud.create_record(
            session=session,
            actor=session.get(UserRow, key.user_id),
            resource=resource('canned-replies'),
            data={'title': TITLE, 'body': 'Hello {customer_name}: "soon" <b>.'},
        )
    manager = make_user('manager', name='Lea "L" Schmidt: <i>')
    await signed_in(user, manager.email, path='/canned-replies')
    await rows_show(user, TITLE, column='title')
    open_row(user, TITLE, column='title')
    await user.should_see('Save changes')
    await user.should_see(' · API key “Sync: "nightly" <script>x</script>” (Maria \'Mia\' R: <b>)')
    await user.should_not_see('(API key ')
