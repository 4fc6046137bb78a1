"""Payables test data made through the real services: suppliers, bills entered by one person and approved by another,
a real PDF, and the shop's bank details."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fpdf import FPDF

from backoffice.db import session_scope
from backoffice.kpi.days import today as shop_today
from backoffice.models import SupplierBill, User
from backoffice.resources import resource
from backoffice.services import app_settings, bills, crud

SHOP_IBAN = 'FR7630006000011234567890189'
SHOP_BIC = 'AGRIFRPP'
SUPPLIER_IBAN = 'DE89370400440532013000'
SUPPLIER_BIC = 'COBADEFFXXX'


def today() -> date:
    return shop_today(app_settings.time_zone())


def make_supplier(name: str, **fields: Any):
    """A supplier; `fields`: iban, bic, vat_number, payment_terms_days (30 unless given)…"""
    with session_scope() as session:
        return crud.create_record(
            session=session, actor=None, system=True, resource=resource('suppliers'), data={'name': name, **fields}
        )


def shop_bank(admin: User, **extra: str) -> None:
    """The shop's own account (the invoices' seller IBAN/BIC), which a transfer file debits."""
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={
                'seller_legal_name': 'Boutique Zoé SARL',
                'seller_iban': SHOP_IBAN,
                'seller_bic': SHOP_BIC,
                **extra,
            },
        )


def enter_bill(
    actor: User,
    supplier_id: int,
    number: str = 'F-2026-001',
    *,
    lines: list[dict[str, Any]] | None = None,
    issued_on: date | None = None,
    due_on: date | None = None,
    submit: bool = True,
) -> SupplierBill:
    with session_scope() as session:
        return bills.create_bill(
            session=session,
            actor=actor,
            supplier_id=supplier_id,
            number=number,
            issued_on=issued_on or today(),
            due_on=due_on,
            lines=lines or [{'description': 'Mugs', 'quantity': '10', 'unit_price': '10.00', 'vat_rate': '20'}],
            submit=submit,
        )


def approved_bill(clerk: User, approver: User, supplier_id: int, number: str = 'F-2026-001', **kwargs: Any):
    bill = enter_bill(clerk, supplier_id, number, **kwargs)
    with session_scope() as session:
        return bills.approve(session=session, actor=approver, bill_id=bill.id, version=bill.version)


def due_in(days: int) -> dict[str, date]:
    """Dates of a bill due `days` from today (negative: overdue), issued 30 days before its due date."""
    due = today() + timedelta(days=days)
    return {'issued_on': due - timedelta(days=30), 'due_on': due}


def real_pdf(text: str = 'Facture F-2026-001') -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font('helvetica', size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())
