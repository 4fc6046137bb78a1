"""Searching the audit log reads its search index (SQLite FTS5, PostgreSQL trigrams) as the customers and orders lists
do, finds what a plain LIKE finds, in any case; the filter by record type takes every audited type."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.listing import query, search
from backoffice.models import AuditEntry
from backoffice.resources import resource
from backoffice.resources.system import RECORD_TYPES

from .support.factories import make_user

AUDIT = resource('audit')


@pytest.fixture
def entries() -> dict[str, int]:
    rows = {
        'rare': AuditEntry(action='order.packed', entity='orders', entity_id='1', summary='Order 100042: Packed'),
        'customer': AuditEntry(
            action='customer.updated', entity='customers', entity_id='2', summary='Updated Zoltan.Vamberg@example.com'
        ),
        'hostile': AuditEntry(
            action='customer.updated', entity='customers', entity_id='3', summary='Updated "50%_off": <b>x</b>'
        ),
        'return': AuditEntry(action='return.received', entity='returns', entity_id='4', summary='Return R-1001'),
        'by': AuditEntry(action='auth.signed_in', entity='user', entity_id='5', actor_email='maria.lopez@shop.example'),
    }
    with session_scope() as session:
        session.add_all(rows.values())
        session.commit()
        return {name: row.id for name, row in rows.items()}


def found(actor, term: str = '', **filters) -> list[int]:
    with read_session() as session:
        request = query.ListRequest(search=term, filters=filters)
        return sorted(query.matching_ids(session=session, actor=actor, resource=AUDIT, request=request))


def test_a_search_uses_the_index_and_finds_what_like_finds(entries: dict[str, int]) -> None:
    admin = make_user('admin')
    asked: list[str] = []
    with read_session() as session:
        dialect = session.connection().dialect.name
        listen = lambda conn, cursor, statement, *rest: asked.append(statement)  # noqa: E731
        event.listen(session.connection(), 'before_cursor_execute', listen)
        indexed, _ = search.search_conditions(session, AUDIT, 'vamberg', dialect)
        event.remove(session.connection(), 'before_cursor_execute', listen)
    if dialect == 'sqlite':
        assert any('audit_log_fts MATCH' in statement for statement in asked), 'the search reads the FTS5 index'
        assert 'audit_log.id IN' in str(indexed[0].compile())  # ...and the list reads its hits by id
    else:
        assert 'lower' in str(indexed[0].compile()) and 'IN' in str(indexed[0].compile())  # the trigram hits
    assert found(admin, 'VAMBERG') == [entries['customer']]
    assert found(admin, '100042') == [entries['rare']]
    assert found(admin, 'lopez@shop') == [entries['by']]  # who
    assert found(admin, 'return.rec') == [entries['return']]  # what
    assert found(admin, '"50%_off": <b>') == [entries['hostile']]  # quotes and wildcards taken literally
    with pytest.MonkeyPatch.context() as patch:  # the same answers by LIKE in list order
        patch.setattr(search, 'COMMON_TERM', 1)
        patch.setattr(search, 'COMMON_TERM_POSTGRESQL', 0)
        assert found(admin, 'VAMBERG') == [entries['customer']]


def test_the_index_follows_entries_written_later(entries: dict[str, int]) -> None:
    with session_scope() as session:
        later = AuditEntry(action='settings.changed', entity='settings', summary='Changed the quokka setting')
        session.add(later)
        session.commit()
        later_id = later.id
    assert found(make_user('admin'), 'quokka') == [later_id]
    if db.get_engine().dialect.name == 'sqlite':
        with read_session() as session:
            triggers = session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' ORDER BY name")
            ).scalars()
            assert list(triggers) == [
                'audit_log_fts_after_delete',
                'audit_log_fts_after_insert',
                'audit_log_fts_after_update',
            ]


def test_every_audited_type_can_be_chosen_and_a_manager_still_sees_only_what_they_may(entries: dict[str, int]) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    assert found(admin, entity=['orders']) == [entries['rare']]
    assert found(admin, entity=['returns', 'orders']) == sorted([entries['rare'], entries['return']])
    for entity in RECORD_TYPES:
        found(admin, entity=[entity])  # every offered type is a valid filter
    assert entries['by'] not in found(manager)  # staff sign-ins: admins only, as before
    assert found(manager, entity=['user']) == []
