"""Field types shared by every form and API: they normalise the value or explain, in words, what is wrong."""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator

_PHONE = re.compile(r'^\+?[0-9 ()./-]{6,30}$')


def normalize_email(value: str) -> str:
    try:
        return validate_email((value or '').strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError('Enter a valid email address') from error


def _phone(value: str | None) -> str | None:
    value = (value or '').strip()
    if not value:
        return None
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 6:
        raise ValueError('Enter a phone number: digits, spaces and an optional leading +')
    return value


def _required_text(value: str) -> str:
    value = (value or '').strip()
    if not value:
        raise ValueError('This field is required')
    return value


def _optional_text(value: str | None) -> str | None:
    value = (value or '').strip() if isinstance(value, str) or value is None else value
    return value or None


def _blank_is_none(value):
    return None if value == '' else value


Email = Annotated[str, AfterValidator(normalize_email)]
Phone = Annotated[str | None, AfterValidator(_phone)]
RequiredText = Annotated[str, BeforeValidator(lambda v: '' if v is None else v), AfterValidator(_required_text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
OptionalId = Annotated[int | None, BeforeValidator(_blank_is_none)]
