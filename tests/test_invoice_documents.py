"""Invoices a shop may send: the seller's identity set in /settings (checked at the field, audited), every element the
EU VAT directive (Art. 226) asks for on the PDF, copied when issued so that a later settings change never rewrites an
issued invoice; a credit note cites the invoice it corrects; Factur-X files validate against the standard's XSD; a
business customer on terms is invoiced before paying, a consumer is not."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User
from pypdf import PdfReader
from sqlmodel import select

from backoffice import formatting, i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError, ValidationFailed
from backoffice.kpi.days import today
from backoffice.models import AuditEntry, Customer, Invoice, InvoiceKind, InvoiceSeller, Refund
from backoffice.services import app_settings, documents, einvoice, invoice_issue, invoices, orders, payments

from .support.factories import make_company, make_product, make_user, on_terms, pay, place, tiny_png
from .support.pdf import pdf_text, pdf_words
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = '<script>alert("x")</script>: \'FR\''
INTERNAL = 'Goodwill: "he shouted" <script>x</script>'  # what staff type when refunding: the shop's own note
SELLER = {
    'seller_legal_name': 'Nordwind Outfitters SAS',
    'seller_address': '12 rue des Lilas',
    'seller_postcode': '75011',
    'seller_city': 'Paris',
    'seller_country': 'FR',
    'seller_vat_number': 'FR 40 303 265 045',
    'seller_registration': 'RCS Paris 303 265 045',
    'seller_iban': 'FR76 3000 6000 0112 3456 7890 189',
    'seller_bic': 'BNPAFRPP',
    'support_email': 'billing@nordwind.example',
    'payment_terms_days': 0,
    'invoice_footer': 'SAS au capital de 10 000 €. Pénalités de retard : 3 fois le taux légal.',
}


def set_seller(admin, **changes) -> None:
    with session_scope() as session:
        app_settings.save(
            session=session, actor=admin, loaded=app_settings.current_values(session=session), changes=changes
        )


def only(kind: InvoiceKind) -> Invoice:
    with read_session() as session:
        return session.exec(select(Invoice).where(Invoice.kind == kind)).one()


@pytest.fixture
def shop():
    """A French shop with its identity set, a manager, and a B2B customer's paid order (2 × 40.00, SKU ACC-SCALE-E)."""
    admin, manager = make_user('admin'), make_user('manager')
    set_seller(admin, **SELLER)
    company = make_company('Acme "Labs": <b>', vat_number='DE136695976')
    make_product('ACC-SCALE-E', '40.00', stock_on_hand=50, actor=manager, name='Kitchen scale')
    order = place(('ACC-SCALE-E', 2), email='buyer@acme.example', shipping_name='Jo Buyer')
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.company_id = company.id
        session.add(customer)
        session.commit()
    return admin, manager, order


def test_bad_seller_numbers_are_refused_at_their_field_and_good_ones_are_saved_and_audited() -> None:
    admin = make_user('admin')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={
                'seller_vat_number': HOSTILE,
                'seller_iban': 'FR76 3000 6000 0112 3456 7890 188',
                'seller_bic': HOSTILE,
                'seller_logo': '../../etc/passwd',
            },
        )
    assert refused.value.errors == {
        'seller_vat_number': 'Start the VAT number with its EU country code, e.g. FR40303265045 or DE136695976',
        'seller_iban': 'This IBAN has a wrong check digit: check it against your bank details',
        'seller_bic': 'Enter a BIC of 8 or 11 letters and digits, e.g. BNPAFRPP',
        'seller_logo': 'Upload the image again',
    }
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={'seller_vat_number': 'FR40303265046'},
        )
    assert refused.value.errors == {
        'seller_vat_number': 'This VAT number has a wrong check digit: check it against your VAT registration'
    }
    set_seller(admin, **SELLER)
    with read_session() as session:
        saved = app_settings.current_values(session=session)
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).one()
    assert (saved['seller_vat_number'], saved['seller_iban']) == ('FR40303265045', 'FR7630006000011234567890189')
    assert entry.changes['seller_vat_number'] == ['', 'FR40303265045']


async def test_an_admin_sets_the_seller_identity_and_a_bad_vat_number_is_refused_at_its_field(user: User) -> None:
    await signed_in(user, make_user('admin').email, path='/settings')
    await user.should_see('Company registration number')
    user.find(marker='seller_legal_name').type('Nordwind "Outfitters": <script>')
    user.find(marker='seller_vat_number').type('XX' + HOSTILE)
    user.find(marker='seller_iban').type('FR76 3000 6000 0112 3456 7890 189')
    user.find('Save settings').click()
    await user.should_see('Start the VAT number with its EU country code, e.g. FR40303265045 or DE136695976')
    user.find(marker='seller_vat_number').clear().type('FR40303265045')
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    with read_session() as session:
        saved = app_settings.current_values(session=session)
    assert saved['seller_legal_name'] == 'Nordwind "Outfitters": <script>'
    assert (saved['seller_vat_number'], saved['seller_iban']) == ('FR40303265045', 'FR7630006000011234567890189')


def test_the_invoice_says_everything_article_226_asks_and_keeps_it_when_the_settings_change(shop) -> None:
    admin, manager, order = shop
    pay(manager, order)
    invoice = only(InvoiceKind.invoice)
    text = pdf_text(documents.invoice_pdf(invoice, 'en'))
    flat = ' '.join(text.split())
    for element in (
        'Invoice',
        invoice.number,  # sequential number
        'Nordwind Outfitters SAS',  # seller
        '12 rue des Lilas',
        '75011 Paris',
        'France',
        'billing@nordwind.example',
        'VAT number: FR40303265045',  # seller's VAT number
        'Registration: RCS Paris 303 265 045',
        'Acme "Labs": <b>',  # buyer, its hostile name as text
        'Jo Buyer',
        'VAT number: DE136695976',  # the B2B buyer's VAT number, from its company
        'Date of issue',
        'Date of supply',
        f'Order {order.number}',  # order reference
        'ACC-SCALE-E',  # the SKU in one piece
        'Kitchen scale',
        'Unit price excl. VAT',
        '€40.00',
        'VAT rate',
        'Taxable amount',
        '20%',
        '€16.00',  # VAT at 20 % on 80.00
        'Total incl. VAT €96.00',
        'Due date',
        'Payment terms',
        'due on receipt',
        f'Paid on {formatting.day(invoice.issued_at)}',
        'Amount due €0.00',
        'Paid on',
        'Pénalités de retard',
    ):
        assert element in flat, element
    assert invoice.vat_breakdown == [{'rate': '0.2000', 'base': '80.00', 'tax': '16.00'}]
    assert invoice.due_on == today(app_settings.time_zone())

    set_seller(admin, seller_legal_name='Someone Else SARL', seller_vat_number='DE136695976')
    again = pdf_words(documents.invoice_pdf(only(InvoiceKind.invoice), 'en'))
    assert 'Nordwind Outfitters SAS' in again and 'Someone Else' not in again


def test_a_credit_note_cites_the_invoice_it_corrects_in_the_customers_language(shop) -> None:
    _admin, manager, order = shop
    pay(manager, order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='48.00', reason=INTERNAL)
    invoice, note = only(InvoiceKind.invoice), only(InvoiceKind.credit_note)
    assert note.corrects_id == invoice.id
    english = pdf_words(documents.invoice_pdf(note, 'en'))
    assert 'Credit note' in english and note.number in english
    assert f'Corrects invoice {invoice.number} of {formatting.day(invoice.issued_at)}' in english
    assert f'Refund on order {order.number}' in english and 'Total credited incl. VAT €48.00' in english
    with i18n.use('fr'):
        day = formatting.day(invoice.issued_at)
    french = pdf_words(documents.invoice_pdf(note, 'fr'))
    assert 'Avoir' in french and f'Corrige la facture {invoice.number} du {day}' in french
    assert 'TVA' in french and 'Taux de TVA' in french
    french_invoice = pdf_words(documents.invoice_pdf(invoice, 'fr'))
    for word in ('Facture', 'Échéance', 'Conditions de paiement', 'Date de livraison', 'Payée le', 'Total TTC'):
        assert word in french_invoice, word


def test_a_credit_note_never_shows_the_customer_the_reason_staff_typed_for_the_refund(shop) -> None:
    _admin, manager, order = shop
    pay(manager, order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='48.00', reason=INTERNAL)
    note = only(InvoiceKind.credit_note)
    assert [line['name'] for line in note.lines] == [f'Refund on order {order.number}'] and not note.note
    for language in ('en', 'fr'):
        words = pdf_words(documents.invoice_pdf(note, language))
        assert 'Goodwill' not in words and 'shouted' not in words, language
    xml = facturx.get_facturx_xml_from_pdf(einvoice_pdf(manager, note))[1]
    assert b'Goodwill' not in xml and b'shouted' not in xml
    with read_session() as session:  # the staff's screens keep what was typed
        [refund] = session.exec(select(Refund).where(Refund.order_id == order.id)).all()
        assert payments.reason_said(refund) == INTERNAL


def test_the_factur_x_files_validate_and_carry_their_xml(shop) -> None:
    _admin, manager, order = shop
    pay(manager, order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=order.id, amount='48.00', reason='Broken')
    invoice, note = only(InvoiceKind.invoice), only(InvoiceKind.credit_note)
    for document, type_code in ((invoice, '380'), (note, '381')):
        with read_session() as session:
            pdf, name = einvoice.facturx_pdf(session=session, actor=manager, invoice_id=document.id)
        assert name == f'{document.number}-factur-x.pdf'
        file_name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
        assert file_name == 'factur-x.xml'
        assert facturx.xml_check_xsd(xml, flavor='factur-x', level='en16931')
        tree = etree.fromstring(xml)
        ns = {'rsm': einvoice.RSM, 'ram': einvoice.RAM}
        assert tree.findtext('.//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID', namespaces=ns) == (
            'urn:cen.eu:en16931:2017'
        )
        assert tree.findtext('rsm:ExchangedDocument/ram:TypeCode', namespaces=ns) == type_code
        assert tree.findtext('.//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID', namespaces=ns) == (
            'FR40303265045'
        )
        assert tree.findtext('.//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID', namespaces=ns) == (
            'DE136695976'
        )
        assert tree.findtext('.//ram:GrandTotalAmount', namespaces=ns) == str(document.total)
        assert tree.findtext('.//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID', namespaces=ns) == (
            'billing@nordwind.example'
        )
        assert tree.findtext('.//ram:SellerOrderReferencedDocument/ram:IssuerAssignedID', namespaces=ns) == (
            order.number
        )
        xmp = PdfReader(io.BytesIO(pdf)).trailer['/Root']['/Metadata'].get_object().get_data()
        assert b'pdfaid:part>3<' in xmp or b'pdfaid:part="3"' in xmp  # PDF/A-3
        assert b'fx:ConformanceLevel>EN 16931<' in xmp
    cited = etree.fromstring(facturx.get_facturx_xml_from_pdf(einvoice_pdf(manager, note))[1])
    assert cited.findtext('.//ram:InvoiceReferencedDocument/ram:IssuerAssignedID', namespaces=ns) == invoice.number


def einvoice_pdf(actor, invoice: Invoice) -> bytes:
    with read_session() as session:
        return einvoice.facturx_pdf(session=session, actor=actor, invoice_id=invoice.id)[0]


def test_a_business_customer_on_terms_is_invoiced_before_paying_and_a_consumer_is_not() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    set_seller(admin, **SELLER)
    make_product('MUG', '10.00', stock_on_hand=50, actor=manager)
    consumer_order = place(('MUG', 1), email='zoe@example.com')
    with session_scope() as session, pytest.raises(ServiceError) as refused:
        invoices.issue_invoice(session=session, actor=manager, order_id=consumer_order.id)
    assert 'is not paid yet: it is invoiced once paid' in str(refused.value)

    company = make_company('Acme Labs', vat_number='DE136695976', payment_terms_days=30)
    order = place(('MUG', 3), email='buyer@acme.example')
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.company_id = company.id
        session.add(customer)
        session.commit()
        assert invoices.payment_terms_of(session, customer.id) == 30
        invoice = invoices.issue_invoice(session=session, actor=manager, order_id=order.id)
        session.commit()
    assert invoice.due_on == today(app_settings.time_zone()) + timedelta(days=30)
    assert (invoice.payment_terms_days, invoice.paid_at) == (30, None)
    flat = pdf_words(documents.invoice_pdf(invoice, 'en'))
    assert 'net 30 days' in flat and f'Amount due {formatting.money(invoice.total, "EUR")}' in flat
    assert 'Paid on' not in flat
    assert 'Bank transfer to IBAN FR76 3000 6000 0112 3456 7890 189 (BIC BNPAFRPP), quoting' in flat
    pay(manager, order)  # paid later: the invoice now reads paid, and no second invoice is issued
    with read_session() as session:
        assert len(session.exec(select(Invoice)).all()) == 1
    assert 'Paid on' in pdf_words(documents.invoice_pdf(invoice, 'en'))


async def test_on_the_order_page_a_business_order_on_terms_is_invoiced_and_its_factur_x_downloads(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    set_seller(admin, **SELLER)
    make_product('MUG', '10.00', stock_on_hand=50, actor=manager)
    consumer_order = place(('MUG', 1), email='zoe@example.com')
    order = place(('MUG', 2), email='buyer@acme.example')
    on_terms(order, 60)
    await signed_in(user, manager.email, path=f'/orders/{consumer_order.number}')
    await user.should_see(marker='record-payment', retries=40)
    await user.should_not_see('Issue invoice')  # a consumer pays first
    await user.open(f'/orders/{order.number}')
    await user.should_see('Issue invoice', retries=40)
    user.find('Issue invoice').click()
    await user.should_see('Invoice issued', retries=40)
    await user.should_see(marker='facturx', retries=40)
    user.find(marker='facturx').click()
    download = await user.download.next(timeout=20)
    file_name, xml = facturx.get_facturx_xml_from_pdf(download.content, check_xsd=True)
    assert file_name == 'factur-x.xml' and b'<ram:TypeCode>380</ram:TypeCode>' in xml


def test_the_factur_x_figures_add_up_as_en_16931_requires_with_a_discount_and_shipping() -> None:
    """The Schematron needs a Saxon server: its arithmetic rules (BR-CO-10 to BR-CO-16, BR-S-08) are checked here."""
    admin, manager = make_user('admin'), make_user('manager')
    set_seller(admin, **SELLER)
    make_product('MUG', '12.35', stock_on_hand=50, actor=manager)
    make_product('CAP', '7.10', stock_on_hand=50, actor=manager)
    order = place(('MUG', 3, '10'), ('CAP', 1))  # a 10 % discount on one line, under free shipping: 4.90 charged
    pay(manager, order)
    invoice = only(InvoiceKind.invoice)
    assert invoice.shipping_total == Decimal('4.90') and invoice.discount_total > 0
    tree = etree.fromstring(einvoice.cii_xml(invoice, paid=invoice.paid_at))
    assert facturx.xml_check_xsd(etree.tostring(tree), flavor='factur-x', level='en16931')
    ns = {'ram': einvoice.RAM}

    def amounts(path: str) -> list[Decimal]:
        return [Decimal(e.text) for e in tree.iterfind(path, namespaces=ns)]

    (line_total,) = amounts('.//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount')
    (charges,) = amounts('.//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:ChargeTotalAmount')
    (basis,) = amounts('.//ram:TaxBasisTotalAmount')
    (tax,) = amounts('.//ram:TaxTotalAmount')
    (grand,) = amounts('.//ram:GrandTotalAmount')
    (prepaid,) = amounts('.//ram:TotalPrepaidAmount')
    (due,) = amounts('.//ram:DuePayableAmount')
    lines = amounts(
        './/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount'
    )
    assert line_total == sum(lines)  # BR-CO-10
    assert basis == line_total + charges  # BR-CO-13
    assert tax == sum(amounts('.//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount'))
    assert grand == basis + tax == invoice.total  # BR-CO-15
    assert (prepaid, due) == (invoice.total, Decimal('0.00'))  # BR-CO-16: paid when issued
    (category_basis,) = amounts('.//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount')
    assert category_basis == basis  # BR-S-08: one rate here, lines and the shipping charge
    for item in tree.iterfind('.//ram:IncludedSupplyChainTradeLineItem', namespaces=ns):
        price = Decimal(item.findtext('.//ram:NetPriceProductTradePrice/ram:ChargeAmount', namespaces=ns))
        quantity = Decimal(item.findtext('.//ram:BilledQuantity', namespaces=ns))
        allowance = Decimal(item.findtext('.//ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount', '0', ns))
        net = Decimal(
            item.findtext('.//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount', namespaces=ns)
        )
        assert net == price * quantity - allowance  # BR-LIN-04 with the line's allowance


def test_cancelling_an_order_invoiced_on_terms_and_unpaid_credits_its_invoice() -> None:
    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=50, actor=manager)
    order = place(('MUG', 2), email='buyer@acme.example')
    on_terms(order, 15)
    with session_scope() as session:
        invoice = invoices.issue_invoice(session=session, actor=manager, order_id=order.id)
        session.commit()
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=order.id, version=None, reason='Changed their mind')
    note = only(InvoiceKind.credit_note)
    assert (note.corrects_id, note.total, note.tax_total) == (invoice.id, invoice.total, invoice.tax_total)
    assert note.lines[0]['name'] == f'Cancellation of order {order.number}'
    flat = pdf_words(documents.invoice_pdf(note, 'en'))
    assert f'This credit note corrects invoice {invoice.number}' in flat


async def test_an_admin_uploads_the_logo_that_invoices_print(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    await signed_in(user, admin.email, path='/settings')
    await user.should_see('Company registration number')
    field = user.find(marker='seller_logo').elements.pop()
    upload = next(element for element in user.find(ui.upload).elements if field in element.ancestors())
    await upload.handle_uploads([SmallFileUpload('logo.png', 'image/png', tiny_png())])
    await eventually(lambda: field.value, message='the uploaded logo in the field')
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    with read_session() as session:
        logo = app_settings.value(session=session, key='seller_logo')
    assert logo.startswith('settings/') and logo.endswith('.png')
    make_product('MUG', '10.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    pay(manager, order)
    invoice = only(InvoiceKind.invoice)
    assert invoice.seller['logo'] == logo
    assert PdfReader(io.BytesIO(documents.invoice_pdf(invoice, 'en'))).pages[0].images  # the logo is drawn


def test_the_seller_is_stored_once_per_version_and_a_stored_version_never_changes() -> None:
    with session_scope() as session:
        first = invoice_issue.seller_snapshot(session, {'name': 'Nordwind', 'vat_number': 'FR40303265045'})
        again = invoice_issue.seller_snapshot(session, {'vat_number': 'FR40303265045', 'name': 'Nordwind'})
        other = invoice_issue.seller_snapshot(session, {'name': 'Someone Else SARL', 'vat_number': ''})
        assert (again.id, other.id != first.id) == (first.id, True)
        session.commit()
    with pytest.raises(invoices.InvoiceImmutable), session_scope() as session:
        stored = session.get(InvoiceSeller, first.id)
        assert stored is not None
        stored.details = {'name': 'Rewritten'}
        session.commit()
    with read_session() as session:
        assert (
            session.exec(select(InvoiceSeller.details).where(InvoiceSeller.id == first.id)).one()['name'] == 'Nordwind'
        )
