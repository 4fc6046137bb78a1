"""The portal's legal documents: a signed-in customer reads each document's version in force, sees which version they
accepted and when, and accepts a version they have not (recorded from the portal, once per customer and version, as
the API records it); a new version of a document they accepted before is pointed out on the Legal tab and the home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import formatting, i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import ContentEntry, Customer, LegalAcceptance, utcnow
from backoffice.services import content, legal_acceptances
from backoffice.services.portal_scope import PortalActor, actor_of

from .support.factories import edit_content, make_content, make_customer, make_user, publish_content
from .support.legal import accept, terms_with_versions
from .support.portal import enter_portal

HOSTILE = '<script>alert("x")</script>: \'quoted\' <img src=x onerror="window.__x=1">'


def portal_actor(email: str) -> PortalActor:
    with read_session() as session:
        return actor_of(session, session.exec(select(Customer).where(Customer.email == email)).one())


def hostile_terms(slug: str) -> None:
    """Terms whose title and text are hostile, in two versions: the first 90 days ago, the second 10 days ago."""
    manager = make_user('manager')
    entry = make_content(slug, title=f'Terms {HOSTILE}', kind='legal', body=f'First text {HOSTILE}')
    entry = publish_content(entry, actor=manager, now=utcnow() - timedelta(days=90))
    entry = edit_content(entry, manager, body=f'Second text {HOSTILE}\nline two')
    publish_content(entry, actor=manager, now=utcnow() - timedelta(days=10))


def acceptances(email: str) -> list[tuple[int, str, str | None]]:
    with read_session() as session:
        rows = session.exec(
            select(LegalAcceptance)
            .join(Customer, col(Customer.id) == LegalAcceptance.customer_id)
            .where(Customer.email == email)
            .order_by(col(LegalAcceptance.id))
        ).all()
    return [(row.number, row.source.value, row.ip) for row in rows]


def test_a_new_version_is_pointed_out_and_accepted_once_from_the_portal() -> None:
    terms_with_versions('terms-portal', 2, title=f'Terms {HOSTILE}')
    terms_with_versions('privacy-portal', 1, title='Privacy policy')
    make_customer('jo@example.com')
    accept('jo@example.com', 'terms-portal', 1, at=utcnow() - timedelta(days=60), ip='203.0.113.7')
    jo = portal_actor('jo@example.com')

    with read_session() as session:
        shown = legal_acceptances.for_portal(session=session, actor=jo)
        pointed_out = legal_acceptances.new_versions(session=session, actor=jo)
    assert [(d.slug, d.number, d.flagged, d.may_accept) for d in shown] == [
        ('privacy-portal', 1, False, True),  # never accepted: offered, not pointed out
        ('terms-portal', 2, True, True),
    ]
    assert shown[1].title == f'Terms {HOSTILE}' and shown[1].body == 'Version 2'
    assert shown[1].said.startswith('You accepted version 1 on ') and 'Version 2 is new' in shown[1].said
    assert shown[0].said == 'You have not accepted this document yet.'
    assert pointed_out == [f'Terms {HOSTILE}']

    with session_scope() as session:
        first = legal_acceptances.accept_in_portal(
            session=session, actor=jo, document='terms-portal', version=2, ip=' 2001:DB8::1 '
        )
    with session_scope() as session:
        again = legal_acceptances.accept_in_portal(
            session=session, actor=jo, document='terms-portal', version=2, ip='198.51.100.1'
        )
    assert first.created and not again.created and again.acceptance.id == first.acceptance.id
    assert legal_acceptances.accepted_said(first, 'Terms') == 'You accepted “Terms”, version 2.'
    assert legal_acceptances.accepted_said(again, 'Terms').startswith(
        'You had already accepted “Terms”, version 2, on '
    )
    assert acceptances('jo@example.com') == [(1, 'api', '203.0.113.7'), (2, 'portal', '2001:db8::1')]

    with read_session() as session:
        shown = legal_acceptances.for_portal(session=session, actor=jo)
        pointed_out = legal_acceptances.new_versions(session=session, actor=jo)
    assert [(d.slug, d.flagged, d.may_accept) for d in shown] == [
        ('privacy-portal', False, True),
        ('terms-portal', False, False),
    ]
    assert shown[1].said.startswith('You accepted version 2 on ') and pointed_out == []


def test_the_portal_records_only_an_address_and_only_a_version_on_the_front_office() -> None:
    manager = make_user('manager')
    entry = terms_with_versions('terms-address', 1)
    publish_content(edit_content(entry, manager, body='Next', publish_at=utcnow() + timedelta(days=7)), actor=manager)
    make_customer('ann@example.com')
    ann = portal_actor('ann@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        legal_acceptances.accept_in_portal(session=session, actor=ann, document='terms-address', version=2, ip=None)
    assert list(refused.value.errors) == ['version']  # scheduled for next week: not in effect yet
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        legal_acceptances.accept_in_portal(session=session, actor=ann, document=HOSTILE, version=1, ip=None)
    assert list(refused.value.errors) == ['']  # said in the customer's words, on the card
    with session_scope() as session:
        legal_acceptances.accept_in_portal(
            session=session, actor=ann, document='terms-address', version=1, ip=f'testclient {HOSTILE}'
        )
    assert acceptances('ann@example.com') == [(1, 'portal', None)]  # a proxy's name is no address: not kept


def test_terms_withdrawn_since_the_page_was_loaded_are_said_so_in_the_customers_words() -> None:
    """The customer read version 1; meanwhile the terms were unpublished and put back as version 2: accepting version 1
    is refused as the API refuses it, said on the card as for terms taken off (not "version 1 of 'slug'")."""
    manager = make_user('manager')
    terms = terms_with_versions('terms-gone', 1)
    make_customer('gus@example.com')
    with session_scope() as session:
        terms = content.unpublish_content(session=session, actor=manager, record_id=terms.id, version=terms.version)
    publish_content(terms, actor=manager)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        legal_acceptances.accept_in_portal(
            session=session, actor=portal_actor('gus@example.com'), document='terms-gone', version=1, ip=None
        )
    assert refused.value.errors == {
        '': 'These terms are no longer published: reload the page to see the ones in force.'
    }


async def test_a_customer_reads_and_accepts_the_new_terms_in_the_portal(user: User) -> None:
    hostile_terms('terms-hostile')
    make_customer('zoe@example.com', name=HOSTILE)
    accept('zoe@example.com', 'terms-hostile', 1, at=utcnow() - timedelta(days=30))
    await enter_portal(user, 'zoe@example.com')

    await user.should_see(marker='legal-notice')  # the home points it out
    await user.should_see(f'A new version of “Terms {HOSTILE}” is published: read it and accept it.')
    [flag] = user.find(marker='portal-legal-flag', kind=ui.badge).elements
    assert flag.visible and flag.text == '1'
    user.find(marker='legal-notice-open').click()
    await user.should_see(marker='legal-document')
    await user.should_see(f'Terms {HOSTILE}')  # title and text as written, never as markup
    await user.should_see(f'Second text {HOSTILE}\nline two')
    await user.should_see('Version 2 is new: read it and accept it.')
    await user.should_see('New version')
    [flag] = user.find(marker='portal-legal-flag', kind=ui.badge).elements  # this page's menu
    assert flag.visible and flag.text == '1'
    user.find(marker='legal-accept-terms-hostile').click()
    await user.should_see(f'You accepted “Terms {HOSTILE}”, version 2.')
    await user.should_see('You accepted version 2 on ')
    await user.should_not_see(marker='legal-accept')
    assert not flag.visible  # the menu's count went with it, without a page load
    assert [(n, source) for n, source, _ip in acceptances('zoe@example.com')] == [(1, 'api'), (2, 'portal')]

    await user.open('/portal')
    await user.should_not_see(marker='legal-notice')


async def test_terms_taken_off_the_shop_while_read_say_so_in_the_customers_words(user: User) -> None:
    """The customer reads the terms; meanwhile the staff unpublish them; "I accept" says the document is no longer
    published (it said "No published content with the slug 'terms-withdrawn'.", the staff's word for an address) and
    records nothing."""
    hostile_terms('terms-withdrawn')
    await enter_portal(user, 'late@example.com')
    await user.open('/portal/legal')
    await user.should_see(marker='legal-accept-terms-withdrawn')
    with read_session() as session:
        entry = session.exec(select(ContentEntry).where(ContentEntry.slug == 'terms-withdrawn')).one()
    with session_scope() as session:
        content.unpublish_content(
            session=session, actor=make_user('manager'), record_id=entry.id, version=entry.version
        )
    user.find(marker='legal-accept-terms-withdrawn').click()
    await user.should_see('These terms are no longer published: reload the page to see the ones in force.')
    await user.should_not_see('slug')
    assert acceptances('late@example.com') == []


def test_the_portal_lists_the_documents_by_the_titles_it_shows() -> None:
    """A draft title saved but not published (a staff's work in progress) neither shows in the portal nor reorders it:
    the documents come by the titles of their versions in force, the ones the customer reads."""
    manager = make_user('manager')
    terms = terms_with_versions('terms-order', 1, title='Alpha terms: "of sale"')
    terms_with_versions('privacy-order', 1, title=f'Beta privacy {HOSTILE}')
    edit_content(terms, manager, title='Zulu draft title, not published')
    make_customer('order@example.com')
    with read_session() as session:
        shown = legal_acceptances.for_portal(session=session, actor=portal_actor('order@example.com'))
    assert [d.title for d in shown if d.slug.endswith('-order')] == [
        'Alpha terms: "of sale"',
        f'Beta privacy {HOSTILE}',
    ]


async def test_with_nothing_published_the_page_says_so(user: User) -> None:
    make_content('terms-draft', title=HOSTILE, kind='legal', body=HOSTILE)  # a draft: not on the front office
    await enter_portal(user, 'none@example.com')
    await user.open('/portal/legal')
    await user.should_see('No legal document is published at the moment.')
    await user.should_not_see(marker='legal-notice')
    await user.should_not_see(HOSTILE)


async def test_a_french_customer_reads_every_version_they_accepted_folded_under_the_document(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 1 through the shop, then version 2 in the portal: the card says the one that counts, and, folded, both
    (version, when, where), the most recent first, in French."""
    hostile_terms('terms-history')
    make_customer('lea@example.com', name=HOSTILE)
    first = utcnow() - timedelta(days=60)
    accept('lea@example.com', 'terms-history', 1, at=first)
    with session_scope() as session:
        legal_acceptances.accept_in_portal(
            session=session, actor=portal_actor('lea@example.com'), document='terms-history', version=2, ip=None
        )
    with read_session() as session:
        [(_number, second)] = session.exec(
            select(LegalAcceptance.number, LegalAcceptance.accepted_at).where(LegalAcceptance.number == 2)
        ).all()
    monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')
    await enter_portal(user, 'lea@example.com')
    await user.open('/portal/legal')

    await user.should_see(f'Terms {HOSTILE}')
    await user.should_see('Vos acceptations (2)')
    [history] = user.find(marker='legal-history').elements
    history.value = True
    lines = [label.text for label in history.default_slot.children if isinstance(label, ui.label)]  # in their order
    with i18n.use('fr'):
        assert lines == [
            f'Version 2\u00a0: acceptée le {formatting.when(second)}, dans le portail',
            f'Version 1\u00a0: acceptée le {formatting.when(first)}, sur la boutique',
        ]


async def test_the_terms_read_in_the_portal_are_formatted_as_the_staff_previewed_them(user: User) -> None:
    """The staff write a legal document in Markdown and preview it formatted; the customer read it as raw text, '#'
    and '**' included. Formatted now, sanitized: a script in it stays inert."""
    manager = make_user('manager')
    body = f'# Article 1: "Scope"\n\nYou **agree** to it. {HOSTILE}'
    publish_content(make_content('terms-markdown', title='Terms: "md"', kind='legal', body=body), actor=manager)
    await enter_portal(user, 'md@example.com')
    await user.open('/portal/legal')
    [shown] = user.find(marker='legal-body').elements
    assert isinstance(shown, ui.markdown) and shown.content == body
    assert shown.props['sanitize'] is True  # by the browser's DOMPurify


async def test_terms_taken_off_and_put_back_unchanged_say_when_they_came_back_and_keep_the_acceptance(
    user: User,
) -> None:
    """Accepted, taken off the front office, put back unchanged a month later: the portal said 'in force since' the
    first day (as if they had been in force while off). Now it says the day they came back, as version 2, and the
    customer's acceptance of the very same words stands: nothing new to accept, nothing pointed out."""
    manager = make_user('manager')
    title = f'Terms {HOSTILE}'
    entry = make_content('terms-back', title=title, kind='legal', body=f'Same words {HOSTILE}')
    entry = publish_content(entry, actor=manager, now=utcnow() - timedelta(days=90))
    make_customer('back@example.com')
    accept('back@example.com', 'terms-back', 1, at=utcnow() - timedelta(days=80))
    with session_scope() as session:
        entry = content.unpublish_content(
            session=session, actor=manager, record_id=entry.id, version=entry.version, now=utcnow() - timedelta(days=60)
        )
    back = utcnow() - timedelta(days=30)
    publish_content(entry, actor=manager, now=back)

    await enter_portal(user, 'back@example.com')
    await user.should_not_see(marker='legal-notice')
    await user.open('/portal/legal')
    await user.should_see(f'Version 2, in force since {formatting.day(back)}')
    await user.should_see('version 2 is the same text, published again.')
    await user.should_not_see(marker='legal-accept')
    await user.should_not_see(marker='legal-new')
