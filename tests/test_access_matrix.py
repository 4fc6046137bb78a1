"""Every declared screen × every role, as data: for each role one simulated browser signs in once and opens every
screen, which must show its title when the role may open it and the no-access screen (with none of the data) when it
may not; an anonymous visitor is sent to sign in from every screen. New screens are covered through the registry.
Custom roles too: a role granting exactly one permission opens, and lists in its menu, exactly what that permission
allows (`only:<permission>`).

The roles the crawler signs in as (`CRAWLED_ROLES`: the built-in roles and three of one permission) have the allowed
half checked there, on the crawl's first opening of each screen (tests/test_crawler.py: the same title and no-access
checks, failing with the screen and the role): building those pages twice was half of this file's cost. Here they
open the screens they may not open; the other roles open every screen."""

import re

import pytest
from nicegui.testing import User

import pages  # noqa: F401  (declares every screen)
from backoffice.models import Role
from backoffice.models import User as Staff
from backoffice.permissions import PERMISSIONS, can
from components.screens import SCREENS

from .support.crawler import CRAWLED_ROLES, NO_ACCESS
from .support.factories import make_company, make_product, make_role, make_user, place, submit_request
from .support.menu import menu_paths
from .support.payables import enter_bill, make_supplier
from .support.signin import signed_in

SIGNED_IN_SCREENS = sorted(path for path, declared in SCREENS.items() if not declared.public)


def with_records(path: str, records: dict[str, str]) -> str:
    """A screen's path with its parameters filled in from real records (`/orders/{number}` → `/orders/A-1001`)."""
    return re.sub(r'\{(\w+)(?::\w+)?\}', lambda match: records[path.split('/')[1]], path)


# custom roles of one permission each: reading, writing without reading, the admins' own, the dashboard
ONE_PERMISSION_ROLES = [
    f'only:{p}' for p in ('tickets.read', 'orders.read', 'catalog.write', 'users.manage', 'kpis.read')
]


def account_of(role: str) -> Staff:
    """A user of a built-in role, or of a custom role granting exactly one permission ('only:orders.read')."""
    if role.startswith('only:'):
        return make_user(make_role(role.removeprefix('only:'), name=f'Just {role}').key)
    return make_user(role)


@pytest.mark.parametrize('role', [r.value for r in Role] + ONE_PERMISSION_ROLES)
async def test_each_role_opens_exactly_the_screens_it_may(user: User, role: str) -> None:
    account = account_of(role)
    secret = make_user('admin', email='someone.else@example.com')  # data a forbidden screen must not leak
    make_product('MUG', stock_on_hand=5, actor=secret)
    order = place(('MUG', 1))
    records = {
        'orders': order.number,
        'requests': str(submit_request().number),
        'customers': str(order.customer_id),
        'companies': str(make_company('Acme').id),
        'users': str(secret.id),
        'finance': str(enter_bill(secret, make_supplier('Acme Supplies').id).id),  # /finance/bills/{bill_id}
    }
    await signed_in(user, account.email)
    user.find(marker='account').click()  # the user menu, built on its opening
    await user.should_see(account.email)  # signed in (the user menu names them; not every role reads the dashboard)
    for path in SIGNED_IN_SCREENS:
        declared = SCREENS[path]
        allowed = can(account, declared.permission)
        if allowed and role in CRAWLED_ROLES:
            continue  # opened, and its title checked, by the crawl (tests/test_crawler.py)
        await user.open(with_records(path, records))
        if allowed:
            await user.should_see(declared.title, retries=30)  # a slow machine may take a moment
            await user.should_not_see(NO_ACCESS)
        else:
            await user.should_see(NO_ACCESS, retries=30)
            await user.should_not_see(secret.email)


def test_every_role_the_crawl_checks_is_refused_here_what_it_may_not_open() -> None:
    assert set(CRAWLED_ROLES) <= {r.value for r in Role} | set(ONE_PERMISSION_ROLES)


@pytest.mark.parametrize('role', ONE_PERMISSION_ROLES)
async def test_a_role_of_one_permission_may_do_that_and_nothing_else(user: User, role: str) -> None:
    permission = role.removeprefix('only:')
    account = account_of(role)
    assert {p for p in PERMISSIONS if can(account, p)} == {permission}

    await signed_in(user, account.email)
    user.find(marker='account').click()  # the user menu names who is signed in
    await user.should_see(account.email)
    listed = menu_paths(user)
    allowed = {s.path for s in SCREENS.values() if s.in_menu and not s.public and s.permission in (None, permission)}
    assert listed == allowed


async def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_screen(user: User) -> None:
    for path in SIGNED_IN_SCREENS:
        await user.open(path)
        await user.should_see('Sign in to continue')
        await user.should_not_see(SCREENS[path].title)


def test_no_two_menu_entries_share_an_icon() -> None:
    """A person finds a drawer entry by its icon as much as its name: Carriers and Suppliers, Receivables
    and Supplier bills each shared one."""
    by_icon: dict[str, list[str]] = {}
    for screen in SCREENS.values():
        if screen.in_menu and not screen.public:
            by_icon.setdefault(screen.icon, []).append(str(screen.title))
    assert {icon: titles for icon, titles in by_icon.items() if len(titles) > 1} == {}


async def test_the_menu_lists_only_what_the_role_may_open(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email)
    await user.should_see('Dashboard')
    await user.should_not_see('Staff users')


async def test_an_agent_sees_the_no_access_screen_on_users(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/users')
    await user.should_see("You don't have access to this page")
    await user.should_not_see('Add user')
