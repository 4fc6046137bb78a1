"""Field types shared by every form and API: they normalise the value or explain, in words, what is wrong."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator

from backoffice.i18n import _

_PHONE = re.compile(r'^\+?[0-9 ()./-]{6,30}$')
# C0/C1 controls, zero-width characters and bidirectional overrides: invisible, or they reorder what is shown
_HIDDEN = re.compile('[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]')
NAME_MAX = 80


def normalize_email(value: str) -> str:
    try:
        return validate_email((value or '').strip(), check_deliverability=False).normalized.lower()
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
        raise ValueError(
            _('Use at most {maximum} characters (this has {length})').format(maximum=maximum, length=len(value))
        )
    return value


def name_problem(value: str | None, *, maximum: int = NAME_MAX) -> str | None:
    """What is wrong with a name, in words, or None."""
    try:
        clean_name(value, maximum=maximum)
    except ValueError as error:
        return str(error)
    return None


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


def decimal_text(text: str) -> str:
    """A decimal typed by a person as Python reads it: '1,234.50' and '1.234,50' both mean 1234.50, '8,90' means
    8.90 (a comma or a point, whatever the browser's language); '1,234' is ambiguous and reads 1.234 (a money field
    then refuses its three decimals). Spaces (1 234, as the French group digits) are dropped."""
    text = re.sub(r'[\s\u00a0\u202f]', '', text)
    if ',' in text and '.' in text:
        thousands = '.' if text.rfind(',') > text.rfind('.') else ','
        text = text.replace(thousands, '')
    return text.replace(',', '.')


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
OptionalId = Annotated[int | None, BeforeValidator(_blank_is_none)]
WholeNumber = Annotated[int, BeforeValidator(whole)]  # bounds (ge, le) as Field(...) beside it
OptionalWholeNumber = Annotated[int | None, BeforeValidator(_optional_whole)]
TypedDecimal = Annotated[Decimal | None, BeforeValidator(typed_decimal)]  # 12,50 or 12.50; empty is None
