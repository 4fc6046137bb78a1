"""Saved views (own or shared) and bulk actions that report what was done and what was skipped, and why."""

from datetime import date

import pytest

from backoffice.db import session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.models import Customer
from backoffice.resources import resource
from backoffice.services import bulk, tickets, views
from backoffice.services.customers import ban_customer

from .support.at_once import first_saves_at_once
from .support.factories import make_customer, make_user, stored_request, submit_request

CUSTOMERS = resource('customers')
TICKETS = resource('tickets')


def test_a_view_is_private_unless_shared_and_saving_the_same_name_replaces_it() -> None:
    ana, ben = make_user('manager', email='ana@example.com'), make_user('agent', email='ben@example.com')
    state = {
        'search': 'acme',
        'filters': {'status': ['active'], 'signed_up_at': (date(2026, 1, 1), None)},
        'sort': 'email',
        'descending': False,
        'columns': ['email', 'name'],
        'page': 7,
    }
    with session_scope() as session:
        views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='Mine', state=state)
        views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='Team', state=state, shared=True)
        views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='Mine', state={**state, 'search': 'x'})
    with session_scope() as session:
        assert [v.name for v in views.list_views(session=session, actor=ben, resource=CUSTOMERS)] == ['Team']
        mine = [v for v in views.list_views(session=session, actor=ana, resource=CUSTOMERS) if v.name == 'Mine']
    assert len(mine) == 1 and mine[0].state['search'] == 'x' and 'page' not in mine[0].state
    assert mine[0].state['filters']['signed_up_at'] == ['2026-01-01', None]


def test_saving_a_view_of_one_name_twice_at_once_keeps_one_view(monkeypatch) -> None:
    """Two tabs save the same new view at the same moment (no unique key on the name): the first is held after
    finding no view of that name until the second has looked too, or for 3 s. One view is kept, the later one's
    state (both used to be inserted, the same name twice in the list)."""
    ana = make_user('manager', email='ana.views@example.com')
    name = 'Pipe "Q4": <script>alert(1)</script>'
    state = {'search': '', 'filters': {}, 'sort': 'email', 'descending': False, 'columns': ['email']}

    def save(search: str):
        def saving():
            with session_scope() as session:
                return views.save_view(
                    session=session, actor=ana, resource=CUSTOMERS, name=name, state={**state, 'search': search}
                ).id

        return saving

    first, second = first_saves_at_once(monkeypatch, views, save('first'), save('second'), held_at='_json_safe')
    assert isinstance(first, int) and first == second, (first, second)
    with session_scope() as session:
        mine = views.list_views(session=session, actor=ana, resource=CUSTOMERS)
    assert [(v.name, v.state['search']) for v in mine] == [(name, 'second')]


def test_renaming_two_views_to_one_name_at_once_keeps_the_name_once(monkeypatch) -> None:
    """In two tabs, two views are renamed to the same name at the same moment: the first is held after finding the
    name free until the second has looked too, or for 3 s. The first is renamed, the second refused at its name field
    (on PostgreSQL both used to be renamed: the same name twice in the list, the second unreachable by saving)."""
    ana = make_user('manager', email='ana.renames@example.com')
    state = {'search': '', 'filters': {}, 'sort': 'email', 'descending': False, 'columns': ['email']}
    with session_scope() as session:
        one = views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='One', state=state).id
    with session_scope() as session:
        two = views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='Two', state=state).id
    name = 'Pipe "Q4": <script>alert(1)</script>'

    def renaming(view_id: int):
        def rename_now():
            with session_scope() as session:
                return views.rename_view(session=session, actor=ana, view_id=view_id, name=name).name

        return rename_now

    first, second = first_saves_at_once(monkeypatch, views, renaming(one), renaming(two), held_at='sentence')
    assert first == name, (first, second)
    assert isinstance(second, ValidationFailed) and set(second.errors) == {'name'}, (first, second)
    with session_scope() as session:
        mine = views.list_views(session=session, actor=ana, resource=CUSTOMERS)
    assert sorted((v.id, v.name) for v in mine) == [(one, name), (two, 'Two')]


def test_a_view_needs_a_name_and_only_its_owner_deletes_it() -> None:
    ana, ben = make_user('manager', email='ana@example.com'), make_user('agent', email='ben@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed):
        views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='  ', state={})
    with session_scope() as session:
        shared = views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='Team', state={}, shared=True)
    with session_scope() as session, pytest.raises(ValidationFailed):
        views.delete_view(session=session, actor=ben, view_id=shared.id)
    with session_scope() as session:
        views.delete_view(session=session, actor=ana, view_id=shared.id)


def test_only_its_owner_renames_a_view_to_a_name_they_do_not_already_use_on_that_list() -> None:
    ana, ben = make_user('manager', email='ana@example.com'), make_user('admin', email='ben@example.com')
    with session_scope() as session:
        team = views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='Team', state={}, shared=True)
        views.save_view(session=session, actor=ana, resource=CUSTOMERS, name='VIP', state={})
        views.save_view(session=session, actor=ana, resource=TICKETS, name='Elsewhere', state={})
    for actor, name, errors in (
        (ben, 'Mine now', {'': 'Only the person who saved a view can rename it'}),  # an admin deletes, never renames
        (ana, 'VIP', {'name': 'You already have a view named "VIP" on this list'}),
        (
            ana,
            ' \u200b ',
            {'name': 'Use letters, digits, spaces and punctuation only (no control or invisible characters)'},
        ),
    ):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            views.rename_view(session=session, actor=actor, view_id=team.id, name=name)
        assert refused.value.errors == errors
    with session_scope() as session:  # a name used on another list is free here
        renamed = views.rename_view(session=session, actor=ana, view_id=team.id, name=' Elsewhere: "x" <b> ')
    assert (renamed.name, renamed.shared) == ('Elsewhere: "x" <b>', True)
    with session_scope() as session:
        assert [v.name for v in views.list_views(session=session, actor=ben, resource=CUSTOMERS)] == [renamed.name]


def test_a_bulk_edit_reports_done_and_skipped_with_reasons() -> None:
    agent = make_user('agent')
    ok_one, ok_two, banned = (make_customer(f'{n}@example.com') for n in ('one', 'two', 'banned'))
    with session_scope() as session:
        ban_customer(session=session, actor=agent, record_id=banned.id, version=1, reason='Fraud')
    summary = bulk.bulk_update(
        actor=agent, resource=CUSTOMERS, ids=[ok_one.id, ok_two.id, banned.id, 999], changes={'status': 'unfinished'}
    )
    assert summary.done == 2
    assert summary.skipped == [
        (banned.id, 'Status: This customer is banned: use Unban'),
        (999, 'This customer no longer exists.'),
    ]
    assert summary.text('updated') == (
        '2 updated; 1 skipped: Status: This customer is banned: use Unban; 1 skipped: This customer no longer exists.'
    )


def test_a_bulk_edit_may_withdraw_marketing_consent_but_never_give_it() -> None:
    manager = make_user('manager')
    said_yes = make_customer('said.yes@example.com', name='Zoë "Q": <script>', consent=True)
    said_no = make_customer('said.no@example.com', name="O'Hara", consent=False)
    ids = [said_yes.id, said_no.id]
    with pytest.raises(ValidationFailed) as refused:
        bulk.bulk_update(actor=manager, resource=CUSTOMERS, ids=ids, changes={'marketing_consent': True})
    assert refused.value.errors == {'marketing_consent': bulk.ONLY_THEY_AGREE}
    with session_scope() as session:
        assert session.get(Customer, said_no.id).marketing_consent is False  # nobody was opted in
    assert bulk.bulk_update(actor=manager, resource=CUSTOMERS, ids=ids, changes={'marketing_consent': False}).done == 2
    with session_scope() as session:
        assert session.get(Customer, said_yes.id).marketing_consent is False


def test_bulk_delete_and_restore_and_who_may() -> None:
    manager, viewer = make_user('manager'), make_user('viewer')
    customers = [make_customer(f'c{n}@example.com') for n in range(3)]
    ids = [c.id for c in customers]
    with pytest.raises(PermissionDenied):
        bulk.bulk_delete(actor=viewer, resource=CUSTOMERS, ids=ids)
    assert bulk.bulk_delete(actor=manager, resource=CUSTOMERS, ids=ids).done == 3
    with session_scope() as session:
        assert all(session.get(Customer, i).deleted_at is not None for i in ids)
    assert bulk.bulk_restore(actor=manager, resource=CUSTOMERS, ids=ids).done == 3


def test_an_agent_takes_the_ticked_requests_at_once_but_not_a_closed_one() -> None:
    agent, colleague = make_user('agent'), make_user('agent')
    hostile = 'Refund "now" <script>window.__x=1</script>: O\'Hara'
    new, theirs, mine, closed = (submit_request(f'{hostile} {n}', email=f'c{n}@example.com') for n in range(4))
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=colleague, ticket_id=theirs.id, version=theirs.version)
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
        tickets.change(session=session, actor=agent, ticket_id=closed.id, version=closed.version, status='closed')
    take = next(action for action in TICKETS.actions if action.key == 'assign-to-me')
    summary = bulk.bulk_action(
        actor=agent, resource=TICKETS, ids=[new.id, theirs.id, mine.id, closed.id, 999], action=take
    )
    assert summary.done == 3  # the one already theirs counts as done
    assert summary.skipped == [
        (closed.id, 'Assign to me does not apply to it now'),
        (999, 'This request no longer exists.'),
    ]
    assert [stored_request(t.number).assignee_id for t in (new, theirs, mine, closed)] == [agent.id] * 3 + [None]
    with pytest.raises(PermissionDenied):
        bulk.bulk_action(actor=make_user('viewer'), resource=TICKETS, ids=[new.id], action=take)
