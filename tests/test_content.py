"""Content for the front office: slugs, publishing as audited actions, and legal documents whose every published
version stays on record, unchanged, with the dates it was in force."""

from __future__ import annotations

import random
from datetime import timedelta
from functools import partial

import pytest
from sqlmodel import col, select

from backoffice import formatting, i18n
from backoffice.db import session_scope
from backoffice.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from backoffice.listing import query
from backoffice.models import AuditEntry, ContentEntry, ContentStatus, LegalVersion, utcnow
from backoffice.models.content import PublishedVersionIsImmutable
from backoffice.resources import resource
from backoffice.seed.content import seed_content
from backoffice.services import content, crud

from .support.factories import edit_content, make_content, make_user, publish_content

CONTENT, LEGAL_VERSIONS = resource('content'), resource('legal-versions')


def versions(entry: ContentEntry) -> list[LegalVersion]:
    with session_scope() as session:
        return list(
            session.exec(
                select(LegalVersion).where(LegalVersion.document_id == entry.id).order_by(col(LegalVersion.number))
            )
        )


def audit_actions(entry: ContentEntry) -> list[str]:
    with session_scope() as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == 'content', AuditEntry.entity_id == str(entry.id))
            .order_by(col(AuditEntry.id))
        ).all()
    return [e.action for e in entries]


# --- slugs -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('typed', 'stored'),
    [
        ('about', 'about'),
        ('  Terms of Sale ', 'terms-of-sale'),
        ('Über_uns', 'uber-uns'),
        ('faq--2024.', 'faq-2024'),
    ],
)
def test_a_slug_is_normalised_to_lowercase_letters_digits_and_dashes(typed: str, stored: str) -> None:
    assert make_content(typed).slug == stored


@pytest.mark.parametrize(
    ('typed', 'message'),
    [
        ('', 'This field is required'),
        ('  -- ', 'This field is required'),
        ('terms/v2', 'Use only lowercase letters, digits and dashes, e.g. terms-of-sale'),
        ('x' * 121, 'At most 120 characters'),
    ],
)
def test_a_bad_slug_is_a_field_error_and_nothing_is_saved(typed: str, message: str) -> None:
    manager = make_user('manager')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(session=session, actor=manager, resource=CONTENT, data={'slug': typed, 'title': 'T'})
    assert refused.value.errors == {'slug': message}
    with session_scope() as session:
        assert session.exec(select(ContentEntry)).all() == []


def test_a_bad_slug_is_said_in_french_to_a_french_reader() -> None:
    """The slug's own rules were said in English on a French screen ('Use only lowercase letters…')."""
    manager = make_user('manager')
    for typed, message in (
        ('terms/v2: "<script>"', 'Utilisez uniquement des lettres minuscules, des chiffres et des tirets'),
        ('x' * 121, '120 caractères au plus'),
    ):
        with i18n.use('fr'), session_scope() as session, pytest.raises(ValidationFailed) as refused:
            crud.create_record(session=session, actor=manager, resource=CONTENT, data={'slug': typed, 'title': 'T'})
        assert refused.value.errors['slug'].startswith(message)


def test_a_slug_is_unique_in_any_case_on_create_and_edit_and_a_trashed_one_says_restore() -> None:
    manager = make_user('manager')
    make_content('about')
    faq = make_content('faq')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(session=session, actor=manager, resource=CONTENT, data={'slug': 'About', 'title': 'T'})
    assert refused.value.errors == {'slug': 'Another page already has this slug'}
    with pytest.raises(ValidationFailed) as refused:
        edit_content(faq, manager, slug=' ABOUT ')
    assert refused.value.errors == {'slug': 'Another page already has this slug'}
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CONTENT, record_id=faq.id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(session=session, actor=manager, resource=CONTENT, data={'slug': 'faq', 'title': 'T'})
    assert refused.value.errors == {'slug': 'A page in the trash has this slug; restore it instead'}


def test_a_slug_taken_by_a_legal_document_says_a_legal_document_has_it_not_a_page() -> None:
    manager = make_user('manager')
    terms = make_content('cgv', title='CGV: "v1" <script>', kind='legal')
    make_content('notes', title='Notes', kind='text')
    for slug, holder in (('cgv', 'legal document'), ('notes', 'text')):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            crud.create_record(
                session=session, actor=manager, resource=CONTENT, data={'slug': slug, 'title': 'T', 'kind': 'legal'}
            )
        assert refused.value.errors == {'slug': f'Another {holder} already has this slug'}
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CONTENT, record_id=terms.id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(session=session, actor=manager, resource=CONTENT, data={'slug': 'cgv', 'title': 'T'})
    assert refused.value.errors == {'slug': 'A legal document in the trash has this slug; restore it instead'}


def test_a_new_entry_is_a_draft_whatever_is_sent_and_required_fields_cannot_be_cleared() -> None:
    manager = make_user('manager')
    with session_scope() as session:
        entry = crud.create_record(
            session=session,
            actor=manager,
            resource=CONTENT,
            data={'slug': 'about', 'title': 'About', 'kind': None, 'body': None, 'status': 'published'},
        )
    assert (entry.status, entry.kind, entry.body, entry.published_at) == ('draft', 'page', '', None)
    with pytest.raises(ValidationFailed) as refused:
        edit_content(entry, manager, title=None, slug='')
    assert refused.value.errors == {'title': 'This field is required', 'slug': 'This field is required'}
    assert (
        edit_content(entry, manager, body=None, publish_at='2030-01-02T09:30').publish_at.isoformat()
        == '2030-01-02T09:30:00+00:00'
    )  # typed in the form without a zone: UTC, as the back office shows times


# --- publishing ------------------------------------------------------------------------------------------------------


def test_publishing_and_unpublishing_are_audited_and_an_edit_keeps_a_page_published() -> None:
    manager = make_user('manager')
    entry = make_content('about', title='About us', body='Hello')
    published = publish_content(entry, actor=manager)
    assert published.status == ContentStatus.published and published.published_at is not None
    edited = edit_content(published, manager, body='Hello, world')
    assert (edited.status, edited.body) == (ContentStatus.published, 'Hello, world')
    with session_scope() as session:
        unpublished = content.unpublish_content(
            session=session, actor=manager, record_id=entry.id, version=edited.version
        )
    assert unpublished.status == ContentStatus.draft
    assert audit_actions(entry) == ['page.created', 'page.published', 'page.updated', 'page.unpublished']
    with session_scope() as session:
        published_entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'page.published')).one()
    assert published_entry.actor_email == manager.email
    assert published_entry.changes['status'] == ['draft', 'published']


def test_publishing_twice_unpublishing_a_draft_and_stale_or_unauthorised_publishing_are_refused() -> None:
    manager, agent = make_user('manager', email='mia@example.com', name='Mia "Editor": <b>M</b>'), make_user('agent')
    entry = make_content('about')
    with session_scope() as session, pytest.raises(PermissionDenied):
        content.publish_content(session=session, actor=agent, record_id=entry.id, version=entry.version)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        content.unpublish_content(session=session, actor=manager, record_id=entry.id, version=entry.version)
    assert refused.value.errors == {'': 'This page is not published'}
    published = publish_content(entry, actor=manager)
    with session_scope() as session, pytest.raises(StaleRecord) as stale:
        content.publish_content(session=session, actor=manager, record_id=entry.id, version=entry.version)
    assert manager.name in str(stale.value)  # named as colleagues know her
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        content.publish_content(session=session, actor=manager, record_id=entry.id, version=published.version)
    assert refused.value.errors == {'': 'This page is already published'}


def test_a_page_scheduled_for_later_says_when_it_goes_live() -> None:
    manager = make_user('manager')
    later = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    entry = make_content('summer-sale', publish_at=later)
    with session_scope() as session:
        outcome = content.publish_content(session=session, actor=manager, record_id=entry.id, version=entry.version)
    assert outcome.message == f'Published; live from {later:%Y-%m-%d %H:%M} UTC'


def test_the_list_sorted_by_live_from_follows_what_the_column_shows_page_after_page_both_ways() -> None:
    """Terms in force for two months with a next version scheduled showed 'Live from' two months ago, but sorting by it
    read the stored field (the next version's date): they sat among next month's pages, in either direction."""
    manager = make_user('manager')
    now = utcnow()
    terms = make_content('lfsort-terms', title='Terms: "<b>x</b>" \'t\'', kind='legal', body='One')
    terms = publish_content(terms, actor=manager, now=now - timedelta(days=60))
    publish_content(edit_content(terms, manager, body='Two', publish_at=now + timedelta(days=30)), actor=manager)
    make_content('lfsort-hours', title='Hours: <script>', publish_at=now - timedelta(days=10), published=True)
    cookies = make_content('lfsort-cookies', title='Cookies', kind='legal', body='Crumbs')
    publish_content(cookies, actor=manager, now=now - timedelta(days=5))
    make_content('lfsort-faq', title='FAQ', publish_at=now + timedelta(days=10))
    make_content('lfsort-about', title='About')  # no date at all: last either way
    shown = ['lfsort-terms', 'lfsort-hours', 'lfsort-cookies', 'lfsort-faq']
    live_from = dict(listed(manager, descending=False))
    assert live_from['lfsort-terms'].startswith(formatting.when(now - timedelta(days=60)))  # as the column says

    for descending, expected in ((False, [*shown, 'lfsort-about']), (True, [*shown[::-1], 'lfsort-about'])):
        assert [slug for slug, _shown in listed(manager, descending=descending)] == expected
        with session_scope() as session:  # page by page, two rows a page: by keyset forward, back, and by offset
            ask = partial(query.ListRequest, search='lfsort', sort='publish_at', descending=descending, page_size=2)
            pages = [query.list_page(session=session, actor=manager, resource=CONTENT, request=ask(page=1))]
            for number in (2, 3):
                pages.append(
                    query.list_page(
                        session=session,
                        actor=manager,
                        resource=CONTENT,
                        request=ask(page=number),
                        cursor=pages[-1].cursor,
                    )
                )
            back = query.list_page(
                session=session, actor=manager, resource=CONTENT, request=ask(page=2), cursor=pages[-1].cursor
            )
            by_offset = query.list_page(session=session, actor=manager, resource=CONTENT, request=ask(page=2))
            last = query.list_page(session=session, actor=manager, resource=CONTENT, request=ask(page=3))
            batches = query.iterate(session=session, actor=manager, resource=CONTENT, request=ask(), batch_size=2)
            exported = [row.slug for batch in batches for row in batch]  # an export's order, batch after batch
        assert [row.slug for page in pages for row in page.rows] == expected
        assert [row.slug for row in back.rows] == [row.slug for row in by_offset.rows] == expected[2:4]
        assert [row.slug for row in last.rows] == expected[4:]
        assert exported == expected


def listed(manager, *, descending: bool) -> list[tuple[str, object]]:
    """The test's rows sorted by 'Live from': (slug, what the column shows), in list order."""
    with session_scope() as session:
        request = query.ListRequest(search='lfsort', sort='publish_at', descending=descending, page_size=50)
        rows = query.list_page(session=session, actor=manager, resource=CONTENT, request=request).rows
        return [(row.slug, CONTENT.column('publish_at').value(row)) for row in rows]


# --- legal documents -------------------------------------------------------------------------------------------------


def test_each_publication_of_a_legal_document_is_a_new_version_numbered_without_gaps_and_chained_in_time() -> None:
    manager = make_user('manager')
    t1, t2 = utcnow() - timedelta(days=100), utcnow() - timedelta(days=10)
    terms = make_content('terms-of-sale', title='Terms of sale', kind='legal', body='Version one')
    terms = publish_content(terms, actor=manager, now=t1)
    terms = edit_content(terms, manager, body='Version two')
    assert terms.status == ContentStatus.published  # the edit is a draft of the next version; v1 stays in force
    terms = publish_content(terms, actor=manager, now=t2)
    in_a_month = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    terms = edit_content(terms, manager, title='Terms of sale (2)', body='Version three', publish_at=in_a_month)
    terms = publish_content(terms, actor=manager)

    v1, v2, v3 = versions(terms)
    assert [v.number for v in (v1, v2, v3)] == [1, 2, 3] and terms.legal_version == 3
    assert [v.body for v in (v1, v2, v3)] == ['Version one', 'Version two', 'Version three']
    assert (v1.effective_from, v1.effective_until) == (t1, t2)
    assert (v2.effective_from, v2.effective_until) == (t2, in_a_month)
    assert (v3.effective_from, v3.effective_until, v3.title) == (in_a_month, None, 'Terms of sale (2)')
    assert v3.published_by == manager.email
    with session_scope() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'page.published').order_by(col(AuditEntry.id).desc())
        ).first()
    assert entry.changes['legal_version'] == [2, 3]


def test_publishing_an_unchanged_legal_text_is_refused_while_it_is_on_the_front_office() -> None:
    manager = make_user('manager')
    privacy = make_content('privacy-policy', kind='legal', body='We keep little.', published=True)
    with pytest.raises(ValidationFailed) as refused:
        publish_content(privacy, actor=manager)
    assert refused.value.errors == {'': 'Version 1 already has this text: edit it first'}
    assert [v.number for v in versions(privacy)] == [1]


def test_terms_taken_off_then_put_back_keep_both_periods_on_record_with_their_own_dates() -> None:
    """Published, unpublished a month later, put back unchanged a month after that: version 1 said 'in force since'
    its first day all along (and 'until' nothing, as if still in force while off the front office); now version 1 ends
    when it was taken off and the same text is version 2, in force from when it was put back."""
    manager = make_user('manager')
    t1, t2, t3 = (utcnow() - timedelta(days=days) for days in (90, 60, 30))
    terms = make_content('terms-back', title='Terms: "of sale" <script>x</script>', kind='legal', body='Same words')
    terms = publish_content(terms, actor=manager, now=t1)
    with session_scope() as session:
        terms = content.unpublish_content(
            session=session, actor=manager, record_id=terms.id, version=terms.version, now=t2
        )
    (v1,) = versions(terms)
    assert (v1.effective_from, v1.effective_until) == (t1, t2)  # off the front office: no longer in force
    with session_scope() as session:
        outcome = content.publish_content(
            session=session, actor=manager, record_id=terms.id, version=terms.version, now=t3
        )
    assert outcome.message.startswith('Published version 2, in force from ')
    v1, v2 = versions(terms)
    assert (v1.effective_from, v1.effective_until) == (t1, t2)
    assert (v2.effective_from, v2.effective_until, v2.published_at) == (t3, None, t3)
    assert (v2.title, v2.body) == (v1.title, v1.body) and outcome.record.legal_version == 2
    with session_scope() as session:
        assert [v.number for v in content.live_versions(session=session, slug='terms-back')] == [1, 2]
        assert content.live_entry(session=session, slug='terms-back')[1].number == 2


def test_terms_taken_off_before_their_next_version_took_effect_end_then_and_the_next_one_never_starts() -> None:
    manager = make_user('manager')
    start, in_a_month = utcnow() - timedelta(days=30), (utcnow() + timedelta(days=30)).replace(microsecond=0)
    terms = publish_content(make_content('terms-cut', kind='legal', body='One'), actor=manager, now=start)
    terms = publish_content(edit_content(terms, manager, body='Two', publish_at=in_a_month), actor=manager)
    now = utcnow()
    with session_scope() as session:
        terms = content.unpublish_content(
            session=session, actor=manager, record_id=terms.id, version=terms.version, now=now
        )
    v1, v2 = versions(terms)
    assert (v1.effective_from, v1.effective_until) == (start, now)  # it said: until next month
    assert (v2.effective_from, v2.effective_until) == (in_a_month, in_a_month)  # never in force
    with session_scope() as session:  # even once its day has come, it was never on the front office
        content.publish_content(session=session, actor=manager, record_id=terms.id, version=terms.version, now=now)
        later = in_a_month + timedelta(days=1)
        assert [v.number for v in content.live_versions(session=session, slug='terms-cut', now=later)] == [1, 3]


def test_a_new_version_cannot_take_effect_before_the_one_already_scheduled() -> None:
    manager = make_user('manager')
    next_month = utcnow() + timedelta(days=30)
    terms = make_content('terms-of-sale', kind='legal', body='One', publish_at=next_month, published=True)
    terms = edit_content(terms, manager, body='Two', publish_at=None)
    with pytest.raises(ValidationFailed) as refused:
        publish_content(terms, actor=manager)
    assert refused.value.errors['publish_at'].startswith('Version 1 takes effect on ')
    assert [v.number for v in versions(terms)] == [1]


def test_a_published_version_is_never_edited_or_deleted() -> None:
    manager = make_user('manager')
    terms = make_content('terms-of-sale', kind='legal', body='Final words', published=True)
    (v1,) = versions(terms)
    with session_scope() as session, pytest.raises(PublishedVersionIsImmutable):
        stored = session.get(LegalVersion, v1.id)
        stored.body = 'Rewritten history'
        session.commit()
    with session_scope() as session, pytest.raises(PublishedVersionIsImmutable):
        session.delete(session.get(LegalVersion, v1.id))
        session.commit()
    with session_scope() as session, pytest.raises(ValidationFailed):
        crud.update_record(
            session=session,
            actor=manager,
            resource=LEGAL_VERSIONS,
            record_id=v1.id,
            version=1,
            changes={'body': 'Rewritten history'},
        )
    with session_scope() as session, pytest.raises(ValidationFailed):
        crud.delete_record(session=session, actor=manager, resource=LEGAL_VERSIONS, record_id=v1.id)
    assert versions(terms)[0].body == 'Final words'


def test_a_superseded_version_keeps_its_end_date() -> None:
    terms = make_content('terms-of-sale', kind='legal', body='One', published=True)
    manager = make_user('manager')
    publish_content(edit_content(terms, manager, body='Two'), actor=manager)
    with session_scope() as session, pytest.raises(PublishedVersionIsImmutable):
        stored = session.get(LegalVersion, versions(terms)[0].id)
        stored.effective_until = utcnow() + timedelta(days=1)
        session.commit()


def test_a_legal_document_with_versions_stays_a_legal_document_and_on_record() -> None:
    manager = make_user('manager')
    terms = make_content('terms-of-sale', kind='legal', body='One', published=True)
    with pytest.raises(ValidationFailed) as refused:
        edit_content(terms, manager, kind='page')
    assert refused.value.errors == {'kind': 'This legal document has published versions: it stays a legal document'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.delete_record(session=session, actor=manager, resource=CONTENT, record_id=terms.id)
    assert 'stays on record' in refused.value.errors['']
    with session_scope() as session:
        assert session.get(ContentEntry, terms.id).deleted_at is None
    about = make_content('about', published=True)
    with pytest.raises(ValidationFailed) as refused:
        edit_content(about, manager, kind='legal')
    assert refused.value.errors == {'kind': 'Unpublish it first: the kind decides how it is published'}


def test_reverting_to_before_it_became_a_legal_document_is_refused_once_it_has_versions() -> None:
    manager = make_user('manager')
    notice = make_content('notice', body='Draft')
    notice = edit_content(notice, manager, kind='legal')
    notice = publish_content(notice, actor=manager)
    with session_scope() as session:
        created = [
            e
            for e in crud.history(session=session, actor=manager, resource=CONTENT, record_id=notice.id)
            if e.action == 'page.created'
        ][0]
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.revert_to(
            session=session,
            actor=manager,
            resource=CONTENT,
            record_id=notice.id,
            entry_id=created.id,
            version=notice.version,
        )
    assert refused.value.errors == {'kind': 'This legal document has published versions: it stays a legal document'}


def test_the_demo_content_is_seeded_once_with_a_version_history() -> None:
    anchor = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    with session_scope() as session:
        assert seed_content(session, random.Random(7), anchor=anchor)
        assert seed_content(session, random.Random(7), anchor=anchor) == []
    with session_scope() as session:
        entries = {e.slug: e for e in session.exec(select(ContentEntry))}
        legal = session.exec(select(LegalVersion).order_by(col(LegalVersion.id))).all()
    assert len(entries) == 8 and entries['newsletter-teaser'].status == ContentStatus.draft
    assert {slug for slug, e in entries.items() if e.status == ContentStatus.published} == {
        'about',
        'faq',
        'imprint',
        'shipping',
        'returns',
        'terms-of-sale',
        'privacy-policy',
    }
    assert [(entries['terms-of-sale'].id, 1), (entries['terms-of-sale'].id, 2), (entries['privacy-policy'].id, 1)] == [
        (v.document_id, v.number) for v in legal
    ]
    first = [(v.effective_from, v.effective_until) for v in legal]
    assert first[0][1] == first[1][0] and first[1][1] is None and first[2][1] is None
    assert all(v.effective_from <= anchor for v in legal)


def test_on_a_phone_a_legal_versions_card_says_when_it_was_in_force() -> None:
    """The phone's card showed the title, the document (the same name again) and the number: not when the version
    was in force, which is what an operator looks a version up for."""
    card = resource('legal-versions').phone_card()
    assert card.secondary == ('number', 'effective_from', 'effective_until')


def test_a_legal_version_shows_what_changed_from_the_version_before_it() -> None:
    """An operator publishing new terms could read each version whole, never what it changed: the version's Changes
    tab compares it with the one before, line by line, unchanged stretches folded."""
    manager = make_user('manager')
    unchanged = [f'{n}. Clause {n} stays: "as is".' for n in range(1, 9)]
    first = '\n'.join([*unchanged, 'Withdrawal: 14 days.'])
    terms = publish_content(
        make_content('terms', title='Terms: "old"', kind='legal', body=first),
        actor=manager,
        now=utcnow() - timedelta(days=9),
    )
    second = '\n'.join([*unchanged, 'Withdrawal: 30 days.', '<script>alert(1)</script>'])
    publish_content(edit_content(terms, manager, body=second, title='Terms: "new"'), actor=manager)
    one, two = versions(terms)
    with session_scope() as session:
        changes = content.changes_from_previous(session=session, actor=make_user('viewer'), record_id=two.id)
        initial = content.changes_from_previous(session=session, actor=manager, record_id=one.id)
    assert changes.against == 'Changes from version 1'
    assert [(line.kind, line.text) for line in changes.lines] == [
        ('removed', 'Terms: "old"'),
        ('added', 'Terms: "new"'),
        ('same', '1. Clause 1 stays: "as is".'),
        ('same', '2. Clause 2 stays: "as is".'),
        ('skipped', '… 4 unchanged lines'),
        ('same', '7. Clause 7 stays: "as is".'),
        ('same', '8. Clause 8 stays: "as is".'),
        ('removed', 'Withdrawal: 14 days.'),
        ('added', 'Withdrawal: 30 days.'),
        ('added', '<script>alert(1)</script>'),
    ]
    assert initial.against == '' and {line.kind for line in initial.lines} == {'added'}
    with session_scope() as session, pytest.raises(NotFound):
        content.changes_from_previous(session=session, actor=manager, record_id=two.id + 100)


def test_in_french_the_status_of_a_published_text_or_legal_document_agrees_with_every_kind() -> None:
    """The list read 'Document légal · Publiée' and 'Texte · Publiée' (feminine, as for a page)."""
    legal = make_content('cgv', title='CGV: "v1"', kind='legal', body='Article 1.', published=True)
    status = next(column for column in CONTENT.columns if column.name == 'status')
    with i18n.use('fr'):
        assert status.text(legal) == 'En ligne'
    assert status.text(legal) == 'Published'


def test_a_legal_documents_saved_text_is_compared_with_its_published_version_before_publishing() -> None:
    manager = make_user('manager')
    terms = publish_content(make_content('cgv', title='CGV', kind='legal', body='A.\nB: "b".'), actor=manager)
    with session_scope() as session:
        same = content.changes_since_published(session=session, actor=manager, record_id=terms.id)
    assert (same.against, same.lines) == ('The saved text is version 1 as published.', [])
    edit_content(terms, manager, body='A.\nB: "<script>".')
    with session_scope() as session:
        edited = content.changes_since_published(session=session, actor=manager, record_id=terms.id)
    assert [(line.kind, line.text) for line in edited.lines] == [
        ('same', 'CGV'),
        ('same', 'A.'),
        ('removed', 'B: "b".'),
        ('added', 'B: "<script>".'),
    ]


def test_edits_saved_with_publish_are_one_transaction_checked_against_the_version_loaded() -> None:
    """Publish version pressed with unsaved edits saves them and publishes, or does neither: a refused publish leaves
    the edits unsaved, a colleague's save meanwhile is refused and kept, and an action that does not save edits
    refuses them."""
    manager, colleague = make_user('manager'), make_user('manager')
    terms = make_content('terms', title='Terms', kind='legal', body='Old text', published=True)
    declared = resource('content')
    publish = next(a for a in declared.actions if a.key == 'publish-version')
    unpublish = next(a for a in declared.actions if a.key == 'unpublish')

    def save_then(action, version: int, **changes):
        with session_scope() as session:
            return crud.save_then_run(
                session=session,
                actor=manager,
                resource=declared,
                record_id=terms.id,
                version=version,
                changes=changes,
                action=action,
            )

    with pytest.raises(ValidationFailed):  # the text is version 1's: the publish is refused, and so is the new slug
        save_then(publish, terms.version, slug='terms-new')
    with session_scope() as session:
        assert session.get(ContentEntry, terms.id).slug == 'terms'
    with pytest.raises(ValidationFailed):
        save_then(unpublish, terms.version, title='Terms 2')  # its form asks to save first

    loaded = terms.version
    edit_content(terms, colleague, title='Terms of sale')  # saved meanwhile
    with pytest.raises(StaleRecord):
        save_then(publish, loaded, body='New text')
    with session_scope() as session:
        kept = session.get(ContentEntry, terms.id)
        assert (kept.title, kept.body, kept.legal_version) == ('Terms of sale', 'Old text', 1)

    published = save_then(publish, kept.version, body='New "text": <b>')
    with session_scope() as session:
        entry = session.get(ContentEntry, terms.id)
        assert (entry.title, entry.body, entry.legal_version) == ('Terms of sale', 'New "text": <b>', 2)
    assert [v.number for v in versions(terms)] == [1, 2]
    assert published.message


def test_a_legal_document_is_not_called_a_page_in_its_status_help_nor_once_gone() -> None:
    """The Status field said "saving an edit keeps a published page published" of a legal document (whose saved edit
    is not live at all), and its comparison with the published version "This page no longer exists"."""
    manager = make_user('manager')
    terms = make_content('cgv', title='CGV: "v1" <script>', kind='legal', body='A.', published=True)
    notes = make_content('notes', title="Notes: it's", kind='text')
    faq = make_content('faq', title='FAQ')
    status = next(field for field in CONTENT.fields if field.name == 'status')
    assert status.note is not None
    assert status.note(terms) == (
        'Publish version and Unpublish are actions; a saved edit goes live only once published as a new version'
    )
    assert status.note(notes) == 'Publish and Unpublish are actions; saving an edit keeps a published text published'
    assert status.note(faq) == ''  # a page reads the field's help, which speaks of a page
    with i18n.use('fr'):
        assert 'version' in status.note(terms) and 'page' not in status.note(terms)
    with session_scope() as session, pytest.raises(NotFound, match='This legal document no longer exists.'):
        content.changes_since_published(session=session, actor=manager, record_id=terms.id + 1000)
