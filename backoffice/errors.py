"""Errors a service raises and a page or API turns into a message the user can act on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.lists import format_list
from pydantic import ValidationError

from backoffice import formatting, i18n
from backoffice.i18n import N_, _, ngettext
from backoffice.permissions import PermissionDenied
from backoffice.validation import typed_line

__all__ = [
    'NotFound',
    'PermissionDenied',
    'ServiceError',
    'StaleRecord',
    'ValidationFailed',
    'field_errors',
    'readable',
]


# What a StaleRecord or NotFound may name besides the declared resources' singulars (app_settings says 'setting')
OTHER_RECORD_WORDS = (N_('setting'),)


class ServiceError(Exception):
    """Base of every error whose message is meant for the user."""


class ValidationFailed(ServiceError):
    """Bad input: one message per field (the key '' holds a message about the whole form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__('; '.join(f'{field or "form"}: {message}' for field, message in errors.items()))
        self.errors = errors


def typed_at(field: str, value: Any, *, maximum: int) -> str:
    """Text a person (or an API caller) typed for `field`, on one line: longer than `maximum` it is refused at that
    field with its length ("Use at most 300 characters (this has 312)"), never cut (the part cut off was lost
    unseen)."""
    try:
        return typed_line(value, maximum=maximum)
    except ValueError as error:
        raise ValidationFailed({field: str(error)}) from None


class NotFound(ServiceError):
    pass


class StaleRecord(ServiceError):
    """Someone saved the record after this user loaded it; saving now would overwrite their change."""

    def __init__(
        self,
        entity: str,
        changed_by: str | None,
        changed_at: datetime | None,
        current_version: int,
        *,
        sent_version: int | None = None,
    ) -> None:
        who = changed_by or _('someone else')
        if changed_at:
            message = _(
                'This {entity} was changed by {who} at {when} after you opened it. '
                'Reload to see their change; what you typed is kept.'
            ).format(entity=_(entity), who=who, when=formatting.when(changed_at))
        else:
            message = _(
                'This {entity} was changed by {who} after you opened it. '
                'Reload to see their change; what you typed is kept.'
            ).format(entity=_(entity), who=who)
        super().__init__(message)
        self.entity, self.changed_by, self.changed_at, self.current_version = (
            entity,
            changed_by,
            changed_at,
            current_version,
        )
        self.sent_version = sent_version

    def shown_again(self) -> str:
        """The refusal on a page that draws their change at once: nothing to reload; a dialog keeps what was typed,
        and pressing again applies it over theirs."""
        who = self.changed_by or _('someone else')
        if self.changed_at:
            return _(
                'This {entity} was changed by {who} at {when} after you opened it. The page now shows their change: '
                'press again if yours still applies.'
            ).format(entity=_(self.entity), who=who, when=formatting.when(self.changed_at))
        return _(
            'This {entity} was changed by {who} after you opened it. The page now shows their change: press again '
            'if yours still applies.'
        ).format(entity=_(self.entity), who=who)

    def for_a_program(self) -> str:
        """The refusal as an API caller reads it: nothing was typed on a screen, and the version to read is said. A
        version the record never reached was not overtaken by anyone: it is said to be unknown."""
        if self.sent_version is not None and self.sent_version > self.current_version:
            return _(
                'This {entity} has no version {sent}: it is at version {version}. Read it again, then send your '
                'change with that version.'
            ).format(entity=_(self.entity), sent=self.sent_version, version=self.current_version)
        who = self.changed_by or _('someone else')
        if self.changed_at:
            return _(
                'This {entity} was changed by {who} at {when}: it is now at version {version}. Read it again, then '
                'send your change with that version.'
            ).format(
                entity=_(self.entity), who=who, when=formatting.when(self.changed_at), version=self.current_version
            )
        return _(
            'This {entity} was changed by {who}: it is now at version {version}. Read it again, then send your '
            'change with that version.'
        ).format(entity=_(self.entity), who=who, version=self.current_version)


def field_errors(error: ValidationError, choices: Mapping[str, Mapping[Any, str]] | None = None) -> dict[str, str]:
    """Pydantic's errors as {field: readable message}, keeping the first message of each field. `choices`: a choice
    field's {value: label}, so that a refused choice names the labels the form shows, not the stored values."""
    errors: dict[str, str] = {}
    for item in error.errors():
        field = str(item['loc'][0]) if item['loc'] else ''
        message = readable(item, ours_in_english=True, choices=(choices or {}).get(field))
        errors.setdefault(field, message[:1].upper() + message[1:])
    return errors


# Pydantic's own messages are English: the common ones a form or an API caller meets, in the reader's language.
# (Our validators raise ValueError with a message already translated: 'value_error' keeps it as it is.)
PYDANTIC_MESSAGES = {
    'missing': N_('This field is required'),
    'int_parsing': N_('Enter a whole number'),
    'int_from_float': N_('Enter a whole number'),
    'int_type': N_('Enter a whole number'),
    'float_parsing': N_('Enter a number'),
    'float_type': N_('Enter a number'),
    'decimal_parsing': N_('Enter a number'),
    'decimal_type': N_('Enter a number'),
    'bool_parsing': N_('Choose yes or no'),
    'bool_type': N_('Choose yes or no'),
    'string_type': N_('Enter text'),
    'date_parsing': N_('Enter a date, e.g. 2026-12-03'),
    'date_from_datetime_parsing': N_('Enter a date, e.g. 2026-12-03'),
    'date_type': N_('Enter a date, e.g. 2026-12-03'),
    'datetime_parsing': N_('Enter a date and time, e.g. 2026-12-03 14:05'),
    'datetime_from_date_parsing': N_('Enter a date and time, e.g. 2026-12-03 14:05'),
    'datetime_type': N_('Enter a date and time, e.g. 2026-12-03 14:05'),
    'greater_than': N_('Enter a number above {gt}'),
    'greater_than_equal': N_('Enter {ge} or more'),
    'less_than': N_('Enter a number below {lt}'),
    'less_than_equal': N_('Enter {le} or less'),
    'decimal_max_places': N_('Use at most {decimal_places} decimals'),
    'enum': N_('Choose one of {expected}'),
    'literal_error': N_('Choose one of {expected}'),
    'list_type': N_('Give a list'),
    'dict_type': N_('Give an object'),
    'extra_forbidden': N_('This field is not expected'),
    'url_parsing': N_('Enter a full address, like https://example.com'),
}


def readable(item: Any, *, ours_in_english: bool = False, choices: Mapping[Any, str] | None = None) -> str:
    """One of pydantic's errors as a person reads it: our sentence for its type in the reader's language, with the
    limit it names. An API caller reading English gets pydantic's own English (as it always was: clients may match
    it); a form's field (`ours_in_english`, field_errors) says "Use at most 200 characters" in every language, as the
    rest of the screens do, not "String should have at most 200 characters". A refused choice names the values for
    an API caller (what its program sends) and, on a form, the labels the person sees (`choices`, the field's)."""
    english = str(item['msg']).removeprefix('Value error, ')
    kind, context = item.get('type'), item.get('ctx') or {}
    if i18n.current() == i18n.SOURCE_LOCALE and not (ours_in_english and kind != 'value_error'):
        return english
    if kind == 'value_error':  # our validators' sentences: translated when raised, or marked only (N_) in a model
        return _(english)
    try:
        if kind in ('string_too_short', 'too_short'):
            n = int(context['min_length'])
            if kind == 'string_too_short':
                return ngettext('Enter at least {n} character', 'Enter at least {n} characters', n).format(n=n)
            return ngettext('Give at least {n} item', 'Give at least {n} items', n).format(n=n)
        if kind in ('string_too_long', 'too_long'):
            n = int(context['max_length'])
            if kind == 'string_too_long':
                return ngettext('Use at most {n} character', 'Use at most {n} characters', n).format(
                    n=formatting.number(n)
                )
            return ngettext('Give at most {n} item', 'Give at most {n} items', n).format(n=n)
        if kind in ('enum', 'literal_error') and ours_in_english:
            return _(PYDANTIC_MESSAGES[kind]).format(expected=_labels(str(context['expected']), choices))
        if kind in PYDANTIC_MESSAGES:
            return _(PYDANTIC_MESSAGES[kind]).format(**context)
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    return english


def _labels(expected: str, choices: Mapping[Any, str] | None) -> str:
    """Pydantic's expected values ("'active', 'unfinished' or 'banned'") as a person reads them: the form's labels of
    those it offers ("Active or Unfinished sign-up", in the reader's language), else each value made readable."""
    values = [part.strip().strip("'") for part in _EXPECTED_SEPARATOR.split(expected) if part.strip()]
    labelled = dict(choices or {})
    words = [formatting.label(value, labelled) for value in labelled if str(value) in values]
    return format_list(words or [formatting.label(value, None) for value in values], style='or', locale=i18n.current())


_EXPECTED_SEPARATOR = re.compile(r', | or ')
