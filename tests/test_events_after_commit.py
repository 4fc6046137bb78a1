"""Events are published once the change is committed, never for a change that rolled back; topics are one list."""

import ast
from pathlib import Path

import pytest
from sqlmodel import select

from backoffice import events
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.models import Customer
from backoffice.resources import resource
from backoffice.services import crud

from .support.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = resource('customers')


def test_a_saved_change_is_published_after_its_commit_and_readers_see_it() -> None:
    manager = make_user('manager')
    seen: list[tuple[dict, bool]] = []

    def on_customer(payload: dict) -> None:  # a subscriber reads in its own session, as webhooks and pages do
        with session_scope() as other:
            seen.append((payload, other.get(Customer, payload['id']) is not None))

    events.subscribe(Topic.customers, on_customer, key='test.after-commit')
    with session_scope() as session:
        created = crud.create_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            data={'email': 'quote@example.com', 'name': 'Quote " colon : <script>'},
        )
    assert seen == [({'id': created.id, 'action': 'created'}, True)]


def test_events_queued_in_a_transaction_that_rolls_back_are_never_published() -> None:
    heard: list[dict] = []
    events.subscribe(Topic.customers, heard.append, key='test.rollback')
    with session_scope() as session:
        session.add(Customer(email='gone@example.com', name='Gone'))
        session.flush()
        events.after_commit(session, Topic.customers, {'id': 1, 'action': 'created'})
        assert heard == []  # queued, not yet published
        session.rollback()
        session.commit()  # a later commit of the same session does not publish what was dropped
    assert heard == []
    with session_scope() as session:
        assert session.exec(select(Customer)).all() == []


def test_a_service_that_fails_half_way_publishes_nothing() -> None:
    manager = make_user('manager')
    heard: list[dict] = []
    events.subscribe(Topic.customers, heard.append, key='test.failed')
    with session_scope() as session, pytest.raises(ValidationFailed):
        crud.create_record(session=session, actor=manager, resource=CUSTOMERS, data={'email': 'not an email'})
    with session_scope() as session:
        events.after_commit(session, Topic.customers, {'id': None, 'action': 'imported'})
        session.close()  # closed without a commit: the change never happened
        session.commit()
    assert heard == []


def test_a_topic_not_in_the_list_is_refused() -> None:
    with pytest.raises(ValueError):
        events.publish('ticket', {'id': 1})  # type: ignore[arg-type]  # a typo no longer fails silently
    with pytest.raises(ValueError):
        events.subscribe('order', lambda payload: None)  # type: ignore[arg-type]


def _event_calls() -> list[tuple[str, int, str, ast.Call]]:
    found = []
    for path in [
        *ROOT.glob('backoffice/**/*.py'),
        *ROOT.glob('components/*.py'),
        *ROOT.glob('pages/*.py'),
        ROOT / 'main.py',
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == 'events'
            ):
                found.append((str(path.relative_to(ROOT)), node.lineno, node.func.attr, node))
    return found


def test_no_topic_is_written_as_a_string_literal() -> None:
    literal = [
        f'{path}:{line}'
        for path, line, name, call in _event_calls()
        if name in {'publish', 'subscribe', 'after_commit', 'deliver'}
        and any(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in call.args[:2])
    ]
    assert literal == [], 'use events.Topic, not a string, for these topics'


def test_services_publish_only_through_the_commit() -> None:
    """`events.publish` sends at once; a service queues with after_commit (or changes.commit) instead."""
    at_once = [
        f'{path}:{line}'
        for path, line, name, _call in _event_calls()
        if name == 'publish' and path.startswith(('backoffice/services', 'backoffice/transfer', 'backoffice/auth'))
    ]
    assert at_once == []
