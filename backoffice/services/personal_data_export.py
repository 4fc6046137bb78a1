"""Everything held about one customer (GDPR access and portability) as a ZIP of JSON and CSV files with their invoices'
and credit notes' PDFs and the files attached to their requests, written to a private export folder, with progress;
audited without the personal values."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from backoffice.i18n import N_
from backoffice.models import (
    CUSTOMER_SIDE,
    Company,
    CustomerAddress,
    EventType,
    Invoice,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    ReturnLine,
    Shipment,
    TicketAttachment,
    UsageEvent,
    User,
)
from backoffice.permissions import require
from backoffice.services import audit, documents, invoices, legal_acceptances, ticket_attachments
from backoffice.services.personal_data import PERMISSION, Found, find_customer, gather
from backoffice.stored_text import count, sentence
from backoffice.transfer import export_files
from backoffice.transfer.csv_out import CsvWriter, csv_bytes

Progress = Callable[[int, int], None]  # (steps done, steps in all)
MEDIA_TYPE = 'application/zip'
EVENT_BATCH = 5000


def export_personal_data(
    *, session: Session, actor: User, record_id: int, progress: Progress | None = None
) -> tuple[Path, str]:
    """Write the customer's ZIP to a private export folder; returns (path, file name). Open the session with
    `read_session()`: the files are read first, then one `customer.personal_data_exported` entry is written."""
    require(actor, PERMISSION)
    said = N_('Exported the personal data of customer #{id} ({count} files)')
    return write_export(session=session, actor=actor, record_id=record_id, progress=progress, said=said)


def write_export(
    *, session: Session, actor: User | None, record_id: int, said: str, progress: Progress | None = None
) -> tuple[Path, str]:
    """The export itself, for a caller that checked who may have it: staff with the permission, or the customer
    themselves in the portal (`actor` None; services/portal.py). `said`: the audit summary, with {id} and {count}."""
    customer = find_customer(session, record_id)
    found = gather(session, customer)
    file_name = f'customer-{customer.id}-personal-data.zip'
    path = export_files.export_path(file_name)
    steps = _steps(session, found, staff=actor is not None)
    report = progress or (lambda done, total: None)
    written: list[str] = []
    try:
        with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
            for done, (name, make) in enumerate(steps):
                report(done, len(steps))
                archive.writestr(name, make())
                written.append(name)
            report(len(steps), len(steps))
    except BaseException:
        export_files.remove(path)
        raise
    session.commit()  # end the read transaction: on SQLite a read snapshot cannot turn into a write
    audit.record(
        session,
        actor,
        'customer.personal_data_exported',
        'customers',
        customer.id,
        summary=sentence(said, id=customer.id, count=count(len(written))),
    )
    session.commit()
    return path, file_name


# --- the files --------------------------------------------------------------------------------------------------------


def _steps(session: Session, found: Found, *, staff: bool = True) -> list[tuple[str, Callable[[], bytes]]]:
    """The export's files; the customer's own export (`staff` False, in the portal) leaves out internal notes, their
    text and their files, which are the staff's alone as in the portal's thread (ticket_attachments.customer_may_have;
    a formal access request answered by staff gets the staff's export, notes included)."""
    customer = found.customer
    messages = found.messages if staff else [m for m in found.messages if m.kind in CUSTOMER_SIDE]
    order_ids = [o.id for o in found.orders]
    numbers = {o.id: o.number for o in found.orders}
    steps: list[tuple[str, Callable[[], bytes]]] = [
        ('profile.json', lambda: _json(_profile(session, found))),
        ('consents.json', lambda: _json(_consents(found))),
        ('legal_acceptances.json', lambda: _json(legal_acceptances.of_customer(session, customer.id))),
        ('addresses.csv', lambda: _addresses(found)),
        ('saved_addresses.csv', lambda: _table([_plain(a) for a in _saved_addresses(session, customer.id)])),
        ('orders.json', lambda: _json(_orders(session, found))),
        ('orders.csv', lambda: _table([_plain(o) for o in found.orders])),
        ('order_lines.csv', lambda: _table(_children(session, OrderLine, order_ids, numbers))),
        ('invoices_and_credit_notes.json', lambda: _json([_document(d) for d in found.documents])),
        ('invoices_and_credit_notes.csv', lambda: _table([_flat(_document(d)) for d in found.documents])),
        ('requests.json', lambda: _json(_requests(found, messages))),
        ('requests.csv', lambda: _table([_flat(_plain(t)) for t in found.requests])),
        ('messages.csv', lambda: _table([_plain(m) for m in messages])),
        ('returns.json', lambda: _json(_returns(session, found))),
        ('returns.csv', lambda: _table([_plain(r) for r in found.returns])),
        ('usage_events.csv', lambda: _usage_events(session, customer.id)),
        ('audit_entries.json', lambda: _json([_plain(e) for e in found.audit])),
    ]
    language = invoices.language_of(customer) or ''  # '': the default language
    for document in found.documents:
        steps.append((f'documents/{document.number}.pdf', _pdf(document, language)))
    for ticket in found.requests:
        for row in ticket_attachments.of_ticket(session, ticket.id or 0):
            if not staff and not ticket_attachments.customer_may_have(session, row):
                continue
            if '..' not in row.stored and (ticket_attachments.root() / row.stored).is_file():
                name = f'attachments/request-{ticket.number}/{row.id}-{_safe_name(row.file_name)}'
                steps.append((name, _attachment(row)))
    return steps


def _saved_addresses(session: Session, customer_id: int | None) -> list[CustomerAddress]:
    statement = select(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
    return list(session.exec(statement.order_by(col(CustomerAddress.id))))


def _attachment(row: TicketAttachment) -> Callable[[], bytes]:
    return lambda: ticket_attachments.content(row)[0]


def _safe_name(name: str) -> str:
    """A customer's file name as a ZIP entry's last part: no folders, no dots leading up, nothing unprintable."""
    kept = ''.join(c if c.isprintable() and c not in '/\\:*?"<>|' else '_' for c in name).strip(' .')
    return kept[:120] or 'file'


def _profile(session: Session, found: Found) -> dict[str, Any]:
    profile = _plain(found.customer)
    company = session.get(Company, found.customer.company_id) if found.customer.company_id else None
    profile['company'] = company.name if company else None
    return profile


def _consents(found: Found) -> dict[str, Any]:
    """The consent as it stands, and each change of it the audit log recorded: when, from what to what, who made it
    (a staff member's email; 'system' for the customer in the portal, the shop's API or the app) and how (the audit
    entry's words: '… changed their profile in the customer portal', 'Updated … by import #3')."""
    history = [
        {
            'at': _plain(entry)['at'],
            'from': entry.changes['marketing_consent'][0],
            'to': entry.changes['marketing_consent'][1],
            'by': entry.actor_email,
            'how': entry.summary,
        }
        for entry in found.audit
        if entry.entity == 'customers'
        and entry.entity_id == str(found.customer.id)
        and isinstance(entry.changes.get('marketing_consent'), list)
    ]
    return {'marketing_consent': found.customer.marketing_consent, 'changes': sorted(history, key=lambda h: h['at'])}


def _addresses(found: Found) -> bytes:
    seen: dict[tuple[str, str], list[str]] = {}
    for order in sorted(found.orders, key=lambda o: o.placed_at):
        if order.shipping_name or order.shipping_address:
            seen.setdefault((order.shipping_name, order.shipping_address), []).append(order.number)
    rows = [(name, address, ' '.join(orders)) for (name, address), orders in seen.items()]
    return csv_bytes(('name', 'address', 'orders'), rows)


def _orders(session: Session, found: Found) -> list[dict[str, Any]]:
    order_ids = [o.id for o in found.orders]
    related = {
        'lines': _by_order(session, OrderLine, order_ids),
        'payments': _by_order(session, Payment, order_ids),
        'refunds': _by_order(session, Refund, order_ids),
        'shipments': _by_order(session, Shipment, order_ids),
        'events': _by_order(session, OrderEvent, order_ids),
    }
    return [{**_plain(o), **{key: rows.get(o.id or 0, []) for key, rows in related.items()}} for o in found.orders]


def _requests(found: Found, messages: list[Any]) -> list[dict[str, Any]]:
    thread: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        thread.setdefault(message.ticket_id, []).append(_plain(message))
    return [{**_plain(t), 'messages': thread.get(t.id or 0, [])} for t in found.requests]


def _returns(session: Session, found: Found) -> list[dict[str, Any]]:
    ids = [r.id for r in found.returns]
    lines: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for line in session.exec(select(ReturnLine).where(col(ReturnLine.return_id).in_(ids))):
            lines.setdefault(line.return_id, []).append(_plain(line))
    return [{**_plain(r), 'lines': lines.get(r.id or 0, [])} for r in found.returns]


def _usage_events(session: Session, customer_id: int | None) -> bytes:
    writer = CsvWriter()
    writer.write(('ts', 'type', 'anonymous_id', 'session_id', 'props'))
    statement = select(UsageEvent).where(UsageEvent.customer_id == customer_id).order_by(col(UsageEvent.ts))
    for event in session.exec(statement.execution_options(yield_per=EVENT_BATCH)):
        kind = EventType(event.type).name if event.type in EventType._value2member_map_ else str(event.type)
        props = json.dumps(event.props, ensure_ascii=False) if event.props else ''
        writer.write((_plain(event)['ts'], kind, event.anonymous_id, event.session_id, props))  # machine values
    return writer.take().encode('utf-8-sig')


def _pdf(document: Invoice, language: str) -> Callable[[], bytes]:
    return lambda: documents.invoice_pdf(document, language)


# --- helpers ----------------------------------------------------------------------------------------------------------


def _plain(record: SQLModel) -> dict[str, Any]:
    """The record's fields in the order its model declares them (a row read from the database dumps them in the order
    they were loaded: a file whose columns came out shuffled, 'status, paid_total, shipping_address, created_at…')."""
    dumped = record.model_dump(mode='json')
    declared = [name for name in type(record).model_fields if name in dumped]
    return {name: dumped[name] for name in [*declared, *(name for name in dumped if name not in declared)]}


def _document(invoice: Invoice) -> dict[str, Any]:
    """An invoice as issued: the seller's and the buyer's identities in their places, not the ids of their stored
    snapshots."""
    snapshots = {'seller_id': ('seller', invoice.seller), 'buyer_id': ('bill_to', invoice.bill_to)}
    return {
        snapshots[key][0] if key in snapshots else key: snapshots[key][1] if key in snapshots else value
        for key, value in _plain(invoice).items()
    }


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """Nested values (an invoice's lines, a request's tags) as JSON text in one CSV cell."""
    return {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in row.items()}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode()


def _table(rows: Iterable[dict[str, Any]]) -> bytes:
    rows = list(rows)
    header = list(rows[0]) if rows else []
    return csv_bytes(header, ([row.get(name) for name in header] for row in rows))


def _by_order(session: Session, model: Any, order_ids: list[Any]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    if order_ids:
        for row in session.exec(select(model).where(col(model.order_id).in_(order_ids)).order_by(col(model.id))):
            plain = _plain(row)
            if isinstance(row, Shipment):  # the link as shown, not what is stored of it (Shipment.tracking_url)
                plain = {
                    ('tracking_url' if key == 'stored_tracking_url' else key): (
                        row.tracking_url if key == 'stored_tracking_url' else value
                    )
                    for key, value in plain.items()
                }
            grouped.setdefault(row.order_id, []).append(plain)
    return grouped


def _children(session: Session, model: Any, order_ids: list[Any], numbers: dict[Any, str]) -> list[dict[str, Any]]:
    return [
        {'order_number': numbers[order_id], **row}
        for order_id, rows in _by_order(session, model, order_ids).items()
        for row in rows
    ]
