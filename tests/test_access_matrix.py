"""Every declared page × every role: allowed pages open, the others show the no-access screen and none of their data;
anonymous visitors are sent to sign in. New pages are covered automatically through the registry."""

import pytest
from nicegui.testing import User

import pages  # noqa: F401  (declares every screen)
from backoffice.models import Role
from backoffice.permissions import can
from components.screens import SCREENS

from .conftest import sign_in
from .factories import make_user

SIGNED_IN_SCREENS = sorted(path for path, declared in SCREENS.items() if not declared.public)


@pytest.mark.parametrize('role', [r.value for r in Role])
@pytest.mark.parametrize('path', SIGNED_IN_SCREENS)
async def test_each_role_opens_exactly_the_pages_it_may(user: User, path: str, role: str) -> None:
    account = make_user(role)
    secret = make_user('admin', email='someone.else@example.com')  # data a forbidden page must not leak
    await sign_in(user, account.email, path=path)
    declared = SCREENS[path]
    if can(account, declared.permission):
        await user.should_see(declared.title, retries=30)  # a slow machine may take a moment
        await user.should_not_see("You don't have access to this page")
    else:
        await user.should_see("You don't have access to this page", retries=30)
        await user.should_not_see(secret.email)


@pytest.mark.parametrize('path', SIGNED_IN_SCREENS)
async def test_an_anonymous_visitor_is_sent_to_sign_in(user: User, path: str) -> None:
    await user.open(path)
    await user.should_see('Sign in to continue')
    await user.should_not_see(SCREENS[path].title)


async def test_the_menu_lists_only_what_the_role_may_open(user: User) -> None:
    agent = make_user('agent')
    await sign_in(user, agent.email)
    await user.should_see('Dashboard')
    await user.should_not_see('Staff users')


async def test_an_agent_sees_the_no_access_screen_on_users(user: User) -> None:
    agent = make_user('agent')
    await sign_in(user, agent.email, path='/users')
    await user.should_see("You don't have access to this page")
    await user.should_not_see('Add user')
