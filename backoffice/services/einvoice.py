"""E-invoices: an invoice or credit note as Factur-X / ZUGFeRD (profile EN 16931), its Cross Industry Invoice XML made
from what the invoice stored when issued and embedded in its PDF/A-3 by the `factur-x` library, which checks the XML
against the standard's schema (XSD) first."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from backoffice import i18n
from backoffice.kpi.days import local_day
from backoffice.models import Invoice, InvoiceKind, User
from backoffice.permissions import require
from backoffice.services import app_settings, documents, invoices

if TYPE_CHECKING:  # lxml, and factur-x with pypdf and requests, are imported by the first e-invoice made
    from lxml import etree

RSM = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'
RAM = 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100'
UDT = 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100'
QDT = 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100'
EN16931 = 'urn:cen.eu:en16931:2017'
TYPE_CODE = {InvoiceKind.invoice: '380', InvoiceKind.credit_note: '381'}  # UNTDID 1001: commercial invoice, credit note
SEPA_TRANSFER, UNSPECIFIED_PAYMENT = '58', '1'  # UNTDID 4461


def facturx_pdf(*, session: Session, actor: User, invoice_id: int) -> tuple[bytes, str]:
    """The Factur-X file of an invoice or credit note, and its file name."""
    import facturx

    require(actor, 'invoices.read')
    invoice = invoices.get_invoice(session=session, actor=actor, invoice_id=invoice_id)
    language = invoices.invoice_language(session, invoice)
    xml = cii_xml(
        invoice,
        paid=invoices.paid_on(session, invoice),
        corrected=invoices.corrected_invoice(session, invoice),
        free_shipping=invoices.shipping_waived(session, invoice),
    )
    pdf = documents.invoice_pdf(invoice, language, archival=True)
    merged = facturx.generate_from_binary(
        pdf,
        xml,
        flavor='factur-x',
        level='en16931',
        check_xsd=True,
        pdf_metadata={
            'author': (invoice.seller or {}).get('name') or '',
            'keywords': 'Factur-X',
            'title': invoice.number,
            'subject': f'Factur-X {invoice.number}',
        },
        lang=language or i18n.SOURCE_LOCALE,
    )
    return merged, f'{invoice.number}-factur-x.pdf'


def cii_xml(
    invoice: Invoice, *, paid: datetime | None = None, corrected: Invoice | None = None, free_shipping: bool = False
) -> bytes:
    """The CII XML (EN 16931) of an issued invoice or credit note: every figure as the invoice stored it; shipping
    waived (`free_shipping`) is a shipping charge of 0.00, so a reader sees it was free."""
    currency = invoice.currency
    seller, bill_to = invoice.seller or {}, invoice.bill_to or {}
    root = _el(None, f'{{{RSM}}}CrossIndustryInvoice', nsmap={'rsm': RSM, 'ram': RAM, 'udt': UDT, 'qdt': QDT})
    context = _el(root, f'{{{RSM}}}ExchangedDocumentContext')
    _ram(_ram(context, 'GuidelineSpecifiedDocumentContextParameter'), 'ID', EN16931)
    header = _el(root, f'{{{RSM}}}ExchangedDocument')
    _ram(header, 'ID', invoice.number)
    _ram(header, 'TypeCode', TYPE_CODE[invoice.kind])
    _date(_ram(header, 'IssueDateTime'), _day(invoice.issued_at))
    if invoice.note:
        _ram(_ram(header, 'IncludedNote'), 'Content', invoice.note)
    if seller.get('footer'):
        _ram(_ram(header, 'IncludedNote'), 'Content', seller['footer'])

    transaction = _el(root, f'{{{RSM}}}SupplyChainTradeTransaction')
    line_total = Decimal('0.00')
    for number, line in enumerate(invoice.lines, start=1):
        line_total += _line(transaction, number, line, currency)

    agreement = _ram(transaction, 'ApplicableHeaderTradeAgreement')
    _party(agreement, 'SellerTradeParty', seller, country=seller.get('country') or 'FR')
    buyer = {
        'name': bill_to.get('company') or bill_to.get('name') or bill_to.get('email') or '',
        'address': bill_to.get('address') or '',
        'email': bill_to.get('email') or '',
        'vat_number': bill_to.get('vat_number') or '',
    }
    # an order's address is free text: the buyer is taken to be in the seller's country unless the law says more
    _party(agreement, 'BuyerTradeParty', buyer, country=seller.get('country') or 'FR')
    if invoice.order_number:
        _ram(_ram(agreement, 'SellerOrderReferencedDocument'), 'IssuerAssignedID', invoice.order_number)

    delivery = _ram(transaction, 'ApplicableHeaderTradeDelivery')
    if invoice.supplied_at is not None:
        _date(_ram(_ram(delivery, 'ActualDeliverySupplyChainEvent'), 'OccurrenceDateTime'), _day(invoice.supplied_at))

    settlement = _ram(transaction, 'ApplicableHeaderTradeSettlement')
    _ram(settlement, 'PaymentReference', invoice.number)
    _ram(settlement, 'InvoiceCurrencyCode', currency)
    means = _ram(settlement, 'SpecifiedTradeSettlementPaymentMeans')
    if seller.get('iban') and invoice.kind == InvoiceKind.invoice:
        _ram(means, 'TypeCode', SEPA_TRANSFER)
        _ram(_ram(means, 'PayeePartyCreditorFinancialAccount'), 'IBANID', seller['iban'])
        if seller.get('bic'):
            _ram(_ram(means, 'PayeeSpecifiedCreditorFinancialInstitution'), 'BICID', seller['bic'])
    else:
        _ram(means, 'TypeCode', UNSPECIFIED_PAYMENT)
    breakdown = invoice.vat_breakdown or [
        {'rate': '0', 'base': str(invoice.total - invoice.tax_total), 'tax': str(invoice.tax_total)}
    ]
    for part in breakdown:
        tax = _ram(settlement, 'ApplicableTradeTax')
        _ram(tax, 'CalculatedAmount', _money(part['tax']))
        _ram(tax, 'TypeCode', 'VAT')
        _ram(tax, 'BasisAmount', _money(part['base']))
        _ram(tax, 'CategoryCode', _category(part['rate']))
        _ram(tax, 'RateApplicablePercent', _percent(part['rate']))
    shipping_rate = max((Decimal(part['rate'] or '0') for part in breakdown), default=Decimal('0'))
    if invoice.shipping_total or free_shipping:
        charge = _ram(settlement, 'SpecifiedTradeAllowanceCharge')
        _el(_ram(charge, 'ChargeIndicator'), f'{{{UDT}}}Indicator', 'true')
        _ram(charge, 'ActualAmount', _money(invoice.shipping_total))
        _ram(charge, 'Reason', 'Shipping')
        tax = _ram(charge, 'CategoryTradeTax')
        _ram(tax, 'TypeCode', 'VAT')
        _ram(tax, 'CategoryCode', _category(shipping_rate))
        _ram(tax, 'RateApplicablePercent', _percent(shipping_rate))
    if invoice.kind == InvoiceKind.invoice and invoice.due_on is not None:
        terms = _ram(settlement, 'SpecifiedTradePaymentTerms')
        days = invoice.payment_terms_days or 0
        _ram(terms, 'Description', f'Net {days} days' if days else 'Due on receipt')
        _date(_ram(terms, 'DueDateDateTime'), invoice.due_on)
    sums = _ram(settlement, 'SpecifiedTradeSettlementHeaderMonetarySummation')
    _ram(sums, 'LineTotalAmount', _money(line_total))
    _ram(sums, 'ChargeTotalAmount', _money(invoice.shipping_total))
    _ram(sums, 'AllowanceTotalAmount', _money(0))
    _ram(sums, 'TaxBasisTotalAmount', _money(invoice.total - invoice.tax_total))
    _ram(sums, 'TaxTotalAmount', _money(invoice.tax_total), currencyID=currency)
    _ram(sums, 'GrandTotalAmount', _money(invoice.total))
    prepaid = invoice.total if paid is not None else Decimal('0.00')
    _ram(sums, 'TotalPrepaidAmount', _money(prepaid))
    _ram(sums, 'DuePayableAmount', _money(invoice.total - prepaid))
    if corrected is not None:
        cited = _ram(settlement, 'InvoiceReferencedDocument')
        _ram(cited, 'IssuerAssignedID', corrected.number)
        when = _ram(cited, 'FormattedIssueDateTime')
        _el(when, f'{{{QDT}}}DateTimeString', _cii_day(_day(corrected.issued_at)), {'format': '102'})
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding='UTF-8', pretty_print=True)


def _line(transaction: etree._Element, number: int, line: dict[str, Any], currency: str) -> Decimal:
    item = _ram(transaction, 'IncludedSupplyChainTradeLineItem')
    _ram(_ram(item, 'AssociatedDocumentLineDocument'), 'LineID', str(number))
    product = _ram(item, 'SpecifiedTradeProduct')
    if line.get('sku'):
        _ram(product, 'SellerAssignedID', line['sku'])
    _ram(product, 'Name', line.get('name') or line.get('sku') or '-')
    _ram(
        _ram(_ram(item, 'SpecifiedLineTradeAgreement'), 'NetPriceProductTradePrice'),
        'ChargeAmount',
        _money(line['unit_price']),
    )
    _ram(_ram(item, 'SpecifiedLineTradeDelivery'), 'BilledQuantity', str(line.get('quantity') or 1), unitCode='C62')
    settlement = _ram(item, 'SpecifiedLineTradeSettlement')
    tax = _ram(settlement, 'ApplicableTradeTax')
    _ram(tax, 'TypeCode', 'VAT')
    _ram(tax, 'CategoryCode', _category(line.get('tax_rate')))
    _ram(tax, 'RateApplicablePercent', _percent(line.get('tax_rate')))
    discount = Decimal(line.get('discount') or '0')
    if discount:
        allowance = _ram(settlement, 'SpecifiedTradeAllowanceCharge')
        _el(_ram(allowance, 'ChargeIndicator'), f'{{{UDT}}}Indicator', 'false')
        _ram(allowance, 'ActualAmount', _money(discount))
        _ram(allowance, 'Reason', 'Discount')
    total = Decimal(line['line_total'])
    _ram(_ram(settlement, 'SpecifiedTradeSettlementLineMonetarySummation'), 'LineTotalAmount', _money(total))
    return total


def _party(parent: etree._Element, tag: str, who: dict[str, Any], *, country: str) -> None:
    party = _ram(parent, tag)
    _ram(party, 'Name', who.get('name') or '-')
    if who.get('registration'):
        _ram(_ram(party, 'SpecifiedLegalOrganization'), 'ID', who['registration'])
    address = _ram(party, 'PostalTradeAddress')
    if who.get('postcode'):
        _ram(address, 'PostcodeCode', who['postcode'])
    lines = [part.strip() for part in (who.get('address') or '').splitlines() if part.strip()]
    for name, text in zip(
        ('LineOne', 'LineTwo'), lines[:1] + ([', '.join(lines[1:])] if lines[1:] else []), strict=False
    ):
        _ram(address, name, text)
    if who.get('city'):
        _ram(address, 'CityName', who['city'])
    _ram(address, 'CountryID', country)
    if who.get('email'):
        _ram(_ram(party, 'URIUniversalCommunication'), 'URIID', who['email'], schemeID='EM')
    if who.get('vat_number'):
        _ram(_ram(party, 'SpecifiedTaxRegistration'), 'ID', who['vat_number'], schemeID='VA')


def _ram(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    return _el(parent, f'{{{RAM}}}{name}', text, attributes)


def _el(
    parent: etree._Element | None,
    tag: str,
    text: str | None = None,
    attributes: dict[str, str] | None = None,
    nsmap: dict[str, str] | None = None,
) -> etree._Element:
    from lxml import etree

    element = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag)
    for key, value in (attributes or {}).items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, day: date) -> None:
    _el(parent, f'{{{UDT}}}DateTimeString', _cii_day(day), {'format': '102'})


def _cii_day(day: date) -> str:
    """A date as CII writes it (format 102: 20261203), for programs, not people."""
    return f'{day.year:04d}{day.month:02d}{day.day:02d}'


def _day(instant: datetime) -> date:
    return local_day(instant, app_settings.time_zone())


def _money(value: object) -> str:
    return f'{Decimal(str(value)).quantize(Decimal("0.01"))}'


def _percent(rate: object) -> str:
    return f'{(Decimal(str(rate or "0")) * 100).quantize(Decimal("0.01"))}'


def _category(rate: object) -> str:
    return 'S' if Decimal(str(rate or '0')) else 'Z'  # standard rate, or zero-rated goods
