"""Field types shared by every form and API: they normalise the value or explain, in words, what is wrong."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from annotated_types import Ge, Le
from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator

from backoffice import formatting, i18n
from backoffice.i18n import N_, _

_PHONE = re.compile(r'^\+?[0-9 ()./-]{6,}$')
# C0/C1 controls, zero-width characters and bidirectional overrides: invisible, or they reorder what is shown
_HIDDEN = re.compile('[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]')
NAME_MAX = 80
INT32_MAX = 2**31 - 1  # an INTEGER column on PostgreSQL: a number looked up there is bounded by it, not by 64 bits
PHONE_MAX = 40  # a phone number's column and its fields' count
EMAIL_MAX = 254  # the most an address may have (RFC 5321's path less its brackets), and every email column's length
MAX_AMOUNT = Decimal('1e10')  # no typed amount reaches ten billion (a price, a payment, a refund)


def normalize_email(value: str) -> str:
    """An email address as stored (normalized, lower case), or ValueError in words: one longer than any address may
    be is refused with both figures, as its field counts them, not only called invalid."""
    text = (value or '').strip()
    if len(text) > EMAIL_MAX:
        raise ValueError(too_long(EMAIL_MAX, len(text)))
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(_('Enter a valid email address')) from error


INTRANET_SUFFIXES = ('local', 'lan', 'internal', 'intranet', 'corp', 'home', 'localdomain')


def normalize_staff_email(value: str) -> str:
    """A member of staff's email: as for anyone, but an intranet domain is fine too (someone@corp.local,
    @company.lan, @intranet): staff of a company's own network sign in with the addresses it gives them. Customers'
    emails stay strict (normalize_email)."""
    text = (value or '').strip()
    try:
        return normalize_email(text)
    except ValueError:
        if len(text) > EMAIL_MAX:  # too long for any domain: said with its length
            raise
        local, _at, domain = text.rpartition('@')
        labels = domain.lower().rstrip('.').split('.')
        if not local or not domain or (len(labels) > 1 and labels[-1] not in INTRANET_SUFFIXES):
            raise
        # the syntax checked as if it were an ordinary domain: 'local' is reserved, so it is checked as 'lan'
        stand_in = '.'.join(labels[:-1] + ['lan']) if labels[-1] == 'local' else domain
        try:
            checked = validate_email(f'{local}@{stand_in}', check_deliverability=False, globally_deliverable=False)
        except EmailNotValidError as error:
            raise ValueError(_('Enter a valid email address')) from error
        return f'{checked.local_part}@{domain}'.lower()


def _phone(value: str | None) -> str | None:
    value = (value or '').strip()
    if not value:
        return None
    if len(value) > PHONE_MAX:  # said with both figures, as its field counts them
        raise ValueError(too_long(PHONE_MAX, len(value)))
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 6:
        raise ValueError(_('Enter a phone number: digits, spaces and an optional leading +'))
    return value


def clean_name(value: str | None, *, maximum: int = NAME_MAX) -> str:
    """A name people give a thing (a segment, a view, a key, a webhook): trimmed, 1..maximum characters, nothing
    invisible. Quotes and brackets are allowed — every screen shows a name as text."""
    value = (value or '').strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        raise ValueError(_('Give it a name'))
    if _HIDDEN.search(value):
        raise ValueError(_('Use letters, digits, spaces and punctuation only (no control or invisible characters)'))
    if len(value) > maximum:
        raise ValueError(too_long(maximum, len(value)))
    return value


def name_problem(value: str | None, *, maximum: int = NAME_MAX) -> str | None:
    """What is wrong with a name, in words, or None."""
    try:
        clean_name(value, maximum=maximum)
    except ValueError as error:
        return str(error)
    return None


def typed_line(value: Any, *, maximum: int) -> str:
    """Text a person typed, on one line (spaces and line breaks folded): longer than `maximum` is refused in words,
    never cut (the part cut off would be lost unseen)."""
    text = ' '.join(str(value or '').split())
    if len(text) > maximum:
        raise ValueError(too_long(maximum, len(text)))
    return text


def too_long(maximum: int, length: int) -> str:
    """Why a text is refused, said the same way by every form, service and API: the limit and the text's own length,
    both with the reader's separators ("Use at most 2,000 characters (this has 2,001)", French "2 000"), as the
    fields' counters show them."""
    return _('Use at most {maximum} characters (this has {length})').format(
        maximum=formatting.number(maximum), length=formatting.number(length)
    )


def has_hidden_characters(value: str) -> bool:
    """Whether a text holds a control, an invisible character or a bidirectional override (shown, it would hide or
    reorder what follows it)."""
    return bool(_HIDDEN.search(value))


def web_address(value: str | None) -> str:
    """'' or an http(s) address: anything else (javascript:, data:, a path) must never become a link."""
    value = (value or '').strip()
    if not value:
        return ''
    if not re.match(r'^https?://[^\s/?#]+', value, re.IGNORECASE) or _HIDDEN.search(value):
        raise ValueError(_('Enter an address that starts with https:// (or http://)'))
    return value


def is_web_address(value: str | None) -> bool:
    try:
        return bool(web_address(value))
    except ValueError:
        return False


def _required_text(value: str) -> str:
    value = (value or '').strip()
    if not value:
        raise ValueError(_('This field is required'))
    return value


def _optional_text(value: str | None) -> str | None:
    value = (value or '').strip() if isinstance(value, str) or value is None else value
    return value or None


# a currency people type beside an amount ('€12', '12 €', 'EUR 12', '12,50 EUR'): dropped, the amount is what counts
_CURRENCY = re.compile(r'^(?:[€$£¥]|eur|usd|gbp|chf)|(?:[€$£¥]|eur|usd|gbp|chf)$', re.IGNORECASE)
_TYPED_NUMBER = re.compile(r'^[+-]?[0-9.,]*[0-9][0-9.,]*$')
_SEPARATOR_WORDS = {',': N_('the comma'), '.': N_('the point')}


def decimal_text(text: str, language: str | None = None) -> str:
    """A decimal typed by a person as Python reads it, the one reading of typed amounts (a price, a payment, a refund,
    a filter): spaces (1 234, the French grouping) and a currency ('€12', '12 €', '12 EUR') are dropped; with both a
    comma and a point the last one separates decimals ('1,234.50' and '1.234,50' both mean 1234.50); one separator
    followed by other than three digits separates decimals ('8,90', '8.9'); several are groups ('1,234,567').
    One separator followed by exactly three digits is read in the reader's language (`i18n.current()`): a group in
    English ('1,234' = 1234), decimals where it is the decimal separator ('1,234' in French = 1,234), and refused
    (ValueError, saying why) where the language uses neither ('1.234' in French: 1234 or 1,234?). Text that is not a
    number comes back as it is, for Decimal to refuse."""
    text = re.sub(r'[\s\u00a0\u202f]', '', text).replace('\u2212', '-')  # '−12' as the minus sign
    sign = text[:1] if text[:1] in '+-' else ''
    bare = _CURRENCY.sub('', text[len(sign) :], count=1)
    if bare[:1] in '+-' and not sign:  # '€-12'
        sign, bare = bare[:1], bare[1:]
    if not _TYPED_NUMBER.match(sign + bare):
        return text
    commas, points = bare.count(','), bare.count('.')
    if commas and points:
        decimal = ',' if bare.rfind(',') > bare.rfind('.') else '.'
        group = '.' if decimal == ',' else ','
        whole, _sep, fraction = bare.rpartition(decimal)
        if group in fraction or decimal in whole:
            return text
        return sign + whole.replace(group, '') + '.' + fraction
    if not (commas or points):
        return sign + bare
    separator = ',' if commas else '.'
    parts = bare.split(separator)
    if len(parts) > 2:  # groups: '1,234,567'
        if not parts[0] or any(len(part) != 3 for part in parts[1:]):
            return text
        return sign + ''.join(parts)
    whole, fraction = parts
    if len(fraction) != 3 or whole.strip('0') == '':
        return sign + whole + '.' + fraction
    language = language or i18n.current()
    if separator == get_group_symbol(language):
        return sign + whole + fraction
    if separator == get_decimal_symbol(language):
        return sign + whole + '.' + fraction
    decimal = get_decimal_symbol(language)
    raise ValueError(
        _('Is “{typed}” {whole}, or {whole_part} and decimals? Type {plain}, or use {decimal} for decimals').format(
            typed=text,
            whole=format_decimal(int(whole + fraction), locale=language),
            whole_part=whole,
            plain=whole + fraction,
            decimal=_(_SEPARATOR_WORDS[decimal]) if decimal in _SEPARATOR_WORDS else decimal,
        )
    )


def typed_money(value: Any) -> Decimal:
    """An amount typed or sent ('1,234.50', '1 234,50', '€12', '12 €', Decimal('12.5'), 12) as a Decimal of cents;
    ValueError in words when it is not one: not a number, ambiguous in the reader's language, or more than two
    decimals (saying how the reader's language read it: '1,234' in French has three decimals)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(_('Enter an amount, e.g. 12.50'))
    if isinstance(value, float):
        value = str(value)
    typed = value if isinstance(value, str) else ''
    try:
        amount = value if isinstance(value, Decimal) else Decimal(decimal_text(str(value)))
    except InvalidOperation:
        raise ValueError(_('Enter an amount, e.g. 12.50')) from None
    if not amount.is_finite():
        raise ValueError(_('Enter an amount, e.g. 12.50'))
    if abs(amount) >= MAX_AMOUNT:  # first: quantizing a huge number fails
        raise ValueError(_('Enter an amount below 10,000,000,000'))
    if amount != amount.quantize(Decimal('0.01')):
        separator = next((c for c in reversed(typed) if c in ',.'), '')
        said_by_language = separator == get_decimal_symbol(i18n.current()) and typed.count(separator) == 1
        if said_by_language and abs(amount) >= 1 and len(re.sub(r'\D', '', typed.rpartition(separator)[2])) == 3:
            said = _(
                'Use at most two decimals (in {language}, {separator} separates decimals: for {whole}, type {plain})'
            )
            raise ValueError(
                said.format(
                    language=Locale.parse(i18n.current()).get_display_name(i18n.current()),
                    separator=_(_SEPARATOR_WORDS[separator]),
                    whole=format_decimal(amount * 1000, '#,##0', locale=i18n.current()),
                    plain=f'{amount * 1000:f}'.split('.')[0],
                )
            )
        raise ValueError(_('Use at most two decimals'))
    return amount.quantize(Decimal('0.01')) + 0  # + 0: '-0' (a spreadsheet's) is 0.00, never shown as -€0.00


def typed_decimal(value):
    """A decimal field's value before pydantic reads it: typed text with a comma or a point; empty is None; text
    that is not a number (or NaN, Infinity) is refused with 'Enter a number'."""
    if not isinstance(value, str):
        return value
    text = decimal_text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_('Enter a number')) from None
    if not number.is_finite():
        raise ValueError(_('Enter a number'))
    return number


_WHOLE = re.compile(r'^[+-]?\d+$')


def whole(value):
    """A whole number as typed (text) or sent (an int), else ValueError 'Enter a whole number': '1,5' is refused,
    never read as 15 or 1; '1 234' (the French grouping) is 1234."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = re.sub(r'[\s\u00a0\u202f]', '', value) if isinstance(value, str) else ''
    if not _WHOLE.match(text):
        raise ValueError(_('Enter a whole number'))
    return int(text)


def _optional_whole(value):
    return None if value is None or (isinstance(value, str) and not value.strip()) else whole(value)


def _blank_is_none(value):
    return None if value == '' else value


Email = Annotated[str, AfterValidator(normalize_email)]
Phone = Annotated[str | None, AfterValidator(_phone)]
RequiredText = Annotated[str, BeforeValidator(lambda v: '' if v is None else v), AfterValidator(_required_text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
Name = Annotated[str, BeforeValidator(lambda v: '' if v is None else v), AfterValidator(clean_name)]
LongName = Annotated[
    str, BeforeValidator(lambda v: '' if v is None else v), AfterValidator(lambda v: clean_name(v, maximum=120))
]  # a canned reply's title, a carrier
WebAddress = Annotated[str, BeforeValidator(lambda v: '' if v is None else v), AfterValidator(web_address)]
# a record's id, or none: bounded as /api/v1's `Id` is (an id past INTEGER was looked up, and PostgreSQL failed)
OptionalId = Annotated[Annotated[int, Ge(1), Le(INT32_MAX)] | None, BeforeValidator(_blank_is_none)]
WholeNumber = Annotated[int, BeforeValidator(whole)]  # bounds (ge, le) as Field(...) beside it
OptionalWholeNumber = Annotated[int | None, BeforeValidator(_optional_whole)]
TypedDecimal = Annotated[Decimal | None, BeforeValidator(typed_decimal)]  # 12,50 or 12.50; empty is None
