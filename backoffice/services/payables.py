"""What the shop owes its suppliers: approved bills not paid in full, aged in the receivables' buckets per supplier and
in total; the bills to pay this week; and those chosen exported as a SEPA credit transfer file (pain.001.001.03) for
the bank, then marked "payment sent" (one transaction, audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sepaxml import SepaTransfer
from sqlmodel import Session, col, select

from backoffice import business_ids, changes
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import BillStatus, Supplier, SupplierBill, User
from backoffice.permissions import require
from backoffice.services import app_settings, audit, bills
from backoffice.services.receivables import BUCKETS, Ageing, bucket_of
from backoffice.stored_text import count, day, money, sentence

ZERO = Decimal('0.00')
THIS_WEEK = 7  # "to pay this week": due within this many days, or overdue
OPEN_STATUSES = (BillStatus.approved, BillStatus.partly_paid)
SEPA_SCHEMA = 'pain.001.001.03'

__all__ = ['BUCKETS', 'OpenBill', 'SupplierAgeing', 'Report', 'report', 'to_pay', 'export_transfer', 'THIS_WEEK']


@dataclass(frozen=True)
class OpenBill:
    bill_id: int
    number: str
    supplier_id: int
    supplier_name: str
    iban: str
    bic: str
    currency: str
    issued_on: date
    due_on: date
    days_overdue: int
    total: Decimal
    open: Decimal
    bucket: str
    payment_sent_on: date | None


@dataclass
class SupplierAgeing(Ageing):
    supplier_id: int = 0
    name: str = ''
    oldest_days: int = 0


@dataclass
class Report:
    today: date
    items: list[OpenBill]
    suppliers: list[SupplierAgeing]
    totals: Ageing = field(default_factory=Ageing)
    currency: str = 'EUR'


def report(*, session: Session, actor: User, today: date | None = None, supplier_id: int | None = None) -> Report:
    """Every approved bill not paid in full, with days overdue and amount open; the ageing per supplier (largest first)
    and in total, in one pass over the items."""
    require(actor, 'payables.read')
    today = today or shop_today(app_settings.time_zone())
    items = open_bills(session, today=today, supplier_id=supplier_id)
    per_supplier: dict[int, SupplierAgeing] = {}
    totals = Ageing()
    for item in items:
        row = per_supplier.get(item.supplier_id)
        if row is None:
            row = per_supplier[item.supplier_id] = SupplierAgeing(supplier_id=item.supplier_id, name=item.supplier_name)
        row.add(item)  # type: ignore[arg-type]  # an OpenBill has what Ageing.add reads: bucket and open
        row.oldest_days = max(row.oldest_days, item.days_overdue)
        totals.add(item)  # type: ignore[arg-type]
    suppliers = sorted(per_supplier.values(), key=lambda r: (-r.total, r.name))
    return Report(today, items, suppliers, totals, str(app_settings.value(session=session, key='currency')))


def open_bills(session: Session, *, today: date, supplier_id: int | None = None) -> list[OpenBill]:
    query = (
        select(SupplierBill, Supplier)
        .join(Supplier, col(Supplier.id) == col(SupplierBill.supplier_id))
        .where(col(SupplierBill.status).in_(OPEN_STATUSES))
        .order_by(col(SupplierBill.due_on), col(SupplierBill.id))
    )
    if supplier_id:
        query = query.where(SupplierBill.supplier_id == supplier_id)
    found = []
    for bill, supplier in session.exec(query):
        overdue = (today - bill.due_on).days
        found.append(
            OpenBill(
                bill_id=bill.id or 0,
                number=bill.number,
                supplier_id=supplier.id or 0,
                supplier_name=supplier.name,
                iban=supplier.iban or '',
                bic=supplier.bic or '',
                currency=bill.currency,
                issued_on=bill.issued_on,
                due_on=bill.due_on,
                days_overdue=overdue,
                total=bill.total,
                open=bill.total - bill.paid,
                bucket=bucket_of(overdue),
                payment_sent_on=bill.payment_sent_on,
            )
        )
    return found


def to_pay(*, session: Session, actor: User, today: date | None = None, include_sent: bool = False) -> list[OpenBill]:
    """Approved bills with money open, due within 7 days or overdue, oldest due first; those already put in a transfer
    file are left out unless asked for."""
    require(actor, 'payables.read')
    today = today or shop_today(app_settings.time_zone())
    horizon = today + timedelta(days=THIS_WEEK)
    return [
        item
        for item in open_bills(session, today=today)
        if item.due_on <= horizon and (include_sent or item.payment_sent_on is None)
    ]


def export_transfer(
    *, session: Session, actor: User, bill_ids: list[int], execution_date: date | None = None
) -> tuple[bytes, str]:
    """A SEPA credit transfer file paying what is open on these bills from the shop's account (the IBAN/BIC of the
    invoice settings); the bills are marked "payment sent" on the file's date. Refused in words, nothing marked, when a
    supplier has no IBAN or the shop's account is not set."""
    require(actor, 'payables.manage')
    today = shop_today(app_settings.time_zone())
    execution_date = execution_date or today
    if not bill_ids:
        raise ValidationFailed({'bills': _('Choose the bills to pay')})
    settings = app_settings.current_values(session=session)
    debtor_name = settings.get('seller_legal_name') or settings.get('company_name') or ''
    debtor_iban, debtor_bic = settings.get('seller_iban') or '', settings.get('seller_bic') or ''
    if not debtor_iban:
        raise ValidationFailed(
            {'bills': _("Enter the shop's IBAN under Settings → Invoices first: the bank debits that account")}
        )
    rows = session.exec(
        select(SupplierBill, Supplier)
        .join(Supplier, col(Supplier.id) == col(SupplierBill.supplier_id))
        .where(col(SupplierBill.id).in_(bill_ids))
        .order_by(col(SupplierBill.due_on), col(SupplierBill.id))
        .with_for_update()
    ).all()
    not_payable = [bill.number for bill, _supplier in rows if bill.status not in OPEN_STATUSES]
    if len(rows) != len(set(bill_ids)) or not_payable:
        raise ValidationFailed(
            {
                'bills': _('Only approved bills with money open can be paid: {bills}').format(
                    bills=', '.join(not_payable) or _('a bill no longer exists')
                )
            }
        )
    without_iban = sorted({supplier.name for _bill, supplier in rows if not supplier.iban})
    if without_iban:
        raise ValidationFailed(
            {
                'bills': _(
                    'These suppliers have no IBAN, so the bank cannot pay them: {suppliers}. Add it on the '
                    'supplier, or leave their bills out.'
                ).format(suppliers=', '.join(without_iban))
            }
        )
    currency = str(settings.get('currency') or 'EUR')
    if currency != 'EUR' or any(bill.currency != 'EUR' for bill, _s in rows):
        raise ValidationFailed({'bills': _('A SEPA transfer is in euros: these bills are in another currency')})
    config = {
        'name': sepa_text(debtor_name, 70) or 'Shop',
        'IBAN': debtor_iban,
        'batch': True,
        'currency': 'EUR',
    }
    if debtor_bic:
        config['BIC'] = debtor_bic
    transfer = SepaTransfer(config, schema=SEPA_SCHEMA, clean=True)
    paid: list[dict[str, str]] = []
    for bill, supplier in rows:
        amount = bill.total - bill.paid
        payment = {
            'name': sepa_text(supplier.name, 70) or '.',
            'IBAN': supplier.iban,
            'amount': int((amount * 100).to_integral_value()),
            'execution_date': execution_date,
            'description': sepa_text(f'{bill.number} {supplier.name}', 140),
            'endtoend_id': f'BILL{bill.id}',
        }
        if supplier.bic:
            payment['BIC'] = supplier.bic
        transfer.add_payment(payment)
        bill.payment_sent_on = execution_date
        changes.stamp(bill)
        session.add(bill)
        paid.append({'bill': bill.number, 'supplier': supplier.name, 'amount': str(amount)})
    xml = transfer.export(validate=True)
    total = sum((Decimal(p['amount']) for p in paid), ZERO)
    audit.record(
        session,
        actor,
        'bill.transfer_exported',
        bills.ENTITY,
        None,
        changes={'bills': paid, 'execution_date': str(execution_date), 'debtor_iban': debtor_iban},
        summary=sentence(
            N_('Exported a SEPA transfer file paying {count} bills, {total}'),
            count=count(len(paid)),
            total=money(total, 'EUR'),
        ),
    )
    for bill, _supplier in rows:
        audit.record(
            session,
            actor,
            'bill.payment_sent',
            bills.ENTITY,
            bill.id,
            version=bill.version,
            changes={'payment_sent_on': str(execution_date)},
            summary=sentence(
                N_('Payment of bill {number} sent to the bank for {day}'),
                number=bill.number,
                day=day(execution_date),
            ),
        )
    changes.commit(session, *((Topic.supplier_bills, {'id': bill.id, 'action': 'payment_sent'}) for bill, _s in rows))
    return xml, f'sepa-transfer-{execution_date}-{transfer.msg_id[-8:]}.xml'


def spaced(iban: str) -> str:
    return business_ids.spaced_iban(iban)


# EPC's basic Latin set (EPC217-08): what every bank takes in a SEPA file's names and remittance text
SEPA_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
SEPA_REPLACED = {'&': '+', '"': "'", '\u2019': "'", '\u2018': "'", '\u201c': "'", '\u201d': "'", '_': '-'}


def sepa_text(text: str, limit: int) -> str:
    """A name or a remittance text as the SEPA basic Latin set writes it, at most `limit` characters: letters with
    accents transliterated ('Zoé' → 'Zoe', 'ß' → 'ss', 'Œ' → 'OE'), '&' → '+', quotes → ', anything else outside the set
    a full stop (EPC's conversion for a character it has no replacement for), spaces collapsed."""
    from text_unidecode import unidecode  # sepaxml's own transliteration (a dependency of it)

    plain = ''.join(SEPA_REPLACED.get(ch, ch) for ch in text)
    latin = unidecode(plain)
    kept = ''.join(ch if ch in SEPA_CHARACTERS else (' ' if ch.isspace() else '.') for ch in latin)
    return ' '.join(kept.split())[:limit].strip()
