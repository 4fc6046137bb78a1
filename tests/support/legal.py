"""A legal document with published versions, and a customer who accepted some, for the acceptance tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from backoffice.db import session_scope
from backoffice.models import ContentEntry, utcnow
from backoffice.services import legal_acceptances

from .factories import edit_content, make_content, make_user, publish_content


def terms_with_versions(slug: str, count: int, *, title: str = 'Terms of sale') -> ContentEntry:
    """A legal document with `count` published versions, the first 90 days ago, each 10 days after the previous."""
    manager = make_user('manager')
    entry = make_content(slug, title=title, kind='legal', body='Version 1')
    start = utcnow() - timedelta(days=90)
    entry = publish_content(entry, actor=manager, now=start)
    for number in range(2, count + 1):
        entry = edit_content(entry, manager, body=f'Version {number}')
        entry = publish_content(entry, actor=manager, now=start + timedelta(days=10 * (number - 1)))
    return entry


def accept(email: str, slug: str, version: int, *, at: datetime | None = None, ip: str | None = None):
    with session_scope() as session:
        return legal_acceptances.record_acceptance(
            session=session, email=email, document=slug, version=version, accepted_at=at, ip=ip
        )
