"""How values read for a person, in one place: dates, times, durations, numbers, money and field values, for lists,
forms, PDFs, messages and the dashboard alike, in the reader's language (i18n.current(): the signed-in user's, or the
recipient's inside `with i18n.use(...)`) and the time zone from the settings.

English keeps the unambiguous formats the app always had (2026-12-03, 14:05); numbers and money follow Babel's CLDR
data in every language (€1,234.50; French: 03/12/2026, 1 234,50 €), so a third language needs no code here.
Machine values (CSV/XLSX exports, the API, stored data) never pass through this module."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import (
    NumberPattern,
    format_compact_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    parse_pattern,
)

from backoffice import i18n
from backoffice.i18n import N_, _, ngettext

NOTHING = '—'


def day(value: date | datetime | None) -> str:
    """A calendar day: 2026-12-03 in English, 03/12/2026 in French (a datetime is taken in the settings' time zone)."""
    if value is None:
        return NOTHING
    if isinstance(value, datetime):
        value = _local(value).date()
    locale = i18n.current()
    if locale == i18n.SOURCE_LOCALE:
        return f'{value.year:04d}-{value.month:02d}-{value.day:02d}'
    return format_date(value, 'short', locale=locale)


def month(value: date | None) -> str:
    """A calendar month: 2026-12 in English, « déc. 2026 » in French (a report's month, a cohort)."""
    if value is None:
        return NOTHING
    locale = i18n.current()
    if locale == i18n.SOURCE_LOCALE:
        return f'{value.year:04d}-{value.month:02d}'
    return format_skeleton('yMMM', value, locale=locale)


def days(first: date, last: date) -> str:
    """A span of days: 2026-11-04 – 2026-12-03; one day alone is that day (a one-day custom period on the dashboard,
    a daily digest read "2026-11-03 – 2026-11-03")."""
    return day(first) if first == last else f'{day(first)} – {day(last)}'


def when(value: datetime | None) -> str:
    """An instant in the settings' time zone, the zone said: 2026-12-03 14:05 UTC (French: 03/12/2026 14:05 UTC)."""
    if value is None:
        return NOTHING
    local = _local(value)
    return f'{day(local.date())} {local.hour:02d}:{local.minute:02d} {local.tzname() or time_zone()}'


def clock(value: datetime | None, zone: str | None = None) -> str:
    """The time of day in a time zone (the settings' when none is given), for rows of one day: 14:05."""
    if value is None:
        return ''
    value = _utc(value).astimezone(_zone(zone or time_zone()))
    return f'{value.hour:02d}:{value.minute:02d}'


def utc_time_of_day(hour: int, minute: int, now: datetime | None = None) -> str:
    """A time of day fixed in UTC (a nightly job's 02:30), as it reads today in the settings' time zone, the zone said:
    03:30 CET in Paris in winter."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    local = _local(moment)
    return f'{local.hour:02d}:{local.minute:02d} {local.tzname() or time_zone()}'


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago: '3 days ago', 'just now' (French: 'il y a 3 jours', « à l'instant »)."""
    if value is None:
        return _('never')
    seconds = int(((now or datetime.now(UTC)) - _utc(value)).total_seconds())
    if seconds >= 86400:
        count = seconds // 86400
        return ngettext('{count} day ago', '{count} days ago', count).format(count=count)
    if seconds >= 3600:
        count = seconds // 3600
        return ngettext('{count} hour ago', '{count} hours ago', count).format(count=count)
    if seconds >= 60:
        count = seconds // 60
        return ngettext('{count} minute ago', '{count} minutes ago', count).format(count=count)
    return _('just now')


def due(value: datetime | None, now: datetime | None = None) -> str:
    """A deadline counting down: 'in 2 h 05 min', or 'overdue 35 min' once it has passed."""
    if value is None:
        return ''
    seconds = int((_utc(value) - (now or datetime.now(UTC))).total_seconds())
    minutes = abs(seconds) // 60
    days_, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days_:
        span = _('{days} d {hours} h').format(days=days_, hours=hours)
    elif hours:
        span = _('{hours} h {minutes} min').format(hours=hours, minutes=f'{minutes:02d}')
    elif minutes:
        span = _('{minutes} min').format(minutes=minutes)
    else:
        span = _('< 1 min')  # not 'in 0 min'
    return _('in {span}').format(span=span) if seconds >= 0 else _('overdue {span}').format(span=span)


def is_past(value: datetime, now: datetime | None = None) -> bool:
    """Whether a deadline `due` says has passed ('overdue …')."""
    return _utc(value) < (now or datetime.now(UTC))


def money(value: Any, currency: str | None = None, decimals: int = 2) -> str:
    """An amount with its currency, the one way every screen writes money, as Babel (CLDR) writes it in the reader's
    language: '€1,234.50', '-€18.90', '$1,250.50', 'CHF 42.00' in English; '1 234,50 €', '42,00 CHF' in French.
    `decimals=0` for a big KPI card's whole number (€21,620; 21 620 €). Without a currency: the number alone, with
    the reader's separators (1,234.50)."""
    amount = Decimal(value) if not isinstance(value, float) else Decimal(str(value))
    locale = i18n.current()
    if currency is None:
        return format_decimal(amount, '#,##0' + ('.' + '0' * decimals if decimals else ''), locale=locale)
    text = _currency_pattern(locale, decimals).apply(amount, _locale(locale), currency=currency, currency_digits=False)
    return _spaced(text, _symbol(currency, locale))


@cache
def _currency_pattern(locale: str, decimals: int) -> NumberPattern:
    """The language's money pattern with these decimals, parsed once (a list writes many amounts)."""
    places = '.' + '0' * decimals if decimals else ''
    return parse_pattern(re.sub(r'0\.0+', '0' + places, _locale(locale).currency_formats['standard'].pattern))


@cache
def currency_symbol(currency: str | None = None) -> str:
    """The currency's symbol in the reader's language (the shop's currency by default): '€', '$', 'CHF'."""
    return _symbol(currency or shop_currency(), i18n.current())


def _symbol(currency: str, locale: str) -> str:
    return get_currency_symbol(currency, locale=locale)


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)  # parsed once: Babel parses a code again on every call given one


def millions(value: Any, currency: str) -> str:
    """A large amount short enough for a phone-wide card, in the same style: €1.23M (French: 1,23 M €)."""
    locale = i18n.current()
    text = format_compact_currency(value, currency, locale=locale, fraction_digits=2)
    return _spaced(text, _symbol(currency, locale))


def typed_amount(value: Any) -> str:
    """An amount put in a field for the reader to confirm or change, as they would type it: 40.00 (French: 40,00),
    no thousands separator and no currency (the services read a decimal comma, not a grouped number)."""
    return format_decimal(Decimal(str(value)), '0.00', locale=i18n.current())


def typed_percent(value: Any) -> str:
    """A percent put in a field as the reader would type it: 12.5 (French: 12,5), no '%'; '' for none."""
    number = Decimal(str(value or 0))
    return format_decimal(number, '0.##', locale=i18n.current()) if number else ''


def currency_affixes(currency: str) -> tuple[str, str]:
    """What stands before and after the digits of an amount in this currency in the reader's language: ('€', '') in
    English, ('', ' €') in French, ('CHF ', '') for a code; a chart's money axis writes its ticks with them (d3's
    currency format, components/kpi_widgets.money_axis), so they read as `money` writes amounts (−€500, −500 €)."""
    sample = money(1, currency, 0)
    digit = re.search(r'\d', sample)
    last = max(i for i, c in enumerate(sample) if c.isdigit())
    before, after = sample[: digit.start()] if digit else '', sample[last + 1 :]
    return before.lstrip('-'), after


def _spaced(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel does not apply: a symbol made of letters stands apart from the digits
    beside it by a no-break space ('CHF 42.00', not 'CHF42.00'); a sign (€, $) stays against them."""
    if not symbol or not (symbol[0].isalpha() or symbol[-1].isalpha()):
        return text
    if symbol[-1].isalpha():
        text = re.sub(re.escape(symbol) + r'(?=\d)', symbol + '\u00a0', text)
    if symbol[0].isalpha():
        text = re.sub(r'(?<=\d)' + re.escape(symbol), '\u00a0' + symbol, text)
    return text


def plural_count(value: Any, decimals: int = 0) -> int:
    """The n to hand ngettext for a quantity written with `decimals` places: gettext's rules read whole numbers, the
    reader's language reads what is written — French puts 0,5 and 1,5 in the singular (1,5 jour, 0,3 pt), English
    says 1.0 days and 0.5 pts. 1 for the language's 'one', else the whole part (at least 2)."""
    written = Decimal(str(value or 0)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if Locale.parse(i18n.current()).plural_form(abs(written)) == 'one':
        return 1
    return max(2, int(abs(written)))


def number(value: Any, decimals: int | None = None) -> str:
    """A count or a quantity with the reader's separators: 12,345 (French: 12 345); `decimals` fixes the places."""
    if value is None:
        return ''
    if decimals is None:
        pattern = '#,##0.##' if isinstance(value, float | Decimal) and value != int(value) else '#,##0'
    else:
        pattern = '#,##0' + ('.' + '0' * decimals if decimals else '')
    return format_decimal(value, pattern, locale=i18n.current())


def spreadsheet_separator() -> str:
    """The CSV separator the reader's spreadsheet expects: ';' where the decimal mark is a comma (Excel in French reads
    a comma-separated file as one column), else ','."""
    return ';' if Locale.parse(i18n.current()).number_symbols['latn']['decimal'] == ',' else ','


def elapsed(milliseconds: int | None) -> str:
    """How long something took: 40 ms, 2.5 s, 3 min 5 s (French: 2,5 s)."""
    if milliseconds is None:
        return ''
    if milliseconds < 1000:
        return _('{count} ms').format(count=number(milliseconds))
    if milliseconds < 60_000:
        return _('{count} s').format(count=number(round(milliseconds / 1000, 1), 1))
    minutes, seconds = divmod(round(milliseconds / 1000), 60)
    return _('{minutes} min {seconds} s').format(minutes=number(minutes), seconds=seconds)


def percent(ratio: Any, decimals: int = 0) -> str:
    """A share as a percentage: 0.125 → 13% with no decimals, 12.5% with one (French: 12,5 %). Rounded half up on
    the decimal value (0.0965 → 9.7%), as a person rounds, not half to even."""
    if ratio is None:
        return ''
    locale = i18n.current()
    pattern = Locale.parse(locale).percent_formats[None].pattern  # French: '#,##0 %' (a no-break space)
    if decimals:
        pattern = pattern.replace('#,##0', '#,##0.' + '0' * decimals, 1)
    exact = Decimal(str(ratio))
    if exact.is_finite():
        exact = (exact * 100).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP) / 100
    return format_percent(exact, pattern, locale=locale)


def percent_sign() -> str:
    """What follows the digits of a percentage in the reader's language: '%' in English, ' %' (a no-break space) in
    French; a chart's percent axis writes its ticks with it."""
    return percent(0).lstrip('0')


def shortens_thousands_as_d3() -> bool:
    """Whether the reader writes 20 thousand as d3's SI format does on a chart's axis, the letter glued to the digits
    (English 20K/20k); French writes 20 k (a space) or the whole 20 000."""
    pattern = Locale.parse(i18n.current()).compact_decimal_formats['short']['other']['1000'].pattern
    return re.fullmatch(r'0+[kK]', pattern) is not None


def kpi_percent(value: Any, decimals: int = 1) -> str:
    """A KPI or a change counted in percent (9.65 means 9.65 %), as the dashboard, goals, alerts and the digest all
    write it: 9.7% (French: 9,7 %), from the decimal value, never from a float divided by 100 (9.65 / 100 is
    0.09649…, which rounds to 9.6)."""
    if value is None:
        return ''
    return percent(Decimal(str(value)) / 100, decimals)


def size(count: int) -> str:
    """A size in bytes as a person reads it, in the largest unit under 1,024 once rounded, with one decimal rounded half
    up: '512 bytes', '1.3 MB' for 1.25 MB (French: '512 octets', '1,3 Mo'). Rounded in decimals, not as a float (whose
    1.25 Babel rounds half to even, 1.2), and the unit chosen after rounding (a byte short of 1 MB is '1.0 MB', never
    '1,024.0 KB')."""
    if count < 1024:
        return ngettext('{size} byte', '{size} bytes', count).format(size=number(count))
    value = Decimal(count)
    for unit in UNITS:
        value /= 1024
        shown = value.quantize(TENTH, ROUND_HALF_UP)
        if shown < 1024 or unit is UNITS[-1]:
            break
    return _(unit).format(size=number(shown, 1))


TENTH = Decimal('0.1')
UNITS = (N_('{size} KB'), N_('{size} MB'), N_('{size} GB'), N_('{size} TB'))


def yes_no(value: Any) -> str:
    return _('Yes') if value else _('No')


def label(value: Any, choices: dict[str, str] | None) -> str:
    """A stored choice (a status, a type) by its label in the reader's language, never its raw value. Choice tables
    hold English labels marked with N_(): they are translated here."""
    if value is None or value == '':
        return ''
    key = value.value if isinstance(value, Enum) else value
    text = (choices or {}).get(key)
    if not text:
        return str(key).replace('_', ' ').capitalize()
    if text == key or isinstance(text, i18n.Verbatim):  # its own code (EUR) is no word; a language's own name
        return str(text)
    context = getattr(text, 'context', None)  # declared with NP_: a word whose translation depends on what it is of
    return i18n.pgettext(context, text) if context else _(text)  # labels are declared with N_


def display_value(
    value: Any, kind: str = 'text', choices: dict[str, str] | None = None, currency: str | None = None
) -> str:
    """A field's value as a person reads it in a list, a form or a message (money in `currency`)."""
    if value is None or value == '':
        return ''
    if kind == 'bool':
        return yes_no(value)
    if kind == 'choice' and choices:
        return label(value, choices)
    if kind == 'money':
        return money(value, currency)
    if kind == 'number' and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return number(value)  # a quantity or a count (1 234 in French); numbers that name things are 'text' columns
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ', '.join(str(item) for item in value)
    return str(value)


_shop_currency: Callable[[], str] = lambda: 'EUR'  # noqa: E731 (the settings' once app_settings loads)


def set_shop_currency(currency: Callable[[], str]) -> None:
    """Where the shop's currency comes from (app_settings registers the setting, as for the time zone)."""
    global _shop_currency
    _shop_currency = currency


def shop_currency() -> str:
    """The shop's currency, which prices, purchases and KPIs are in (EUR without a database)."""
    return _shop_currency() or 'EUR'


_time_zone: Callable[[], str] = lambda: 'UTC'  # noqa: E731 (the settings' once backoffice.services.app_settings loads)


def set_time_zone(zone: Callable[[], str]) -> None:
    """Where the time zone of dates and times comes from (app_settings registers the setting; this module imports
    nothing of the services)."""
    global _time_zone
    _time_zone = zone


def time_zone() -> str:
    """The settings' time zone (read at most every few seconds; UTC without a database)."""
    return _time_zone() or 'UTC'


def moment_in_zone(moment: str) -> str:
    """A stored instant as a form holds it ('2030-01-02T08:30', UTC) → the same instant in the settings' time zone,
    as a person types it ('2030-01-02T09:30' in Paris); anything else as it is."""
    try:
        instant = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    return _local(instant).strftime('%Y-%m-%dT%H:%M')


def moment_from_zone(moment: str) -> str:
    """A time typed in the settings' time zone ('2030-01-02T09:30' in Paris) → the instant a form sends, in UTC
    ('2030-01-02T08:30'); anything else as it is (the service refuses it at the field). A time a clock change skips or
    repeats is read as the first such time."""
    try:
        typed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if typed.tzinfo is not None:
        return _utc(typed).strftime('%Y-%m-%dT%H:%M')
    return typed.replace(tzinfo=_zone(time_zone())).astimezone(UTC).strftime('%Y-%m-%dT%H:%M')


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo('UTC')


def _local(value: datetime) -> datetime:
    return _utc(value).astimezone(_zone(time_zone()))


def _utc(value: datetime) -> datetime:
    """Stored instants are UTC; a naive one (SQLite hands some back so) is taken as UTC, not as the machine's time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
