"""Demo content for the front office: pages, texts, and legal documents with a version history, made through the real
services (so it is audited as the system) and the same for the same random generator and day."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from backoffice.changes import get_for_update
from backoffice.engine.declaration import resource
from backoffice.models import ContentEntry, ContentKind
from backoffice.services import crud
from backoffice.services.content import publish_content

# slug, title, kind, body, published how many days before today (None: a draft)
ENTRIES: list[tuple[str, str, ContentKind, str, int | None]] = [
    (
        'about',
        'About us',
        ContentKind.page,
        '# About us\n\nWe are a small team selling **well-made things** for home and office since 2019.\n\n'
        'Questions? Write to us through the contact form.',
        300,
    ),
    (
        'faq',
        'Frequently asked questions',
        ContentKind.page,
        '## How long does delivery take?\n\n2–4 working days within the EU.\n\n'
        '## Can I return an item?\n\nYes, within 30 days. See *Returns*.\n\n'
        '## Do you ship abroad?\n\nTo every EU country, the UK and Switzerland.',
        200,
    ),
    (
        'imprint',
        'Imprint',
        ContentKind.page,
        'Example Shop GmbH  \nMusterstraße 1, 10115 Berlin  \nManaging director: Maria Lopez  \n'
        'Commercial register: HRB 000000 B',
        400,
    ),
    (
        'shipping',
        'Shipping',
        ContentKind.text,
        'Free shipping from 50 € in Germany; 4.90 € below. EU shipping from 9.90 €.',
        120,
    ),
    ('returns', 'Returns', ContentKind.text, 'Not happy? Send it back within **30 days** for a full refund.', 90),
    (
        'newsletter-teaser',
        'Newsletter teaser',
        ContentKind.text,
        'Get 10 % off your first order when you subscribe to our newsletter.',
        None,
    ),
]

TERMS_V1 = (
    '# Terms of sale\n\n1. These terms apply to every order placed in our shop.\n'
    '2. Prices include VAT.\n3. You may withdraw from a purchase within 14 days.'
)
TERMS_V2 = (
    '# Terms of sale\n\n1. These terms apply to every order placed in our shop.\n'
    '2. Prices include VAT; shipping costs are shown before you order.\n'
    '3. You may withdraw from a purchase within 30 days.\n4. Disputes: the courts of Berlin.'
)
PRIVACY_V1 = (
    '# Privacy policy\n\nWe process your data only to fulfil your orders and, if you agree, to send our '
    'newsletter. You can ask us at any time what we store about you, and have it deleted.'
)


def seed_content(session: Session, rng: random.Random, *, anchor: datetime | None = None) -> list[str]:
    """Eight entries: pages, texts, one draft, and two legal documents (terms of sale in two versions, a privacy policy
    in one). Does nothing when there is content already."""
    if session.exec(select(ContentEntry.id)).first() is not None:
        return []
    anchor = anchor or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for slug, title, kind, body, days_ago in ENTRIES:
        entry = _create(session, slug, title, kind, body)
        if days_ago is not None:
            _publish(session, entry, anchor - timedelta(days=days_ago, hours=rng.randint(8, 17)))
    terms = _create(session, 'terms-of-sale', 'Terms of sale', ContentKind.legal, TERMS_V1)
    terms = _publish(session, terms, anchor - timedelta(days=rng.randint(380, 420)))
    terms = crud.save_change(session, None, resource('content'), _locked(session, terms), {'body': TERMS_V2}, 'updated')
    _publish(session, terms, anchor - timedelta(days=rng.randint(20, 40)))
    privacy = _create(session, 'privacy-policy', 'Privacy policy', ContentKind.legal, PRIVACY_V1)
    _publish(session, privacy, anchor - timedelta(days=rng.randint(380, 420)))
    return [f'Content: {len(ENTRIES) + 2} entries, terms of sale in 2 versions, privacy policy in 1']


def _create(session: Session, slug: str, title: str, kind: ContentKind, body: str) -> ContentEntry:
    return crud.create_record(
        session=session,
        actor=None,
        system=True,
        resource=resource('content'),
        data={'slug': slug, 'title': title, 'kind': kind, 'body': body},
    )


def _publish(session: Session, entry: ContentEntry, at: datetime) -> ContentEntry:
    return publish_content(
        session=session, actor=None, system=True, record_id=entry.id, version=entry.version, now=at
    ).record


def _locked(session: Session, entry: ContentEntry) -> ContentEntry:
    return get_for_update(session, ContentEntry, entry.id, entry.version, entity='content')
