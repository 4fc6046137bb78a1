"""CAMT.053 (ISO 20022 bank-to-customer statement, versions 001.02 to 001.13) read with lxml, entities and network
off: each <Stmt> a statement, each booked <Ntry> a line (credit positive, debit negative)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING

from backoffice.bank_files.common import ParsedLine, ParsedStatement, UnreadableFile, clean
from backoffice.i18n import _

if TYPE_CHECKING:  # lxml is imported by the first statement read, not by every process's start
    from lxml import etree


def read_camt(data: bytes) -> list[ParsedStatement]:
    from lxml import etree

    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as error:
        raise UnreadableFile(
            _('This is not well-formed XML: {problem}').format(problem=error.msg), error.lineno
        ) from None
    namespace = etree.QName(root).namespace or ''
    if 'camt.053' not in namespace:
        raise UnreadableFile(_('This XML file is not a CAMT.053 bank statement'), root.sourceline)
    for element in root.iter(tag=etree.Element):  # one pass dropping the namespace: plain paths are found faster
        element.tag = element.tag.rpartition('}')[2]  # a string split: QName objects cost twice as much
    statements = [statement(node) for node in root.iterfind('.//Stmt')]
    if not statements:
        raise UnreadableFile(_('This CAMT.053 file holds no statement'), root.sourceline)
    return statements


def statement(node: etree._Element) -> ParsedStatement:
    account = text(node, 'Acct/Id/IBAN') or text(node, 'Acct/Id/Othr/Id')
    currency = text(node, 'Acct/Ccy')
    found = ParsedStatement(account=account, currency=currency, reference=text(node, 'Id'))
    for balance in node.iterfind('Bal'):
        kind = text(balance, 'Tp/CdOrPrtry/Cd')
        amount = signed(balance)
        day = day_of(balance, 'Dt/Dt') or day_of(balance, 'Dt/DtTm')
        if kind in ('OPBD', 'PRCD') and found.opening is None:
            found.opening, found.starts_on = amount, day
        elif kind == 'CLBD':
            found.closing, found.ends_on = amount, day
        found.currency = found.currency or (balance.find('Amt').get('Ccy') or '')
    for entry in node.iterfind('Ntry'):
        status = text(entry, 'Sts/Cd') or text(entry, 'Sts')
        if status and status not in ('BOOK',):
            continue  # pending or information-only entries are not on the account yet
        found.lines.append(line(entry))
    days = [item.booked_on for item in found.lines]
    if days:
        found.starts_on = found.starts_on or min(days)
        found.ends_on = found.ends_on or max(days)
    return found


def line(entry: etree._Element) -> ParsedLine:
    amount = signed(entry)
    currency = entry.find('Amt').get('Ccy') or ''
    booked = day_of(entry, 'BookgDt/Dt') or day_of(entry, 'BookgDt/DtTm')
    if booked is None:
        raise UnreadableFile(_('This entry has no booking date (BookgDt)'), entry.sourceline)
    details = entry.find('NtryDtls/TxDtls')
    label_parts = []
    counterpart = reference = ''
    if details is not None:
        label_parts = [t.text or '' for t in details.iterfind('RmtInf/Ustrd')]
        structured = text(details, 'RmtInf/Strd/CdtrRefInf/Ref')
        end_to_end = text(details, 'Refs/EndToEndId')
        reference = structured or (end_to_end if end_to_end.upper() != 'NOTPROVIDED' else '')
        party = 'Dbtr' if amount > 0 else 'Cdtr'
        counterpart = text(details, f'RltdPties/{party}/Nm') or text(details, f'RltdPties/{party}/Pty/Nm')
    label_parts.append(text(entry, 'AddtlNtryInf'))
    if details is not None:
        label_parts.append(text(details, 'AddtlTxInf'))
    return ParsedLine(
        booked_on=booked,
        amount=amount,
        currency=currency,
        label=clean(' '.join(p for p in label_parts if p), 500),
        counterpart=clean(counterpart, 200),
        reference=clean(reference, 120),
        bank_reference=clean(text(entry, 'AcctSvcrRef') or text(entry, 'NtryRef'), 120),
        value_on=day_of(entry, 'ValDt/Dt'),
        source_line=entry.sourceline,
    )


def signed(node: etree._Element) -> Decimal:
    amount_node = node.find('Amt')
    if amount_node is None or not (amount_node.text or '').strip():
        raise UnreadableFile(_('An amount (Amt) is missing'), node.sourceline)
    try:
        amount = Decimal(amount_node.text.strip())
    except InvalidOperation:
        raise UnreadableFile(
            _('"{value}" is not an amount').format(value=clean(amount_node.text, 40)), amount_node.sourceline
        ) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal('0.01')):
        raise UnreadableFile(
            _('"{value}" is not an amount').format(value=clean(amount_node.text, 40)), amount_node.sourceline
        )
    mark = text(node, 'CdtDbtInd')
    if mark not in ('CRDT', 'DBIT'):
        raise UnreadableFile(_('Credit or debit (CdtDbtInd) is missing'), node.sourceline)
    return amount if mark == 'CRDT' else -amount


def day_of(node: etree._Element, path: str) -> date | None:
    found = node.find(path)
    if found is None or not (found.text or '').strip():
        return None
    try:
        return date.fromisoformat(found.text.strip()[:10])
    except ValueError:
        raise UnreadableFile(
            _('"{value}" is not a date').format(value=clean(found.text, 40)), found.sourceline
        ) from None


def text(node: etree._Element, path: str) -> str:
    found = node.find(path)
    return (found.text or '').strip() if found is not None else ''


@cache
def safe_parser() -> etree.XMLParser:
    """lxml's parser with entities, DTDs and the network off (one per process, made on the first statement read)."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
