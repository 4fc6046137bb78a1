"""Personal data (GDPR) as a data-protection request is answered: everything held about a customer comes out as one
ZIP; erasing them leaves nothing that finds or names them (list search, global search, audit log, export), while
their invoices still render with the buyer's name and address; the trash purge erases by the same rules."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.api.orders import router as orders_router
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.listing import query
from backoffice.models import (
    AuditEntry,
    Customer,
    ImportBatch,
    Invoice,
    Notification,
    Order,
    Ticket,
    TicketMessage,
    UsageEvent,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from backoffice.permissions import PermissionDenied
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.runtime.scheduler import purge_trash
from backoffice.services import customer_addresses, documents, global_search, personal_data
from backoffice.services.customers import ban_customer
from backoffice.services.personal_data_export import export_personal_data

from .support.api import api_client, bearer, make_key
from .support.companies import actor, add_member, admin_changes, company_with, roles_in
from .support.factories import make_user
from .support.privacy import ADDRESS, BODY, EMAIL, NAME, PHONE, a_customer_with_everything


def test_the_export_holds_every_kind_of_data_and_is_audited() -> None:
    person, admin = a_customer_with_everything(), make_user('admin')
    steps: list[tuple[int, int]] = []
    with read_session() as session:
        path, name = export_personal_data(
            session=session, actor=admin, record_id=person.customer_id, progress=lambda d, t: steps.append((d, t))
        )
    assert name == f'customer-{person.customer_id}-personal-data.zip'
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    files = set(archive.namelist())
    for expected in (
        'profile.json',
        'consents.json',
        'addresses.csv',
        'orders.json',
        'orders.csv',
        'order_lines.csv',
        'invoices_and_credit_notes.json',
        'requests.json',
        'messages.csv',
        'returns.json',
        'returns.csv',
        'usage_events.csv',
        'audit_entries.json',
        f'documents/{person.invoice_number}.pdf',
    ):
        assert expected in files, expected
    profile = json.loads(archive.read('profile.json'))
    assert (profile['email'], profile['name'], profile['phone']) == (EMAIL, NAME, PHONE)
    consents = json.loads(archive.read('consents.json'))
    assert consents['marketing_consent'] is True
    given = consents['changes'][-1]  # the proof of consent says who recorded it, and how
    assert (given['from'], given['to'], given['by']) == (False, True, person.manager.email)
    assert given['how'] == f'Updated {EMAIL}'
    addresses = list(csv.DictReader(io.StringIO(archive.read('addresses.csv').decode('utf-8-sig'), newline='')))
    assert addresses == [{'name': NAME, 'address': ADDRESS, 'orders': person.order_number}]
    header = archive.read('orders.csv').decode('utf-8-sig').splitlines()[0].split(',')
    assert header == [name for name in Order.model_fields if name in header]  # the columns in a readable order
    assert header[:2] == ['id', 'created_at'] and header.index('number') < header.index('status')
    orders = json.loads(archive.read('orders.json'))
    assert orders[0]['number'] == person.order_number and orders[0]['lines'][0]['sku'] == 'PRIVACY-MUG'
    requests = json.loads(archive.read('requests.json'))
    assert requests[0]['messages'][0]['body'] == BODY
    assert json.loads(archive.read('returns.json'))[0]['lines'][0]['reason'] == 'Too small for "Zoë"'
    assert archive.read('usage_events.csv').decode('utf-8-sig').count('anon-zoe-1') == 3
    assert archive.read(f'documents/{person.invoice_number}.pdf').startswith(b'%PDF')
    assert steps[-1][0] == steps[-1][1] > 10  # progress reached the end
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.personal_data_exported')).one()
    assert entry.actor_email == admin.email and EMAIL not in entry.summary and entry.changes == {}
    path.unlink()


def test_only_those_allowed_may_export_preview_or_erase() -> None:
    person = a_customer_with_everything()
    customer = _customer(person.customer_id)
    for role in ('manager', 'agent', 'viewer'):
        user = make_user(role)
        with read_session() as session, pytest.raises(PermissionDenied):
            export_personal_data(session=session, actor=user, record_id=person.customer_id)
        with read_session() as session, pytest.raises(PermissionDenied):
            personal_data.erasure_preview(session=session, actor=user, record_id=person.customer_id)
        with session_scope() as session, pytest.raises(PermissionDenied):
            personal_data.erase_customer(
                session=session, actor=user, record_id=customer.id, version=customer.version, confirmation=EMAIL
            )
    assert _customer(person.customer_id).email == EMAIL


def test_the_preview_counts_what_will_change_by_kind() -> None:
    person, admin = a_customer_with_everything(), make_user('admin')
    with read_session() as session:
        counts = personal_data.erasure_preview(session=session, actor=admin, record_id=person.customer_id)
    assert list(counts) == list(personal_data.KINDS)
    assert counts['profile'] == 1 and counts['orders'] == 1 and counts['documents'] == 1
    assert counts['requests'] == 1 and counts['messages'] == 2 and counts['returns'] == 1
    assert counts['events'] == 4  # three of theirs and the anonymous visit before they signed in
    assert counts['audit'] >= 3


def test_erasing_needs_the_email_typed_and_leaves_nothing_to_find() -> None:
    person, admin = a_customer_with_everything(), make_user('admin')
    customer = _customer(person.customer_id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation='yes'
        )
    assert 'confirmation' in refused.value.errors
    with session_scope() as session:
        counts = personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation=f' {EMAIL} '
        )
    assert counts['orders'] == 1

    with read_session() as session:
        for term in (EMAIL, 'zoe.ohara', 'Zoë', "O'Hara", PHONE):
            for key in ('customers', 'orders', 'tickets', 'audit'):
                request = query.ListRequest(search=term)
                rows = query.list_page(session=session, actor=admin, resource=resource(key), request=request).rows
                assert rows == [], (key, term)
            assert global_search.search(session=session, actor=admin, term=term) == [], term
        erased = session.get(Customer, customer.id)
        assert (erased.email, erased.name, erased.phone) == (f'erased-{customer.id}@erased.invalid', '', None)
        order = session.exec(select(Order).where(Order.customer_id == customer.id)).one()
        assert (order.shipping_name, order.shipping_address, order.note) == ('', '', '')
        assert order.total > 0  # the amounts stay
        invoice = session.exec(select(Invoice).where(Invoice.number == person.invoice_number)).one()
        assert invoice.bill_to['name'] == NAME and invoice.bill_to['address'] == ADDRESS  # required on the document
        assert documents.invoice_pdf(invoice, 'en').startswith(b'%PDF')
        ticket = session.exec(select(Ticket).where(Ticket.number == person.request_number)).one()
        assert ticket.subject == personal_data.ERASED
        bodies = session.exec(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id)).all()
        assert bodies and set(bodies) == {personal_data.ERASED}
        events = session.exec(select(UsageEvent)).all()
        assert all(e.anonymous_id is None and e.session_id is None and e.props is None for e in events)
        everything = json.dumps([e.model_dump(mode='json') for e in session.exec(select(AuditEntry))])
        for value in (EMAIL, 'zoe.ohara', json.dumps(NAME)[1:-1], json.dumps(PHONE)[1:-1], 'anon-zoe'):
            assert value not in everything, value
        said = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.erased')).one()
        assert said.actor_email == admin.email and 'orders 1' in said.summary and said.changes == {}

    with read_session() as session:
        path, _name = export_personal_data(session=session, actor=admin, record_id=customer.id)
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    text = ''.join(
        archive.read(n).decode('utf-8-sig')
        for n in archive.namelist()
        if not n.endswith('.pdf') and not n.startswith('invoices_and_credit_notes')
    )
    for value in (EMAIL, 'Zoë "Q"', PHONE, 'rue des', 'anon-zoe', BODY):
        assert value not in text, value
    path.unlink()

    with session_scope() as session, pytest.raises(ValidationFailed):  # once is enough
        erased = session.get(Customer, customer.id)
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=erased.version, confirmation=erased.email
        )


def test_the_trash_purge_erases_a_customer_with_orders_by_the_same_rules() -> None:
    person = a_customer_with_everything()
    with session_scope() as session:
        row = session.get(Customer, person.customer_id)
        row.deleted_at = utcnow() - timedelta(days=400)
        session.add(row)
        session.commit()
    done = purge_trash(get_settings())
    assert done['purged']['customers'] == 0 and len(done['kept']) == 1
    with read_session() as session:
        kept = session.get(Customer, person.customer_id)
        assert personal_data.is_erased(kept) and kept.deleted_at is not None
        order = session.exec(select(Order).where(Order.customer_id == kept.id)).one()
        assert order.email == kept.email and order.shipping_address == ''
        ticket = session.exec(select(Ticket).where(Ticket.number == person.request_number)).one()
        assert ticket.subject == personal_data.ERASED
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.erased')).one().actor_email == (
            'system'
        )


def _customer(customer_id: int) -> Customer:
    with read_session() as session:
        return session.get(Customer, customer_id)


async def test_after_erasure_the_api_does_not_find_them_by_their_old_email() -> None:
    person, admin = a_customer_with_everything(), make_user('admin')
    customer = _customer(person.customer_id)
    with session_scope() as session:
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation=EMAIL
        )
    ratelimit.reset_all()
    order = {
        'external_id': 'shop-after-erasure',
        'email': EMAIL,
        'name': NAME,
        'lines': [{'sku': 'PRIVACY-MUG', 'quantity': 1}],
    }
    async with api_client(orders_router) as client:
        answer = await client.post('/api/orders', json=order, headers=bearer(make_key(scopes=('orders:write',))[1]))
    assert answer.status_code == 201 and EMAIL not in answer.text, answer.text
    with read_session() as session:
        placed = session.exec(select(Order).where(Order.number == answer.json()['number'])).one()
        assert placed.customer_id != customer.id  # a new customer: the erased one is not theirs any more
        assert personal_data.is_erased(session.get(Customer, customer.id))


def test_rows_elsewhere_that_name_them_are_erased_too() -> None:
    person, admin = a_customer_with_everything(), make_user('admin')
    with session_scope() as session:
        endpoint = WebhookEndpoint(name='CRM', url='https://crm.example.com/hook', secret='x')
        session.add(endpoint)
        session.flush()
        payload = {'order': {'customer_email': EMAIL, 'shipping_name': NAME}, 'other': 'kept@example.com'}
        session.add(
            WebhookDelivery(endpoint_id=endpoint.id, event='order.paid', dedup_key='order.paid:1', payload=payload)
        )
        session.add(Notification(user_id=admin.id, text=f'Call {NAME} back on {PHONE}'))
        session.add(
            ImportBatch(resource='customers', updated={str(person.customer_id): {'name': NAME, 'email': EMAIL}})
        )
        session.commit()
    customer = _customer(person.customer_id)
    with read_session() as session:
        assert personal_data.erasure_preview(session=session, actor=admin, record_id=customer.id)['other'] == 3
    with session_scope() as session:
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation=EMAIL
        )
    with read_session() as session:
        stored = json.dumps(
            [
                *(d.payload for d in session.exec(select(WebhookDelivery))),
                *(n.text for n in session.exec(select(Notification))),
                *(b.updated for b in session.exec(select(ImportBatch))),
            ],
            ensure_ascii=False,
        )
    assert EMAIL not in stored and 'O\\"Hara' not in stored and "O'Hara" not in stored and PHONE not in stored
    assert 'kept@example.com' in stored and personal_data.ERASED in stored


def test_erasing_deletes_their_saved_addresses_and_what_the_audit_kept_of_them() -> None:
    person, admin = a_customer_with_everything(), make_user('admin')
    street, city = '7 impasse "Zoë": <script>x()</script>', 'Saint-Étienne-du-Rouvray'
    with session_scope() as session:
        customer_addresses.save(
            session=session,
            by=person.manager,
            customer_id=person.customer_id,
            address_id=None,
            version=None,
            data={'label': 'Home', 'name': NAME, 'line1': street, 'postcode': '76800', 'city': city,
                  'country': 'France', 'phone': '+33 7 98 76 54 32'},
        )  # fmt: skip
    with read_session() as session:
        assert (
            personal_data.erasure_preview(session=session, actor=admin, record_id=person.customer_id)['addresses'] == 1
        )
    customer = _customer(person.customer_id)
    with session_scope() as session:
        counts = personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation=EMAIL
        )
    assert counts['addresses'] == 1
    with read_session() as session:
        assert customer_addresses.addresses(session=session, by=admin, customer_id=customer.id) == []
        everything = json.dumps([e.model_dump(mode='json') for e in session.exec(select(AuditEntry))])
    for value in (json.dumps(street)[1:-1], json.dumps(city)[1:-1], '76800', '+33 7 98 76 54 32'):
        assert value not in everything, value


def _erase(email: str) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation=email
        )


def test_a_company_whose_last_admin_is_erased_gets_its_longest_standing_member_as_admin() -> None:
    """Erasure ends the admin's membership and cannot be refused: the company's longest-standing member (still its
    contact, not banned) becomes company admin, audited on the company without naming the erased person."""
    company = company_with(
        'Acmé "<b>": O\'Brien',
        {'banned@acme.example': 'buyer', 'early@acme.example': 'viewer', 'boss@acme.example': 'admin'},
    )
    add_member(company.id, 'later@acme.example', 'buyer')
    manager = make_user('manager')
    with session_scope() as session:
        banned = session.exec(select(Customer).where(Customer.email == 'banned@acme.example')).one()
        ban_customer(session=session, actor=manager, record_id=banned.id, version=banned.version, reason='<script>')
    _erase('boss@acme.example')
    roles = roles_in(company.id)
    assert (roles['early@acme.example'], roles['later@acme.example'], roles['banned@acme.example']) == (
        'admin',
        'buyer',
        'buyer',
    )
    assert 'boss@acme.example' not in roles
    [(action, said)] = admin_changes(company.id)
    assert action == 'company.admin_promoted'
    assert 'early@acme.example' in said and 'Acmé "<b>": O\'Brien' in said and 'boss' not in said
    assert actor('early@acme.example').company_admin


def test_a_company_left_with_nobody_to_take_over_is_flagged_in_its_log_and_one_with_another_admin_is_left_alone() -> (
    None
):
    alone = company_with('Solo: "<i>"', {'solo@solo.example': 'admin'})
    _erase('solo@solo.example')
    assert [action for action, _ in admin_changes(alone.id)] == ['company.left_without_admin']
    pair = company_with(
        'Pair', {'one@pair.example': 'admin', 'two@pair.example': 'admin', 'three@pair.example': 'buyer'}
    )
    _erase('one@pair.example')
    assert roles_in(pair.id) == {'two@pair.example': 'admin', 'three@pair.example': 'buyer'}
    assert admin_changes(pair.id) == []
