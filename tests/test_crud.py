"""The generic record service behind every declared resource, shown on customers and companies."""

from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice import events, i18n
from backoffice.db import session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, Customer, CustomerStatus, utcnow
from backoffice.resources import resource
from backoffice.services import crud, trash
from backoffice.services.customers import ban_customer, unban_customer
from backoffice.validation import EMAIL_MAX, PHONE_MAX

from .support.factories import make_company, make_customer, make_user
from .support.too_long import one_past, refused_at

CUSTOMERS, COMPANIES = resource('customers'), resource('companies')


def fresh(customer_id: int) -> Customer:
    with session_scope() as session:
        return session.get(Customer, customer_id)


def test_creating_validates_every_field_and_saves_nothing_on_error() -> None:
    manager = make_user('manager')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            data={'email': 'nope', 'phone': 'call me', 'company_id': 999},
        )
    assert refused.value.errors['email'] == 'Enter a valid email address'
    assert refused.value.errors['phone'].startswith('Enter a phone number')
    with session_scope() as session:
        assert session.exec(select(Customer)).all() == []


def test_an_email_or_a_phone_longer_than_its_field_is_refused_with_both_figures() -> None:
    """A customer's email field counts up to the 254 characters an address may have and the phone up to 40: a longer
    one (pasted past the field, sent by the API) is refused with the limit and its length in the reader's language,
    not only called invalid; a phone of all 40 characters its field takes is one."""
    manager = make_user('manager')
    too_long = {'email': one_past(EMAIL_MAX), 'phone': one_past(PHONE_MAX)}
    for language, said in (
        ('en', {'email': refused_at(EMAIL_MAX), 'phone': refused_at(PHONE_MAX)}),
        (
            'fr',
            {'email': '254 caractères au maximum (il y en a 255)', 'phone': '40 caractères au maximum (il y en a 41)'},
        ),
    ):
        with i18n.use(language), session_scope() as session, pytest.raises(ValidationFailed) as refused:
            crud.create_record(session=session, actor=manager, resource=CUSTOMERS, data=too_long)
        assert refused.value.errors == said
    phone = '+49 (0) 30 1234 5678 / 9012 3456 7890 12'
    assert len(phone) == PHONE_MAX
    with session_scope() as session:
        made = crud.create_record(
            session=session, actor=manager, resource=CUSTOMERS, data={'email': 'long.phone@example.com', 'phone': phone}
        )
    assert fresh(made.id).phone == phone


def test_a_duplicate_or_a_missing_company_is_a_field_error() -> None:
    manager = make_user('manager')
    make_customer('dup@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(
            session=session, actor=manager, resource=CUSTOMERS, data={'email': 'DUP@example.com', 'company_id': 4242}
        )
    assert refused.value.errors == {
        'email': 'Another customer already has this email',
        'company_id': 'Choose an existing company',
    }


def test_a_company_id_no_integer_column_holds_is_a_missing_company_not_a_database_error() -> None:
    # an import or a direct call is held to an id's bounds as the API is (validation.OptionalId), so the look-up
    # never sees it (PostgreSQL refused 2**31 with "integer out of range"); an id in bounds that no company has is
    # the missing company it is
    manager = make_user('manager')
    for company_id, said in ((2**31, 'Enter 2147483647 or less'), (-1, 'Enter 1 or more'), (999, None)):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            crud.create_record(
                session=session,
                actor=manager,
                resource=CUSTOMERS,
                data={'email': 'far@example.com', 'name': 'Jo "<script>": \'x\'', 'company_id': company_id},
            )
        assert refused.value.errors == {'company_id': said or 'Choose an existing company'}
    with session_scope() as session:
        assert session.exec(select(Customer)).all() == []


def test_an_update_changes_only_what_was_sent_and_is_audited_with_the_diff() -> None:
    manager = make_user('manager')
    customer = make_customer('c@example.com', name='Cleo')
    with session_scope() as session:
        saved = crud.update_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            record_id=customer.id,
            version=customer.version,
            changes={'name': 'Cleo Stone'},
        )
    assert (saved.name, saved.email, saved.version) == ('Cleo Stone', 'c@example.com', 2)
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.updated')).one()
    assert entry.changes == {'name': ['Cleo', 'Cleo Stone']} and entry.version == 2


def test_a_stale_save_is_refused_naming_who_changed_the_record() -> None:
    ana, ben = make_user('manager', email='ana@example.com'), make_user('agent', email='ben@example.com')
    customer = make_customer('c@example.com')
    with session_scope() as session:
        crud.update_record(
            session=session, actor=ana, resource=CUSTOMERS, record_id=customer.id, version=1, changes={'name': 'By Ana'}
        )
    with session_scope() as session, pytest.raises(StaleRecord) as refused:
        crud.update_record(
            session=session, actor=ben, resource=CUSTOMERS, record_id=customer.id, version=1, changes={'name': 'By Ben'}
        )
    assert f'changed by {ana.name}' in str(refused.value)  # by name (make_user gives one)
    assert fresh(customer.id).name == 'By Ana'


def test_a_stale_save_names_a_colleague_with_a_name_by_their_name_not_their_email() -> None:
    lea = make_user('manager', email='lea.schmidt@example.com', name='Lea "L" Schmidt: <b>x</b>')
    ben = make_user('agent', email='ben@example.com')
    customer = make_customer('c@example.com')
    with session_scope() as session:
        crud.update_record(
            session=session, actor=lea, resource=CUSTOMERS, record_id=customer.id, version=1, changes={'name': 'Lea'}
        )
    with session_scope() as session, pytest.raises(StaleRecord) as refused:
        crud.update_record(
            session=session, actor=ben, resource=CUSTOMERS, record_id=customer.id, version=1, changes={'name': 'Ben'}
        )
    said = (str(refused.value), refused.value.shown_again(), refused.value.for_a_program())
    assert all('changed by Lea "L" Schmidt: <b>x</b>' in text for text in said), said
    assert not any('lea.schmidt@example.com' in text for text in said), said


def test_a_viewer_cannot_write_and_nothing_changes() -> None:
    viewer = make_user('viewer')
    customer = make_customer('c@example.com', name='Same')
    with session_scope() as session, pytest.raises(PermissionDenied):
        crud.update_record(
            session=session,
            actor=viewer,
            resource=CUSTOMERS,
            record_id=customer.id,
            version=1,
            changes={'name': 'Changed'},
        )
    with session_scope() as session, pytest.raises(PermissionDenied):
        crud.delete_record(session=session, actor=viewer, resource=CUSTOMERS, record_id=customer.id)
    assert fresh(customer.id).name == 'Same' and fresh(customer.id).deleted_at is None


def test_delete_moves_to_the_trash_restore_brings_back_and_purge_removes_for_good() -> None:
    manager = make_user('manager')
    customer = make_customer('c@example.com')
    published: list[dict] = []
    events.subscribe('customers', published.append, key='test')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id)
    assert fresh(customer.id).deleted_at is not None
    with session_scope() as session:
        crud.restore_record(session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id)
    assert fresh(customer.id).deleted_at is None
    assert [p['action'] for p in published] == ['deleted', 'restored']

    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id)
    with session_scope() as session:
        assert trash.purge_deleted(session=session, resource=CUSTOMERS, older_than=timedelta(days=30)).purged == 0
        row = session.get(Customer, customer.id)
        row.deleted_at = utcnow() - timedelta(days=31)
        session.add(row)
        session.commit()
    with session_scope() as session:
        assert trash.purge_deleted(session=session, resource=CUSTOMERS, older_than=timedelta(days=30)).purged == 1
    assert fresh(customer.id) is None


def test_a_trashed_email_cannot_be_reused_but_says_to_restore() -> None:
    manager = make_user('manager')
    customer = make_customer('c@example.com')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(session=session, actor=manager, resource=CUSTOMERS, data={'email': 'c@example.com'})
    assert refused.value.errors == {'email': 'A customer in the trash has this email; restore it instead'}


def test_revert_puts_back_an_earlier_version_and_is_itself_audited() -> None:
    manager = make_user('manager')
    acme = make_company('Acme')
    customer = make_customer('c@example.com', name='First')
    for version, name in ((1, 'Second'), (2, 'Third')):
        with session_scope() as session:
            crud.update_record(
                session=session,
                actor=manager,
                resource=CUSTOMERS,
                record_id=customer.id,
                version=version,
                changes={'name': name, 'company_id': acme.id},
            )
    with session_scope() as session:
        first_change = [
            e
            for e in crud.history(session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id)
            if e.action == 'customer.created'
        ][0]
        reverted = crud.revert_to(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            record_id=customer.id,
            entry_id=first_change.id,
            version=3,
        )
    assert (reverted.name, reverted.company_id, reverted.version) == ('First', None, 4)
    with session_scope() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.reverted')).one()


def test_a_revert_never_opts_a_customer_back_in() -> None:
    """A wrong rename is reverted after the customer opted out meanwhile: the name comes back, the opt-out stays."""
    manager = make_user('manager')
    customer = make_customer('optout@example.com', name='Zoë "Q": <script>', consent=True)
    for version, changes in ((1, {'name': "O'Hara: wrong"}), (2, {'marketing_consent': False})):
        with session_scope() as session:
            crud.update_record(
                session=session,
                actor=manager,
                resource=CUSTOMERS,
                record_id=customer.id,
                version=version,
                changes=changes,
            )
    with session_scope() as session:
        created = [
            e
            for e in crud.history(session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id)
            if e.action == 'customer.created'
        ][0]
        reverted = crud.revert_to(
            session=session, actor=manager, resource=CUSTOMERS, record_id=customer.id, entry_id=created.id, version=3
        )
    assert (reverted.name, reverted.marketing_consent) == ('Zoë "Q": <script>', False)


def test_banning_needs_a_reason_and_only_unban_lifts_it() -> None:
    agent = make_user('agent')
    customer = make_customer('c@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        ban_customer(session=session, actor=agent, record_id=customer.id, version=1, reason='  ')
    assert refused.value.errors == {'reason': 'Say why: the reason is kept with the ban'}
    with session_scope() as session:
        ban_customer(session=session, actor=agent, record_id=customer.id, version=1, reason='Chargeback fraud')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.update_record(
            session=session,
            actor=agent,
            resource=CUSTOMERS,
            record_id=customer.id,
            version=2,
            changes={'status': 'active'},
        )
    assert refused.value.errors == {'status': 'This customer is banned: use Unban'}
    with session_scope() as session:
        unban_customer(session=session, actor=agent, record_id=customer.id, version=2)
    assert (fresh(customer.id).status, fresh(customer.id).ban_reason) == (CustomerStatus.active, None)


def test_titles_and_lookup_serve_related_fields() -> None:
    manager = make_user('manager')
    acme, globex = make_company('Acme GmbH'), make_company('Globex')
    with session_scope() as session:
        assert crud.titles_for(session=session, resource=COMPANIES, ids={acme.id, globex.id}) == {
            acme.id: 'Acme GmbH',
            globex.id: 'Globex',
        }
        assert crud.lookup(session=session, actor=manager, resource=COMPANIES, text='acm') == {acme.id: 'Acme GmbH'}


def test_emptying_a_required_field_is_a_field_error_not_a_crash() -> None:
    manager = make_user('manager')
    customer = make_customer('c@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.update_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            record_id=customer.id,
            version=1,
            changes={'marketing_consent': None},
        )
    assert refused.value.errors == {'marketing_consent': 'This field is required'}


def test_the_customer_type_ahead_finds_a_customer_by_phone_however_typed() -> None:
    """A support agent types the caller's number in "New request"'s customer type-ahead: found as the customers list
    finds it (spaces, dots, '+', a leading 0 ignored); hostile text finds nobody and breaks nothing."""
    agent = make_user('agent')
    caller = make_customer('caller@example.com', name='Zoë "O\'Brien": <script>x</script>')
    make_customer('other@example.com', name='Other')
    with session_scope() as session:
        row = session.get(Customer, caller.id)
        row.phone = '+33 6 12.34.56.78'
        session.add(row)
        session.commit()
    with session_scope() as session:
        for typed in ('06 12 34 56 78', '+33612345678', '6.12.34.56', '0033 6 12 34 56 78'):
            assert crud.lookup(session=session, actor=agent, resource=CUSTOMERS, text=typed) == {
                caller.id: 'caller@example.com'
            }, typed
        assert crud.lookup(session=session, actor=agent, resource=CUSTOMERS, text='"O\'Brien": <script>') == {
            caller.id: 'caller@example.com'
        }
        assert crud.lookup(session=session, actor=agent, resource=CUSTOMERS, text='99 99 99 99') == {}
