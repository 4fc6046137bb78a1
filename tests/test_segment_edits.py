"""Editing a saved segment: its name and filters changed at the version the operator opened (a stale edit refused),
audited; names unique whatever their case, even for two saves at the same instant."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, Segment
from backoffice.services import segments

from .support.factories import make_user

HOSTILE = 'Lapsed "VIP": <script>alert(1)</script>'


def save(actor, name: str, filters: dict) -> Segment:
    with session_scope() as session:
        return segments.save_segment(session=session, actor=actor, name=name, filters=filters)


def edit(actor, saved: Segment, version: int, name: str, filters: dict) -> Segment:
    with session_scope() as session:
        return segments.update_segment(
            session=session, actor=actor, segment_id=saved.id, version=version, name=name, filters=filters
        )


def test_a_saved_segment_is_edited_at_the_version_opened_and_audited() -> None:
    manager, other, viewer = make_user('manager'), make_user('manager'), make_user('viewer')
    saved = save(manager, 'Quiet', {'not_seen_for_days': 30})

    edited = edit(manager, saved, 1, HOSTILE, {'not_seen_for_days': 60, 'min_orders': 2})
    assert (edited.name, edited.filters, edited.version) == (HOSTILE, {'not_seen_for_days': 60, 'min_orders': 2}, 2)
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'segments.changed')).one()
    assert entry.changes == {
        'name': ['Quiet', HOSTILE],
        'filters': [{'not_seen_for_days': 30}, {'not_seen_for_days': 60, 'min_orders': 2}],
    }
    assert entry.actor_email == manager.email
    # the name in typographic quotes, as written (it read 'Segment \'Lapsed "VIP"…\' changed' before)
    assert entry.summary == f'Segment “{HOSTILE}” changed'

    # someone who opened it at version 1 does not overwrite that change: they are told who made it
    with pytest.raises(StaleRecord) as refused:
        edit(other, saved, 1, 'Theirs', {'min_orders': 5})
    assert manager.name in str(refused.value)
    with pytest.raises(PermissionDenied):
        edit(viewer, saved, 2, 'Viewer', {})
    with pytest.raises(ValidationFailed) as bad:
        edit(manager, saved, 2, '  ', {'min_orders': 'many'})
    assert set(bad.value.errors) == {'name', 'min_orders'}
    with read_session() as session:
        kept = session.get(Segment, saved.id)
        assert (kept.name, kept.version) == (HOSTILE, 2)

    # keeping its own name (another case of it too) is no clash with itself
    assert edit(manager, saved, 2, HOSTILE.upper(), {'min_orders': 2}).version == 3


def test_names_are_unique_whatever_their_case() -> None:
    manager = make_user('manager')
    first = save(manager, HOSTILE, {'min_orders': 1})
    other = save(manager, 'Other: "x"', {})
    for clash in (HOSTILE.lower(), HOSTILE.upper()):
        with pytest.raises(ValidationFailed) as refused:
            save(manager, clash, {})
        assert refused.value.errors == {'name': 'A segment with this name exists'}
    with pytest.raises(ValidationFailed) as renamed:
        edit(manager, other, 1, HOSTILE.swapcase(), {})
    assert renamed.value.errors == {'name': 'A segment with this name exists'}
    # the database keeps it too (two saves at the same instant both pass the service's check)
    with session_scope() as session, pytest.raises(IntegrityError):
        session.add(Segment(name=first.name.lower(), filters={}))
        session.flush()


def test_two_saves_of_one_name_at_the_same_instant_answer_at_the_name_field(monkeypatch) -> None:
    manager = make_user('manager')
    other = save(manager, 'Other', {})
    save(manager, HOSTILE, {})

    def raced(session, name, filters, *, segment_id):  # the other save committed after this one's check
        return name, {}

    monkeypatch.setattr(segments, '_checked', raced)
    for attempt in (lambda: save(manager, HOSTILE.lower(), {}), lambda: edit(manager, other, 1, HOSTILE.upper(), {})):
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert refused.value.errors == {'name': 'A segment with this name exists'}
    with read_session() as session:
        assert sorted(s.name for s in segments.saved_segments(session=session)) == sorted(['Other', HOSTILE])
