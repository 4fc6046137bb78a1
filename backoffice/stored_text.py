"""Texts written now and read later (an order's timeline, notifications, system notes on requests, audit summaries,
backup checks, alerts that fired): stored as a msgid with its values, so each reader sees them in their own language,
values formatted for them; the English sentence is stored beside it, exact, for search, exports and rows written
before.

Write: `said = stored_text.sentence(N_('Shipped with {carrier}, tracking {tracking}'), carrier=…, tracking=…)`, then
keep `said.english` in the text column and `said.key` / `said.params` in the key and params columns.
Read: `stored_text.show(row.text, row.text_key, row.text_params)` in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from backoffice import formatting, i18n
from backoffice.i18n import NP_


@dataclass(frozen=True)
class Sentence:
    """A sentence to store: its msgid (marked with N_ where it is written) and its values, JSON-safe."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def english(self) -> str:
        """The sentence in the code's language, as stored in the text column."""
        with i18n.use(i18n.SOURCE_LOCALE), _stored():
            return self.shown()

    def shown(self) -> str:
        """The sentence in the current reader's language."""
        return _render(self.key, self.params)

    def as_json(self) -> dict[str, Any]:
        return {'key': self.key, 'params': self.params}


def sentence(key: str, **values: Any) -> Sentence:
    """A sentence with its values: text as it is (a number, an email, a SKU); numbers to group, amounts, percentages,
    instants, days, sizes and words to translate wrapped with `count`, `money`, `amount`, `percent`, `instant`, `day`,
    `size`, `word`;
    another `Sentence` inside."""
    return Sentence(key, {name: _encoded(value) for name, value in values.items()})


def count(value: int | float | Decimal) -> dict[str, Any]:
    """A quantity or a count, grouped as the reader writes numbers (1 234 in French); not an id or a number."""
    return {'number': str(value) if isinstance(value, Decimal) else value}


def money(value: Any, currency: str | None = None) -> dict[str, Any]:
    return {'money': str(value), 'currency': currency}


def amount(value: Any, currency: str) -> dict[str, Any]:
    """An amount with its currency, shown as `money` shows it (€1,234.50; French 1 234,50 €); stored as 1,234.50 EUR."""
    return {'amount': str(value), 'currency': currency}


def percent(ratio: Any, decimals: int = 0) -> dict[str, Any]:
    """A share as a percentage in the reader's way: 0.125 → 12.5% (French: 12,5 %) with one decimal."""
    return {'percent': str(ratio), 'decimals': decimals}


def instant(value: datetime) -> dict[str, Any]:
    return {'instant': value.isoformat()}


def day(value: date) -> dict[str, Any]:
    return {'day': value.isoformat()}


def size(count: int) -> dict[str, Any]:
    """A size in bytes as `formatting.size` writes it for the reader: '10.4 MB' (French: '10,4 Mo')."""
    return {'size': int(count)}


def word(msgid: str, context: str | None = None, *, capital: bool = False, lower: bool = False) -> dict[str, Any]:
    """A declared word (a status, a kind) translated where shown; the msgid is marked with N_ where it is declared.
    `capital`: its first letter upper case, in the reader's language ('Customer' / 'Client'); `lower`: all of it
    lower case, for a label inside a sentence ('time zone' / 'fuseau horaire')."""
    said: dict[str, Any] = {'word': msgid}
    if context:
        said['context'] = context
    if capital:
        said['capital'] = True
    if lower:
        said['lower'] = True
    return said


def counted(singular: str, plural: str, n: int) -> dict[str, Any]:
    """A count with its noun in the reader's plural form: counted('{n} order', '{n} orders', 3) → '3 commandes'."""
    return {'plural': [singular, plural], 'n': n}


# the separators a list may be stored with, each written the reader's way where it is shown (French: ' ; ')
SEPARATORS = (NP_('list separator', ', '), NP_('list separator', '; '))


def joined(items: list[Any], separator: str = ', ') -> dict[str, Any]:
    """Several values shown one after the other, comma-separated ('2 × MUG-1, 1 × TEE-2'), or with the other of the
    `SEPARATORS` ('; '), written the reader's way where it is shown (French: ' ; '), not the writer's."""
    if separator not in SEPARATORS:
        raise ValueError(f'a stored list is separated by one of {SEPARATORS!r}, not {separator!r}')
    said: dict[str, Any] = {'list': [_encoded(item) for item in items]}
    if separator != ', ':
        said['separator'] = separator
    return said


def reworded(former: str, key: str, *, counted_as: dict[str, tuple[str, str]]) -> None:
    """Rows stored with the msgid `former` (a key never changes in a row) are read as `key`, a sentence that says the
    same better: each value named in `counted_as`, stored with `count`, is read as `counted(singular, plural)` of its
    number ('1 lines' read as '1 line'). `former` stays marked with N_ where this is called, so the catalog keeps it."""
    _REWORDED[former] = (key, counted_as)


def formerly_plain(key: str, english: str | None = None) -> None:
    """Rows written before their sentence was stored with its msgid hold only its English text: one that reads
    `english` exactly ({name} where a value went; default: `key` itself, when the sentence did not change) is read as
    `key` with those values, as it stands in the text. `key` is marked with N_ where this is called."""
    pattern = re.split(r'\{(\w+)\}', english if english is not None else key)
    regex = ''.join(re.escape(part) if index % 2 == 0 else f'(?P<{part}>.+?)' for index, part in enumerate(pattern))
    _FORMERLY_PLAIN.append((re.compile(regex, re.DOTALL), key))


def recognised(text: str, heard: list[tuple[str, str]]) -> str | Sentence:
    """A message made of a text translated while `i18n.heard()` listened (a service's refusal, written in the job's
    language) as that text's `Sentence`, its values read back from the message; the message itself when none of them
    makes it (a person's or a server's words)."""
    for msgid, written in reversed(heard):
        parts = re.split(r'\{(\w+)\}', written)
        if len(parts) > 1 and len(set(parts[1::2])) != len(parts[1::2]):
            continue  # a value named twice: not read back
        regex = ''.join(re.escape(part) if index % 2 == 0 else f'(?P<{part}>.+?)' for index, part in enumerate(parts))
        found = re.fullmatch(regex, text, re.DOTALL)
        if found:
            return sentence(msgid, **found.groupdict())
    return text


def english(value: Any) -> str:
    """One value of a sentence (a `Sentence`, or what `count`, `money`, `counted`… return) in the code's language."""
    with i18n.use(i18n.SOURCE_LOCALE), _stored():
        return _value(_encoded(value))


def stored(text: str | Sentence) -> tuple[str, str | None, dict[str, Any] | None]:
    """What to store for a text: (English text, msgid, values); a plain str (a person's words, or not converted yet)
    has neither msgid nor values."""
    if isinstance(text, Sentence):
        return text.english, text.key, text.params
    return text, None, None


def restored(text: str, key: str | None = None, params: dict[str, Any] | None = None) -> str | Sentence:
    """A stored text as it was given, to hand on to another row or sentence (a gateway refund's reason to the refund
    it books): its `Sentence` when it has a msgid, else the text itself."""
    return Sentence(key, params or {}) if key else text


def show(text: str, key: str | None = None, params: dict[str, Any] | None = None) -> str:
    """A stored text in the reader's language: from its msgid and values when it has them; else (a row written before
    texts were stored so) its English text, translated when it is a known msgid ('Packed') or reads as one declared
    with `formerly_plain` ('Payment reminder 1 sent to …'), shown as stored if not."""
    if key:
        try:
            return _render(key, params or {})
        except (KeyError, ValueError, TypeError, IndexError, ArithmeticError):  # a broken row: what was stored
            return text
    if not text:
        return text
    if i18n.current() == i18n.SOURCE_LOCALE:  # what an English reader always read
        return text
    for pattern, former_key in _FORMERLY_PLAIN:
        found = pattern.fullmatch(text)
        if found:
            return _render(former_key, found.groupdict())
    # straight to the catalog, not through _(): an old free text missing there is data, not a missing translation
    return i18n.translations(i18n.current()).gettext(text)


def show_json(text: str, stored: dict[str, Any] | None) -> str:
    """`show` for a text kept as one JSON value ({'key', 'params'}: a backup's check file)."""
    if isinstance(stored, dict) and isinstance(stored.get('key'), str):
        return show(text, stored['key'], stored.get('params') if isinstance(stored.get('params'), dict) else {})
    return show(text)


# --- helpers ----------------------------------------------------------------------------------------------------------

_storing: ContextVar[bool] = ContextVar('stored_text_storing', default=False)


@contextmanager
def _stored() -> Iterator[None]:
    """While the English text to store is written: amounts as stored texts always said them (40.00 EUR)."""
    token = _storing.set(True)
    try:
        yield
    finally:
        _storing.reset(token)


def _encoded(value: Any) -> Any:
    if isinstance(value, Sentence):
        return value.as_json()
    if isinstance(value, dict | str) or value is None:
        return value
    if isinstance(value, bool):
        return formatting.yes_no(value)
    if isinstance(value, int):
        return str(value)  # an id or a number (#1042, order 103002): never grouped; wrap a quantity with count()
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, list | tuple):
        return joined(list(value))
    return str(value)


_REWORDED: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {}
_FORMERLY_PLAIN: list[tuple[re.Pattern[str], str]] = []


def _render(key: str, params: dict[str, Any]) -> str:
    if key in _REWORDED:
        key, counted_as = _REWORDED[key]
        params = {**params}
        for name, (singular, plural) in counted_as.items():
            number = params.get(name)
            if isinstance(number, dict) and 'number' in number:
                params[name] = counted(singular, plural, int(Decimal(str(number['number']))))
    return i18n.gettext(key).format(**{name: _value(value) for name, value in params.items()})


def _value(value: Any) -> str:
    if not isinstance(value, dict):
        return '' if value is None else str(value)
    if 'key' in value:
        return _render(value['key'], value.get('params') or {})
    if 'money' in value or 'amount' in value:
        amount = Decimal(value['money'] if 'money' in value else value['amount'])
        currency = value.get('currency')
        if _storing.get():  # the stored English text (search, exports, the API) keeps what it always said: 40.00 EUR
            if 'amount' in value:  # (an alert's KPI value: 1,234.50 EUR)
                return f'{formatting.number(amount, 2)} {currency}'
            return f'{amount} {currency}' if currency else str(amount)
        return formatting.money(amount, currency)  # on a screen: as every screen writes money (€40.00, 40,00 €)
    if 'percent' in value:
        return formatting.percent(Decimal(value['percent']), int(value.get('decimals') or 0))
    if 'number' in value:
        return formatting.number(Decimal(str(value['number'])))
    if 'instant' in value:
        return formatting.when(datetime.fromisoformat(value['instant']))
    if 'day' in value:
        return formatting.day(date.fromisoformat(value['day']))
    if 'size' in value:
        return formatting.size(int(value['size']))
    if 'word' in value:
        context = value.get('context')
        shown = i18n.pgettext(context, value['word']) if context else i18n.gettext(value['word'])
        if value.get('lower'):
            return shown.lower()
        return shown[:1].upper() + shown[1:] if value.get('capital') else shown
    if 'plural' in value:
        singular, plural = value['plural']
        return i18n.ngettext(singular, plural, int(value['n'])).format(n=formatting.number(int(value['n'])))
    if 'list' in value:
        items = [_value(item) for item in value['list']]
        separator = str(value.get('separator', ', '))
        if separator in SEPARATORS:  # (a row stored with another one shows it as stored)
            separator = i18n.pgettext('list separator', separator)
        return separator.join(items)
    raise ValueError(f'unknown stored value {value!r}')
