"""Supplier bills: entered by hand or from a purchase order's received goods (in parts as they arrive), sent for
approval, approved by someone else holding `payables.approve`, paid in parts or in full, cancelled; the bill's PDF kept
beside it. Each public function is one transaction, audited, its refusals in words."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice import changes, formatting
from backoffice.config import get_settings
from backoffice.errors import NotFound, ValidationFailed, typed_at
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import (
    AuditEntry,
    BillPayment,
    BillStatus,
    Product,
    Purchase,
    PurchaseLine,
    PurchaseStatus,
    Supplier,
    SupplierBill,
    SupplierBillLine,
    User,
    utcnow,
)
from backoffice.permissions import require
from backoffice.private_files import private_folder
from backoffice.services import app_settings, audit, payments
from backoffice.stored_text import money, sentence
from backoffice.validation import decimal_text, too_long

ENTITY = 'supplier-bills'
ZERO = Decimal('0.00')
CENT = Decimal('0.01')
PDF_MAX_BYTES = 10 * 1024 * 1024
NUMBER_MAX = 60
DESCRIPTION_MAX = 300
PAYABLE = (BillStatus.approved, BillStatus.partly_paid)
EDITABLE = (BillStatus.draft, BillStatus.awaiting_approval)  # lines change only before anyone approved the bill
STATUS_WORDS: dict[str, str] = {
    'draft': N_('Draft'),
    'awaiting_approval': N_('Awaiting approval'),
    'approved': N_('Approved'),
    'partly_paid': N_('Partly paid'),
    'paid': N_('Paid'),
    'cancelled': N_('Cancelled'),
}


@dataclass(frozen=True)
class VatPart:
    rate: Decimal
    net: Decimal
    vat: Decimal


NOTE_MAX = 500  # characters of a bill's note (SupplierBill.note)
CANCEL_REASON_MAX = 300  # of why a bill is cancelled (its history)
UNDO_REASON_MAX = 200  # of why a payment recorded by hand is undone (its history)
METHOD_MAX = 20  # of a bill payment's method (BillPayment.method), a code such as 'bank_transfer'


def create_bill(
    *,
    session: Session,
    actor: User,
    supplier_id: Any,
    number: str,
    issued_on: date | None,
    due_on: date | None = None,
    lines: list[dict[str, Any]],
    note: str = '',
    submit: bool = False,
    purchase_id: int | None = None,
) -> SupplierBill:
    """A bill entered by hand: lines of {description, quantity, unit_price, vat_rate}; due `supplier's terms` days
    after its date unless a due date is given. `submit` sends it for approval at once."""
    require(actor, 'payables.manage')
    errors: dict[str, str] = {}
    supplier = _supplier(session, supplier_id, errors)
    number = ' '.join((number or '').split())
    if not number:
        errors['number'] = _("Enter the supplier's bill number")
    elif len(number) > NUMBER_MAX:
        errors['number'] = too_long(NUMBER_MAX, len(number))
    note = ' '.join((note or '').split())
    if len(note) > NOTE_MAX:  # SupplierBill.note: refused at its field, never cut unseen
        errors['note'] = too_long(NOTE_MAX, len(note))
    if issued_on is None:
        errors['issued_on'] = _('Enter the date on the bill')
    checked = _lines(lines, errors)
    if supplier is not None and number and 'number' not in errors and _taken(session, supplier, number):
        errors['number'] = _('{supplier} already has a bill numbered {number}').format(
            supplier=supplier.name, number=number
        )
    if issued_on is not None and due_on is not None and due_on < issued_on:
        errors['due_on'] = _('The due date cannot be before the date of the bill')
    if errors:
        raise ValidationFailed(errors)
    assert supplier is not None and issued_on is not None
    assert supplier.id is not None
    bill = SupplierBill(
        supplier_id=supplier.id,
        number=number,
        status=BillStatus.awaiting_approval if submit else BillStatus.draft,
        issued_on=issued_on,
        due_on=due_on or issued_on + timedelta(days=supplier.payment_terms_days),
        currency=str(app_settings.value(session=session, key='currency')),
        note=note,
        entered_by=actor.id,
        purchase_id=purchase_id,
    )
    session.add(bill)
    session.flush()
    assert bill.id is not None
    for line in checked:
        session.add(SupplierBillLine(bill_id=bill.id, **line))
    bill.net_total = sum((line['net'] for line in checked), ZERO)
    bill.vat_total = sum((part.vat for part in breakdown(checked)), ZERO)
    bill.total = bill.net_total + bill.vat_total
    audit.record(
        session,
        actor,
        'bill.entered',
        ENTITY,
        bill.id,
        version=bill.version,
        changes={'supplier': supplier.name, 'number': number, 'total': str(bill.total), 'status': bill.status.value},
        summary=sentence(
            N_('Entered bill {number} of {supplier}: {total}'),
            number=number,
            supplier=supplier.name,
            total=money(bill.total, bill.currency),
        ),
    )
    changes.commit(session, (Topic.supplier_bills, {'id': bill.id, 'action': 'entered'}))
    return bill


def from_purchase(
    *,
    session: Session,
    actor: User,
    purchase_id: int,
    number: str,
    issued_on: date | None,
    due_on: date | None = None,
    quantities: dict[Any, Any] | None = None,
) -> SupplierBill:
    """The bill of what arrived of a purchase order and is not billed yet (a partly received order is billed as its
    goods arrive, in as many bills as deliveries): its supplier, and its lines at their unit cost with the shop's VAT
    rate (the person checks them against the paper before sending it for approval). `quantities` ({purchase line id:
    quantity}) bills less of a line, a line left out or at 0 none; without it, everything received and not billed yet.
    Never more than received in all of the order's bills (cancelled ones aside): refused at the line's quantity."""
    require(actor, 'payables.manage')
    purchase = session.exec(select(Purchase).where(Purchase.id == purchase_id).with_for_update()).first()
    if purchase is None:
        raise NotFound(_('This purchase no longer exists.'))
    if not may_bill(purchase):
        raise ValidationFailed({'purchase': _('Bill a purchase order once its goods are received')})
    if purchase.supplier_id is None:
        raise ValidationFailed({'purchase': _('Choose the supplier of this purchase order first')})
    billing = _to_bill(session, purchase_id)
    if not any(line.left for line in billing):
        billed = [bill.number for bill in _bills_of(session, purchase_id) if bill.status != BillStatus.cancelled]
        raise ValidationFailed(
            {
                'purchase': _('Everything received on this purchase order is billed already: bill {number}').format(
                    number=', '.join(billed)
                )
            }
        )
    errors: dict[str, str] = {}
    wanted: list[tuple[ToBill, Decimal]] = []
    for i, line in enumerate(billing):
        typed = quantities or {}  # by line id, from a form or JSON (a text key)
        value = line.left if quantities is None else typed.get(line.line_id, typed.get(str(line.line_id)))
        if value in (None, ''):
            continue
        quantity = _decimal(value, Decimal('0.001'))
        if quantity is None or quantity < 0:
            errors[f'lines.{i}.quantity'] = _('Enter a quantity of 0 or more')
        elif quantity > line.left:
            errors[f'lines.{i}.quantity'] = _('At most {n}: {received} received, {billed} billed already').format(
                n=_quantity(line.left), received=_quantity(line.received), billed=_quantity(line.billed)
            )
        elif quantity:
            wanted.append((line, quantity))
    if errors:
        raise ValidationFailed(errors)
    if not wanted:
        raise ValidationFailed({'lines': _('Bill at least one item received')})
    rate = app_settings.decimal_value(session=session, key='vat_rate')
    lines = [
        {
            'description': line.description,
            'quantity': quantity,
            'unit_price': line.unit_cost if line.unit_cost is not None else ZERO,
            'vat_rate': rate,
            'product_id': line.product_id,
        }
        for line, quantity in wanted
    ]
    return create_bill(
        session=session,
        actor=actor,
        supplier_id=purchase.supplier_id,
        number=number,
        issued_on=issued_on,
        due_on=due_on,
        lines=lines,
        purchase_id=purchase_id,
    )


@dataclass(frozen=True)
class ToBill:
    """One line of a purchase order as billing sees it: ordered, received, billed in its bills (not cancelled)."""

    line_id: int
    product_id: int
    description: str  # 'SKU — name', as the bill's line says it
    ordered: int
    received: int
    billed: Decimal
    unit_cost: Decimal | None

    @property
    def left(self) -> Decimal:
        """Received and not billed yet: what the next bill takes by default."""
        return max(Decimal(self.received) - self.billed, ZERO)


@dataclass(frozen=True)
class PurchaseBilling:
    lines: list[ToBill]
    bills: list[SupplierBill]  # every bill of the order, cancelled ones too, oldest first
    may_bill: bool  # something received is not billed yet

    def said(self, line: ToBill) -> str:
        """'3 received, 2 billed' under the line."""
        return _('{received} received, {billed} billed').format(
            received=formatting.number(line.received), billed=_quantity(line.billed)
        )


def purchase_billing(*, session: Session, actor: User, purchase_id: int) -> PurchaseBilling:
    """What of a purchase order is billed and what is left: its lines (received vs billed) and its bills."""
    require(actor, 'payables.read')
    purchase = session.get(Purchase, purchase_id)
    if purchase is None:
        raise NotFound(_('This purchase no longer exists.'))
    lines = _to_bill(session, purchase_id)
    return PurchaseBilling(
        lines, _bills_of(session, purchase_id), may_bill(purchase) and any(line.left for line in lines)
    )


def may_bill(purchase: Purchase) -> bool:
    """Goods of it arrived (all or a part, a purchase closed short included): what arrived can be billed."""
    return purchase.status in (PurchaseStatus.partly_received, PurchaseStatus.received, PurchaseStatus.closed_short)


def _bills_of(session: Session, purchase_id: int) -> list[SupplierBill]:
    return list(
        session.exec(select(SupplierBill).where(SupplierBill.purchase_id == purchase_id).order_by(col(SupplierBill.id)))
    )


def _to_bill(session: Session, purchase_id: int, *, leaving_out: int | None = None) -> list[ToBill]:
    """The order's lines with what its bills (not cancelled; `leaving_out` one of them, being edited) bill of each
    product: a product's billed quantity is given to its lines in order, each up to what it received."""
    billed_query = (
        select(SupplierBillLine.product_id, func.coalesce(func.sum(SupplierBillLine.quantity), 0))
        .join(SupplierBill, col(SupplierBill.id) == col(SupplierBillLine.bill_id))
        .where(
            SupplierBill.purchase_id == purchase_id,
            SupplierBill.status != BillStatus.cancelled,
            col(SupplierBillLine.product_id).is_not(None),
        )
        .group_by(col(SupplierBillLine.product_id))
    )
    if leaving_out is not None:
        billed_query = billed_query.where(SupplierBill.id != leaving_out)
    billed = {product_id: Decimal(quantity) for product_id, quantity in session.exec(billed_query).all()}
    rows = session.exec(
        select(PurchaseLine, Product.sku, Product.name)
        .join(Product, col(Product.id) == col(PurchaseLine.product_id))
        .where(PurchaseLine.purchase_id == purchase_id)
        .order_by(col(PurchaseLine.id))
    ).all()
    last_of = {line.product_id: i for i, (line, _sku, _name) in enumerate(rows)}
    found = []
    for i, (line, sku, name) in enumerate(rows):
        left = billed.get(line.product_id, ZERO)
        share = left if last_of[line.product_id] == i else min(left, Decimal(line.received_quantity))
        billed[line.product_id] = left - share
        found.append(
            ToBill(
                line_id=line.id or 0,
                product_id=line.product_id,
                description=f'{sku} — {name}',
                ordered=line.quantity,
                received=line.received_quantity,
                billed=share,
                unit_cost=line.unit_cost,
            )
        )
    return found


def _over_received(session: Session, bill: SupplierBill, checked: list[dict[str, Any]], errors: dict[str, str]) -> None:
    """A purchase order's bill never bills more of a product than arrived, counting its other bills: said at the
    quantity of the line that goes over."""
    if bill.purchase_id is None:
        return
    others = _to_bill(session, bill.purchase_id, leaving_out=bill.id)
    received: dict[int, Decimal] = {}
    for other in others:
        received[other.product_id] = received.get(other.product_id, ZERO) + Decimal(other.received) - other.billed
    for i, line in enumerate(checked):
        product_id = line.get('product_id')
        if product_id is None or product_id not in received:
            continue
        received[product_id] -= line['quantity']
        if received[product_id] < 0:
            errors[f'lines.{i}.quantity'] = _('More than received: at most {n} of it is left to bill').format(
                n=_quantity(max(received[product_id] + line['quantity'], ZERO))
            )


def _quantity(value: Decimal | int) -> str:
    return formatting.number(Decimal(value).normalize()) if value else formatting.number(0)


def edit_lines(
    *, session: Session, actor: User, bill_id: int, version: int | None, lines: list[dict[str, Any]]
) -> SupplierBill:
    """The bill's lines replaced by those typed (the same checks as when it was entered) while it is not approved:
    totals and VAT recomputed, audited with the lines before and after. `version`: the bill as the person loaded it;
    a bill saved by someone else since is refused (StaleRecord), never silently overwritten."""
    require(actor, 'payables.manage')
    bill = _locked(session, bill_id, version)
    if bill.status not in EDITABLE:
        raise ValidationFailed(
            {
                'lines': _(
                    'This bill is {status}: its lines can be changed only before it is approved. Cancel it and enter '
                    'it again if it is wrong'
                ).format(status=status_word(bill))
                if bill.status != BillStatus.cancelled
                else _('This bill is cancelled: its lines cannot be changed')
            }
        )
    errors: dict[str, str] = {}
    checked = _lines(lines, errors)
    if not errors:
        _over_received(session, bill, checked, errors)
    if errors:
        raise ValidationFailed(errors)
    assert bill.id is not None
    old = session.exec(
        select(SupplierBillLine).where(SupplierBillLine.bill_id == bill.id).order_by(col(SupplierBillLine.id))
    ).all()
    before = [_line_said(line.description, line.quantity, line.unit_price, line.vat_rate) for line in old]
    was_total = bill.total
    for stored in old:
        session.delete(stored)
    session.flush()
    for typed in checked:
        session.add(SupplierBillLine(bill_id=bill.id, **typed))
    bill.net_total = sum((line['net'] for line in checked), ZERO)
    bill.vat_total = sum((part.vat for part in breakdown(checked)), ZERO)
    bill.total = bill.net_total + bill.vat_total
    changes.stamp(bill)
    session.add(bill)
    after = [
        _line_said(line['description'], line['quantity'], line['unit_price'], line['vat_rate']) for line in checked
    ]
    audit.record(
        session,
        actor,
        'bill.lines_edited',
        ENTITY,
        bill.id,
        version=bill.version,
        changes={'lines': [before, after], 'total': [str(was_total), str(bill.total)]},
        summary=sentence(
            N_('Changed the lines of bill {number}: total {before} → {after}'),
            number=bill.number,
            before=money(was_total, bill.currency),
            after=money(bill.total, bill.currency),
        ),
    )
    changes.commit(session, (Topic.supplier_bills, {'id': bill.id, 'action': 'lines_edited'}))
    return bill


def _line_said(description: str, quantity: Decimal, unit_price: Decimal, vat_rate: Decimal) -> str:
    """A line as the audit log keeps it: 'Paper A4 × 2 at 4.50, VAT 20.00 %'."""
    return f'{description} × {quantity.normalize():f} at {unit_price}, VAT {vat_rate} %'


def may_edit_lines(bill: SupplierBill) -> bool:
    return bill.status in EDITABLE


def submit(*, session: Session, actor: User, bill_id: int, version: int | None) -> SupplierBill:
    """A draft goes to whoever approves bills."""
    require(actor, 'payables.manage')
    bill = _locked(session, bill_id, version)
    if bill.status != BillStatus.draft:
        raise ValidationFailed(
            {'bill': _('Only a draft can be sent for approval; this bill is {status}').format(status=status_word(bill))}
        )
    return _moved(
        session, actor, bill, BillStatus.awaiting_approval, 'bill.submitted', N_('Sent bill {number} for approval')
    )


def approve(*, session: Session, actor: User, bill_id: int, version: int | None) -> SupplierBill:
    """Approval for payment, by someone holding payables.approve who did not enter the bill."""
    require(actor, 'payables.approve')
    bill = _locked(session, bill_id, version)
    refused = approval_refused(session=session, actor=actor, bill=bill)
    if refused:
        raise ValidationFailed({'bill': refused})
    bill.approved_by, bill.approved_at = actor.id, utcnow()
    return _moved(session, actor, bill, BillStatus.approved, 'bill.approved', N_('Approved bill {number} for payment'))


def cancel(*, session: Session, actor: User, bill_id: int, version: int | None, reason: str = '') -> SupplierBill:
    """A bill entered by mistake, or disputed: cancelled while nothing was paid on it."""
    require(actor, 'payables.manage')
    reason = typed_at('reason', reason, maximum=CANCEL_REASON_MAX)
    bill = _locked(session, bill_id, version)
    if bill.status == BillStatus.cancelled:
        raise ValidationFailed({'bill': _('This bill is cancelled already')})
    if bill.paid > 0:
        raise ValidationFailed(
            {
                'bill': _('{paid} was paid on this bill: it cannot be cancelled').format(
                    paid=payments.amount_in_words(bill.paid, bill.currency)
                )
            }
        )
    return _moved(
        session, actor, bill, BillStatus.cancelled, 'bill.cancelled', N_('Cancelled bill {number}'), reason=reason
    )


def pay(
    *,
    session: Session,
    actor: User,
    bill_id: int,
    amount: Any,
    paid_on: date | None = None,
    reference: str = '',
    method: str = 'bank_transfer',
    bank_line_id: int | None = None,
    commit: bool = True,
) -> BillPayment:
    """Money paid to the supplier on an approved bill, in part or in full; more than is open is refused."""
    require(actor, 'payables.manage')
    value = payments.money(amount, 'amount')
    reference = payments.typed_reference(reference)  # a bank line's is fitted by its caller (payments.reference_from)
    method = typed_at('method', method, maximum=METHOD_MAX)  # a code the caller chose: a cut one would be another
    bill = _locked(session, bill_id, None)
    session.refresh(bill)  # what another payment committed meanwhile counts
    if bill.status not in PAYABLE:
        raise ValidationFailed(
            {'amount': _('Only an approved bill can be paid; this bill is {status}').format(status=status_word(bill))}
        )
    left = open_amount(bill)
    if value > left:
        raise ValidationFailed(
            {
                'amount': _('Only {open} is open on bill {number}: {amount} is more than that').format(
                    open=payments.amount_in_words(left, bill.currency),
                    number=bill.number,
                    amount=payments.amount_in_words(value, bill.currency),
                )
            }
        )
    assert bill.id is not None
    payment = BillPayment(
        bill_id=bill.id,
        amount=value,
        paid_on=paid_on or shop_today(app_settings.time_zone()),
        method=method,
        reference=reference,
        bank_line_id=bank_line_id,
        created_by=actor.id,
    )
    session.add(payment)
    bill.paid += value
    bill.status = BillStatus.paid if bill.paid == bill.total else BillStatus.partly_paid
    changes.stamp(bill)
    session.add(bill)
    session.flush()
    audit.record(
        session,
        actor,
        'bill.paid',
        ENTITY,
        bill.id,
        version=bill.version,
        changes={'payment': payment.id, 'amount': str(value), 'paid': str(bill.paid), 'status': bill.status.value},
        summary=sentence(N_('Paid {amount} on bill {number}'), amount=money(value, bill.currency), number=bill.number),
    )
    if commit:
        changes.commit(session, (Topic.supplier_bills, {'id': bill.id, 'action': 'paid'}))
    return payment


def undo_payment(*, session: Session, actor: User, payment_id: int, reason: str = '', commit: bool = True) -> None:
    """A payment recorded by mistake (or a bank line's match undone): the bill is open again by that much."""
    require(actor, 'payables.manage')
    reason = typed_at('reason', reason, maximum=UNDO_REASON_MAX)  # kept whole in the history, or refused
    payment = session.get(BillPayment, payment_id)
    if payment is None:
        raise NotFound(_('This payment no longer exists.'))
    bill = _locked(session, payment.bill_id, None)
    session.refresh(bill)
    bill.paid -= payment.amount
    bill.status = BillStatus.partly_paid if bill.paid > 0 else BillStatus.approved
    changes.stamp(bill)
    session.add(bill)
    session.delete(payment)
    audit.record(
        session,
        actor,
        'bill.payment_undone',
        ENTITY,
        bill.id,
        version=bill.version,
        changes={'amount': str(payment.amount), 'paid': str(bill.paid), 'reason': reason},
        summary=sentence(
            N_('Undid a payment of {amount} on bill {number}'),
            amount=money(payment.amount, bill.currency),
            number=bill.number,
        ),
    )
    if commit:
        changes.commit(session, (Topic.supplier_bills, {'id': bill.id, 'action': 'payment_undone'}))


def undo_recorded_payment(
    *, session: Session, actor: User, payment_id: int, version: int | None, reason: str
) -> SupplierBill:
    """A payment recorded by hand on the bill's page by mistake (a wrong amount, the wrong bill): removed, the bill
    open again by that much, audited with the reason. Refused in words for a payment a bank statement line's match
    recorded (the bank says it was paid: that match is undone at the bank statements, which undoes this too).
    `version`: the bill as the person loaded it (StaleRecord if it changed since)."""
    require(actor, 'payables.manage')
    payment = session.get(BillPayment, payment_id)
    if payment is None:
        raise NotFound(_('This payment no longer exists.'))
    bill = _locked(session, payment.bill_id, version)
    if payment.bank_line_id is not None:
        raise ValidationFailed(
            {
                'payment': _(
                    'This payment was recorded by matching a bank statement line: the bank says it was paid. Undo that '
                    'match under Bank statements if it is wrong'
                )
            }
        )
    reason = typed_at('reason', reason, maximum=UNDO_REASON_MAX)
    if not reason:
        raise ValidationFailed({'reason': _('Say why this payment is undone (it is kept in the history)')})
    assert payment.id is not None
    undo_payment(session=session, actor=actor, payment_id=payment.id, reason=reason)
    return bill


def may_undo(payment: BillPayment) -> bool:
    """A payment recorded by hand (not by a bank line's match) may be undone from the bill's page."""
    return payment.bank_line_id is None


def undo_payments_of_line(*, session: Session, actor: User, line_id: int) -> list[int]:
    """The bill payments a bank line's match recorded, reversed inside the caller's transaction (its undo): the ids of
    the bills that are open again."""
    found = session.exec(select(BillPayment).where(BillPayment.bank_line_id == line_id)).all()
    reopened = []
    for payment in found:
        reopened.append(payment.bill_id)
        assert payment.id is not None
        undo_payment(session=session, actor=actor, payment_id=payment.id, reason=f'bank line {line_id}', commit=False)
    return reopened


def attach_pdf(*, session: Session, actor: User, bill_id: int, file_name: str, data: bytes) -> SupplierBill:
    """The supplier's bill as a PDF (read from its bytes, at most 10 MB); it replaces the one attached before."""
    require(actor, 'payables.manage')
    if len(data) > PDF_MAX_BYTES:
        raise ValidationFailed(
            {
                'pdf': _('This file is {size} MB: attach a PDF of at most {limit} MB').format(
                    size=formatting.number(len(data) / 1024 / 1024, 1), limit=PDF_MAX_BYTES // 1024 // 1024
                )
            }
        )
    if not data.startswith(b'%PDF-') or b'%%EOF' not in data[-2048:]:
        raise ValidationFailed({'pdf': _('This file is not a PDF: attach the bill as a PDF file')})
    bill = _locked(session, bill_id, None)
    stored = f'{secrets.token_hex(16)}.pdf'
    path = _root() / stored
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, 'wb') as out:
        out.write(data)
    old = bill.pdf_stored
    base = (file_name or '').replace('\\', '/').rsplit('/', 1)[-1]
    bill.pdf_stored = stored
    bill.pdf_name = (''.join(ch for ch in base if ch.isprintable()).strip() or 'bill.pdf')[:200]
    changes.stamp(bill)
    session.add(bill)
    audit.record(
        session,
        actor,
        'bill.pdf_attached',
        ENTITY,
        bill.id,
        version=bill.version,
        changes={'file': bill.pdf_name, 'size': len(data)},
        summary=sentence(N_('Attached {file} to bill {number}'), file=bill.pdf_name, number=bill.number),
    )
    try:
        changes.commit(session, (Topic.supplier_bills, {'id': bill.id, 'action': 'pdf'}))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if old:
        (_root() / old).unlink(missing_ok=True)
    return bill


def pdf_of(*, session: Session, actor: User, bill_id: int) -> tuple[bytes, str]:
    """The bill's PDF and its file name, for those who may read bills."""
    require(actor, 'payables.read')
    bill = session.get(SupplierBill, bill_id)
    if bill is None or not bill.pdf_stored:
        raise NotFound(_('This bill has no PDF attached.'))
    return (_root() / bill.pdf_stored).read_bytes(), bill.pdf_name


def get(*, session: Session, actor: User, bill_id: int) -> tuple[SupplierBill, Supplier, list[SupplierBillLine]]:
    require(actor, 'payables.read')
    bill = session.get(SupplierBill, bill_id)
    if bill is None:
        raise NotFound(_('This bill no longer exists.'))
    lines = session.exec(
        select(SupplierBillLine).where(SupplierBillLine.bill_id == bill_id).order_by(col(SupplierBillLine.id))
    ).all()
    supplier = session.get(Supplier, bill.supplier_id)
    assert supplier is not None  # a supplier with bills is never deleted (RESTRICT; the trash keeps the row)
    return bill, supplier, list(lines)


def payments_of(*, session: Session, actor: User, bill_id: int) -> list[BillPayment]:
    require(actor, 'payables.read')
    return list(
        session.exec(select(BillPayment).where(BillPayment.bill_id == bill_id).order_by(col(BillPayment.id))).all()
    )


def timeline(*, session: Session, actor: User, bill_id: int) -> list[AuditEntry]:
    """What happened to the bill, oldest first: entered, sent for approval, approved, paid, PDF attached…"""
    require(actor, 'payables.read')
    return list(reversed(audit.entries_for(session, ENTITY, bill_id)))


def of_purchase(*, session: Session, actor: User, purchase_id: int) -> SupplierBill | None:
    require(actor, 'payables.read')
    return session.exec(select(SupplierBill).where(SupplierBill.purchase_id == purchase_id)).first()


def breakdown(lines: list[dict[str, Any]] | list[SupplierBillLine]) -> list[VatPart]:
    """The VAT per rate: each rate's net total, and its VAT rounded once per rate (as the bill states it)."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = line['vat_rate'] if isinstance(line, dict) else line.vat_rate
        net = line['net'] if isinstance(line, dict) else line.net
        nets[Decimal(rate)] = nets.get(Decimal(rate), ZERO) + Decimal(net)
    return [
        VatPart(rate, net, (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP))
        for rate, net in sorted(nets.items())
    ]


def open_amount(bill: SupplierBill) -> Decimal:
    return ZERO if bill.status == BillStatus.cancelled else bill.total - bill.paid


def status_word(bill: SupplierBill) -> str:
    return _(STATUS_WORDS[bill.status.value]).lower()


def may_submit(bill: SupplierBill) -> bool:
    return bill.status == BillStatus.draft


def approval_refused(*, session: Session, actor: User, bill: SupplierBill) -> str | None:
    """Why this person may not approve the bill now, in words (None: they may): the bill page shows it instead of an
    Approve button that would be refused, and `approve` refuses with it. Four eyes: not who entered it or edited its
    lines."""
    if bill.status not in (BillStatus.draft, BillStatus.awaiting_approval):
        return _('This bill is {status}: there is nothing to approve').format(status=status_word(bill))
    if bill.entered_by is not None and bill.entered_by == actor.id:
        return _(
            'You entered this bill yourself: another person who may approve bills must approve it, '
            'so that no one can have a bill paid on their own word alone'
        )
    if _edited_lines(session, bill, actor):
        return _(
            'You changed the lines of this bill: another person who may approve bills must approve it, so '
            'that no one can have a bill paid on their own word alone'
        )
    return None


def awaits_approval(bill: SupplierBill) -> bool:
    return bill.status in (BillStatus.draft, BillStatus.awaiting_approval)


def may_pay(bill: SupplierBill) -> bool:
    return bill.status in PAYABLE


def may_cancel(bill: SupplierBill) -> bool:
    return bill.status != BillStatus.cancelled and bill.paid == 0


def _edited_lines(session: Session, bill: SupplierBill, actor: User) -> bool:
    """Whether this person changed the bill's lines (four eyes: they may not approve what they wrote)."""
    found = session.exec(
        select(AuditEntry.id).where(
            AuditEntry.entity == ENTITY,
            AuditEntry.entity_id == str(bill.id),
            AuditEntry.action == 'bill.lines_edited',
            AuditEntry.actor_id == actor.id,
        )
    ).first()
    return found is not None


def _supplier(session: Session, supplier_id: Any, errors: dict[str, str]) -> Supplier | None:
    try:
        supplier = session.get(Supplier, int(supplier_id)) if supplier_id not in (None, '') else None
    except (TypeError, ValueError):
        supplier = None
    if supplier is None or supplier.deleted_at is not None:
        errors['supplier_id'] = _('Choose a supplier')
        return None
    return supplier


def _taken(session: Session, supplier: Supplier, number: str) -> bool:
    return (
        session.exec(
            select(SupplierBill.id).where(SupplierBill.supplier_id == supplier.id, SupplierBill.number == number)
        ).first()
        is not None
    )


def _lines(lines: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    checked: list[dict[str, Any]] = []
    for i, line in enumerate(lines or []):
        description = ' '.join(str(line.get('description') or '').split())
        if not description:
            errors[f'lines.{i}.description'] = _('Describe what this line is for')
        elif len(description) > DESCRIPTION_MAX:  # refused at its field with its length, never cut unseen
            errors[f'lines.{i}.description'] = too_long(DESCRIPTION_MAX, len(description))
        quantity = _decimal(line.get('quantity'), Decimal('0.001'))
        if quantity is None or quantity <= 0 or quantity >= Decimal('1e9'):
            errors[f'lines.{i}.quantity'] = _('Enter a quantity above 0')
        price = _decimal(line.get('unit_price'), CENT)
        if price is None or abs(price) >= Decimal('1e10'):
            errors[f'lines.{i}.unit_price'] = _('Enter an amount, e.g. 12.50')
        rate = _decimal(line.get('vat_rate'), CENT)
        if rate is None or not 0 <= rate <= 100:
            errors[f'lines.{i}.vat_rate'] = _('Enter a VAT rate from 0 to 100 %')
        if quantity is not None and price is not None and rate is not None:
            checked.append(
                {
                    'description': description,
                    'quantity': quantity,
                    'unit_price': price,
                    'vat_rate': rate,
                    'net': (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP),
                    'product_id': line.get('product_id'),
                }
            )
    if not lines:
        errors['lines'] = _('Add at least one line')
    elif not errors and sum((line['net'] for line in checked), ZERO) <= 0:
        errors['lines'] = _('A bill adds up to more than 0')
    return checked


def _decimal(value: Any, places: Decimal) -> Decimal | None:
    if value is None or isinstance(value, bool) or str(value).strip() == '':
        return None
    try:
        number = Decimal(decimal_text(str(value)))
    except (InvalidOperation, ValueError):  # not a number, or ambiguous ('1.234' in French)
        return None
    if not number.is_finite() or number != number.quantize(places):
        return None
    return number.quantize(places)


def _locked(session: Session, bill_id: int, version: int | None) -> SupplierBill:
    return changes.get_for_update(session, SupplierBill, bill_id, version, entity=ENTITY, label=N_('bill'))


def _moved(
    session: Session, actor: User, bill: SupplierBill, status: BillStatus, action: str, summary: str, **details: str
) -> SupplierBill:
    was = bill.status.value
    bill.status = status
    changes.stamp(bill)
    session.add(bill)
    audit.record(
        session,
        actor,
        action,
        ENTITY,
        bill.id,
        version=bill.version,
        changes={'status': [was, status.value], **details},
        summary=sentence(summary, number=bill.number),
    )
    changes.commit(session, (Topic.supplier_bills, {'id': bill.id, 'action': action.split('.', 1)[1]}))
    return bill


def _root() -> Path:
    return private_folder(get_settings().data_dir / 'bills')
