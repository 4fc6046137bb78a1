"""Payment providers, one module each (`manual`, `stripe`): importing the package registers them all."""

from backoffice.payment_providers import manual, stripe  # noqa: F401 (registers them)
from backoffice.payment_providers.base import (
    CANCELABLE_STATES,
    PROVIDERS,
    GatewayFailed,
    IntentState,
    PaymentProvider,
    RefundState,
    RemoteProvider,
    SignatureRefused,
    WebhookEvent,
    gateway,
    register_provider,
)

__all__ = [
    'CANCELABLE_STATES',
    'PROVIDERS',
    'GatewayFailed',
    'IntentState',
    'PaymentProvider',
    'RefundState',
    'RemoteProvider',
    'SignatureRefused',
    'WebhookEvent',
    'gateway',
    'register_provider',
]
