"""Translation: every user-facing text passes through `_` / `ngettext` here, in the reader's language (gettext
catalogs in backoffice/locale, read with Babel; `make translations` extracts and updates them)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name('locale')
DOMAIN = 'messages'
SOURCE_LOCALE = 'en'  # the language the code is written in: it needs no catalog


def available() -> dict[str, str]:
    """The languages one may choose, code → its own name: English, and every catalog in backoffice/locale (a third
    language is a new folder there, no code; read once per process)."""
    return dict(_available())


@cache
def _available() -> dict[str, str]:
    from babel import Locale

    codes = [SOURCE_LOCALE] + sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f'*/LC_MESSAGES/{DOMAIN}.po'))
    return {code: (Locale.parse(code).get_display_name(code) or code).capitalize() for code in codes}


@lru_cache(maxsize=256)
def _supported(code: str) -> str | None:
    base = code.replace('-', '_').split('_')[0].strip().lower()
    return base if base in _available() else None


def supported(code: str | None) -> str | None:
    """The available language a code (fr, fr-FR, fr_CA, FR) stands for, or None."""
    if not code or len(code) > 35:
        return None
    return _supported(code)


def from_accept_language(header: str | None) -> str | None:
    """The first available language of a browser's Accept-Language ('fr-CH, fr;q=0.9, en;q=0.8'), by preference."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(',')[:20]):
        tag, _sep, params = part.strip().partition(';')
        quality = 1.0
        if params.strip().startswith('q='):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    for _quality, _position, tag in sorted(ranked):
        code = supported(tag)
        if code is not None:
            return code
    return None


_current: ContextVar[str | None] = ContextVar('backoffice_locale', default=None)
_resolver: Callable[[], str | None] | None = None
_default: Callable[[], str] = lambda: SOURCE_LOCALE  # noqa: E731 (replaced by the settings at start-up)


def set_resolver(resolver: Callable[[], str | None]) -> None:
    """How to find the reader's language when no `use()` block says it (the UI: the signed-in user's choice)."""
    global _resolver
    _resolver = resolver


def set_default(default: Callable[[], str]) -> None:
    """The language when nothing else says (the settings' default language)."""
    global _default
    _default = default


def _default_language() -> str:
    try:
        return supported(_default()) or SOURCE_LOCALE
    except Exception:  # the settings unreadable: the code's own language
        return SOURCE_LOCALE


def current() -> str:
    """The language texts are being written in now."""
    chosen = _current.get()
    if chosen is None and _resolver is not None:
        try:
            chosen = _resolver()
        except Exception:  # no page, no user: fall through to the default
            chosen = None
    return supported(chosen) or _default_language()


@contextmanager
def use(locale: str | None) -> Iterator[str]:
    """Write in this language within the block (an email or PDF in its recipient's language, a job, a test). None or
    a language not available means the default language (a customer without one), never the page reader's."""
    token = _current.set(supported(locale) or _default_language())
    try:
        yield current()
    finally:
        _current.reset(token)


_extension_folders: list[Path] = []


def add_catalogs(folder: Path) -> None:
    """An extension's own catalogs (`<folder>/<code>/LC_MESSAGES/*.po`), read after the core's: the core's wins."""
    if folder not in _extension_folders:
        _extension_folders.append(folder)
        translations.cache_clear()


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a language, read once per process from its messages.po, then from any other .po file
    beside it (a part translated on its own, e.g. pages.po, to be folded into messages.po; messages.po wins), then
    from the installed extensions' catalogs."""
    folder = LOCALE_DIR / locale / 'LC_MESSAGES'
    files = sorted(folder.glob('*.po'), key=lambda path: (path.name != f'{DOMAIN}.po', path.name))
    files += [path for extra in _extension_folders for path in sorted((extra / locale / 'LC_MESSAGES').glob('*.po'))]
    if locale == SOURCE_LOCALE or not files:
        return NullTranslations()
    merged: Translations | None = None
    for path in files:
        with path.open('rb') as po:
            catalog = read_po(po, locale=locale, domain=DOMAIN)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)  # untranslated and fuzzy entries are left out: they show in English
        compiled.seek(0)
        part = Translations(compiled, domain=DOMAIN)
        if merged is None:
            merged = part
        else:
            for key, value in part._catalog.items():  # gettext's own table
                merged._catalog.setdefault(key, value)
    return merged or NullTranslations()


_missing: Callable[[str, str], None] | None = None


def on_missing(hook: Callable[[str, str], None] | None) -> None:
    """Tests: call hook(locale, message) for every text asked for in a language whose catalog lacks it."""
    global _missing
    _missing = hook


def _check(locale: str, message: str) -> None:
    if _missing is not None and locale != SOURCE_LOCALE and message:
        catalog = getattr(translations(locale), '_catalog', {})
        if message not in catalog:
            _missing(locale, message)


_heard: ContextVar[list[tuple[str, str]] | None] = ContextVar('backoffice_heard', default=None)


@contextmanager
def heard() -> Iterator[list[tuple[str, str]]]:
    """The texts translated within the block, (msgid, as written), for a message made of them to be stored as its
    msgid afterwards (a service's refusal: `stored_text.recognised`)."""
    found: list[tuple[str, str]] = []
    token = _heard.set(found)
    try:
        yield found
    finally:
        _heard.reset(token)


def gettext(message: str) -> str:
    if isinstance(message, InContext):  # a declared word with its context (NP_), shown through the engine's `_`
        return pgettext(message.context, str(message))
    locale = current()
    if _missing is not None:
        _check(locale, message)
    written = translations(locale).gettext(message)
    listening = _heard.get()
    if listening is not None:
        listening.append((message, written))
    return written


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for n ("1 customer matches" / "2 customers match"); the caller formats n in: `.format(n=n)`."""
    locale = current()
    if (
        _missing is not None
        and locale != SOURCE_LOCALE
        and (singular, 0) not in getattr(translations(locale), '_catalog', {})
    ):
        _missing(locale, singular)
    return translations(locale).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A text whose translation depends on where it is (e.g. 'Open' a status vs 'Open' a button)."""
    locale = current()
    if _missing is not None:
        _check(locale, f'{context}\x04{message}')
    return str(translations(locale).pgettext(context, message))


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Marks a text for the catalog where it is declared (a label in a declaration), translated where it is shown."""
    return message


class Verbatim(str):
    """A declared text shown as it is in every language, never looked up: a language's own name among the choices
    ("English", "Français"), so that a new language needs no translation of its name."""

    __slots__ = ()


class InContext(str):
    """A declared text with the context that tells its translation apart (see NP_)."""

    __slots__ = ('context',)
    context: str


def NP_(context: str, message: str) -> str:  # noqa: N802 (as N_, with pgettext's context)
    """N_ for a declared word whose translation depends on where it is: `NP_('amount', 'Paid')` is a column of sums
    ("Payé"), not the status Paid ("Payée"); shown with pgettext where it is displayed."""
    marked = InContext(message)
    marked.context = context
    return marked
