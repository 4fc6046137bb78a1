"""Customers' acceptances of the legal documents: recorded once per customer and version, refused for a version not
published, final once recorded, shown on the customer's page, exported and kept without the address by an erasure."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import AcceptanceIsFinal, Customer, LegalAcceptance, LegalVersion, utcnow
from backoffice.runtime.scheduler import purge_trash
from backoffice.services import content, legal_acceptances, personal_data
from backoffice.services.personal_data_export import export_personal_data

from .support.factories import edit_content, make_content, make_customer, make_role, make_user, publish_content
from .support.legal import accept, terms_with_versions
from .support.signin import signed_in

HOSTILE = '<script>alert("x")</script>: \'quoted\''


def test_an_acceptance_is_recorded_once_and_the_first_time_stands() -> None:
    terms_with_versions('terms-once', 2)
    make_customer('once@example.com')
    first_time = utcnow() - timedelta(days=2)

    first = accept('once@example.com', 'terms-once', 2, at=first_time, ip='203.0.113.7')
    again = accept('ONCE@example.com', ' Terms-Once ', 2, at=utcnow())

    assert first.created and not again.created
    assert again.acceptance.id == first.acceptance.id and again.acceptance.accepted_at == first_time
    with read_session() as session:
        rows = list(session.exec(select(LegalAcceptance).where(LegalAcceptance.number == 2)))
    assert [(r.number, r.ip, r.source.value) for r in rows if r.id == first.acceptance.id] == [
        (2, '203.0.113.7', 'api')
    ]


@pytest.mark.parametrize(
    ('changes', 'field'),
    [
        ({'document': HOSTILE}, 'document'),
        ({'document': 'no-such-terms'}, 'document'),
        ({'version': 3}, 'version'),
        ({'email': HOSTILE}, 'email'),
        ({'email': 'nobody@example.com'}, 'email'),
        ({'ip': HOSTILE}, 'ip'),
        ({'accepted_at': 'future'}, 'accepted_at'),
        ({'accepted_at': 'before'}, 'accepted_at'),
        ({'accepted_at': 'naive'}, 'accepted_at'),
    ],
)
def test_what_cannot_have_been_accepted_is_refused_at_its_field(changes: dict, field: str) -> None:
    terms_with_versions('terms-refused', 2)
    make_customer('refused@example.com')
    values = {'email': 'refused@example.com', 'document': 'terms-refused', 'version': 2, 'ip': None}
    values.update(changes)
    when = {
        'future': utcnow() + timedelta(days=1),
        'before': utcnow() - timedelta(days=200),
        'naive': utcnow().replace(tzinfo=None),
    }.get(values.pop('accepted_at', ''))
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        legal_acceptances.record_acceptance(session=session, accepted_at=when, **values)
    assert list(refused.value.errors) == [field]


def test_a_version_scheduled_for_later_cannot_be_accepted_yet() -> None:
    manager = make_user('manager')
    entry = terms_with_versions('terms-later', 1)
    publish_content(edit_content(entry, manager, body='Next', publish_at=utcnow() + timedelta(days=7)), actor=manager)
    make_customer('later@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        legal_acceptances.record_acceptance(
            session=session, email='later@example.com', document='terms-later', version=2
        )
    assert 'version' in refused.value.errors


def test_a_scheduled_version_cannot_have_been_accepted_before_it_took_effect() -> None:
    """Published ten days ago to take effect three days ago: until then the front office could not read it (the API
    answers 404 for it), so an acceptance dated in between is refused, not kept as evidence of the impossible."""
    manager = make_user('manager')
    entry = terms_with_versions('terms-scheduled', 1, title=HOSTILE)
    took_effect = utcnow() - timedelta(days=3)
    edited = edit_content(entry, manager, body='Next', publish_at=took_effect)
    publish_content(edited, actor=manager, now=utcnow() - timedelta(days=10))
    make_customer('scheduled@example.com')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        legal_acceptances.record_acceptance(
            session=session,
            email='scheduled@example.com',
            document='terms-scheduled',
            version=2,
            accepted_at=utcnow() - timedelta(days=5),
        )
    assert refused.value.errors == {'accepted_at': 'This time is before version 2 took effect.'}
    recorded = accept('scheduled@example.com', 'terms-scheduled', 2, at=took_effect + timedelta(hours=1))
    assert recorded.created and recorded.acceptance.number == 2


def test_a_recorded_acceptance_is_final() -> None:
    terms_with_versions('terms-final', 1)
    make_customer('final@example.com')
    recorded = accept('final@example.com', 'terms-final', 1)
    with session_scope() as session, pytest.raises(AcceptanceIsFinal):
        row = session.get(LegalAcceptance, recorded.acceptance.id)
        row.number = 7
        session.flush()
    with session_scope() as session, pytest.raises(AcceptanceIsFinal):
        session.delete(session.get(LegalAcceptance, recorded.acceptance.id))
        session.flush()


def test_the_section_says_which_version_and_whether_it_is_current() -> None:
    terms_with_versions('terms-section', 4, title='Terms')
    terms_with_versions('privacy-section', 1, title='Privacy policy')
    customer = make_customer('section@example.com')
    accept('section@example.com', 'terms-section', 3, at=utcnow() - timedelta(days=30))
    accept('section@example.com', 'privacy-section', 1, at=utcnow() - timedelta(days=1))
    with read_session() as session:
        found = legal_acceptances.customer_acceptances(
            session=session, actor=make_user('viewer'), record_id=customer.id, limit=10
        )
    assert found.total == 2
    assert [(r.title, r.status, r.detail) for r in found.rows] == [
        ('Privacy policy v1', 'current', 'Accepted via the shop'),
        ('Terms v3', 'superseded', 'Accepted via the shop · current is v4'),
    ]
    no_customers = make_user(make_role('orders.read').key)
    with read_session() as session, pytest.raises(PermissionDenied):
        legal_acceptances.customer_acceptances(session=session, actor=no_customers, record_id=customer.id, limit=10)


def test_an_acceptance_of_terms_put_back_unchanged_as_a_new_version_is_still_current_on_the_customers_page() -> None:
    """Taken off the front office and put back unchanged, the terms are version 2 with version 1's very words: the
    customer's acceptance of version 1 stands (the portal asks nothing new), so the staff's page does not call it
    superseded by version 2."""
    manager = make_user('manager')
    terms = terms_with_versions('terms-back', 1, title='Terms: "back" <script>x</script>')
    customer = make_customer('back@example.com')
    accept('back@example.com', 'terms-back', 1, at=utcnow() - timedelta(days=80))
    with session_scope() as session:
        terms = content.unpublish_content(session=session, actor=manager, record_id=terms.id, version=terms.version)
    publish_content(terms, actor=manager)
    with read_session() as session:
        found = legal_acceptances.customer_acceptances(
            session=session, actor=make_user('viewer'), record_id=customer.id, limit=10
        )
    assert [(r.title, r.status, r.detail) for r in found.rows] == [
        ('Terms: "back" <script>x</script> v1', 'current', 'Accepted via the shop')
    ]


def test_the_export_holds_them_and_an_erasure_keeps_them_without_the_address() -> None:
    terms_with_versions('terms-erase', 1)
    customer = make_customer('erase-me@example.com', name='Erin Ease')
    accept('erase-me@example.com', 'terms-erase', 1, ip='2001:db8::1')
    admin = make_user('admin')
    with read_session() as session:
        path, _name = export_personal_data(session=session, actor=admin, record_id=customer.id)
        assert personal_data.erasure_preview(session=session, actor=admin, record_id=customer.id)['acceptances'] == 1
    exported = json.loads(zipfile.ZipFile(io.BytesIO(path.read_bytes())).read('legal_acceptances.json'))
    assert [(a['document'], a['version'], a['ip']) for a in exported] == [('terms-erase', 1, '2001:db8::1')]

    with session_scope() as session:
        counts = personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=customer.version, confirmation=customer.email
        )
    assert counts['acceptances'] == 1
    with read_session() as session:
        kept = list(session.exec(select(LegalAcceptance).where(LegalAcceptance.customer_id == customer.id)))
    assert [(a.number, a.ip) for a in kept] == [(1, None)]


def test_the_export_names_each_version_by_the_title_the_customer_accepted() -> None:
    """Retitled since (v2 published under a new title, then a draft title saved but not published): the export still
    says what the customer accepted, as they read it, not the document's title of the day."""
    manager = make_user('manager')
    entry = terms_with_versions('terms-titled', 1, title=f'Terms {HOSTILE}')
    customer = make_customer('titled@example.com')
    accept('titled@example.com', 'terms-titled', 1)
    entry = publish_content(edit_content(entry, manager, title='Conditions: "v2"', body='Two'), actor=manager)
    accept('titled@example.com', 'terms-titled', 2)
    edit_content(entry, manager, title='Draft title <b>not published</b>')
    with read_session() as session:
        path, _name = export_personal_data(session=session, actor=make_user('admin'), record_id=customer.id)
    exported = json.loads(zipfile.ZipFile(io.BytesIO(path.read_bytes())).read('legal_acceptances.json'))
    assert [(a['version'], a['title']) for a in exported] == [(1, f'Terms {HOSTILE}'), (2, 'Conditions: "v2"')]


async def test_staff_see_the_legal_acceptances_on_the_customers_page(user: User) -> None:
    terms_with_versions('terms-page', 2, title=f'Terms {HOSTILE}')
    customer = make_customer('page@example.com')
    accept('page@example.com', 'terms-page', 1)
    await signed_in(user, make_user('viewer').email, path=f'/customers/{customer.id}')
    await user.should_see('Legal acceptances')
    await user.should_see(f'Terms {HOSTILE} v1')
    await user.should_see('Superseded')
    await user.should_see('Accepted via the shop · current is v2', retries=5)


def test_the_trash_purge_keeps_a_customer_who_accepted_terms_erased_with_their_acceptances() -> None:
    terms_with_versions('terms-purge', 1)
    customer = make_customer('purge-me@example.com', name=HOSTILE)
    accept('purge-me@example.com', 'terms-purge', 1, ip='192.0.2.9')
    with session_scope() as session:
        row = session.get(Customer, customer.id)
        row.deleted_at = utcnow() - timedelta(days=400)
        session.add(row)
        session.commit()

    done = purge_trash(get_settings())

    assert done['kept'] == [f'Customer #{customer.id} kept, its personal data erased: 1 legal acceptance refer to it.']
    with read_session() as session:
        assert session.get(Customer, customer.id).email == f'erased-{customer.id}@erased.invalid'
        kept = list(session.exec(select(LegalAcceptance).where(LegalAcceptance.customer_id == customer.id)))
    assert [(a.number, a.ip) for a in kept] == [(1, None)]


def test_a_twin_call_that_recorded_it_meanwhile_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    terms_with_versions('terms-twin', 1)
    make_customer('twin@example.com')
    first = accept('twin@example.com', 'terms-twin', 1)
    real, calls = legal_acceptances._earlier, []

    def not_seen_the_first_time(session, customer_id, version_id):  # as if the twin committed just after our check
        calls.append(1)
        return None if len(calls) == 1 else real(session, customer_id, version_id)

    monkeypatch.setattr(legal_acceptances, '_earlier', not_seen_the_first_time)
    again = accept('twin@example.com', 'terms-twin', 1)

    assert (again.created, again.acceptance.id, len(calls)) == (False, first.acceptance.id, 2)


async def test_each_acceptance_links_to_the_text_of_the_version_accepted(user: User) -> None:
    """A row of the section is a link to that version of the document: the content screen's legal versions, the
    version open with the text the customer accepted (not the one in force now); for readers of content only."""
    manager = make_user('manager')
    start = utcnow() - timedelta(days=20)
    entry = make_content('terms-link', title=f'Terms {HOSTILE}', kind='legal', body=f'Accepted text {HOSTILE}')
    entry = publish_content(entry, actor=manager, now=start)
    entry = edit_content(entry, manager, body='Newer text <img src=x onerror=alert(1)>')
    publish_content(entry, actor=manager, now=start + timedelta(days=10))
    customer = make_customer('linked@example.com', name=HOSTILE)
    accept('linked@example.com', 'terms-link', 1, at=start + timedelta(days=1))
    with read_session() as session:
        first = session.exec(
            select(LegalVersion).where(LegalVersion.document_id == entry.id, LegalVersion.number == 1)
        ).one()
        rows = legal_acceptances.customer_acceptances(
            session=session, actor=make_user('viewer'), record_id=customer.id, limit=10
        ).rows
        no_content = make_user(make_role('customers.read', name='Customers only').key)
        unlinked = legal_acceptances.customer_acceptances(
            session=session, actor=no_content, record_id=customer.id, limit=10
        ).rows
    assert [(row.title, row.href) for row in rows] == [(f'Terms {HOSTILE} v1', f'/content?version={first.id}')]
    assert [(row.title, row.href) for row in unlinked] == [(f'Terms {HOSTILE} v1', '')]  # no screen they may open

    viewer = make_user('viewer')
    await signed_in(user, viewer.email, path=f'/customers/{customer.id}')
    link = user.find(kind=ui.link, content=f'Terms {HOSTILE} v1').elements.pop()
    assert link.props['href'] == f'/content?version={first.id}'
    await user.open(link.props['href'])
    await user.should_see(f'Accepted text {HOSTILE}', retries=200)  # the version's text, opened, as text
    await user.should_not_see('Newer text')
