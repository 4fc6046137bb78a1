"""A customer's saved addresses (their address book): staff edit them on the customer page (`customers.write`), the
customer in the portal's account page. One default shipping and one default billing address at most; an order keeps
its own copy of the address it went to, so nothing here changes an order. Audited on the customer."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from backoffice import changes
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed, field_errors
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import Customer, CustomerAddress, CustomerAddressIn, User
from backoffice.permissions import require
from backoffice.services import audit
from backoffice.services import portal_scope as scope
from backoffice.services.portal_scope import PortalActor
from backoffice.stored_text import sentence

MOST = 30  # addresses a customer may keep
FIELDS = ('label', 'name', 'line1', 'line2', 'postcode', 'city', 'country', 'phone', 'default_shipping',
          'default_billing')  # fmt: skip

Acting = User | PortalActor  # staff on the customer page, or the customer themselves in the portal


def addresses(*, session: Session, by: Acting, customer_id: int) -> list[CustomerAddress]:
    """The customer's addresses: the default shipping one first, then the default billing one, then by label."""
    _customer(session, by, customer_id, write=False)
    rows = list(session.exec(select(CustomerAddress).where(CustomerAddress.customer_id == customer_id)))
    return sorted(rows, key=lambda a: (not a.default_shipping, not a.default_billing, a.label.lower(), a.id or 0))


def save(
    *, session: Session, by: Acting, customer_id: int, address_id: int | None, version: int | None, data: dict[str, Any]
) -> CustomerAddress:
    """Add an address (address_id None) or change one (refused if someone saved it since `version`). Marking it the
    default shipping or billing address takes the mark off the customer's other one."""
    customer = _customer(session, by, customer_id, write=True)
    try:
        values = CustomerAddressIn.model_validate({key: data.get(key) for key in FIELDS if key in data}).model_dump()
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None
    if address_id is None:
        held = session.exec(
            select(func.count()).select_from(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
        ).one()
        if held >= MOST:
            raise ValidationFailed({'': _('Keep at most {count} addresses: delete one first.').format(count=MOST)})
        address = CustomerAddress(customer_id=customer_id, **values)
        before: dict[str, Any] = {}
        said = N_('{who} added the address "{label}" of {email}')
    else:
        address = _address(session, customer_id, address_id, version)
        before = audit.snapshot(address)
        for field, value in values.items():
            setattr(address, field, value)
        stamp(address)
        said = N_('{who} changed the address "{label}" of {email}')
    session.add(address)
    session.flush()
    for mark in ('default_shipping', 'default_billing'):
        if getattr(address, mark):
            _take_mark_off_others(session, address, mark)
    _record(session, by, customer, address, audit.diff(before, audit.snapshot(address)), said)
    changes.commit(session, (Topic.customers, {'id': customer_id, 'action': 'updated'}))
    return address


def delete(*, session: Session, by: Acting, customer_id: int, address_id: int, version: int | None) -> None:
    customer = _customer(session, by, customer_id, write=True)
    address = _address(session, customer_id, address_id, version)
    before = audit.snapshot(address)
    session.delete(address)
    _record(
        session,
        by,
        customer,
        address,
        audit.diff(before, {}),
        N_('{who} deleted the address "{label}" of {email}'),
        'customer.address_deleted',
    )
    changes.commit(session, (Topic.customers, {'id': customer_id, 'action': 'updated'}))


def one_line(address: CustomerAddress) -> str:
    """The address on one line, as a list shows it."""
    parts = [address.name, address.line1, address.line2, f'{address.postcode} {address.city}'.strip(), address.country]
    return ', '.join(part for part in parts if part)


# --- helpers ----------------------------------------------------------------------------------------------------------


def _customer(session: Session, by: Acting, customer_id: int, *, write: bool) -> Customer:
    if isinstance(by, PortalActor):
        if customer_id != by.customer_id:  # only their own: a colleague's address book is not the company's
            raise NotFound(_(scope.NOT_FOUND))
        return scope.customer(session, by)
    require(by, 'customers.write' if write else 'customers.read')
    customer = session.get(Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        raise NotFound(_('This customer no longer exists.'))
    return customer


def _address(session: Session, customer_id: int, address_id: int, version: int | None) -> CustomerAddress:
    found = session.get(CustomerAddress, address_id)
    if found is None or found.customer_id != customer_id:
        raise NotFound(_('This address no longer exists.'))
    return get_for_update(session, CustomerAddress, address_id, version, entity='customers', label=N_('address'))


def _take_mark_off_others(session: Session, address: CustomerAddress, mark: str) -> None:
    column = getattr(CustomerAddress, mark)
    others = session.exec(
        select(CustomerAddress).where(
            CustomerAddress.customer_id == address.customer_id, CustomerAddress.id != address.id, col(column).is_(True)
        )
    )
    for other in others:
        setattr(other, mark, False)
        stamp(other)
        session.add(other)


def _record(
    session: Session,
    by: Acting,
    customer: Customer,
    address: CustomerAddress,
    diff: dict[str, Any],
    said: str,
    action: str = 'customer.address_saved',
) -> None:
    who = by.email if isinstance(by, User) else f'{customer.email} (portal)'
    audit.record(
        session,
        by if isinstance(by, User) else None,
        action,
        'customers',
        customer.id,
        changes=diff,
        summary=sentence(said, who=who, label=address.label or address.line1, email=customer.email),
    )
