"""The crawler: each role signs in on a small demo shop and, on every screen it may open, opens the first rows of each
list, every tab, every dialog a visible button opens (submitted empty, then filled in), and fails on any server error,
any error message that is not at a field, and any action that gives the user no feedback (support/crawler.py). On
opening each screen it checks the access matrix's allowed half for its role (the screen's title, not the no-access
screen); test_access_matrix.py opens the screens the role may not open.

The roles of `FRENCH_ROLES` (the admin, who may open every screen) crawl in French: each screen's title must show in
French, and every text asked for in French on the way (screens, rows, tabs, dialogs, their answers) must have a
translation (support/french.py; issue #14). The screens are built once for both checks."""

from __future__ import annotations

import logging
from contextlib import ExitStack

import pytest
from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.permissions import can
from backoffice.services import users
from components.screens import SCREENS

from .support.crawler import CRAWLED_ROLES, FRENCH_ROLES, Crawl, ErrorLog
from .support.demo_shop import SIGNED_IN_SCREENS, small_demo_shop, with_records
from .support.factories import make_role, make_user
from .support.french import missing_french, untranslated
from .support.signin import sign_in


@pytest.mark.parametrize('role', CRAWLED_ROLES)
async def test_every_screen_answers_every_click(user: User, role: str) -> None:
    records = small_demo_shop()
    if role.startswith('only:'):
        account = make_user(make_role(role.removeprefix('only:'), name=f'Just {role}').key)
    else:
        account = make_user(role)
    language = 'fr' if role in FRENCH_ROLES else 'en'
    if language != 'en':
        with session_scope() as session:
            users.set_language(session=session, actor=account, language=language)
    await sign_in(user, account.email)
    crawl = Crawl(user, who=role if language == 'en' else f'{role} ({language})', language=language)
    handler = ErrorLog(crawl)
    logging.getLogger().addHandler(handler)
    try:
        with ExitStack() as stack:
            if language == 'fr':  # where a text was asked for: the crawl's last step (screen and action)
                missing = stack.enter_context(missing_french(lambda: crawl.trail[-1] if crawl.trail else 'user menu'))
            user.find(marker='account').click()  # the user menu (built on its opening) names who is signed in
            await user.should_see(account.email)
            first = True
            for path in SIGNED_IN_SCREENS:
                if can(account, SCREENS[path].permission):  # the screens it may not open: test_access_matrix.py
                    await crawl.screen(with_records(path, records), title=SCREENS[path].title, shell=first)
                    first = False
    finally:
        logging.getLogger().removeHandler(handler)
    assert crawl.actions > 10, crawl.trail
    if language == 'fr':
        problems = untranslated(missing)
        assert not problems, f'{crawl.who}: shown in French without a translation:\n' + '\n'.join(problems)
