"""The demo's money side, made through the services once the orders, the staff and the suppliers exist: a bank account
whose imported statement covers the last twelve weeks (card payouts, rent, salaries and fees set aside by matching
rules, so /finance has a cash history), with a few recent payments still to reconcile against the open invoices (by
number, by order, by name, one short of bank fees, one nobody can place) and a supplier's bill paid; the payment
reminders of the overdue invoices, waiting for review; and two orders shipped in part, one of them with the rest called
off and refunded (nothing is added when a bank account exists)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from sqlalchemy import func
from sqlmodel import Session, col, select

from backoffice.errors import ServiceError
from backoffice.kpi.days import today as shop_today
from backoffice.models import (
    BankAccount,
    BillStatus,
    Carrier,
    Order,
    OrderStatus,
    Payment,
    Role,
    Supplier,
    SupplierBill,
    User,
)
from backoffice.services import app_settings, bank, bank_rules, dunning, gateway_payments, orders, receivables

IBAN = 'DE02120300000000202051'
OPENING = Decimal('18250.00')
WEEKS = 12
RULES = (  # name, counterparty, reference contains, direction, category
    ('Card terminal payouts', 'SumUp Payments', '', 'credit', 'other'),
    ('Rent', 'Hausverwaltung Berger', '', 'debit', 'other'),
    ('Salaries', '', 'SALARY', 'debit', 'salary'),
    ('Bank fees', 'Commerzbank', '', 'debit', 'bank_fees'),
)


def seed_finance(session: Session) -> list[str]:
    if session.exec(select(BankAccount.id)).first() is not None:
        return []
    manager = session.exec(
        select(User).where(User.role == Role.manager, col(User.is_active).is_(True)).order_by(col(User.id))
    ).first()
    if manager is None:
        return []
    lines = [_split_shipments(session, manager)]
    lines.append(_bank(session, manager))
    reminders = dunning.queue_reminders(session=session)
    lines.append(f'Payment reminders: {len(reminders)} overdue invoices, waiting for review')
    return [line for line in lines if line]


def _split_shipments(session: Session, manager: User) -> str:
    """The two most recent packed orders of several items: a first parcel leaves with its first line; the second
    order's rest is called off (discontinued) and its value refunded."""
    carrier = session.exec(select(Carrier).order_by(col(Carrier.id))).first()
    packed = session.exec(
        select(Order.id)
        .where(Order.status == OrderStatus.packed, col(Order.shipped_at).is_(None))
        .order_by(col(Order.placed_at).desc(), col(Order.id))
        .limit(40)
    ).all()
    done = 0
    for order_id in packed:
        order = session.get(Order, order_id)
        assert order is not None and order.id is not None
        bought = orders.order_lines(session, order.id)
        if len(bought) < 2 or any(line.product_id is None for line in bought):
            continue
        try:
            orders.ship(
                session=session,
                actor=manager,
                order_id=order.id,
                version=order.version,
                carrier_id=carrier.id if carrier else None,
                tracking_number=f'JJD{40_000_000_000_000 + order.id}' if carrier else '',
                lines={bought[0].id: bought[0].quantity},
            )
            if done == 1:
                shipped = session.get(Order, order.id)
                assert shipped is not None
                # as the order page's "Cancel what is not shipped" does with its refund box ticked
                gateway_payments.cancel_rest_and_refund(
                    session=session,
                    actor=manager,
                    order_id=order.id,
                    version=shipped.version,
                    reason='Discontinued by the supplier',
                    refund=True,
                )
        except ServiceError:
            session.rollback()
            continue
        done += 1
        if done == 2:
            break
    return f'Orders shipped in part: {done} (one with the rest cancelled and refunded)' if done else ''


def _bank(session: Session, manager: User) -> str:
    currency = str(app_settings.value(session=session, key='currency') or 'EUR')
    account = bank.save_account(
        session=session,
        actor=manager,
        values={'name': 'Commerzbank business account', 'iban': IBAN, 'currency': currency},
    )
    for name, counterparty, reference, direction, category in RULES:
        bank_rules.save_rule(
            session=session,
            actor=manager,
            values={
                'name': name,
                'counterparty': counterparty,
                'reference_contains': reference,
                'direction': direction,
                'outcome': 'set_aside',
                'category': category,
            },
        )
    today = shop_today(app_settings.time_zone())
    entries = _history(session, today, currency) + _to_reconcile(session, today)
    entries.sort(key=lambda entry: entry[0])
    statement = _camt(entries, today, currency)
    result = bank.import_statement(
        session=session, actor=manager, account_id=account.id or 0, data=statement, file_name='camt053-demo.xml'
    )
    return (
        f'Bank: {result.new_lines} lines imported, {result.set_aside} set aside by rules, '
        f'{result.new_lines - result.set_aside - result.matched_by_rules} to reconcile'
    )


Entry = tuple[date, Decimal, str, str, str]  # booked on, signed amount, counterparty, label, reference


def _history(session: Session, today: date, currency: str) -> list[Entry]:
    """Twelve weeks of what every shop's account shows: the card terminal's weekly payout of the card payments taken
    that week (as recorded on the orders), the rent and salaries each month, the bank's fee."""
    start = today - timedelta(weeks=WEEKS)
    entries: list[Entry] = []
    monday = start - timedelta(days=start.weekday()) + timedelta(weeks=1)
    while monday < today:
        since = datetime.combine(monday - timedelta(weeks=1), time(), tzinfo=UTC)
        taken = session.exec(
            select(func.coalesce(func.sum(Payment.amount), 0))
            .join(Order, col(Order.id) == Payment.order_id)
            .where(
                Payment.method == 'card_terminal',
                col(Payment.paid_at) >= since,
                col(Payment.paid_at) < since + timedelta(weeks=1),
                Order.currency == currency,
            )
        ).one()
        amount = (Decimal(taken) * Decimal('0.9825')).quantize(Decimal('0.01'))  # less the provider's 1.75 %
        if amount > 0:
            entries.append((monday, amount, 'SumUp Payments', f'Payout week {since:%G-W%V}', f'SUMUP-{since:%G%V}'))
        monday += timedelta(weeks=1)
    month = date(start.year, start.month, 1)
    while month <= today:
        for day, amount, who, label, reference in (
            (1, Decimal('-1850.00'), 'Hausverwaltung Berger', 'Miete Lager und Büro', 'RENT'),
            (27, Decimal('-6420.00'), 'Staff salaries', 'Salaries', 'SALARY'),
            (28, Decimal('-24.50'), 'Commerzbank', 'Account fee', 'FEE'),
        ):
            booked = month.replace(day=day)
            if start <= booked < today:
                entries.append((booked, amount, who, label, f'{reference}-{booked:%Y%m}'))
        month = (month + timedelta(days=32)).replace(day=1)
    return entries


def _to_reconcile(session: Session, today: date) -> list[Entry]:
    """The last days' payments nobody matched yet: open invoices paid in full by number, by order number, by the
    customer's name only, one short of the bank's fee; a transfer nobody can place; a supplier's bill paid."""
    items = receivables.open_items(session, today=today)
    overdue = [item for item in items if item.days_overdue > 0]
    current = [item for item in items if item.days_overdue <= 0]
    picked = (overdue[-2:] + current[:2])[:4]
    entries: list[Entry] = []
    for index, item in enumerate(picked):
        day = today - timedelta(days=1 + index)
        who = item.account_name
        if index == 0:
            entries.append((day, item.open, who, f'Invoice {item.number}', item.number))
        elif index == 1:
            entries.append((day, item.open, who, f'Payment order {item.order_number}', ''))
        elif index == 2:
            entries.append((day, item.open - Decimal('1.50'), who, f'{item.number} less charges', ''))
        else:
            entries.append((day, item.open, who, 'Transfer', ''))
    entries.append((today - timedelta(days=2), Decimal('45.00'), 'M. Dupont', 'Virement', ''))
    bill = session.exec(
        select(SupplierBill, Supplier.name)
        .join(Supplier, col(Supplier.id) == SupplierBill.supplier_id)
        .where(SupplierBill.status == BillStatus.approved)
        .order_by(col(SupplierBill.id))
    ).first()
    if bill is not None:
        found, supplier = bill
        entries.append((today - timedelta(days=3), -found.total, supplier, f'Invoice {found.number}', found.number))
    return entries


def _camt(entries: list[Entry], today: date, currency: str) -> bytes:
    """The entries as the bank's CAMT.053 statement, its balances adding up."""
    closing = OPENING + sum((amount for _d, amount, *_rest in entries), Decimal('0.00'))
    first = entries[0][0] if entries else today

    def balance(code: str, amount: Decimal, day: date) -> str:
        mark = 'CRDT' if amount >= 0 else 'DBIT'
        return (
            f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{abs(amount)}</Amt>'
            f'<CdtDbtInd>{mark}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>'
        )

    rows = []
    for number, (day, amount, who, label, reference) in enumerate(entries, start=1):
        party = 'Dbtr' if amount > 0 else 'Cdtr'
        refs = f'<Refs><EndToEndId>{escape(reference)}</EndToEndId></Refs>' if reference else ''
        rows.append(
            f'<Ntry><NtryRef>{number}</NtryRef><Amt Ccy="{currency}">{abs(amount)}</Amt>'
            f'<CdtDbtInd>{"CRDT" if amount > 0 else "DBIT"}</CdtDbtInd><Sts>BOOK</Sts>'
            f'<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>'
            f'<AcctSvcrRef>DEMO{day:%Y%m%d}{number:05d}</AcctSvcrRef><NtryDtls><TxDtls>{refs}'
            f'<RltdPties><{party}><Nm>{escape(who)}</Nm></{party}></RltdPties>'
            f'<RmtInf><Ustrd>{escape(label)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f'<GrpHdr><MsgId>DEMO-{today:%Y%m%d}</MsgId></GrpHdr><Stmt><Id>STMT-{today:%Y-%m-%d}</Id>'
        f'<Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>{currency}</Ccy></Acct>'
        f'{balance("OPBD", OPENING, first)}{balance("CLBD", closing, today - timedelta(days=1))}'
        f'{"".join(rows)}</Stmt></BkToCstmrStmt></Document>'
    ).encode()
