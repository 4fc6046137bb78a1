"""Money that arrived outside the back office (a bank transfer, cash, a card terminal): staff record it."""

from __future__ import annotations

import secrets
from decimal import Decimal

from backoffice.i18n import N_
from backoffice.models import Order, Payment
from backoffice.payment_providers.base import register_provider


class ManualProvider:
    key = 'manual'
    label = N_('Manual / bank transfer')
    methods = {
        'bank_transfer': N_('Bank transfer'),
        'cash': N_('Cash'),
        'card_terminal': N_('Card terminal'),
        'other': N_('Other'),
    }
    remote = False

    def capture(self, *, order: Order, amount: Decimal, method: str, reference: str) -> str:
        return reference or f'MAN-{secrets.token_hex(4).upper()}'

    def refund(self, *, payment: Payment | None, amount: Decimal, reason: str) -> str:
        return f'MANREF-{secrets.token_hex(4).upper()}'


register_provider(ManualProvider())
