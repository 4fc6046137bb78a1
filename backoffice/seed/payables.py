"""Demo suppliers and their bills, made through the services: one entered and approved by two people, one paid in
part, one overdue, one awaiting approval (nothing is added when suppliers exist)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from backoffice import db
from backoffice.kpi.days import today as shop_today
from backoffice.models import Role, Supplier, User
from backoffice.resources import resource
from backoffice.services import app_settings, bills, crud

SUPPLIERS = (
    # name, IBAN, BIC, VAT number, terms, contact
    ('Roastery Supply Co.', 'DE89370400440532013000', 'COBADEFFXXX', 'DE136695976', 30, 'Jonas Keller'),
    ('Faïencerie de Gien', 'FR1420041010050500013M02606', 'PSSTFRPPXXX', 'FR40303265045', 45, 'Zoé Martin'),
    ('Papeterie Lemoine', None, None, None, 15, 'Luc Lemoine'),
)


def seed_payables(session: Session) -> list[str]:
    if session.exec(select(Supplier.id)).first() is not None:
        return []
    clerk = _staff(session, Role.manager)
    approver = _staff(session, Role.admin)
    made: list[Supplier] = []
    for name, iban, bic, vat, terms, contact in SUPPLIERS:
        made.append(
            crud.create_record(  # type: ignore[arg-type]  # a plain resource: the record itself
                session=session,
                actor=None,
                system=True,
                resource=resource('suppliers'),
                data={
                    'name': name,
                    'iban': iban,
                    'bic': bic,
                    'vat_number': vat,
                    'payment_terms_days': terms,
                    'contact_name': contact,
                },
            )
        )
    if clerk is None or approver is None or clerk.id == approver.id:
        return [f'Suppliers: {len(made)}']
    today = shop_today(app_settings.time_zone())
    plans = (  # supplier, number, days ago issued, lines, approve, paid
        (0, 'RS-2026-1187', 20, [('Espresso beans 1 kg', '24', '14.50', '5.5')], True, '100.00'),
        (0, 'RS-2026-1042', 75, [('Filter papers', '200', '0.35', '20')], True, ''),
        (1, 'FG-11-0042', 10, [('Mugs 35 cl, blue', '48', '3.20', '20'), ('Delivery', '1', '18.90', '20')], True, ''),
        (2, 'PL-778', 3, [('Gift wrap rolls', '30', '2.10', '20')], False, ''),
    )
    for index, number, days_ago, lines, approve, paid in plans:
        with db.held_commits(session):
            bill = bills.create_bill(
                session=session,
                actor=clerk,
                supplier_id=made[index].id,
                number=number,
                issued_on=today - timedelta(days=days_ago),
                lines=[{'description': d, 'quantity': q, 'unit_price': p, 'vat_rate': r} for d, q, p, r in lines],
                submit=True,
            )
            assert bill.id is not None
            if approve:
                bills.approve(session=session, actor=approver, bill_id=bill.id, version=bill.version)
            if paid:
                bills.pay(session=session, actor=clerk, bill_id=bill.id, amount=paid, reference='VIR DEMO')
    session.commit()
    return [f'Suppliers: {len(made)}, with {len(plans)} bills (approved, part paid, overdue, awaiting approval)']


def _staff(session: Session, role: Role) -> User | None:
    return session.exec(
        select(User).where(User.role == role, col(User.is_active).is_(True)).order_by(col(User.id))
    ).first()
