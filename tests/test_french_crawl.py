"""Every screen in French (issue #14): an admin whose language is French opens each screen of the small demo shop and
the first record of each list; every text asked for in French that the catalog lacks is recorded (i18n.on_missing)
and fails the test. A light walk (no button is pressed; tests/test_crawler.py presses them all, in English) to stay
within a minute and a half.

While the screens are being converted (tests/test_translations.py's ratchet lists are not empty), a text that no file
marks for translation (a `_(label)` whose declaration has no N_() yet) is tolerated; a text marked somewhere must be
translated unless every file marking it is on the NOT_YET_TRANSLATED list."""

from __future__ import annotations

import logging
import re

from nicegui.testing import User

from backoffice import i18n
from backoffice.db import session_scope
from backoffice.permissions import can
from backoffice.services import users
from components.screens import SCREENS

from .support.crawler import Crawl, ErrorLog
from .support.demo_shop import SIGNED_IN_SCREENS, small_demo_shop, with_records
from .support.factories import make_user
from .support.signin import sign_in
from .support.translations import NOT_YET_MARKED, NOT_YET_TRANSLATED, french_catalog, marked_texts

PLACEHOLDER = re.compile(r'(\{\w*\})')
CODE = re.compile(r'[a-z_]+(\.[a-z_]+)+')


async def test_every_screen_in_french_has_its_translations(user: User) -> None:
    records = small_demo_shop()
    admin = make_user('admin')
    with session_scope() as session:
        users.set_language(session=session, actor=admin, language='fr')
    missing: dict[str, set[str]] = {}
    crawl = Crawl(user, who='admin (fr)')
    handler = ErrorLog(crawl)

    def record(locale: str, text: str) -> None:
        if locale == 'fr':
            missing.setdefault(text, set()).add(crawl.trail[-1] if crawl.trail else 'sign-in')

    await sign_in(user, admin.email)
    i18n.on_missing(record)
    logging.getLogger().addHandler(handler)
    try:
        for path in SIGNED_IN_SCREENS:
            if not can(admin, SCREENS[path].permission):
                continue
            screen = with_records(path, records)
            await crawl.open(screen)
            for table in crawl.lists(shell=False)[:2]:
                if table.rows:
                    await crawl.open_row(screen, table, 0)
                    break
    finally:
        i18n.on_missing(None)
        logging.getLogger().removeHandler(handler)
    assert crawl.trail and not crawl.errors, crawl.errors

    marked_in: dict[str, set[str]] = {}
    for file, text, _context in marked_texts():
        marked_in.setdefault(text, set()).add(file)
    converting = bool(NOT_YET_MARKED)
    french = {form for forms in french_catalog().values() for form in forms}
    filled = [  # French texts with their placeholders filled in: 'il y a {count} jours' → 'il y a 3 jours'
        re.compile(''.join('.+?' if part.startswith('{') else re.escape(part) for part in PLACEHOLDER.split(form)))
        for form in french
        if PLACEHOLDER.search(form)
    ]
    problems = []
    for text, where in sorted(missing.items()):
        if text in french or any(pattern.fullmatch(text) for pattern in filled):
            continue  # a text already in French passed through _() once more: no English shows
        if CODE.fullmatch(text):
            continue  # a machine value shown as it is (an event type: order.paid)
        files = marked_in.get(text, set())
        if files and files <= NOT_YET_TRANSLATED:
            continue
        if not files and converting:
            continue
        problems.append(f'{text!r} (on {sorted(where)[0]}; marked in {sorted(files) or "no file"})')
    assert not problems, 'Shown in French without a translation:\n' + '\n'.join(problems)
