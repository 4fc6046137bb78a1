"""Application settings an admin changes at /settings: each typed, explained and validated; changes are audited and
never overwrite a colleague's change silently."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from sqlmodel import Session, col, select

from backoffice import business_ids, db, events, formatting, i18n, outbound, secret_box, secret_hint
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import AppSetting, User, utcnow
from backoffice.permissions import require
from backoffice.runtime.uploads import is_stored_image
from backoffice.services import audit
from backoffice.stored_text import joined, sentence, word
from backoffice.validation import decimal_text, has_hidden_characters, normalize_email, whole

log = logging.getLogger(__name__)

CURRENCIES = {  # labels marked here, translated where shown (SettingSpec.options)
    'EUR': N_('Euro (EUR)'),
    'USD': N_('US dollar (USD)'),
    'GBP': N_('Pound sterling (GBP)'),
    'CHF': N_('Swiss franc (CHF)'),
    'SEK': N_('Swedish krona (SEK)'),
    'PLN': N_('Polish złoty (PLN)'),
    'CAD': N_('Canadian dollar (CAD)'),
    'AUD': N_('Australian dollar (AUD)'),
    'JPY': N_('Japanese yen (JPY)'),
}


@lru_cache(maxsize=1)
def time_zones() -> dict[str, str]:
    return {zone: zone for zone in sorted(available_timezones()) if '/' in zone or zone == 'UTC'}


@dataclass(frozen=True)
class SettingSpec:
    """label, help, section and the choices' labels are English texts marked with N_(): show them with _()."""

    key: str
    label: str
    kind: str  # text | line (optional) | lines (optional, several) | email | url | choice | many (several choices, a
    # list) | number | decimal | bool | vat | iban | bic | image (an uploaded image's stored path)
    default: Any
    help: str
    section: str = N_('General')
    choices: Callable[[], dict[str, str]] | dict[str, str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ''  # shown after a decimal's label: '%', 'in the shop's currency'
    secret: bool = False  # stored encrypted (an address may carry a token or a password)
    optional: bool = False  # a number that may be left empty (None: the feature is off)

    def options(self) -> dict[str, str]:
        """The choices, value → label: a declared table's labels in the reader's language; a computed list's as they
        are (time zones, languages each in its own name)."""
        if callable(self.choices):
            return self.choices()
        return {key: _(text) for key, text in (self.choices or {}).items()}

    def clean(self, value: Any) -> Any:
        """The value as stored, or ValueError with a reason a person understands."""
        if self.kind == 'bool':
            return bool(value)
        if self.kind == 'number':
            if self.optional and (value is None or value == ''):
                return None
            number = whole(value)  # 'Enter a whole number': '1,5' is refused, never read as 15 (nor 1.5 as 1)
            if self.minimum is not None and number < self.minimum or self.maximum is not None and number > self.maximum:
                raise ValueError(_('Enter a number from {minimum} to {maximum}').format(**self._bounds()))
            return number
        if self.kind == 'many':  # several of the choices, in the table's order
            chosen = [value] if isinstance(value, str) else [] if value is None else value
            options = self.options()
            if not isinstance(chosen, list | tuple) or any(not isinstance(i, str) or i not in options for i in chosen):
                raise ValueError(_('Choose one of the listed values'))
            return [key for key in options if key in chosen]
        if self.kind == 'decimal':  # money and rates: stored as text ('4.90') so that no float rounding creeps in
            return str(self.decimal(value))
        text = (value or '').strip() if isinstance(value, str) or value is None else str(value)
        if self.kind == 'choice':
            if text not in self.options():
                raise ValueError(_('Choose one of the listed values'))
            return text
        if self.kind == 'email':
            return normalize_email(text) if text else ''
        if self.kind == 'url':
            return _web_address(text) if text else ''
        if self.kind in CHECKED:
            return CHECKED[self.kind](text) if text else ''
        if self.kind == 'image':
            if text and not is_stored_image(text):
                raise ValueError(_('Upload the image again'))
            return text
        if self.kind in ('text', 'line', 'lines') and has_hidden_characters(_without_line_breaks(text)):
            # a right-to-left override in the company name turned the header, invoices and emails backwards
            raise ValueError(_('Use letters, digits, spaces and punctuation only (no control or invisible characters)'))
        limit = self.most_characters() or 0
        if self.kind in ('line', 'lines'):
            if len(text) > limit:
                raise ValueError(_('Use at most {count} characters').format(count=formatting.number(limit)))
            return text if self.kind == 'lines' else ' '.join(text.split())
        if not text:
            raise ValueError(_('This field is required'))
        if len(text) > limit:
            raise ValueError(_('Use at most {count} characters').format(count=formatting.number(limit)))
        return text

    def most_characters(self) -> int | None:
        """The most characters a typed text setting takes (its field counts up to it); None for the other kinds."""
        return {'text': 200, 'line': 200, 'lines': 500}.get(self.kind)

    def decimal(self, value: Any) -> Decimal:
        """A decimal setting's value with two places, or ValueError."""
        try:
            typed = decimal_text(str(value))  # '1 234,50', '€4.90': as every typed amount is read
        except ValueError as ambiguous:  # '1.234' in French: said, not guessed
            raise ValueError(str(ambiguous)) from None
        try:
            number = Decimal(typed).quantize(Decimal('0.01'))
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(_('Enter a number, e.g. {example}').format(example=_number_example())) from None
        if not number.is_finite():
            raise ValueError(_('Enter a number, e.g. {example}').format(example=_number_example()))
        if self.minimum is not None and number < self.minimum:
            raise ValueError(_('Enter {minimum} or more').format(**self._bounds()))
        if self.maximum is not None and number > self.maximum:
            raise ValueError(_('Enter a number from {minimum} to {maximum}').format(**self._bounds()))
        return number

    def _bounds(self) -> dict[str, str]:
        return {'minimum': str(self.minimum), 'maximum': str(self.maximum)}


def _without_line_breaks(text: str) -> str:
    """The text without the tabs and line breaks a person types or pastes (a line folds them into spaces; an address
    of several lines keeps them): what is left of the control characters is hidden."""
    return text.translate({ord('\t'): None, ord('\r'): None, ord('\n'): None})


def _ledger_account(text: str) -> str:
    """An account of the chart of accounts as the FEC needs it: digits only, 3 to 15 (411000, 44571)."""
    text = text.replace(' ', '')
    if not (text.isdigit() and text.isascii() and 3 <= len(text) <= 15):
        raise ValueError(_('Enter an account number of 3 to 15 digits, e.g. 411000'))
    return text


def _journal_code(text: str) -> str:
    """A journal's code: 1 to 6 letters or digits (VT, BQ)."""
    text = text.strip().upper()
    if not (text.isalnum() and text.isascii() and 1 <= len(text) <= 6):
        raise ValueError(_('Enter a code of 1 to 6 letters or digits, e.g. VT'))
    return text


CHECKED: dict[str, Callable[[str], str]] = {
    'vat': business_ids.vat_number,
    'iban': business_ids.iban,
    'bic': business_ids.bic,
    'account': _ledger_account,
    'journal': _journal_code,
}


def _number_example() -> str:
    return formatting.number(Decimal('4.90'), decimals=2)


# what the chat channels may be told of as it happens, each chosen per channel (services/channel_events.py)
CHAT_EVENTS = {
    'urgent_request': N_('New urgent request'),
    'sla_breach': N_('SLA breach'),
    'big_order': N_('Big order'),
    'low_stock': N_('Low stock'),
    'job_failed': N_('Failed scheduled job'),
}
AUTO_ASSIGN = {
    'off': N_('Off'),
    'round_robin': N_('Round-robin'),
    'least_loaded': N_('Least-loaded'),
}
# (priority, hours to the first response, hours to the resolution, its three texts): the support desk's default targets
SLA_DEFAULTS = (
    (
        'urgent',
        1,
        8,
        N_('First response, urgent priority (hours)'),
        N_('An urgent request should get its first reply within this many hours.'),
        N_('Resolution, urgent priority (hours)'),
        N_('An urgent request should be solved within this many hours.'),
    ),
    (
        'high',
        4,
        24,
        N_('First response, high priority (hours)'),
        N_('A high-priority request should get its first reply within this many hours.'),
        N_('Resolution, high priority (hours)'),
        N_('A high-priority request should be solved within this many hours.'),
    ),
    (
        'normal',
        24,
        72,
        N_('First response, normal priority (hours)'),
        N_('A normal-priority request should get its first reply within this many hours.'),
        N_('Resolution, normal priority (hours)'),
        N_('A normal-priority request should be solved within this many hours.'),
    ),
    (
        'low',
        48,
        168,
        N_('First response, low priority (hours)'),
        N_('A low-priority request should get its first reply within this many hours.'),
        N_('Resolution, low priority (hours)'),
        N_('A low-priority request should be solved within this many hours.'),
    ),
)
SLA_SETTINGS = tuple(
    spec
    for priority, first, resolution, first_label, first_help, resolution_label, resolution_help in SLA_DEFAULTS
    for spec in (
        SettingSpec(
            f'sla_first_response_{priority}',
            first_label,
            'number',
            first,
            first_help,
            section=N_('Support'),
            minimum=1,
            maximum=24 * 60,
        ),
        SettingSpec(
            f'sla_resolution_{priority}',
            resolution_label,
            'number',
            resolution,
            resolution_help,
            section=N_('Support'),
            minimum=1,
            maximum=24 * 365,
        ),
    )
)

INVOICES = N_('Invoices')
# who sells: printed on every invoice and credit note, and copied into it when issued (a later change never rewrites
# an issued one)
SELLER_SETTINGS = (
    SettingSpec(
        'seller_legal_name',
        N_('Legal name'),
        'line',
        '',
        N_('The registered name of the business on invoices, e.g. "My Shop SAS". Empty: the company name.'),
        section=INVOICES,
    ),
    SettingSpec(
        'seller_address',
        N_('Street address'),
        'lines',
        '',
        N_('The registered address: street and number, one or two lines.'),
        section=INVOICES,
    ),
    SettingSpec('seller_postcode', N_('Postcode'), 'line', '', N_('Of the registered address.'), section=INVOICES),
    SettingSpec('seller_city', N_('City'), 'line', '', N_('Of the registered address.'), section=INVOICES),
    SettingSpec(
        'seller_country',
        N_('Country'),
        'choice',
        'FR',
        N_('Of the registered address; e-invoices name it by its code.'),
        section=INVOICES,
        choices=business_ids.countries,
    ),
    SettingSpec(
        'seller_vat_number',
        N_('VAT number'),
        'vat',
        '',
        N_('The intra-community VAT number, starting with the country code (FR, DE, EL…); checked by its format.'),
        section=INVOICES,
    ),
    SettingSpec(
        'seller_registration',
        N_('Company registration number'),
        'line',
        '',
        N_("E.g. SIREN or RCS number, Handelsregister number, with the register's name if the law asks for it."),
        section=INVOICES,
    ),
    SettingSpec(
        'seller_iban',
        N_('IBAN'),
        'iban',
        '',
        N_('The account customers pay invoices into; printed on invoices and in e-invoices.'),
        section=INVOICES,
    ),
    SettingSpec('seller_bic', N_('BIC'), 'bic', '', N_("The bank's code (SWIFT) of that account."), section=INVOICES),
    SettingSpec(
        'seller_logo',
        N_('Logo'),
        'image',
        '',
        N_('Printed at the top of invoices and credit notes (PNG or JPEG).'),
        section=INVOICES,
    ),
    SettingSpec(
        'payment_terms_days',
        N_('Payment terms (days)'),
        'number',
        0,
        N_(
            'Days from the invoice date to its due date for customers without terms of their own; 0: due on '
            'receipt. Business customers are given net 15, 30 or 60 days on their company or customer record.'
        ),
        section=INVOICES,
        minimum=0,
        maximum=120,
    ),
    SettingSpec(
        'invoice_footer',
        N_('Invoice footer'),
        'lines',
        '',
        N_('Printed at the bottom of every invoice: late-payment penalties, share capital, a thank-you.'),
        section=INVOICES,
    ),
)

REMINDERS = N_('Payment reminders')
# dunning: up to three levels, each so many days after the due date, each with its email (empty: the built-in text in
# the customer's language); the placeholders {invoice}, {amount}, {due} and {days} are filled in when written
REMINDER_DEFAULT_DAYS = (3, 15, 30)
REMINDER_SETTINGS = (
    SettingSpec(
        'reminder_review',
        N_('Review reminders before sending'),
        'bool',
        True,
        N_('Reminders wait on the receivables screen until a person approves them; off: they are sent at once.'),
        section=REMINDERS,
    ),
    *(
        spec
        for level, days in enumerate(REMINDER_DEFAULT_DAYS, start=1)
        for spec in (
            SettingSpec(
                f'reminder_{level}_days',
                (N_('Reminder 1: days after due'), N_('Reminder 2: days after due'), N_('Reminder 3: days after due'))[
                    level - 1
                ],
                'number',
                days,
                N_('A reminder of this level is written once an invoice is this many days overdue; 0: no reminder.'),
                section=REMINDERS,
                minimum=0,
                maximum=365,
            ),
            SettingSpec(
                f'reminder_{level}_subject',
                (N_('Reminder 1: subject'), N_('Reminder 2: subject'), N_('Reminder 3: subject'))[level - 1],
                'line',
                '',
                N_('Empty: "Payment reminder: invoice {invoice}" in the customer\'s language.'),
                section=REMINDERS,
            ),
            SettingSpec(
                f'reminder_{level}_body',
                (N_('Reminder 1: message'), N_('Reminder 2: message'), N_('Reminder 3: message'))[level - 1],
                'lines',
                '',
                N_(
                    'Placeholders: {invoice}, {amount}, {due}, {days}. Empty: a polite built-in text in the '
                    "customer's language. The invoice PDF is attached."
                ),
                section=REMINDERS,
            ),
        )
    ),
)

STRIPE = N_('Payments — Stripe')
# the card gateway (payment_providers/stripe.py): both secrets stored encrypted, never shown in the audit log
STRIPE_SETTINGS = (
    SettingSpec(
        'stripe_secret_key',
        N_('Stripe secret key'),
        'line',
        '',
        N_(
            'From the Stripe dashboard, Developers → API keys: sk_live_… (or sk_test_… to try). Used to refund, '
            'cancel and read payments. Empty: Stripe is off.'
        ),
        section=STRIPE,
        secret=True,
    ),
    SettingSpec(
        'stripe_webhook_secret',
        N_('Stripe webhook signing secret'),
        'line',
        '',
        N_(
            'whsec_… of the endpoint you add in Stripe (Developers → Webhooks) for the address '
            '/api/payments/stripe/webhook of this back office; events whose signature does not match are refused.'
        ),
        section=STRIPE,
        secret=True,
    ),
)

ACCOUNTING = N_('Accounting')
# the accounts and journals of the accounting export's FEC file (French chart of accounts, PCG); an empty field is its
# default
ACCOUNTING_SETTINGS = (
    SettingSpec(
        'account_customers',
        N_('Customers account'),
        'account',
        '411000',
        N_('Debited by invoices, credited by payments received (PCG 411). Each customer is its auxiliary account.'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'account_sales',
        N_('Sales account'),
        'account',
        '707000',
        N_('Credited with invoices before VAT: 707 for goods sold, 706 for services.'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'account_vat_collected',
        N_('VAT collected account'),
        'account',
        '445710',
        N_('Credited with the VAT of invoices, debited with that of credit notes (PCG 44571).'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'account_bank',
        N_('Bank account (ledger)'),
        'account',
        '512000',
        N_('Debited by payments received, credited by refunds (PCG 512).'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'account_write_off_loss',
        N_('Write-off account, received less'),
        'account',
        '658000',
        N_('Debited with what a bank line brought less than the invoices it settled (PCG 658).'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'account_write_off_gain',
        N_('Write-off account, received more'),
        'account',
        '758000',
        N_('Credited with what a bank line brought more than the invoices it settled (PCG 758).'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'write_off_tolerance',
        N_('Write off differences up to'),
        'decimal',
        '0.00',
        N_(
            "A bank line that differs from the invoices it pays by at most this much, in the shop's currency, settles "
            'them: the difference is written off (audited, undone with the match). 0: the parts must add up exactly.'
        ),
        section=ACCOUNTING,
        minimum=0,
        maximum=1000,
    ),
    SettingSpec(
        'journal_sales',
        N_('Sales journal code'),
        'journal',
        'VT',
        N_('The journal of invoices and credit notes in the FEC file.'),
        section=ACCOUNTING,
    ),
    SettingSpec(
        'journal_bank',
        N_('Bank journal code'),
        'journal',
        'BQ',
        N_('The journal of payments received and refunds in the FEC file.'),
        section=ACCOUNTING,
    ),
)

SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        'company_name',
        N_('Company name'),
        'text',
        'My Shop',
        N_('Shown in the back office, on invoices and in emails to customers.'),
    ),
    SettingSpec(
        'support_email',
        N_('Support email'),
        'email',
        '',
        N_('Replies to customers are sent from this address (leave empty until email is set up).'),
    ),
    SettingSpec(
        'currency',
        N_('Currency'),
        'choice',
        'EUR',
        N_('The currency prices, orders and KPIs are shown in.'),
        choices=CURRENCIES,
    ),
    SettingSpec(
        'time_zone',
        N_('Time zone'),
        'choice',
        'UTC',
        N_('Dates and times are shown in this time zone; days in reports and KPIs start at midnight in it.'),
        choices=time_zones,
    ),
    SettingSpec(
        'default_language',
        N_('Default language'),
        'choice',
        i18n.SOURCE_LOCALE,
        N_(
            'The language of staff users who have not chosen one, and of the emails and invoices of customers who '
            'have none.'
        ),
        choices=i18n.available,
    ),
    *SELLER_SETTINGS,
    *REMINDER_SETTINGS,
    *STRIPE_SETTINGS,
    *ACCOUNTING_SETTINGS,
    SettingSpec(
        'trash_days',
        N_('Days in the trash'),
        'number',
        30,
        N_('Deleted records can be restored for this many days, then they are purged for good.'),
        section=N_('Data'),
        minimum=1,
        maximum=3650,
    ),
    SettingSpec(
        'retention_events_months',
        N_('Keep usage events for (months)'),
        'number',
        None,
        N_(
            'Each night, usage events older than this are anonymised: who sent them (customer, visitor and session) '
            'and their details are removed, their type and time stay. Empty: keep them as they are.'
        ),
        section=N_('Data'),
        minimum=2,  # past the nightly KPI recompute (35 days): the counts of those days stay
        maximum=600,
        optional=True,
    ),
    SettingSpec(
        'retention_requests_months',
        N_('Keep closed requests for (months)'),
        'number',
        None,
        N_(
            'Each night, solved and closed requests older than this are anonymised: their subject, messages, steps '
            'and rating comment are removed, their number, status and dates stay. Empty: keep them as they are.'
        ),
        section=N_('Data'),
        minimum=1,
        maximum=600,
        optional=True,
    ),
    SettingSpec(
        'vat_rate',
        N_('VAT rate (%)'),
        'decimal',
        '20.00',
        N_('Added to net prices and shipping on new orders (0 to 100). Orders already placed keep their taxes.'),
        section=N_('Orders'),
        minimum=0,
        maximum=100,
        unit='%',
    ),
    SettingSpec(
        'shipping_fee',
        N_('Shipping fee'),
        'decimal',
        '4.90',
        N_(
            'Charged on a new order whose goods (after discounts) cost less than the free-shipping amount, in '
            "the shop's currency, before VAT. 0: shipping is always free."
        ),
        section=N_('Orders'),
        minimum=0,
        maximum=100000,
    ),
    SettingSpec(
        'free_shipping_from',
        N_('Free shipping from'),
        'decimal',
        '50.00',
        N_('Goods (after discounts) from this amount ship free. 0: every order ships free.'),
        section=N_('Orders'),
        minimum=0,
        maximum=10000000,
    ),
    SettingSpec(
        'return_window_days',
        N_('Return window (days)'),
        'number',
        30,
        N_(
            'Days after delivery during which a customer may start a return from the customer portal. 0: customers '
            'cannot start returns there (staff still can).'
        ),
        section=N_('Orders'),
        minimum=0,
        maximum=365,
    ),
    *SLA_SETTINGS,
    SettingSpec(
        'auto_assign',
        N_('Auto-assignment'),
        'choice',
        'off',
        N_(
            'New requests go to an active agent: in turn (round-robin), or to the one with the fewest open '
            'requests (least-loaded); off leaves them unassigned.'
        ),
        section=N_('Support'),
        choices=AUTO_ASSIGN,
    ),
    SettingSpec(
        'segments_webhook_url',
        N_('Segments webhook'),
        'url',
        '',
        N_(
            'Where "Push to webhook" on Segments sends the consenting customers of a segment (your email tool\'s '
            'import address, https://). Empty: pushing is off.'
        ),
        section=N_('Segments'),
        secret=True,
    ),
    *(
        spec
        for channel, label, events in (
            ('slack', N_('Slack webhook'), N_('Events told on Slack')),
            ('teams', N_('Microsoft Teams webhook'), N_('Events told on Microsoft Teams')),
            ('mattermost', N_('Mattermost webhook'), N_('Events told on Mattermost')),
            ('discord', N_('Discord webhook'), N_('Events told on Discord')),
        )
        for spec in (
            SettingSpec(
                f'{channel}_webhook_url',
                label,
                'url',
                '',
                N_('The incoming webhook address alert rules post to (https://). Empty: this channel is off.'),
                section=N_('Alerts'),
                secret=True,
            ),
            SettingSpec(
                f'{channel}_events',
                events,
                'many',
                [],
                N_('Besides alert rules, what this channel is told of as it happens. Needs its webhook address.'),
                section=N_('Alerts'),
                choices=CHAT_EVENTS,
            ),
        )
    ),
    SettingSpec(
        'big_order_threshold',
        N_('Big order from'),
        'decimal',
        '1000.00',
        N_('A paid order of at least this total (in the shop\'s currency) is a "big order" for the chat channels.'),
        section=N_('Alerts'),
        minimum=0,
    ),
)
# Two-factor sign-in required per role: such users set it up at their next sign-in before they reach any page
TWO_FACTOR_SETTINGS = (
    SettingSpec(
        'two_factor_admin',
        N_('Require two-factor sign-in for admins'),
        'bool',
        False,
        N_(
            'Admins must sign in with a code from an authenticator app; those without one set it up at their next '
            'sign-in.'
        ),
        section=N_('Security'),
    ),
    SettingSpec(
        'two_factor_manager',
        N_('Require two-factor sign-in for managers'),
        'bool',
        False,
        N_(
            'Managers must sign in with a code from an authenticator app; those without one set it up at their next '
            'sign-in.'
        ),
        section=N_('Security'),
    ),
    SettingSpec(
        'two_factor_agent',
        N_('Require two-factor sign-in for agents'),
        'bool',
        False,
        N_(
            'Agents must sign in with a code from an authenticator app; those without one set it up at their next '
            'sign-in.'
        ),
        section=N_('Security'),
    ),
    SettingSpec(
        'two_factor_viewer',
        N_('Require two-factor sign-in for viewers'),
        'bool',
        False,
        N_(
            'Viewers must sign in with a code from an authenticator app; those without one set it up at their next '
            'sign-in.'
        ),
        section=N_('Security'),
    ),
)
SETTINGS = SETTINGS + TWO_FACTOR_SETTINGS
BY_KEY = {spec.key: spec for spec in SETTINGS}


def _web_address(text: str) -> str:
    """A public https:// address (customers' addresses do not cross a network in clear, nor reach internal services;
    BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS=1 allows this machine and plain http in development)."""
    if len(text) > 500:
        raise ValueError(ngettext('Use at most {n} character', 'Use at most {n} characters', 500).format(n=500))
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ('https', 'http') or any(ch.isspace() for ch in text):
        raise ValueError(_('Enter a web address starting with https://'))
    problem = outbound.address_problem(text)
    if problem:
        raise ValueError(problem)
    return text


MASK = '********'


def _masked(key: str) -> bool:
    """A secret that is not an address (a gateway's key): the audit log says it changed, never what it is."""
    spec = BY_KEY[key]
    return spec.secret and spec.kind != 'url'


def hint(key: str, value: Any) -> str:
    """How a secret setting's value is shown anywhere (the settings screen, the audit log, a dialog): an address as
    its host and a few characters ('https://hooks.slack.com/services/T…/…xyz'), a key as its prefix and last four."""
    if not value:
        return ''
    return secret_hint.address(str(value)) if BY_KEY[key].kind == 'url' else secret_hint.key(str(value))


def current_values(*, session: Session) -> dict[str, Any]:
    """Every setting's value, the default where none was saved (readable by anyone signed in)."""
    stored = {row.key: _plain(row) for row in session.exec(select(AppSetting)) if row.key in BY_KEY}
    return {spec.key: stored.get(spec.key, spec.default) for spec in SETTINGS}


def value(*, session: Session, key: str) -> Any:
    row = session.get(AppSetting, key)
    return _plain(row) if row is not None else BY_KEY[key].default


def values(*, session: Session, keys: tuple[str, ...]) -> dict[str, Any]:
    """These settings' values (the default where none was saved), in one statement: what a screen's build needs."""
    stored = {row.key: _plain(row) for row in session.exec(select(AppSetting).where(col(AppSetting.key).in_(keys)))}
    return {key: stored.get(key, BY_KEY[key].default) for key in keys}


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


CACHE_SECONDS = 10.0
_cached: dict[str, tuple[float, int, Any]] = {}  # key → (read at, which database, value)


def cached(key: str) -> Any:
    """A setting read at most every CACHE_SECONDS per process, for what is read for every text and date shown (the
    default language, the time zone): a change saved in this process applies at once, in another within seconds.
    Without a database (a unit test, a tool) it is the default."""
    engine = db._engine  # noqa: SLF001 (never configure a database just to read a setting)
    if engine is None:
        return BY_KEY[key].default
    hit = _cached.get(key)
    now = time.monotonic()
    if hit is not None and hit[1] == id(engine) and now - hit[0] < CACHE_SECONDS:
        return hit[2]
    try:
        with db.read_session() as session:
            found = value(session=session, key=key)
    except Exception as error:  # no such table yet (first start), database unreachable: the default, said once
        log.debug('setting %s unreadable: %s', key, error)
        return BY_KEY[key].default
    _cached[key] = (now, id(engine), found)
    return found


def forget_cached() -> None:
    """Read the settings afresh (after a restore, or a test's emptied database)."""
    _cached.clear()


def default_language() -> str:
    """The settings' default language (i18n.set_default points here)."""
    return i18n.supported(cached('default_language')) or i18n.SOURCE_LOCALE


def time_zone() -> str:
    return cached('time_zone') or 'UTC'


formatting.set_time_zone(time_zone)  # dates and times for a person are shown in the settings' time zone
formatting.set_shop_currency(lambda: cached('currency'))  # a list's prices and purchases are in the shop's currency


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
            errors[key] = _('Unknown setting')
            continue
        try:
            cleaned[key] = spec.clean(raw)
        except ValueError as error:
            errors[key] = str(error)
    if errors:
        raise ValidationFailed(errors)
    # one save at a time: a setting never saved has no row to lock, and two first saves of it both passed the check
    db.one_at_a_time(session, 'app_settings')
    rows = {key: session.get(AppSetting, key, with_for_update=session.bind.dialect.name != 'sqlite') for key in cleaned}
    for key, row in rows.items():
        stored = _plain(row) if row is not None else BY_KEY[key].default
        if key in loaded and stored != loaded[key]:
            raise StaleRecord(
                'setting', audit.named(session, row.updated_by) if row else None, row.updated_at if row else None, 0
            )
    diff = {}
    for key, new in cleaned.items():
        row = rows[key] or AppSetting(key=key)
        old = _plain(row) if rows[key] is not None else BY_KEY[key].default
        if old == new:
            continue
        secret = BY_KEY[key].secret and isinstance(new, str) and new
        row.value, row.updated_at, row.updated_by = secret_box.encrypt(new) if secret else new, utcnow(), actor.email
        session.add(row)
        if _masked(key):
            diff[key] = [MASK if old else '', MASK if new else '']
        elif BY_KEY[key].secret:  # a chat hook's or the segments' address: its secret is in the path or the query
            diff[key] = [hint(key, old), hint(key, new)]
        else:
            diff[key] = [old, new]
    if diff:
        audit.record(
            session,
            actor,
            'settings.changed',
            'settings',
            None,
            changes=diff,
            summary=sentence(
                N_('Changed {settings}'), settings=joined([word(BY_KEY[k].label, lower=True) for k in diff])
            ),
        )
        # every process reads them afresh (wire), and open pages showing one update (the company name in the header)
        events.after_commit(session, Topic.settings, {'keys': sorted(diff)})
    session.commit()
    forget_cached()
    return current_values(session=session)


def wire() -> None:
    """main.py, on every start: settings changed here or in another process (the event relay) are read afresh at once,
    not up to CACHE_SECONDS later."""
    events.subscribe(Topic.settings, lambda _payload: forget_cached(), key='settings.forget')
