"""What the crawl of a role in French checks (tests/test_crawler.py, `FRENCH_ROLES` in support/crawler.py): every
text asked for in French while the role's screens are built and clicked through is recorded (i18n.on_missing), and
those with no French translation fail the test (issue #14).

While the screens are being converted (tests/test_translations.py's ratchet lists are not empty), a text that no file
marks for translation (a `_(label)` whose declaration has no N_() yet) is tolerated; a text marked somewhere must be
translated unless every file marking it is on the NOT_YET_TRANSLATED list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from backoffice import i18n

from .translations import NOT_YET_MARKED, NOT_YET_TRANSLATED, french_catalog, marked_texts

PLACEHOLDER = re.compile(r'(\{\w*\})')
LETTER = re.compile(r'[^\W\d_]')
CODE = re.compile(r'[a-z_]+(\.[a-z_]+)+')


@contextmanager
def missing_french(where: Callable[[], str]) -> Iterator[dict[str, set[str]]]:
    """Within the block, every text asked for in French that the catalog lacks → where it was asked for (`where()`:
    the crawl's last step, naming the screen and the action)."""
    missing: dict[str, set[str]] = {}

    def record(locale: str, text: str) -> None:
        if locale == 'fr':
            missing.setdefault(text, set()).add(where())

    i18n.on_missing(record)
    try:
        yield missing
    finally:
        i18n.on_missing(None)


def untranslated(missing: dict[str, set[str]]) -> list[str]:
    """The recorded texts a French reader would see in English, each with the first place it was asked for."""
    french = {form for forms in french_catalog().values() for form in forms}
    filled = [  # French texts with their placeholders filled in: 'il y a {count} jours' → 'il y a 3 jours'. A form
        # with no letter of its own ('{n} {verb}', '{type} {name}') would match any English text of two words: left out
        re.compile(''.join('.+?' if part.startswith('{') else re.escape(part) for part in PLACEHOLDER.split(form)))
        for form in french
        if PLACEHOLDER.search(form) and LETTER.search(PLACEHOLDER.sub('', form))
    ]
    left = {
        text: where
        for text, where in missing.items()
        if not (text in french or any(pattern.fullmatch(text) for pattern in filled))  # already in French: passed
        # through _() once more, no English shows
        and not CODE.fullmatch(text)  # a machine value shown as it is (an event type: order.paid)
    }
    if not left:
        return []
    marked_in: dict[str, set[str]] = {}
    for file, text, _context in marked_texts():  # 1.5 s of CPU: only for texts left
        marked_in.setdefault(text, set()).add(file)
    converting = bool(NOT_YET_MARKED)
    problems = []
    for text, where in sorted(left.items()):
        files = marked_in.get(text, set())
        if files and files <= NOT_YET_TRANSLATED:
            continue
        if not files and converting:
            continue
        problems.append(f'{text!r} (on {sorted(where)[0]}; marked in {sorted(files) or "no file"})')
    return problems
