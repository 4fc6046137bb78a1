"""Application settings an admin changes at /settings: each typed, explained and validated; changes are audited and
never overwrite a colleague's change silently."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from sqlmodel import Session, select

from backoffice import outbound, secret_box
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.models import AppSetting, User, utcnow
from backoffice.permissions import require
from backoffice.services import audit
from backoffice.validation import normalize_email

log = logging.getLogger(__name__)

CURRENCIES = {
    'EUR': 'Euro (EUR)',
    'USD': 'US dollar (USD)',
    'GBP': 'Pound sterling (GBP)',
    'CHF': 'Swiss franc (CHF)',
    'SEK': 'Swedish krona (SEK)',
    'PLN': 'Polish złoty (PLN)',
    'CAD': 'Canadian dollar (CAD)',
    'AUD': 'Australian dollar (AUD)',
    'JPY': 'Japanese yen (JPY)',
}


@lru_cache(maxsize=1)
def time_zones() -> dict[str, str]:
    return {zone: zone for zone in sorted(available_timezones()) if '/' in zone or zone == 'UTC'}


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    kind: str  # text | email | url | choice | number | decimal | bool
    default: Any
    help: str
    section: str = 'General'
    choices: Callable[[], dict[str, str]] | dict[str, str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ''  # shown after a decimal's label: '%', 'in the shop's currency'
    secret: bool = False  # stored encrypted (an address may carry a token or a password)

    def options(self) -> dict[str, str]:
        return self.choices() if callable(self.choices) else (self.choices or {})

    def clean(self, value: Any) -> Any:
        """The value as stored, or ValueError with a reason a person understands."""
        if self.kind == 'bool':
            return bool(value)
        if self.kind == 'number':
            try:
                number = int(value)
            except (TypeError, ValueError):
                raise ValueError('Enter a whole number') from None
            if self.minimum is not None and number < self.minimum or self.maximum is not None and number > self.maximum:
                raise ValueError(f'Enter a number from {self.minimum} to {self.maximum}')
            return number
        if self.kind == 'decimal':  # money and rates: stored as text ('4.90') so that no float rounding creeps in
            return str(self.decimal(value))
        text = (value or '').strip() if isinstance(value, str) or value is None else str(value)
        if self.kind == 'choice':
            if text not in self.options():
                raise ValueError('Choose one of the listed values')
            return text
        if self.kind == 'email':
            return normalize_email(text) if text else ''
        if self.kind == 'url':
            return _web_address(text) if text else ''
        if not text:
            raise ValueError('This field is required')
        if len(text) > 200:
            raise ValueError('Use at most 200 characters')
        return text

    def decimal(self, value: Any) -> Decimal:
        """A decimal setting's value with two places, or ValueError."""
        try:
            number = Decimal(str(value).strip().replace(',', '.')).quantize(Decimal('0.01'))
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError('Enter a number, e.g. 4.90') from None
        if not number.is_finite():
            raise ValueError('Enter a number, e.g. 4.90')
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f'Enter {self.minimum} or more')
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f'Enter a number from {self.minimum} to {self.maximum}')
        return number


AUTO_ASSIGN = {'off': 'Off', 'round_robin': 'Round-robin', 'least_loaded': 'Least-loaded'}
# (priority, hours to the first response, hours to the resolution): the support desk's default targets
SLA_DEFAULTS = (('urgent', 1, 8), ('high', 4, 24), ('normal', 24, 72), ('low', 48, 168))
SLA_SETTINGS = tuple(
    spec
    for priority, first, resolution in SLA_DEFAULTS
    for spec in (
        SettingSpec(
            f'sla_first_response_{priority}',
            f'First response, {priority} priority (hours)',
            'number',
            first,
            f'A {priority} request should get its first reply within this many hours.',
            section='Support',
            minimum=1,
            maximum=24 * 60,
        ),
        SettingSpec(
            f'sla_resolution_{priority}',
            f'Resolution, {priority} priority (hours)',
            'number',
            resolution,
            f'A {priority} request should be solved within this many hours.',
            section='Support',
            minimum=1,
            maximum=24 * 365,
        ),
    )
)

SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        'company_name',
        'Company name',
        'text',
        'My Shop',
        'Shown in the back office, on invoices and in emails to customers.',
    ),
    SettingSpec(
        'support_email',
        'Support email',
        'email',
        '',
        'Replies to customers are sent from this address (leave empty until email is set up).',
    ),
    SettingSpec(
        'currency',
        'Currency',
        'choice',
        'EUR',
        'The currency prices, orders and KPIs are shown in.',
        choices=CURRENCIES,
    ),
    SettingSpec(
        'time_zone',
        'Time zone',
        'choice',
        'UTC',
        'Days in reports and KPIs start at midnight in this time zone.',
        choices=time_zones,
    ),
    SettingSpec(
        'trash_days',
        'Days in the trash',
        'number',
        30,
        'Deleted records can be restored for this many days, then they are purged for good.',
        section='Data',
        minimum=1,
        maximum=3650,
    ),
    SettingSpec(
        'vat_rate',
        'VAT rate (%)',
        'decimal',
        '20.00',
        'Added to net prices and shipping on new orders (0 to 100). Orders already placed keep their taxes.',
        section='Orders',
        minimum=0,
        maximum=100,
        unit='%',
    ),
    SettingSpec(
        'shipping_fee',
        'Shipping fee',
        'decimal',
        '4.90',
        'Charged on a new order whose goods (after discounts) cost less than the free-shipping amount, in '
        "the shop's currency, before VAT. 0: shipping is always free.",
        section='Orders',
        minimum=0,
        maximum=100000,
    ),
    SettingSpec(
        'free_shipping_from',
        'Free shipping from',
        'decimal',
        '50.00',
        'Goods (after discounts) from this amount ship free. 0: every order ships free.',
        section='Orders',
        minimum=0,
        maximum=10000000,
    ),
    *SLA_SETTINGS,
    SettingSpec(
        'auto_assign',
        'Auto-assignment',
        'choice',
        'off',
        'New requests go to an active agent: in turn (round-robin), or to the one with the fewest open '
        'requests (least-loaded); off leaves them unassigned.',
        section='Support',
        choices=AUTO_ASSIGN,
    ),
    SettingSpec(
        'segments_webhook_url',
        'Segments webhook',
        'url',
        '',
        'Where "Push to webhook" on Segments sends the consenting customers of a segment (your email tool\'s '
        'import address, https://). Empty: pushing is off.',
        section='Segments',
        secret=True,
    ),
)
BY_KEY = {spec.key: spec for spec in SETTINGS}


def _web_address(text: str) -> str:
    """A public https:// address (customers' addresses do not cross a network in clear, nor reach internal services;
    BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS=1 allows this machine and plain http in development)."""
    if len(text) > 500:
        raise ValueError('Use at most 500 characters')
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ('https', 'http') or any(ch.isspace() for ch in text):
        raise ValueError('Enter a web address starting with https://')
    problem = outbound.address_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def current_values(*, session: Session) -> dict[str, Any]:
    """Every setting's value, the default where none was saved (readable by anyone signed in)."""
    stored = {row.key: _plain(row) for row in session.exec(select(AppSetting)) if row.key in BY_KEY}
    return {spec.key: stored.get(spec.key, spec.default) for spec in SETTINGS}


def value(*, session: Session, key: str) -> Any:
    row = session.get(AppSetting, key)
    return _plain(row) if row is not None else BY_KEY[key].default


def _plain(row: AppSetting) -> Any:
    """A stored value as the app uses it (a secret setting is decrypted)."""
    spec = BY_KEY.get(row.key)
    if spec is not None and spec.secret and isinstance(row.value, str):
        try:
            return secret_box.decrypt(row.value)
        except secret_box.SecretUnreadable as error:
            log.error('setting %s: %s', row.key, error)
            return spec.default  # as if unset (pushing is off) until an admin enters it again
    return row.value


def decimal_value(*, session: Session, key: str) -> Decimal:
    """A decimal setting as a Decimal (a stored value that no longer validates falls back to the default)."""
    spec = BY_KEY[key]
    try:
        return spec.decimal(value(session=session, key=key))
    except ValueError:
        return spec.decimal(spec.default)


def save(*, session: Session, actor: User, changes: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    """Save the changed settings. `loaded` is what the user saw: if a colleague changed one of the same settings
    since, nothing is saved and the error names them."""
    require(actor, 'settings.manage')
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, raw in changes.items():
        spec = BY_KEY.get(key)
        if spec is None:
            errors[key] = 'Unknown setting'
            continue
        try:
            cleaned[key] = spec.clean(raw)
        except ValueError as error:
            errors[key] = str(error)
    if errors:
        raise ValidationFailed(errors)
    rows = {key: session.get(AppSetting, key, with_for_update=session.bind.dialect.name != 'sqlite') for key in cleaned}
    for key, row in rows.items():
        stored = _plain(row) if row is not None else BY_KEY[key].default
        if key in loaded and stored != loaded[key]:
            raise StaleRecord('setting', row.updated_by if row else None, row.updated_at if row else None, 0)
    diff = {}
    for key, new in cleaned.items():
        row = rows[key] or AppSetting(key=key)
        old = _plain(row) if rows[key] is not None else BY_KEY[key].default
        if old == new:
            continue
        secret = BY_KEY[key].secret and isinstance(new, str) and new
        row.value, row.updated_at, row.updated_by = secret_box.encrypt(new) if secret else new, utcnow(), actor.email
        session.add(row)
        diff[key] = [old, new]
    if diff:
        audit.record(
            session,
            actor,
            'settings.changed',
            'settings',
            None,
            changes=diff,
            summary='Changed ' + ', '.join(BY_KEY[k].label.lower() for k in diff),
        )
    session.commit()
    return current_values(session=session)
