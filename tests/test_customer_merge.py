"""Merging a duplicate customer into the one kept: everything that pointed at the duplicate follows (orders, requests,
addresses, legal acceptances, company membership…), the kept values win and empty ones are filled, a merge never opts
anyone in, the duplicate ends merged in the trash pointing at the kept one, and the refusals (permission, stale,
itself, a banned duplicate). A guard fails when a table refers to customers without the merge knowing its word."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, Customer, CustomerAddress, LegalAcceptance, Order, Ticket
from backoffice.models.portal import CompanyMember, PortalAccount
from backoffice.permissions import PERMISSIONS, PermissionDenied
from backoffice.resources import resource
from backoffice.services import crud, customer_addresses, customer_merge
from backoffice.services.customers import ban_customer, find_or_create

from .support.companies import actor, company_with
from .support.factories import make_customer, make_product, make_role, make_user, place, submit_request
from .support.legal import accept, terms_with_versions

HOSTILE = 'Zoë "O\'Brien" <script>alert(1)</script>: ünïcode'


def merge(by, keep: Customer, other: Customer, *, keep_version: int | None = None) -> Customer:
    with session_scope() as session:
        return customer_merge.merge_customers(
            session=session,
            actor=by,
            keep_id=keep.id,
            keep_version=keep.version if keep_version is None else keep_version,
            other_id=other.id,
            other_version=other.version,
        )


def preview(by, keep: Customer, other: Customer) -> customer_merge.MergePreview:
    with read_session() as session:
        return customer_merge.merge_preview(session=session, actor=by, keep_id=keep.id, other_id=other.id)


def now(customer: Customer) -> Customer:
    with read_session() as session:
        return session.get(Customer, customer.id)


def test_everything_of_the_duplicate_follows_to_the_customer_kept() -> None:
    make_product('MRG-1', stock_on_hand=10, actor=make_user('manager'))
    jane = make_customer('jane@example.com', name='Jane Doe')
    twin = make_customer('jane2@example.com', name=HOSTILE)
    place(('MRG-1', 1), email='jane@example.com')
    for _ in range(3):
        place(('MRG-1', 1), email='jane2@example.com')
    submit_request(email='jane2@example.com', name=HOSTILE, order_number=None)
    submit_request(email='jane2@example.com', name=HOSTILE, order_number=None, subject='Second')
    manager = make_user('manager')
    with session_scope() as session:
        customer_addresses.save(
            session=session,
            by=manager,
            customer_id=twin.id,
            address_id=None,
            version=None,
            data={'name': HOSTILE, 'line1': HOSTILE, 'postcode': '75001', 'city': 'Paris', 'country': 'France'},
        )
    terms_with_versions('terms', 2)
    accept('jane@example.com', 'terms', 1)
    accept('jane2@example.com', 'terms', 1)  # the same version twice: append-only, stays with the duplicate
    accept('jane2@example.com', 'terms', 2)
    jane, twin = now(jane), now(twin)

    shown = preview(manager, jane, twin)
    moving = dict(shown.moving)
    assert {k: moving.get(k) for k in ('orders', 'requests', 'addresses', 'legal acceptances')} == {
        'orders': 3,
        'requests': 2,
        'addresses': 1,
        'legal acceptances': 1,  # version 1 both accepted stays with each (append-only)
    }
    assert (shown.keep_title, shown.other_email, shown.refused) == (f'Jane Doe #{jane.id}', 'jane2@example.com', '')

    kept = merge(manager, jane, twin)
    with read_session() as session:
        orders = session.exec(select(Order).where(Order.customer_id == jane.id)).all()
        requests = session.exec(select(Ticket).where(Ticket.customer_id == jane.id)).all()
        addresses = session.exec(select(CustomerAddress).where(CustomerAddress.customer_id == jane.id)).all()
        gone = session.get(Customer, twin.id)
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'customer.merged', AuditEntry.entity == 'customers')
        ).all()
    assert (len(orders), len(requests), [a.line1 for a in addresses]) == (4, 2, [HOSTILE])
    assert kept.name == 'Jane Doe'  # the kept value wins
    assert (gone.status, gone.merged_into_id, gone.deleted_at is not None) == ('merged', jane.id, True)
    said = f'Merged customer #{twin.id} (jane2@example.com) into #{jane.id}'
    assert sorted(e.entity_id for e in entries if e.summary == said) == sorted([str(jane.id), str(twin.id)])
    # legal: version 2 moved; version 1, accepted by both, is kept with each
    with read_session() as session:
        rows = session.exec(select(LegalAcceptance.customer_id, LegalAcceptance.number)).all()
    assert sorted(rows) == sorted([(jane.id, 1), (jane.id, 2), (twin.id, 1)])
    # an order that still comes with the duplicate's email goes to the customer kept
    assert place(('MRG-1', 1), email='JANE2@example.com').customer_id == jane.id
    with read_session() as session:
        found, created = find_or_create(session, email='jane2@example.com', name=None, came_with='test')
    assert (found.id, created) == (jane.id, False)


def test_empty_fields_are_filled_from_the_duplicate_and_consent_is_never_given_by_a_merge() -> None:
    manager = make_user('manager')
    yes = make_customer('yes@example.com', consent=True)
    no = make_customer('no@example.com', name=HOSTILE, consent=False)
    shown = preview(manager, yes, no)
    assert (shown.consent, shown.consent_withdrawn, shown.filled) == (False, True, [('Name', HOSTILE)])
    kept = merge(manager, yes, no)
    assert (kept.marketing_consent, kept.name) == (False, HOSTILE)
    # both said yes: yes; the kept said no: no, whatever the duplicate said
    a, b = make_customer('a@example.com', consent=True), make_customer('b@example.com', consent=True)
    assert merge(manager, a, b).marketing_consent is True
    c, d = make_customer('c@example.com', consent=False), make_customer('d@example.com', consent=True)
    assert merge(manager, c, d).marketing_consent is False
    # the consent history of both stays in the log
    with read_session() as session:
        kept_entries = session.exec(
            select(AuditEntry).where(AuditEntry.entity == 'customers', AuditEntry.entity_id == str(yes.id))
        ).all()
    assert any(e.changes.get('marketing_consent') == [True, False] for e in kept_entries)


def test_refusals_permission_stale_itself_and_a_banned_duplicate() -> None:
    jane = make_customer('jane@example.com', name='Jane')
    twin = make_customer('jane2@example.com')
    for who in (make_user('viewer'), make_user(make_role('customers.read').key)):
        with pytest.raises(PermissionDenied):
            merge(who, jane, twin)
        with pytest.raises(PermissionDenied):
            preview(who, jane, twin)
    manager = make_user('manager')
    with pytest.raises(ValidationFailed, match='itself'):
        merge(manager, jane, jane)
    with pytest.raises(StaleRecord):
        merge(manager, jane, twin, keep_version=jane.version - 1 if jane.version > 1 else jane.version + 5)
    with session_scope() as session:
        ban_customer(session=session, actor=manager, record_id=twin.id, version=twin.version, reason='Abuse')
    twin = now(twin)
    assert 'is banned' in preview(manager, jane, twin).refused
    with pytest.raises(ValidationFailed, match='unban'):
        merge(manager, jane, twin)
    assert now(jane).status == 'active' and now(twin).status == 'banned'  # nothing written
    kept = merge(manager, twin, jane)  # the banned one kept: the result stays banned, said in the preview
    assert kept.status == 'banned'
    with pytest.raises(ValidationFailed, match='already merged'):
        merge(manager, now(twin), now(jane))


def test_company_membership_twice_keeps_the_higher_role_and_the_duplicates_portal_sign_in_ends() -> None:
    company = company_with('Acme "<b>"', {'ann@example.com': 'viewer', 'ann2@example.com': 'admin'})
    manager = make_user('manager')
    with read_session() as session:
        ann = session.exec(select(Customer).where(Customer.email == 'ann@example.com')).one()
        ann2 = session.exec(select(Customer).where(Customer.email == 'ann2@example.com')).one()
    with session_scope() as session:
        if session.exec(select(PortalAccount).where(PortalAccount.customer_id == ann2.id)).first() is None:
            session.add(PortalAccount(customer_id=ann2.id))
            session.commit()
    shown = preview(manager, ann, ann2)
    assert shown.portal_ends is True
    assert 'portal sign-in' not in dict(shown.moving)  # it ends, it does not move
    merge(manager, ann, ann2)
    with read_session() as session:
        members = session.exec(select(CompanyMember).where(CompanyMember.company_id == company.id)).all()
        accounts = session.exec(select(PortalAccount)).all()
    assert [(m.customer_id, m.role) for m in members] == [(ann.id, 'admin')]
    assert all(a.customer_id != ann2.id for a in accounts)
    assert actor('ann@example.com').customer_id == ann.id


def test_every_table_referring_to_customers_is_known_to_the_merge() -> None:
    """A table added later with a foreign key to customers is moved by the merge generically; this fails until it has
    its word in the preview (customer_merge.MOVED), and, when a unique constraint holds its customer column, a rule
    (customer_merge.RULED) — a plain move would break the constraint."""
    unnamed, unruled = [], []
    for table, column in customer_merge.references():
        if table.name not in customer_merge.MOVED:
            unnamed.append(table.name)
        unique = column.unique or any(
            column.name in [c.name for c in constraint.columns]
            for constraint in table.constraints
            if constraint.__class__.__name__ == 'UniqueConstraint'
        )
        unique = unique or any(
            index.unique and column.name in [c.name for c in index.columns] for index in table.indexes
        )
        if unique and table.name not in customer_merge.RULED:
            unruled.append(table.name)
    assert (unnamed, unruled) == ([], [])
    assert {t.name for t, _ in customer_merge.references()} >= {'orders', 'tickets', 'customer_addresses'}


def test_a_merged_duplicate_cannot_be_restored_from_the_trash() -> None:
    manager = make_user('manager')
    jane, twin = make_customer('jane@example.com'), make_customer('jane2@example.com')
    merge(manager, jane, twin)
    with session_scope() as session, pytest.raises(ValidationFailed, match=f'merged into #{jane.id}'):
        crud.restore_record(session=session, actor=manager, resource=resource('customers'), record_id=twin.id)
    assert now(twin).deleted_at is not None


def test_no_form_import_or_api_call_sets_a_customer_merged() -> None:
    jane = make_customer('jane@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.update_record(
            session=session,
            actor=make_user('manager'),
            resource=resource('customers'),
            record_id=jane.id,
            version=jane.version,
            changes={'status': 'merged'},
        )
    assert 'status' in refused.value.errors
    assert now(jane).status == 'active'


def test_the_picker_finds_the_duplicate_as_the_type_ahead_does_without_accents_and_by_phone() -> None:
    """The picker's search is the customer type-ahead's: 'lopez' finds 'López', a phone however typed; hostile text is
    looked for as text (a LIKE wildcard too)."""
    manager = make_user('manager')
    keep = make_customer('keep@example.com', name='Kept One')
    twin = make_customer('twin@example.com', name=f'José López {HOSTILE}')
    other = make_customer('o100%@example.com', name='Percy')
    with session_scope() as session:
        row = session.get(Customer, twin.id)
        row.phone = '+33 6.12.34.56.78'
        session.add(row)
        session.commit()

    def found(text: str) -> set[int]:
        with read_session() as session:
            return set(customer_merge.candidates(session=session, actor=manager, customer_id=keep.id, text=text))

    assert found('jose lopez') == {twin.id}
    assert found('lopez jose') == {twin.id}  # the surname first: each word, in any order
    assert found('lopez "o\'brien" <script> jose') == {twin.id}
    assert found('lopez kept') == set()
    assert found('JOSÉ LÓPEZ') == {twin.id}
    assert found('06 12 34 56 78') == {twin.id}
    assert found('+33612345678') == {twin.id}
    assert found('"O\'Brien" <script>') == {twin.id}
    assert found('ünïcode') == {twin.id} == found('unicode')
    assert found('%') == {other.id}  # a wildcard is looked for, not matched as one
    assert found('kept') == set()  # never the customer kept


def test_who_may_not_read_orders_is_told_they_move_but_not_how_many() -> None:
    """A merger without `orders.read` sees no count of orders or returns (nor requests without `tickets.read`), only
    the kinds named, the same words whether or not the duplicate has any."""
    make_product('MRG-2', stock_on_hand=10, actor=make_user('manager'))
    keep = make_customer('kept@example.com', name='Kept')
    twin = make_customer('twin2@example.com', name=HOSTILE)
    lonely = make_customer('lonely@example.com', name='No orders')
    place(('MRG-2', 1), email='twin2@example.com')
    submit_request(email='twin2@example.com', name=HOSTILE, order_number=None)
    clerk = make_user(make_role('customers.read', 'customers.write', name='Customer clerk').key)
    shown, none = preview(clerk, keep, now(twin)), preview(clerk, keep, lonely)
    assert {'orders', 'requests', 'returns'} & set(dict(shown.moving)) == set()
    assert shown.unseen == none.unseen
    assert shown.unseen[:5] == ['orders', 'requests', 'request messages', 'returns', 'payments']
    manager = make_user('manager')
    counted = preview(manager, keep, now(twin))
    assert (dict(counted.moving).get('orders'), dict(counted.moving).get('requests'), counted.unseen) == (1, 1, [])


def test_every_moved_table_is_counted_only_for_readers_of_an_existing_permission() -> None:
    """Each table the merge moves names a permission that exists (permissions.py, or an extension's) and, for a merger
    without it, is named among the kinds moved uncounted and never counted — with it, counted. Receipts, bank rules
    and the customer reports are read with `finance.read` (the receivables, bank and report screens require it)."""
    tables = [table.name for table, _ in customer_merge.references() if table.name not in customer_merge.ENDING]
    needed = {name: customer_merge.read_permission(name) for name in tables}
    assert set(needed.values()) <= set(PERMISSIONS), needed
    assert {name: needed[name] for name in ('receipts', 'bank_rules', 'customer_report_choices')} == {
        'receipts': 'finance.read',
        'bank_rules': 'finance.read',
        'customer_report_choices': 'finance.read',
    }
    make_product('MRG-3', stock_on_hand=10, actor=make_user('manager'))
    keep = make_customer('kept3@example.com', name='Kept')
    twin = make_customer('twin3@example.com', name=HOSTILE)
    place(('MRG-3', 1), email='twin3@example.com')
    submit_request(email='twin3@example.com', name=HOSTILE, order_number=None)
    granted = make_user(make_role(*(set(PERMISSIONS) - {'users.manage'})).key)
    for permission in sorted(set(needed.values()) - {customer_merge.PERMISSION}):
        kinds = {customer_merge.MOVED[name] for name in tables if needed[name] == permission}
        without = make_user(make_role(*(set(PERMISSIONS) - {permission, 'users.manage'})).key)
        shown = preview(without, keep, now(twin))
        assert kinds <= set(shown.unseen) and not kinds & set(dict(shown.moving)), permission
        assert not kinds & set(preview(granted, keep, now(twin)).unseen), permission
    counted = dict(preview(make_user('admin'), keep, now(twin)).moving)
    assert counted['orders'] == 1 and counted['requests'] == 1
