"""An open page follows its person's rights (components/rights_watch.py): made agent by an admin, a manager's open
segments page loads again and says it is not theirs any more, as does a custom role's holder's when the role loses
the right; a change that leaves their rights as they were (a new
name) leaves the page alone."""

from __future__ import annotations

from nicegui import Client
from nicegui.testing import User

from .support.factories import change_user, grant_only, make_role, make_user
from .support.plans import let_the_page_run
from .support.signin import signed_in

HOSTILE = 'Zoë "Z": <script>alert(1)</script>'


async def test_a_manager_made_agent_sees_the_open_page_turn_to_no_access(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    await signed_in(user, manager.email)
    await user.open('/segments')  # what the simulated browser reloads is the last path it opened, not a redirect's
    await user.should_see(marker='live-count', retries=40)
    change_user(admin, manager, role='agent')
    await user.should_see("You don't have access to this page", retries=40)


async def test_a_new_name_leaves_the_open_page_as_it_is(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker='live-count', retries=40)
    page = user.client
    change_user(admin, manager, name=HOSTILE)
    await let_the_page_run()
    assert user.client is page and page.id in Client.instances  # not loaded again


async def test_a_custom_role_losing_a_right_turns_its_holders_open_page_to_no_access(user: User) -> None:
    admin = make_user('admin')
    role = make_role('segments.read', 'customers.read', name='Campaigns "Q4": <b>')
    person = make_user(role.key)
    # signed in on a page the role keeps (the dashboard, which it may not open, was still live in the simulated browser
    # and loaded again at the change too: a second reload, still pending at the test's end)
    await signed_in(user, person.email, path='/customers')
    await user.open('/segments')
    await user.should_see(marker='live-count', retries=40)
    grant_only(admin, role, 'customers.read')
    await user.should_see("You don't have access to this page", retries=40)


async def test_a_role_change_that_keeps_the_screen_says_so_and_keeps_the_typing(user: User) -> None:
    """A custom role losing a right its holder's open page does not need to be opened: the page stays (the text typed
    in its dialog too) and says their access changed; the next action it no longer allows is refused in words."""
    admin = make_user('admin')
    role = make_role('tickets.read', 'canned_replies.manage', name='Writers')
    writer = make_user(role.key)
    # straight to the page: a dashboard opened first (no access for this role) was still live in the simulated browser
    # and loaded again at the change, which the simulated browser did to the page open now, after the test's checks
    await signed_in(user, writer.email, path='/canned-replies')
    await user.should_see('New canned reply', retries=40)
    user.find('New canned reply').click()
    user.find('Title *').type(HOSTILE)
    page = user.client
    grant_only(admin, role, 'tickets.read')
    await user.should_see('Your access has changed: some actions may now be refused.', retries=40)
    assert user.client is page and user.find('Title *').elements.pop().value == HOSTILE


async def test_an_agent_given_a_custom_role_then_follows_that_roles_edits(user: User) -> None:
    """Built for a built-in role, the page still follows the custom role its person is given later: when that role
    then loses the right the page needs, it loads again and says so."""
    admin, agent = make_user('admin'), make_user('agent')
    role = make_role('tickets.read', 'customers.read', name=HOSTILE)
    await signed_in(user, agent.email)
    await user.open('/requests')
    await user.should_see('Requests', retries=40)
    change_user(admin, agent, role=role.key)  # /requests is still theirs: the page stays and says their access changed
    await user.should_see('Your access has changed: some actions may now be refused.', retries=40)
    grant_only(admin, role, 'customers.read')
    await user.should_see("You don't have access to this page", retries=40)
