"""What a payment provider implements, the registry, and the neutral shapes a gateway's answers are turned into: a
second gateway (Mollie, Adyen…) is one module that registers a `RemoteProvider`; the services never see its SDK."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Protocol, runtime_checkable

from sqlmodel import Session

from backoffice import i18n
from backoffice.errors import ServiceError
from backoffice.models import Order, Payment
from backoffice.stored_text import Sentence, sentence

# a gateway's payment, in neutral words (each provider maps its own statuses onto these)
INTENT_STATES = ('requires_payment', 'requires_capture', 'processing', 'succeeded', 'canceled', 'failed')
CANCELABLE_STATES = ('requires_payment', 'requires_capture')  # not captured yet: cancelling releases the money
REFUND_STATES = ('requested', 'pending', 'succeeded', 'failed', 'canceled')


class PaymentProvider(Protocol):
    """What every payment provider implements. `capture` and `refund` return the provider's reference; they raise
    ValidationFailed to refuse (a declined card, a refund window closed)."""

    key: str
    label: str
    methods: dict[str, str]
    remote: bool  # the money moves at a gateway (refunds are sent there, outside the database transaction)

    def capture(self, *, order: Order, amount: Decimal, method: str, reference: str) -> str: ...

    def refund(self, *, payment: Payment | None, amount: Decimal, reason: str) -> str: ...


@dataclass(frozen=True)
class IntentState:
    """A gateway's payment as the gateway says it is now."""

    reference: str
    status: str  # one of INTENT_STATES
    amount: Decimal  # what the customer paid or will pay, in the currency's units (12.50)
    currency: str  # upper case, ISO 4217
    order_id: int | None  # from the payment's metadata (the shop puts the back office's order id there)
    message: str = ''  # the gateway's words on a failure


@dataclass(frozen=True)
class RefundState:
    reference: str  # re_…
    intent_reference: str
    status: str  # one of REFUND_STATES
    amount: Decimal
    currency: str
    message: str = ''
    local_id: int | None = None  # our GatewayRefund's id, from the refund's metadata (None: made at the gateway)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook event: its id (applied once), type, and the payment or refunds it is about."""

    id: str
    type: str
    intent: IntentState | None = None
    refunds: tuple[RefundState, ...] = field(default_factory=tuple)


class SignatureRefused(Exception):
    """A webhook whose signature or timestamp does not verify: its sentence says which."""


class GatewayFailed(ServiceError):
    """The gateway refused (its message) or could not be reached: `message` is shown to the person in their language,
    `english` is what a row keeps (the msgid filled in: translated where it is read, `message_shown`). A sentence of
    ours is given as a `Sentence` (its msgid declared with `known_message`); a plain str is kept as it is."""

    def __init__(self, message: str | Sentence, *, unreachable: bool = False) -> None:
        shown = message.shown() if isinstance(message, Sentence) else message
        super().__init__(shown)
        self.message, self.unreachable = shown, unreachable
        self.english = message.english if isinstance(message, Sentence) else message


@runtime_checkable
class RemoteProvider(Protocol):
    """A gateway reached over the network. Each call reads its credentials from the settings (`session`) and raises
    GatewayFailed with the gateway's words; none is made inside a database transaction."""

    key: str
    label: str
    methods: dict[str, str]
    remote: bool

    def configured(self, session: Session) -> bool: ...

    def check_connection(self, session: Session) -> str: ...

    def verify_webhook(self, session: Session, payload: bytes, headers: dict[str, str]) -> WebhookEvent: ...

    def read_intent(self, session: Session, reference: str) -> IntentState: ...

    def refunds_of(self, session: Session, intent_reference: str) -> list[RefundState]: ...

    def send_refund(
        self, session: Session, *, intent_reference: str, amount: Decimal, currency: str, local_id: int, key: str
    ) -> RefundState: ...

    def cancel(self, session: Session, reference: str) -> IntentState: ...


PROVIDERS: dict[str, PaymentProvider] = {}


def register_provider(provider: PaymentProvider) -> PaymentProvider:
    PROVIDERS[provider.key] = provider
    return provider


def gateway(key: str) -> RemoteProvider | None:
    """The remote provider of that key, None for a manual one or an unknown key."""
    provider = PROVIDERS.get(key)
    return provider if provider is not None and getattr(provider, 'remote', False) else None  # type: ignore[return-value]


# --- a gateway's failure as stored (English) and as read -----------------------------------------------------------
# A refund's or a payment's failure is stored in English, the msgid with its values filled in (one text column: a
# refund row's `message`, read by the API and exports as before); each reader sees it in their language. Rows stored
# before in the asker's language are recognised by each catalog's translation and read the same way.

_KNOWN: list[str] = []


def known_message(msgid: str) -> str:
    """Declare a sentence a gateway's failure is stored as (marked with N_ where it is written); returns it."""
    if msgid not in _KNOWN:
        _KNOWN.append(msgid)
        _patterns.cache_clear()
    return msgid


def known_messages() -> tuple[str, ...]:
    return tuple(_KNOWN)


def message_said(text: str) -> str | Sentence:
    """A stored failure as a `Sentence` when it is one of the known ones (English or stored translated before), for
    another sentence to carry (a timeline entry); else the text itself (the gateway's own words)."""
    if not text:
        return text
    for msgid, pattern in _patterns():
        found = pattern.fullmatch(text)
        if found:
            return sentence(msgid, **found.groupdict())
    return text


def message_shown(text: str) -> str:
    """A stored failure in the reader's language (the gateway's own words as they are)."""
    said = message_said(text)
    return said.shown() if isinstance(said, Sentence) else said


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each known msgid with the texts that say it: English, then each catalog's translation."""
    found: list[tuple[str, re.Pattern[str]]] = []
    for msgid in _KNOWN:
        writings = [msgid] + [i18n.translations(code).gettext(msgid) for code in i18n.available()]
        for writing in dict.fromkeys(writings):
            found.append((msgid, _pattern(writing)))
    return tuple(found)


def _pattern(writing: str) -> re.Pattern[str]:
    parts = re.split(r'\{(\w+)\}', writing)
    text = ''.join(_literal(part) if index % 2 == 0 else f'(?P<{part}>.+)' for index, part in enumerate(parts))
    return re.compile(text, re.DOTALL)


def _literal(part: str) -> str:
    """A translation's words; the space before ':', ';', '?' or '!' matched whichever it was (French catalogs wrote a
    plain space before they wrote U+00A0, and rows stored then say it so)."""
    pieces = re.split(r'[ \u00a0\u202f](?=[:;?!])', part)
    return '[ \u00a0\u202f]'.join(re.escape(piece) for piece in pieces)
