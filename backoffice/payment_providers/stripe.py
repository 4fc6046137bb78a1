"""Stripe, through its official SDK: webhooks verified with `Webhook.construct_event` (signature and a 300 s
timestamp tolerance), payment intents read and cancelled, refunds sent with an idempotency key; Stripe's objects are
turned into the neutral shapes of `base`. The secret key and the webhook signing secret are settings stored encrypted;
`BACKOFFICE_STRIPE_API_BASE` points the SDK elsewhere (the tests' local server following Stripe's API)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from backoffice.config import get_settings
from backoffice.i18n import N_, _
from backoffice.models import Order, Payment
from backoffice.payment_providers.base import (
    GatewayFailed,
    IntentState,
    RefundState,
    SignatureRefused,
    WebhookEvent,
    known_message,
    register_provider,
)
from backoffice.services import app_settings
from backoffice.stored_text import sentence

TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 20
# currencies Stripe counts in whole units (its documented list): every other amount is in cents
ZERO_DECIMAL = {'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF'}
ZERO_DECIMAL |= {'XPF'}
INTENT_STATES = {
    'requires_payment_method': 'requires_payment',
    'requires_confirmation': 'requires_payment',
    'requires_action': 'requires_payment',
    'processing': 'processing',
    'requires_capture': 'requires_capture',
    'succeeded': 'succeeded',
    'canceled': 'canceled',
}
REFUND_STATES = {
    'pending': 'pending',
    'requires_action': 'pending',
    'succeeded': 'succeeded',
    'failed': 'failed',
    'canceled': 'canceled',
}
# a failed refund's `failure_reason` (Stripe's documented codes), said in words: stored in English, read translated
FAILURE_REASONS = {
    'lost_or_stolen_card': known_message(N_('The card was reported lost or stolen: the bank refused the refund')),
    'expired_or_canceled_card': known_message(N_('The card expired or was cancelled: the bank refused the refund')),
    'charge_for_pending_refund_disputed': known_message(
        N_('The customer disputed the payment while the refund was pending')
    ),
    'insufficient_funds': known_message(N_('The Stripe balance did not cover the refund')),
    'declined': known_message(N_("The customer's bank declined the refund")),
    'merchant_request': known_message(N_('The refund was cancelled at your request')),
    'unknown': known_message(N_('The refund failed for a reason Stripe did not give')),
}
# what a refusal or an unreachable Stripe is stored as (a refund row's message), read in the reader's language
NOT_SET_UP = known_message(N_('Stripe is not set up: enter the secret key in the settings (Payments — Stripe)'))
UNREACHABLE = known_message(N_('Stripe could not be reached; try again in a moment'))
KEY_REFUSED = known_message(N_('Stripe refused the secret key: check it in the settings'))
REFUSED = known_message(N_('Stripe refused the request'))
REFUSED_SAYING = known_message(N_('Stripe: {message}'))


class StripeProvider:
    key = 'stripe'
    label = N_('Stripe')
    methods = {'card': N_('Card (Stripe)')}
    remote = True

    # --- the PaymentProvider side: a payment Stripe reported is recorded with the intent as its reference ----------

    def capture(self, *, order: Order, amount: Decimal, method: str, reference: str) -> str:
        return reference

    def refund(self, *, payment: Payment | None, amount: Decimal, reason: str) -> str:
        raise GatewayFailed(_('A Stripe payment is refunded through Stripe, from the order page'))

    # --- the RemoteProvider side -----------------------------------------------------------------------------------

    def configured(self, session: Session) -> bool:
        return bool(_setting(session, 'stripe_secret_key'))

    def check_connection(self, session: Session) -> str:
        balance = _call(lambda client: client.v1.balance.retrieve(), session)
        mode = _('live mode') if balance.get('livemode') else _('test mode')
        return _('Connected to Stripe ({mode})').format(mode=mode)

    def verify_webhook(self, session: Session, payload: bytes, headers: dict[str, str]) -> WebhookEvent:
        secret = _setting(session, 'stripe_webhook_secret')
        if not secret:
            raise SignatureRefused(_('No Stripe webhook signing secret is set in the settings: the event was refused'))
        header = headers.get('stripe-signature', '')
        if not header:
            raise SignatureRefused(_('The Stripe-Signature header is missing'))
        import stripe as sdk  # here, not above: the SDK (and httpx, ~0.2 s of CPU) only when Stripe is used

        try:
            text = payload.decode('utf-8')
            event = sdk.Webhook.construct_event(text, header, secret, tolerance=TOLERANCE_SECONDS)
        except UnicodeDecodeError:
            raise SignatureRefused(_('The event is not UTF-8 text')) from None
        except ValueError:
            raise SignatureRefused(_('The event is not JSON')) from None
        except sdk.SignatureVerificationError as error:
            if 'tolerance' in str(error).lower():
                raise SignatureRefused(
                    _('The signature is older than {seconds} seconds: the event was refused').format(
                        seconds=TOLERANCE_SECONDS
                    )
                ) from None
            raise SignatureRefused(_('The signature does not match the webhook signing secret')) from None
        return _event(json.loads(text), event)

    def read_intent(self, session: Session, reference: str) -> IntentState:
        return _intent(_call(lambda client: client.v1.payment_intents.retrieve(reference), session))

    def refunds_of(self, session: Session, intent_reference: str) -> list[RefundState]:
        found = _call(
            lambda client: client.v1.refunds.list(params={'payment_intent': intent_reference, 'limit': 100}), session
        )
        return [_refund(item) for item in found.get('data', [])]

    def send_refund(
        self, session: Session, *, intent_reference: str, amount: Decimal, currency: str, local_id: int, key: str
    ) -> RefundState:
        params = {
            'payment_intent': intent_reference,
            'amount': minor_units(amount, currency),
            'metadata': {'backoffice_refund_id': str(local_id)},
        }
        return _refund(
            _call(lambda client: client.v1.refunds.create(params=params, options={'idempotency_key': key}), session)
        )

    def cancel(self, session: Session, reference: str) -> IntentState:
        return _intent(_call(lambda client: client.v1.payment_intents.cancel(reference), session))


def minor_units(amount: Decimal, currency: str) -> int:
    return int(amount if currency.upper() in ZERO_DECIMAL else amount * 100)


def major_units(amount: int, currency: str) -> Decimal:
    value = Decimal(int(amount))
    return (
        value.quantize(Decimal('0.01')) if currency.upper() in ZERO_DECIMAL else (value / 100).quantize(Decimal('0.01'))
    )


def _setting(session: Session, key: str) -> str:
    return str(app_settings.value(session=session, key=key) or '')


def _call(work, session: Session) -> dict[str, Any]:
    """One SDK call with a client made from the settings; Stripe's refusal or a network failure as GatewayFailed."""
    secret = _setting(session, 'stripe_secret_key')
    if not secret:
        raise GatewayFailed(sentence(NOT_SET_UP))
    session.rollback()  # the settings are read: no transaction stays open while the gateway answers
    import stripe as sdk  # here, not above: the SDK only when Stripe is used

    base = get_settings().stripe_api_base or sdk.DEFAULT_API_BASE
    client = sdk.StripeClient(
        secret,
        base_addresses={'api': base},
        max_network_retries=2,  # the SDK retries with the same idempotency key
        http_client=sdk.RequestsClient(timeout=TIMEOUT_SECONDS),
    )
    try:
        found = work(client)
    except sdk.APIConnectionError:
        raise GatewayFailed(sentence(UNREACHABLE), unreachable=True) from None
    except sdk.AuthenticationError:
        raise GatewayFailed(sentence(KEY_REFUSED)) from None
    except sdk.StripeError as error:
        if error.user_message:  # Stripe's own words (English), kept as they are inside ours
            raise GatewayFailed(sentence(REFUSED_SAYING, message=str(error.user_message))) from None
        raise GatewayFailed(sentence(REFUSED)) from None
    return found.to_dict() if hasattr(found, 'to_dict') else dict(found)


def _event(raw: dict[str, Any], event: Any) -> WebhookEvent:
    kind = str(raw.get('type') or '')
    obj = (raw.get('data') or {}).get('object') or {}
    intent: IntentState | None = None
    refunds: tuple[RefundState, ...] = ()
    if obj.get('object') == 'payment_intent':
        intent = _intent(obj, failed=kind == 'payment_intent.payment_failed')
    elif obj.get('object') == 'refund':
        refunds = (_refund(obj),)
    elif obj.get('object') == 'charge':
        listed = (obj.get('refunds') or {}).get('data') or []
        refunds = tuple(_refund(item) for item in listed)
        if obj.get('payment_intent'):  # the refunds are read from Stripe when the event does not carry them
            intent = IntentState(
                reference=str(obj['payment_intent']),
                status='succeeded',
                amount=major_units(obj.get('amount', 0), obj.get('currency', 'eur')),
                currency=str(obj.get('currency', 'eur')).upper(),
                order_id=_order_id(obj.get('metadata')),
            )
    return WebhookEvent(id=str(raw.get('id') or event.id), type=kind, intent=intent, refunds=refunds)


def _intent(obj: dict[str, Any], *, failed: bool = False) -> IntentState:
    currency = str(obj.get('currency') or 'eur').upper()
    status = INTENT_STATES.get(str(obj.get('status')), 'requires_payment')
    error = obj.get('last_payment_error') or {}
    if failed or (status == 'requires_payment' and error):
        status = 'failed'
    received = obj.get('amount_received') or 0
    amount = received if status == 'succeeded' and received else obj.get('amount', 0)
    return IntentState(
        reference=str(obj.get('id')),
        status=status,
        amount=major_units(amount, currency),
        currency=currency,
        order_id=_order_id(obj.get('metadata')),
        message=str(error.get('message') or obj.get('cancellation_reason') or '')[:500],
    )


def _refund(obj: dict[str, Any]) -> RefundState:
    currency = str(obj.get('currency') or 'eur').upper()
    status = REFUND_STATES.get(str(obj.get('status')), 'pending')
    reason = obj.get('failure_reason')
    message = FAILURE_REASONS.get(str(reason), FAILURE_REASONS['unknown']) if status == 'failed' else ''
    local = (obj.get('metadata') or {}).get('backoffice_refund_id')
    return RefundState(
        reference=str(obj.get('id')),
        intent_reference=str(obj.get('payment_intent') or ''),
        status=status,
        amount=major_units(obj.get('amount', 0), currency),
        currency=currency,
        message=message,
        local_id=int(str(local)) if str(local or '').isdecimal() else None,
    )


def _order_id(metadata: Any) -> int | None:
    value = str((metadata or {}).get('order_id') or '')
    return int(value) if value.isdecimal() and len(value) < 12 else None


register_provider(StripeProvider())
