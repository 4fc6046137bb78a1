"""Invoices and credit notes: issued on payment, or by hand before payment for a business customer on terms, numbered
without gaps per kind and year (a counter row locked in the issuing transaction), never changed once issued (the ORM
refuses it). Each carries what the EU VAT directive (Art. 226) asks, copied when issued: seller and buyer with their
VAT numbers, the supply date, the VAT per rate, the due date and terms, the order and, for a credit note, the invoice
it corrects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import event
from sqlmodel import Session, col, select

from backoffice import events
from backoffice.errors import NotFound, ServiceError
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import Customer, Invoice, InvoiceBuyer, InvoiceKind, InvoiceSeller, Order, OrderStatus, User
from backoffice.permissions import require
from backoffice.services import audit, orders
from backoffice.services.invoice_issue import (  # issuing itself, re-exported: payments and returns issue with it
    invoice_of,
    issue,
    language_of,
    payment_terms_of,
)
from backoffice.stored_text import sentence


class InvoiceImmutable(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            _('An issued invoice or credit note cannot be changed or deleted: issue a credit note instead.')
        )


@event.listens_for(Invoice, 'before_update')
@event.listens_for(Invoice, 'before_delete')
@event.listens_for(InvoiceSeller, 'before_update')  # the seller as invoices printed it: as fixed as they are
@event.listens_for(InvoiceSeller, 'before_delete')
@event.listens_for(InvoiceBuyer, 'before_update')  # and the buyer
@event.listens_for(InvoiceBuyer, 'before_delete')
def _refuse_change(_mapper, _connection, _target) -> None:
    raise InvoiceImmutable()


def issue_invoice(*, session: Session, actor: User, order_id: int) -> Invoice:
    """Issue the order's invoice by hand (one per order; a paid order already has one). An unpaid order is invoiced
    only for a customer on payment terms (net 15/30/60): everyone else pays first."""
    require(actor, 'orders.write')
    order = orders.locked(session, order_id, None)
    if order.status == OrderStatus.draft:
        raise ServiceError(_('Order {number} is a draft: it cannot be invoiced').format(number=order.number))
    if order.status == OrderStatus.cancelled:
        raise ServiceError(_('Order {number} is cancelled: it cannot be invoiced').format(number=order.number))
    if orders.settled_by_exchange(order):
        raise ServiceError(
            _(
                'Order {number} is an exchange, settled by its return: it is not invoiced (the invoice of the order '
                'it replaces stands)'
            ).format(number=order.number)
        )
    existing = invoice_of(session, order.id)
    if existing is not None:
        raise ServiceError(
            _('Order {number} is already invoiced: {invoice}').format(number=order.number, invoice=existing.number)
        )
    if order.status == OrderStatus.pending and payment_terms_of(session, order.customer_id) is None:
        raise ServiceError(
            _(
                'Order {number} is not paid yet: it is invoiced once paid. Only a business customer with payment '
                'terms (net 15, 30 or 60 days on their company or customer record) is invoiced before paying.'
            ).format(number=order.number)
        )
    invoice = issue(session, order, InvoiceKind.invoice, actor=actor)
    events.after_commit(session, Topic.invoices, {'id': invoice.id, 'action': 'issued'})
    orders.save(
        session,
        actor,
        order,
        audit.snapshot(order),
        'invoiced',
        sentence(N_('Invoice {number} issued'), number=invoice.number),
    )
    return invoice


DOCUMENT_LABELS = {'invoice': N_('Invoice {number}'), 'credit_note': N_('Credit note {number}')}


def document_title(invoice: Invoice) -> str:
    """'Invoice F-2026-00012' or 'Credit note A-2026-00003', in the reader's language."""
    return _(DOCUMENT_LABELS.get(invoice.kind.value, '{number}')).format(number=invoice.number)


def signed_total(kind: InvoiceKind | str, total: Decimal) -> Decimal:
    """A document's amount where invoices and credit notes are listed together (an order's documents, a customer's,
    the portal's): a credit note takes money back, so it reads negative (-€12.00), never as a second sale. The
    accounting export keeps its kind column and positive amounts per kind, and its VAT summary subtracts credit notes
    as this does."""
    return -total if InvoiceKind(kind) == InvoiceKind.credit_note else total


def documents_of(*, session: Session, actor: User, order_id: int) -> list[Invoice]:
    require(actor, 'invoices.read')
    return list(session.exec(select(Invoice).where(Invoice.order_id == order_id).order_by(col(Invoice.id))))


def get_invoice(*, session: Session, actor: User, invoice_id: int) -> Invoice:
    require(actor, 'invoices.read')
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(_('This invoice does not exist.'))
    return invoice


def invoice_language(session: Session, invoice: Invoice) -> str | None:
    """The language an invoice or credit note is rendered in: its order's customer's."""
    order = session.get(Order, invoice.order_id) if invoice.order_id else None
    customer = session.get(Customer, order.customer_id) if order is not None and order.customer_id else None
    return language_of(customer)


def paid_on(session: Session, invoice: Invoice) -> datetime | None:
    """When an invoice was paid in full (when issued, or later for one issued on terms); a credit note's refund."""
    if invoice.paid_at is not None:
        return invoice.paid_at
    if invoice.kind != InvoiceKind.invoice:
        return None
    order = session.get(Order, invoice.order_id)
    return order.paid_at if order is not None and order.paid_total >= invoice.total else None


def shipping_waived(session: Session, invoice: Invoice) -> bool:
    """An invoice whose order's shipping was waived (migration 0065): it says "Shipping: free" rather than leaving the
    customer to wonder. Only a draft's waiver can change, so the order says what the invoice was issued with; why it was
    waived is the staff's own note and never printed."""
    if invoice.kind != InvoiceKind.invoice or invoice.shipping_total:
        return False
    order = session.get(Order, invoice.order_id) if invoice.order_id else None
    return order is not None and bool(order.shipping_waived_reason)


def corrected_invoice(session: Session, invoice: Invoice) -> Invoice | None:
    """The invoice a credit note corrects."""
    return session.get(Invoice, invoice.corrects_id) if invoice.corrects_id else None
