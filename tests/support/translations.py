"""The French catalog as tests read it: every translation of all the .po parts together, and every text the code marks
(the missing-translation guard in tests/test_translations.py and the French crawl's, tests/support/french.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / 'backoffice' / 'locale'

# Ratchet lists (they only shrink, as pyproject's mypy list): files whose texts are not marked for translation yet,
# and files whose marked texts are not translated into French yet.
NOT_YET_MARKED: set[str] = set()  # 65 files when the ratchet started; empty once the four parts merged
NOT_YET_TRANSLATED: set[str] = set()

KEYWORDS = {**DEFAULT_KEYWORDS, 'N_': None, 'NP_': ((1, 'c'), 2)}


def french_catalog() -> dict[tuple[str | None, str], tuple[str, ...]]:
    """Every French translation, (context, English singular) → its forms, all parts together (messages.po first, as
    backoffice/i18n.py reads them)."""
    folder = LOCALE / 'fr' / 'LC_MESSAGES'
    merged: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for path in sorted(folder.glob('*.po'), key=lambda p: (p.name != 'messages.po', p.name)):
        with path.open('rb') as po:
            for message in read_po(po, locale='fr'):
                if not message.id or message.fuzzy:
                    continue
                singular = message.id if isinstance(message.id, str) else message.id[0]
                forms = message.string if isinstance(message.string, tuple) else (message.string,)
                if all(forms):
                    merged.setdefault((message.context, singular), tuple(forms))
    return merged


def marked_texts() -> Iterator[tuple[str, str, str | None]]:
    """(file, English text, context) of every text marked in the code that babel.cfg extracts."""
    for pattern in ('backoffice/**/*.py', 'components/**/*.py', 'pages/**/*.py', 'main.py'):
        for path in sorted(ROOT.glob(pattern)):
            if 'migrations' in path.parts:
                continue
            relative = path.relative_to(ROOT).as_posix()
            for _line, message, _comments, context in extract_from_file('python', str(path), keywords=KEYWORDS):
                yield relative, message if isinstance(message, str) else message[0], context
