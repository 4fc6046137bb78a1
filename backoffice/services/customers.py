"""Customers' own rules: banning (with a reason) and unbanning are named, audited actions."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..errors import ValidationFailed
from ..models import Customer, CustomerStatus, User
from ..permissions import require
from ..records import get_for_update
from ..resources.base import resource
from .crud import save_change


def ban_customer(*, session: Session, actor: User, record_id: int, version: int, reason: str) -> Customer:
    """A banned customer cannot sign in to the product; their requests over the API are refused."""
    require(actor, 'customers.write')
    reason = (reason or '').strip()
    if not reason:
        raise ValidationFailed({'reason': 'Say why: the reason is kept with the ban'})
    customer = get_for_update(session, Customer, record_id, version, entity='customers', label='customer')
    if customer.status == CustomerStatus.banned:
        raise ValidationFailed({'': 'This customer is already banned'})
    return save_change(session, actor, resource('customers'), customer,
                       {'status': CustomerStatus.banned, 'ban_reason': reason[:500]}, 'banned')


def unban_customer(*, session: Session, actor: User, record_id: int, version: int) -> Customer:
    require(actor, 'customers.write')
    customer = get_for_update(session, Customer, record_id, version, entity='customers', label='customer')
    if customer.status != CustomerStatus.banned:
        raise ValidationFailed({'': 'This customer is not banned'})
    return save_change(session, actor, resource('customers'), customer,
                       {'status': CustomerStatus.active, 'ban_reason': None}, 'unbanned')


def status_change_allowed(customer: Customer, values: dict[str, Any]) -> dict[str, str]:
    """Editing cannot lift a ban silently: that is the Unban action, which is audited as such."""
    if 'status' in values and customer.status == CustomerStatus.banned and values['status'] != CustomerStatus.banned:
        return {'status': 'This customer is banned: use Unban'}
    return {}
