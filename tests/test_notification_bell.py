"""The header's bell: an agent hears of a missed SLA at once, opens the request from it, and clears the rest."""

from __future__ import annotations

from datetime import timedelta

from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.models import Ticket, utcnow
from backoffice.services import notifications, ticket_sla, tickets

from .support.factories import make_user, submit_request
from .support.lists import rows_show
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually


def overdue(ticket_id: int) -> None:
    with session_scope() as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.sla_due_at = utcnow() - timedelta(minutes=5)
        session.add(ticket)
        session.commit()
        ticket_sla.flag_sla_breaches(session=session)


def count(user: User) -> str | None:
    """The number on the bell, None when it shows none (the simulated user finds visible elements only)."""
    try:
        return user.find(marker='bell-count').elements.pop().text
    except AssertionError:
        return None


async def test_a_missed_sla_rings_the_assignees_bell_live_and_leads_to_the_request(user: User) -> None:
    agent = make_user('agent', name='Alex Agent')
    ticket = submit_request('Parcel lost')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version)
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Parcel lost', column='subject')
    assert count(user) is None

    overdue(ticket.id)  # the sla-check job's work, while the agent looks at the list
    await eventually(lambda: count(user) == '1')
    user.find(marker='bell').click()
    await user.should_see(f'Request #{ticket.number} missed its first-response target: Parcel lost')
    user.find(marker='notification').click()
    await user.should_see('It has been two weeks.')  # the request's thread
    await eventually(lambda: count(user) is None)
    with session_scope() as session:
        assert notifications.unread_for(session=session, user=agent) == []


async def test_mark_all_read_empties_the_bell(user: User) -> None:
    agent = make_user('agent')
    with session_scope() as session:
        for n in range(3):
            notifications.notify(session, user_id=agent.id, text=f'Low stock {n}')
        session.commit()
    await signed_in(user, agent.email, path='/requests')
    await eventually(lambda: count(user) == '3')
    user.find(marker='bell').click()
    user.find(marker='mark-all-read').click()
    await eventually(lambda: count(user) is None)
    await user.should_see('Nothing new.')


async def test_a_click_on_a_notification_sent_as_another_one_arrives_still_opens_its_request(user: User) -> None:
    """The browser sends the click on a notification from the menu it shows while the server adds a new one to that
    menu: the line clicked is the same as before, so the click still reaches it and the request opens."""
    agent = make_user('agent')
    ticket = submit_request('Parcel "lost": <script>alert(1)</script>')
    with session_scope() as session:
        notifications.notify(session, user_id=agent.id, text='Look: "this" <script>', link=f'/requests/{ticket.number}')
        session.commit()
    await signed_in(user, agent.email, path='/requests')
    await eventually(lambda: count(user) == '1')
    user.find(marker='bell').click()
    await user.should_see('Look: "this" <script>')
    look = click_as_shown(user, user.find(marker='notification').elements.pop())  # the line as the browser shows it
    with session_scope() as session:
        notifications.notify(session, user_id=agent.id, text='Low stock: "mugs" <b>')
        session.commit()
    await user.should_see('Low stock: "mugs" <b>')  # the open menu was drawn again, with the new one
    look()
    await user.should_see('It has been two weeks.')  # the request's thread
    await eventually(lambda: count(user) == '1')  # the one clicked is read, the new one is not
