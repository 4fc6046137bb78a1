"""The payables screens as an accountant uses them: a supplier added (its IBAN checked at the field), a bill typed
from the paper and sent for approval, the approval refused to the person who entered it and given by another, a
payment in part (more than open refused at the field), the PDF attached and downloaded, the bills to pay this week
exported as a SEPA file; a purchase order's bill; the roles that may not are refused."""

from __future__ import annotations

from decimal import Decimal

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import BillStatus, Supplier, SupplierBill
from backoffice.models import User as UserRow
from backoffice.services import audit, bills, purchases

from .support.api import key_for
from .support.factories import make_product, make_user
from .support.lists import rows_show
from .support.payables import SUPPLIER_IBAN, approved_bill, due_in, enter_bill, make_supplier, real_pdf, shop_bank
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script>'
KEY = 'Books: "nightly" <script>x</script>'
APPROVER = "Maria 'Mia' R: <b>"


def only(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


def stored(bill_id: int) -> SupplierBill:
    with read_session() as session:
        return session.get(SupplierBill, bill_id)


async def test_an_accountant_adds_a_supplier_with_its_iban_checked_at_the_field(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/suppliers')
    await user.should_see('New supplier', retries=40)
    user.find('New supplier').click()
    user.find('Name *').type(HOSTILE)
    user.find(kind=ui.input, content='IBAN').type('FR76 0000 0000 0000')
    user.find('Create supplier').click()
    await user.should_see('Enter an IBAN, e.g. FR76 3000 6000 0112 3456 7890 189', retries=20)
    user.find(kind=ui.input, content='IBAN').clear().type('FR76 3000 6000 0112 3456 7890 188')
    user.find('Create supplier').click()
    await user.should_see('This IBAN has a wrong check digit', retries=20)
    user.find(kind=ui.input, content='IBAN').clear().type('DE89 3704 0044 0532 0130 00')
    user.find(kind=ui.textarea, content='Notes').type(HOSTILE)
    user.find(kind=ui.input, content='Payment terms').clear().type('45')
    user.find(kind=ui.input, content='Contact name').type(HOSTILE)
    user.find('Create supplier').click()
    await user.should_see('Supplier created', retries=40)
    await rows_show(user, HOSTILE, column='name')
    with read_session() as session:
        supplier = session.exec(select(Supplier)).one()
    assert (supplier.name, supplier.iban, supplier.notes, supplier.contact_name, supplier.payment_terms_days) == (
        HOSTILE,
        SUPPLIER_IBAN,
        HOSTILE,
        HOSTILE,
        45,
    )


async def test_a_bill_is_entered_approved_by_another_person_and_paid_in_part(user: User, create_user) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    supplier = make_supplier(HOSTILE, payment_terms_days=30)
    await signed_in(user, manager.email, path='/finance/bills')
    await user.should_see(marker='new-bill', retries=40)
    user.find(marker='new-bill').click()
    await user.should_see(marker='bill-dialog')
    only(user, 'bill-supplier').set_value(supplier.id)
    user.find(marker='bill-number').type(HOSTILE[:40])
    user.find(marker='bill-line-0-description').type(HOSTILE)
    user.find(marker='bill-line-0-quantity').clear().type('2')
    user.find(marker='bill-line-0-unit_price').type('abc')
    user.find(marker='bill-submit').click()
    await user.should_see('Enter an amount, e.g. 12.50', retries=20)
    user.find(marker='bill-line-0-unit_price').clear().type('50,00')
    user.find(marker='bill-submit').click()
    await user.should_see(marker='bill-status', retries=40)
    await user.should_see('Awaiting approval')
    with read_session() as session:
        bill = session.exec(select(SupplierBill)).one()
    assert (bill.number, bill.total, bill.status) == (HOSTILE[:40], Decimal('120.00'), BillStatus.awaiting_approval)
    # the person who entered it may not approve it: no Approve button to be refused by, and why, said in visible words
    # (a tooltip on a phone is never seen)
    await user.should_see('You entered this bill yourself: another person who may approve bills must approve it')
    await user.should_not_see(marker='bill-approve')
    assert stored(bill.id).status == BillStatus.awaiting_approval

    approver = create_user()
    await signed_in(approver, admin.email, path=f'/finance/bills/{bill.id}')
    await approver.should_see(marker='bill-approve', retries=40)
    approver.find(marker='bill-approve').click()
    await approver.should_see('Bill approved for payment', retries=20)
    assert stored(bill.id).status == BillStatus.approved

    await user.should_see(marker='bill-pay', retries=40)  # the accountant's page followed live
    user.find(marker='bill-pay').click()
    user.find(marker='bill-pay-amount').clear().type('120.01')
    user.find(marker='bill-pay-save').click()
    await user.should_see('is more than that', retries=20)
    user.find(marker='bill-pay-amount').clear().type('20.00')
    user.find(marker='bill-pay-reference').type(HOSTILE)
    user.find(marker='bill-pay-save').click()
    await user.should_see('Payment recorded', retries=20)
    await eventually(lambda: stored(bill.id).status == BillStatus.partly_paid)
    await user.should_see('Partly paid', retries=20)
    await user.should_see(marker='bill-payment')


async def test_a_bills_timeline_names_people_by_name_and_an_api_key_by_its_name(user: User) -> None:
    """The timeline showed each entry's actor as the log keeps it (an email; 'maria@… (API key ab12cd34)'): it names
    people and keys as every other history does."""
    clerk = make_user('manager', name=HOSTILE)
    key, _secret = key_for('admin', 'write:canned-replies', name=KEY, person_name=APPROVER)
    with read_session() as session:
        approver = session.get(UserRow, key.user_id)
    bill = enter_bill(clerk, make_supplier('Acme').id)
    with session_scope() as session, audit.through(f'API key {key.prefix}'):  # as /api/v1 writes it
        bills.approve(session=session, actor=approver, bill_id=bill.id, version=bill.version)
    await signed_in(user, clerk.email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='timeline-entry', retries=40)
    entries = sorted(user.find(marker='timeline-entry').elements, key=lambda element: element.id)  # a set: as drawn
    shown = [label.text for entry in entries for label in entry.descendants() if isinstance(label, ui.label)]
    who = [text.split(' · ', 1)[1] for text in shown if ' · ' in text]
    assert who[-1] == f'API key “{KEY}” ({APPROVER})' and set(who[:-1]) == {HOSTILE}
    assert not any(clerk.email in text or approver.email in text for text in shown)


async def test_the_pdf_is_attached_checked_by_its_bytes_and_downloaded(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    supplier = make_supplier('Acme')
    bill = enter_bill(manager, supplier.id)
    await signed_in(user, admin.email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='bill-upload', retries=40)
    upload = only(user, 'bill-upload')
    await _upload(upload, 'fake.pdf', b'<html>no</html>')
    await user.should_see('This file is not a PDF', retries=20)
    await _upload(upload, 'facture "1".pdf', real_pdf())
    await user.should_see('PDF attached', retries=20)
    await user.should_see(marker='bill-pdf', retries=20)
    user.find(marker='bill-pdf').click()
    download = await user.download.next(timeout=20)
    assert download.content.startswith(b'%PDF')


async def _upload(upload: ui.upload, name: str, data: bytes) -> None:
    await upload.handle_uploads([ui.upload.SmallFileUpload(name, 'application/pdf', data)])


async def test_the_bills_to_pay_this_week_are_exported_as_a_sepa_file(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    shop_bank(admin)
    acme = make_supplier('Acme', iban=SUPPLIER_IBAN)
    plain = make_supplier('Sans IBAN')
    first = approved_bill(manager, admin, acme.id, 'A-1', **due_in(3))
    no_iban = approved_bill(manager, admin, plain.id, 'S-1', **due_in(-2))
    await signed_in(user, manager.email, path='/finance/payables')
    await user.should_see(marker='payables-total', retries=40)
    await eventually(lambda: len(only(user, 'to-pay').rows) == 2)
    assert [r['number'] for r in only(user, 'to-pay').rows] == ['S-1', 'A-1']
    assert [(r['name'], r['total']) for r in only(user, 'payables-suppliers').rows] == [
        ('Acme', '€120.00'),
        ('Sans IBAN', '€120.00'),
    ]
    table = only(user, 'to-pay')
    table.selected = list(table.rows)
    user.find(marker='export-sepa').click()
    await user.should_see('These suppliers have no IBAN, so the bank cannot pay them: Sans IBAN', retries=20)
    assert stored(no_iban.id).payment_sent_on is None
    table.selected = [r for r in table.rows if r['number'] == 'A-1']
    user.find(marker='export-sepa').click()
    download = await user.download.next(timeout=20)
    assert b'pain.001.001.03' in download.content and b'<InstdAmt Ccy="EUR">120.00</InstdAmt>' in download.content
    await eventually(lambda: [r['number'] for r in only(user, 'to-pay').rows] == ['S-1'])
    assert stored(first.id).payment_sent_on is not None


async def test_a_received_purchase_order_gets_its_bill_and_shows_it(user: User) -> None:
    manager = make_user('manager')
    supplier = make_supplier('Acme')
    mug = make_product('MUG', actor=manager)
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier_id=supplier.id,
            reference='PO-9',
            lines=[{'product_id': mug.id, 'quantity': 4, 'unit_cost': '2.50'}],
        )
    await signed_in(user, manager.email, path=f'/purchases?open={purchase.id}')
    await user.should_see(marker='purchase-enter-bill', retries=40)
    user.find(marker='purchase-enter-bill').click()
    user.find(marker='po-bill-number').type('INV-9')
    user.find(marker='po-bill-create').click()
    await user.should_see('Bill INV-9', retries=40)
    with read_session() as session:
        bill = bills.of_purchase(session=session, actor=manager, purchase_id=purchase.id)
    assert bill is not None and bill.net_total == Decimal('10.00')
    await user.open(f'/purchases?open={purchase.id}')
    await user.should_see(marker='purchase-bill', retries=40)


async def test_a_viewer_reads_bills_but_enters_none_and_an_agent_may_not_open_them(user: User) -> None:
    admin, manager, viewer = make_user('admin'), make_user('manager'), make_user('viewer')
    supplier = make_supplier('Acme')
    bill = approved_bill(manager, admin, supplier.id)
    await signed_in(user, viewer.email, path=f'/finance/bills/{bill.id}')
    await user.should_see(marker='bill-status', retries=40)
    await user.should_not_see(marker='bill-pay')
    await user.should_not_see(marker='bill-upload')
    await user.open('/finance/bills')
    await user.should_see('Supplier bills', retries=40)
    await user.should_not_see(marker='new-bill')


async def test_an_agent_may_not_open_payables(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/finance/payables')
    await user.should_see("You don't have access to this page", retries=40)
    await user.should_not_see(marker='payables-total')


async def test_a_debit_bank_line_is_matched_to_its_bill_in_one_click(user: User) -> None:
    from backoffice.models import BankLine, LineStatus

    from .support.bank import Line, camt053, import_file, make_account

    admin, manager = make_user('admin'), make_user('manager')
    supplier = make_supplier(HOSTILE, iban=SUPPLIER_IBAN)
    bill = approved_bill(manager, admin, supplier.id, 'FG-42', **due_in(0))
    import_file(manager, make_account(manager), camt053([Line('-120.00', 'VIR FG-42', counterpart=HOSTILE)]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(f'Bill FG-42 · {HOSTILE} · open €120.00', retries=40)
    user.find(marker=f'match-{line.id}-FG-42').click()
    await user.should_see('Matched to bill FG-42: its payment is recorded.', retries=40)
    await eventually(lambda: stored(bill.id).status == BillStatus.paid)
    with read_session() as session:
        assert session.get(BankLine, line.id).status == LineStatus.matched


async def test_an_error_about_a_line_is_shown_at_that_line_when_an_empty_row_comes_before_it(user: User) -> None:
    """Empty rows are not sent: the service's "line 1" is the first row typed in, and its error is shown there, not at
    the empty row above it."""
    manager = make_user('manager')
    supplier = make_supplier(HOSTILE, payment_terms_days=30)
    await signed_in(user, manager.email, path='/finance/bills')
    await user.should_see(marker='new-bill', retries=40)
    user.find(marker='new-bill').click()
    await user.should_see(marker='bill-dialog')
    only(user, 'bill-supplier').set_value(supplier.id)
    user.find(marker='bill-number').type('F-1: "x"')
    user.find(marker='bill-add-line').click()
    user.find(marker='bill-line-1-description').type(HOSTILE)
    user.find(marker='bill-line-1-unit_price').type('abc')
    user.find(marker='bill-submit').click()
    await eventually(lambda: only(user, 'bill-line-1-unit_price').error == 'Enter an amount, e.g. 12.50')
    assert not only(user, 'bill-line-0-unit_price').error
