"""An audit entry told in words, without the UI: the actor's name, the record's number, fields by their labels, values
by their labels (never raw enum values), the changes as rows, and a link only while the reader may open the record."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound
from backoffice.models import AuditEntry
from backoffice.permissions import PermissionDenied
from backoffice.resources import resource
from backoffice.resources.system import RECORD_TYPES, entity_permissions
from backoffice.services import app_settings, audit_story, crud

from .support.factories import advance, make_content, make_customer, make_product, make_user, pay, place, receive

HOSTILE = 'Ann "A": <script>alert(1)</script>'


def newest_entry(entity: str, action: str | None = None) -> AuditEntry:
    with read_session() as session:
        statement = select(AuditEntry).where(AuditEntry.entity == entity)
        if action:
            statement = statement.where(AuditEntry.action == action)
        return session.exec(statement.order_by(col(AuditEntry.id).desc())).first()


def tell(reader, entry: AuditEntry) -> audit_story.AuditStory:
    with read_session() as session:
        return audit_story.tell(session=session, actor=reader, entry_id=entry.id)


def packed_order():
    maria = make_user('manager', name='Maria Lopez')
    product = make_product('MUG-1', price='12.50')
    receive(maria, product.id, 5)
    order = place(('MUG-1', 1))
    pay(maria, order)
    return maria, advance(maria, order, 'pack')


def test_an_order_status_change_reads_as_a_sentence_with_the_status_labels() -> None:
    maria, order = packed_order()
    story = tell(make_user('admin'), newest_entry('orders'))
    assert story.sentence == f'Maria Lopez changed the status of order {order.number} from Paid to Packed'
    status = next(c for c in story.changes if c.field == 'status')
    assert (status.label, status.before, status.after) == ('Status', 'Paid', 'Packed')
    assert story.link == f'/orders/{order.number}' and story.link_label == f'Open order {order.number}'
    assert story.record_type == 'Order'
    invoice = tell(make_user('admin'), newest_entry('invoices'))
    assert invoice.sentence.startswith('Maria Lopez issued invoice INV-'), invoice.sentence
    assert invoice.link == f'/orders/{order.number}'


def test_a_new_customer_reads_as_added_and_each_field_by_its_label() -> None:
    agent = make_user('manager', name='Sam Doe')
    with session_scope() as session:
        created = crud.create_record(
            session=session,
            actor=agent,
            resource=resource('customers'),
            data={'email': 'ann@example.com', 'name': HOSTILE, 'marketing_consent': True},
        )
    story = tell(make_user('admin'), newest_entry('customers'))
    assert story.sentence == 'Sam Doe added customer ann@example.com'
    shown = {c.label: (c.before, c.after) for c in story.changes}
    assert shown['Name'] == ('empty', HOSTILE)  # the text as typed: the page shows it as text
    assert shown['Agrees to marketing email'] == ('empty', 'Yes')
    assert shown['Status'][1] == 'Active'  # a label, not the stored 'active'
    assert story.link == f'/customers?open={created.id}'


def test_a_field_changed_on_a_customer_names_the_field_and_both_values() -> None:
    customer = make_customer('bo@example.com', name='Bo')
    editor = make_user('manager', name='Kim Park')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=editor,
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes={'name': HOSTILE},
        )
    story = tell(make_user('admin'), newest_entry('customers'))
    assert story.sentence == f'Kim Park changed the name of customer bo@example.com from Bo to {HOSTILE}'


def test_trash_and_restore_read_as_such() -> None:
    customer = make_customer('cy@example.com')
    admin = make_user('admin', name='Ada Admin')
    with session_scope() as session:
        crud.delete_record(
            session=session, actor=admin, resource=resource('customers'), record_id=customer.id, version=1
        )
    assert tell(admin, newest_entry('customers')).sentence == 'Ada Admin moved customer cy@example.com to the trash'
    with session_scope() as session:
        crud.restore_record(session=session, actor=admin, resource=resource('customers'), record_id=customer.id)
    assert (
        tell(admin, newest_entry('customers')).sentence == 'Ada Admin restored customer cy@example.com from the trash'
    )


def test_a_sign_in_and_a_change_by_the_system() -> None:
    make_customer('sys@example.com')  # created with no actor
    story = tell(make_user('admin'), newest_entry('customers'))
    assert story.sentence == 'The system added customer sys@example.com'


def test_no_link_for_a_reader_who_may_not_open_the_record_nor_for_a_record_that_is_gone() -> None:
    make_customer('gone@example.com')
    entry = newest_entry('customers')
    with session_scope() as session:
        session.delete(session.get(resource('customers').model, int(entry.entity_id)))
        session.commit()
    story = tell(make_user('admin'), entry)
    assert story.link is None and story.sentence == f'The system added customer #{entry.entity_id}'
    admin = make_user('admin', name='Ada Admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'company_name': HOSTILE}, loaded={})
    settings_entry = newest_entry('settings')
    assert (
        tell(admin, settings_entry).sentence
        == f'Ada Admin changed the setting “Company name” from My Shop to {HOSTILE}'
    )
    assert tell(admin, settings_entry).link == '/settings'
    with pytest.raises(NotFound):  # a manager may not read the settings: nor the entries about them
        tell(make_user('manager'), settings_entry)
    with pytest.raises(PermissionDenied):  # agents do not read the audit log at all
        tell(make_user('agent'), settings_entry)


def test_the_record_type_filter_offers_every_audited_type() -> None:
    assert set(entity_permissions()) - set(RECORD_TYPES) == {'staff'}  # staff: the users list seen by agents
    offered = set(RECORD_TYPES.values())
    assert {
        'Orders',
        'Invoices',
        'Stock levels',
        'Returns',
        'Purchases',
        'Requests',
        'Customers',
        'Companies',
    } <= offered
    assert {'Products', 'Content', 'Settings'} <= offered
    assert list(RECORD_TYPES.values()) == sorted(RECORD_TYPES.values(), key=str.lower)


def test_a_legal_documents_entry_names_it_a_legal_document_not_a_page() -> None:
    entry = make_content('cgv', title=HOSTILE, kind='legal', body='Article 1.')
    story = tell(make_user('admin'), newest_entry('content'))
    assert story.record_type == 'Legal document'
    assert story.record == f'legal document {HOSTILE}', story.record
    assert entry.kind == 'legal'
    make_content('hours', title='Hours', kind='page')
    assert tell(make_user('admin'), newest_entry('content')).record_type == 'Page'
