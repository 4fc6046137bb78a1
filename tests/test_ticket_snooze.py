"""Snoozing a request: put aside until a date, out of the open queues, back by itself (or when the customer writes),
its agent told; refused for solved and closed requests; the SLA clock goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import events, formatting, i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.listing.query import ListRequest, list_page
from backoffice.models import AuditEntry, Notification, Ticket, utcnow
from backoffice.resources import resource
from backoffice.services import ticket_snooze, tickets
from pages.requests import queues

from .support import lists
from .support.factories import make_user, stored_request, submit_request
from .support.lists import rows_show
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Refund "now" <script>window.__x=1</script>: O\'Hara'


def in_queue(user, name: str) -> list[int]:
    with read_session() as session:
        page = list_page(
            session=session,
            actor=user,
            resource=resource('tickets'),
            request=ListRequest(filters=queues(user)[name]['filters']),
        )
    return [row.id for row in page.rows]


def snooze(agent, ticket: Ticket, until) -> Ticket:
    with session_scope() as session:
        current = session.get(Ticket, ticket.id)
        return ticket_snooze.snooze(
            session=session, actor=agent, ticket_id=ticket.id, version=current.version, until=until
        )


def change(agent, ticket: Ticket, **fields) -> Ticket:
    with session_scope() as session:
        current = session.get(Ticket, ticket.id)
        return tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=current.version, **fields)


def due_now(ticket: Ticket) -> None:
    """The snooze's time has come (as the clock would have it)."""
    with session_scope() as session:
        stored = session.get(Ticket, ticket.id)
        stored.snoozed_until = utcnow() - timedelta(minutes=1)
        session.add(stored)
        session.commit()


def told(user_id: int) -> list[str]:
    with read_session() as session:
        return list(
            session.exec(
                select(Notification.text).where(Notification.user_id == user_id).order_by(col(Notification.id))
            )
        )


def test_a_snoozed_request_leaves_the_open_queues_until_it_comes_back_by_itself() -> None:
    agent = make_user('agent')
    ticket, other = submit_request(HOSTILE), submit_request('Parcel two', email='dan@example.com')
    change(agent, ticket, assignee_id=agent.id)
    sla_before = stored_request(ticket.number).sla_due_at
    seen: list[dict] = []
    events.subscribe('tickets', seen.append, key='test-snooze')
    monday = ticket_snooze.quick_choices()['tomorrow'] + timedelta(days=2)
    snoozed = snooze(agent, ticket, monday)
    assert snoozed.snoozed_until == monday and snoozed.snoozed_by_id == agent.id
    assert {'id': ticket.id, 'action': 'snoozed'} in seen  # every agent's live table hears of it
    assert in_queue(agent, 'All open') == [other.id] and in_queue(agent, 'Mine') == []
    assert in_queue(agent, 'Snoozed') == [ticket.id]
    # the SLA clock goes on: a snooze is the agent's reminder, the customer still waits on us
    assert stored_request(ticket.number).sla_due_at == sla_before
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'ticket.snoozed')).one()
        assert entry.actor_id == agent.id and 'snoozed_until' in entry.changes

    with session_scope() as session:  # not yet
        assert ticket_snooze.wake_snoozed(session=session) == []
    due_now(ticket)
    with session_scope() as session:
        assert ticket_snooze.wake_snoozed(session=session) == [ticket.id]
    back = stored_request(ticket.number)
    assert (back.snoozed_until, back.snoozed_by_id, back.version) == (None, None, snoozed.version)
    assert in_queue(agent, 'Mine') == [ticket.id] and in_queue(agent, 'Snoozed') == []
    assert told(agent.id)[-1] == f'Request #{ticket.number} is back from snooze: {HOSTILE}'
    assert {'id': ticket.id, 'action': 'snooze-ended'} in seen


def test_an_unassigned_request_comes_back_to_whoever_snoozed_it_and_at_once_when_the_customer_writes() -> None:
    agent = make_user('agent')
    ticket = submit_request(HOSTILE)
    snooze(agent, ticket, (utcnow() + timedelta(days=2)).isoformat())  # as a form sends it
    assert stored_request(ticket.number).assignee_id is None
    with session_scope() as session:
        tickets.add_customer_message(
            session=session, number=ticket.number, body='Any news? <b>"x"</b>', email='cora@example.com'
        )
    back = stored_request(ticket.number)
    assert back.snoozed_until is None and ticket.id in in_queue(agent, 'Unassigned')
    assert told(agent.id) == [f'The customer wrote on request #{ticket.number}: {HOSTILE}']

    snooze(agent, ticket, utcnow() + timedelta(hours=3))
    due_now(ticket)
    with session_scope() as session:
        ticket_snooze.wake_snoozed(session=session)
    assert told(agent.id)[-1] == f'Request #{ticket.number} is back from snooze: {HOSTILE}'


# a time that is no time says the format to type, as the app writes a day and time
UNREADABLE = 'Enter the day and time it should come back, e.g. 2026-12-31 09:00'


def test_a_garbled_time_is_refused_with_the_format_to_type_in_english_and_in_french() -> None:
    agent = make_user('agent')
    ticket = submit_request(HOSTILE)
    with pytest.raises(ValidationFailed) as refused:
        snooze(agent, ticket, 'next "Tuesday": <b>9</b>')
    assert refused.value.errors == {'snoozed_until': UNREADABLE}
    with i18n.use('fr'), pytest.raises(ValidationFailed) as refused:
        snooze(agent, ticket, 'mardi "prochain" <b>9</b>')
    said = 'Saisissez le jour et l’heure où elle doit revenir, par exemple 31/12/2026 09:00'
    assert refused.value.errors == {'snoozed_until': said}


def test_snoozing_is_refused_for_solved_and_closed_requests_and_for_times_gone_or_too_far() -> None:
    agent = make_user('agent')
    ticket = submit_request(HOSTILE)
    for until, said in (
        (utcnow() - timedelta(minutes=5), 'Choose a time that is still to come'),
        (utcnow() + timedelta(days=400), 'Snooze for a year at most'),
        ('Monday "9:00" <script>', UNREADABLE),
        ('', UNREADABLE),
        (None, UNREADABLE),
    ):
        with pytest.raises(ValidationFailed) as refused:
            snooze(agent, ticket, until)
        assert refused.value.errors == {'snoozed_until': said}
    snooze(agent, ticket, utcnow() + timedelta(days=1))
    change(agent, ticket, status='solved')  # solving ends the snooze: nothing to come back to
    assert stored_request(ticket.number).snoozed_until is None
    with pytest.raises(ValidationFailed) as solved:
        snooze(agent, ticket, utcnow() + timedelta(days=1))
    assert solved.value.errors == {'snoozed_until': 'This request is solved: it waits on nobody, so it is not snoozed'}
    change(agent, ticket, status='closed')
    with pytest.raises(ValidationFailed) as closed:
        snooze(agent, ticket, utcnow() + timedelta(days=1))
    assert closed.value.errors == {'snoozed_until': 'This request is closed, which is final: it cannot be snoozed'}


def test_the_quick_choices_are_tomorrow_and_next_monday_at_nine() -> None:
    friday = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    assert ticket_snooze.quick_choices(friday) == {
        'tomorrow': datetime(2026, 12, 5, 9, 0, tzinfo=UTC),
        'monday': datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
    }
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # on a Monday, "next Monday" is a week on
    assert ticket_snooze.quick_choices(monday)['monday'] == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    sunday = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)  # tomorrow is next Monday: offered once
    assert ticket_snooze.quick_choices(sunday) == {'tomorrow': datetime(2026, 12, 7, 9, 0, tzinfo=UTC)}


async def test_an_agent_snoozes_a_request_from_its_page_and_it_leaves_their_queue(user: User) -> None:
    agent = make_user('agent')
    ticket, other = submit_request(HOSTILE), submit_request('Parcel two', email='dan@example.com')
    change(agent, ticket, assignee_id=agent.id)
    change(agent, other, assignee_id=agent.id)
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see(marker='snooze')
    user.find(marker='snooze-pick').click()
    await user.should_see('Snooze until')
    user.find(marker='snooze-until').type('Monday "9:00" <script>')  # not a day: said at the field
    user.find(marker='snooze-submit').click()
    await user.should_see(UNREADABLE)
    assert stored_request(ticket.number).snoozed_until is None

    user.find(marker='snooze-tomorrow').click()
    await user.should_see('Snoozed: it comes back by itself')
    await user.should_see(marker='snoozed')
    assert stored_request(ticket.number).snoozed_until == ticket_snooze.quick_choices()['tomorrow']

    await user.open('/requests?queue=mine')
    await rows_show(user, 'Parcel two', absent=(HOSTILE,), column='subject')
    await user.open('/requests?queue=snoozed')
    await rows_show(user, HOSTILE, absent=('Parcel two',), column='subject')
    table = user.find(ui.table).elements.pop()
    await eventually(lambda: 'snoozed_until' in [column['name'] for column in table.columns])

    await user.open(f'/requests/{ticket.number}')
    user.find(marker='unsnooze').click()
    await user.should_see('Back in the queues')
    await eventually(lambda: stored_request(ticket.number).snoozed_until is None)
    await user.should_not_see(marker='snoozed')


async def test_an_agent_snoozes_the_ticked_requests_until_tomorrow_and_a_closed_one_is_skipped(user: User) -> None:
    agent = make_user('agent')
    ticket, closed = submit_request(HOSTILE), submit_request('Long done', email='dan@example.com')
    change(agent, closed, status='closed')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, HOSTILE, 'Long done', column='subject')
    table = user.find(ui.table)
    rows = next(iter(table.elements)).rows
    table.trigger('selection', {'added': True, 'rows': rows, 'keys': [row['id'] for row in rows]})
    await user.should_see('2 selected')
    user.find(marker='bulk-snooze').click()
    await user.should_see('1 snoozed until tomorrow; 1 skipped: Snooze does not apply to it now')
    tomorrow = ticket_snooze.quick_choices()['tomorrow']
    assert [stored_request(t.number).snoozed_until for t in (ticket, closed)] == [tomorrow, None]


async def test_the_snoozed_queue_shows_the_soonest_back_first_and_the_next_queue_its_own_order(user: User) -> None:
    agent = make_user('agent')
    later, sooner = submit_request(HOSTILE), submit_request('Back "sooner"', email='dan@example.com')
    snooze(agent, sooner, utcnow() + timedelta(days=1))
    snooze(agent, later, utcnow() + timedelta(days=5))  # changed last, and back last
    awake = submit_request('Awake', email='eve@example.com')
    await signed_in(user, agent.email, path='/requests?queue=snoozed')
    await eventually(lambda: lists.listed(user, 'subject') == ['Back "sooner"', HOSTILE])
    user.find(marker='queue-All open').click()  # the newest change first again, not by a snooze nobody has there
    await eventually(lambda: lists.listed(user, 'subject') == [awake.subject])
    table = user.find(ui.table).elements.pop()
    assert (table.pagination['sortBy'], table.pagination['descending']) == ('updated_at', True)


async def test_a_page_left_open_overnight_snoozes_until_the_new_tomorrow(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The menu was drawn yesterday: its "Tomorrow morning" is worked out when it is chosen (it said, and snoozed until,
    yesterday's tomorrow: this morning, already gone), and the menu says the new day when it opens."""
    agent = make_user('agent')
    ticket = submit_request(HOSTILE)
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see(marker='snooze-tomorrow')
    drawn = ticket_snooze.quick_choices()['tomorrow']
    now = utcnow()
    monkeypatch.setattr(ticket_snooze, 'utcnow', lambda: now + timedelta(days=1))  # the night went by
    assert ticket_snooze.quick_choices()['tomorrow'] == drawn + timedelta(days=1)

    user.find(marker='snooze-menu').trigger('beforeShow')  # the agent opens the menu the next morning
    await user.should_see(f'Tomorrow morning · {formatting.when(drawn + timedelta(days=1))}')
    user.find(marker='snooze-tomorrow').click()
    await user.should_see('Snoozed: it comes back by itself')
    assert stored_request(ticket.number).snoozed_until == drawn + timedelta(days=1)
