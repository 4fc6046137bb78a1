"""An open page follows its person's rights (components/rights_watch.py): made agent by an admin, a manager's open
segments page loads again and says it is not theirs any more; a change that leaves their rights as they were (a new
name) leaves the page alone."""

from __future__ import annotations

from nicegui import Client
from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.models import User as Staff
from backoffice.services import users

from .support.factories import make_user
from .support.plans import let_the_page_run
from .support.signin import signed_in

HOSTILE = 'Zoë "Z": <script>alert(1)</script>'


def change(admin: Staff, person: Staff, **values) -> None:
    with session_scope() as session:
        version = session.get(Staff, person.id).version
        users.update_user(session=session, actor=admin, user_id=person.id, version=version, **values)


async def test_a_manager_made_agent_sees_the_open_page_turn_to_no_access(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    await signed_in(user, manager.email)
    await user.open('/segments')  # what the simulated browser reloads is the last path it opened, not a redirect's
    await user.should_see(marker='live-count', retries=40)
    change(admin, manager, role='agent')
    await user.should_see("You don't have access to this page", retries=40)


async def test_a_new_name_leaves_the_open_page_as_it_is(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker='live-count', retries=40)
    page = user.client
    change(admin, manager, name=HOSTILE)
    await let_the_page_run()
    assert user.client is page and page.id in Client.instances  # not loaded again
