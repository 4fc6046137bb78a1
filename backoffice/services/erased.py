"""How an erased customer is recognised: the placeholder email their erasure leaves (services/personal_data.py erases;
the customers' form, segments and legal acceptances only need to know, without depending on the erasure itself)."""

from __future__ import annotations

from backoffice.models import Customer

ERASED_DOMAIN = 'erased.invalid'  # a reserved top-level domain: no mail ever goes there


def is_erased(customer: Customer) -> bool:
    return customer.email == erased_email(customer.id)


def erased_email(customer_id: int | None) -> str:
    return f'erased-{customer_id}@{ERASED_DOMAIN}'
