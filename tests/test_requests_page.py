"""The support desk's screens: the live list of requests with its queues, and one request with its thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import CannedReply, Delivery, MessageKind, Ticket, TicketMessage, TicketStatus, utcnow
from backoffice.resources import resource
from backoffice.services import ticket_sla as sla
from backoffice.services import tickets, views
from components.resource_table import ResourceTable

from .support.factories import make_product, make_user, place, stored_request, submit_request
from .support.lists import ask_for, footer, listed, open_row, rows_show
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually

TICKETS = resource('tickets')


def messages(ticket_id: int) -> list[TicketMessage]:
    with session_scope() as session:
        return list(
            session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id))
        )


def canned(title: str, body: str) -> int:
    with session_scope() as session:
        reply = CannedReply(title=title, body=body)
        session.add(reply)
        session.commit()
        return reply.id


def labels(user: User, marker: str) -> list[str]:
    return [element.text for element in user.find(marker=marker).elements]


async def test_an_agent_answers_a_request_from_the_list_to_a_sent_reply(user: User) -> None:
    agent = make_user('agent', name='Alex Agent')
    make_product('PARCEL-1', stock_on_hand=3, actor=make_user('manager'))
    order = place(('PARCEL-1', 1), email='cora@example.com')  # {order_number} fills with the customer's own order
    ticket = submit_request(order_number=order.number)
    canned('Parcel delay', 'Hello {customer_name}, your order {order_number} is on its way. {agent_name}')
    await signed_in(user, agent.email, path='/requests')
    await user.should_see('Requests')
    await rows_show(user, 'Where is my parcel?', column='subject')
    open_row(user, 'Where is my parcel?', column='subject')
    await user.should_see('It has been two weeks.')
    assert labels(user, 'subject') == ['Where is my parcel?']
    await user.should_see('cora@example.com')

    user.find('Assign to me').click()
    await user.should_see('Assigned to you')
    await eventually(lambda: stored_request(ticket.number).assignee_id == agent.id)
    # the page shows the assignment once it has read the request again: a reply sent before that answers the
    # version the agent saw, which the assignment has changed ("changed by", as in the test below)
    await eventually(lambda: user.find(marker='assignee').elements.pop().value == agent.id)
    assert stored_request(ticket.number).status == 'open'

    user.find(marker='canned').elements.pop().set_value(_canned_id())
    body = user.find(marker='reply-body').elements.pop()
    await eventually(lambda: f'Hello Cora Customer, your order {order.number} is on its way. Alex Agent' == body.value)
    user.find(marker='send-reply').click()
    await user.should_see('Reply queued')
    await eventually(lambda: any(m.kind == MessageKind.reply for m in messages(ticket.id)))
    reply = next(m for m in messages(ticket.id) if m.kind == MessageKind.reply)
    assert reply.body.startswith('Hello Cora Customer') and reply.delivery == Delivery.queued
    await user.should_see('Not sent (queued)')
    assert stored_request(ticket.number).status == 'waiting'
    await eventually(lambda: body.value == '', message='the sent reply is cleared from the box')

    user.find(marker='reply-body').type('Customer sounds upset; check the courier.')
    user.find(marker='add-note').click()
    await user.should_see('Internal note')
    note = user.find(marker='thread-note').elements.pop()
    assert 'bg-amber-50' in note.classes
    assert [m.kind for m in messages(ticket.id)] == [MessageKind.customer, MessageKind.reply, MessageKind.note]

    user.find(marker='status').elements.pop().set_value('solved')
    await eventually(lambda: stored_request(ticket.number).status == 'solved')
    await user.should_see('Saved')


def _canned_id() -> int:
    with session_scope() as session:
        return session.exec(select(CannedReply.id)).first()


async def test_a_failed_reply_shows_its_error_and_can_be_retried(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    with session_scope() as session:
        message = tickets.reply(
            session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, body='We are on it.'
        )
        message.delivery, message.delivery_error = Delivery.failed, 'SMTP 550 mailbox unavailable'
        session.add(message)
        session.commit()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('Failed: SMTP 550 mailbox unavailable')
    user.find('Retry').click()
    await user.should_see('Not sent (queued)')
    assert messages(ticket.id)[-1].delivery == Delivery.queued


async def test_a_solved_notice_a_merge_cancelled_says_so_and_offers_no_retry(user: User) -> None:
    from backoffice.services import ticket_links

    agent = make_user('agent')
    early, goes_on = submit_request('Parcel "late": <script>alert(1)</script>'), submit_request('Goes on: <b>x</b>')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=early.id, version=early.version, status='solved')
    with session_scope() as session:
        ticket_links.merge(session=session, actor=agent, ticket_id=early.id, version=None, into_number=goes_on.number)
    await signed_in(user, agent.email, path=f'/requests/{early.number}')
    await user.should_see('Not sent: cancelled by a merge, the conversation goes on')
    await user.should_not_see('Retry')
    await user.should_not_see('Not sent (queued)')


async def test_a_script_in_the_subject_and_body_is_shown_as_text(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request('<script>alert(1)</script>', body='<img src=x onerror="window.__x=1">')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('Request')
    await eventually(lambda: bool(user.find(marker='subject').elements))
    assert labels(user, 'subject') == ['<script>alert(1)</script>']
    assert labels(user, 'thread-body') == ['<img src=x onerror="window.__x=1">']
    assert not _has(user, ui.html) and not _has(user, ui.markdown)


def _has(user: User, kind: type) -> bool:
    try:
        return bool(user.find(kind).elements)
    except AssertionError:
        return False


async def test_a_viewer_reads_a_request_but_cannot_answer_or_change_it(user: User) -> None:
    viewer = make_user('viewer')
    ticket = submit_request()
    await signed_in(user, viewer.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    await user.should_see('You can read this request but not answer it.')
    await user.should_not_see('Send reply')
    await user.should_not_see('Assign to me')
    assert not user.find(marker='status').elements.pop().enabled


async def test_an_unknown_request_says_so(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/requests/9999')
    await user.should_see('There is no request #9999.')


async def test_a_customer_without_access_gets_the_no_access_screen_on_a_request(user: User) -> None:
    ticket = submit_request()
    # every role has tickets.read today; the guard itself is the registry's, covered by the access matrix
    await user.open(f'/requests/{ticket.number}')
    await user.should_see('Sign in to continue')


async def test_new_requests_and_changes_appear_without_a_reload(user: User) -> None:
    agent = make_user('agent')
    submit_request('First one')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'First one', column='subject')
    submit_request('Arrived while looking', email='dan@example.com')
    await rows_show(user, 'First one', 'Arrived while looking', column='subject')


async def test_the_request_page_follows_changes_made_elsewhere_and_keeps_the_typed_reply(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    user.find(marker='reply-body').type('Half-written answer')
    with session_scope() as session:
        tickets.add_customer_message(session=session, number=ticket.number, body='Any news?', token=ticket.token)
        tickets.change(
            session=session,
            actor=colleague,
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            priority='urgent',
        )
    await user.should_see('Any news?')
    await eventually(lambda: user.find(marker='priority').elements.pop().value == 'urgent')
    assert user.find(marker='reply-body').elements.pop().value == 'Half-written answer'


async def test_a_change_over_a_newer_version_names_who_changed_it_and_offers_reload(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    user.find(marker='reply-body').type('My answer')
    from backoffice import events

    events.clear()  # the colleague's change arrives unseen, as on another server before the page hears of it
    with session_scope() as session:
        tickets.change(session=session, actor=colleague, ticket_id=ticket.id, version=ticket.version, priority='high')
    user.find(marker='send-reply').click()
    await user.should_see(f'changed by {colleague.name}')
    await user.should_see('Reload')
    assert user.find(marker='reply-body').elements.pop().value == 'My answer'
    user.find(marker='reload').click()
    await eventually(lambda: user.find(marker='priority').elements.pop().value == 'high')
    await user.should_not_see(marker='stale')
    user.find(marker='send-reply').click()
    await user.should_see('Reply queued')


async def test_a_refused_reply_keeps_its_warning_when_the_page_then_shows_the_other_change(user: User) -> None:
    """The colleague's change reaches the page (a live update, the page reads the request again) while the agent's
    reply, written over the version they saw, is refused: the page ends up showing the change, and the warning that
    the reply was not sent stays (a reload the change began does not wipe it)."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    user.find(marker='reply-body').type('My "answer": <script>x</script>')
    with session_scope() as session:
        tickets.change(session=session, actor=colleague, ticket_id=ticket.id, version=ticket.version, priority='high')
    user.find(marker='send-reply').click()  # before the page has heard of the change
    await user.should_see(f'changed by {colleague.name}')
    await eventually(lambda: user.find(marker='priority').elements.pop().value == 'high')
    await user.should_see(f'changed by {colleague.name}')
    assert user.find(marker='reply-body').elements.pop().value == 'My "answer": <script>x</script>'
    with session_scope() as session:
        kinds = session.exec(select(TicketMessage.kind).where(TicketMessage.ticket_id == ticket.id)).all()
    assert kinds == [MessageKind.customer]  # the reply was not sent


async def test_queues_set_the_lists_filters(user: User) -> None:
    agent = make_user('agent')
    mine, other = submit_request('Mine to do'), submit_request('Someone else', email='e@example.com')
    solved = submit_request('Done already', email='s@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
        tickets.change(session=session, actor=agent, ticket_id=solved.id, version=solved.version, status='solved')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Mine to do', 'Someone else', 'Done already', column='subject')
    user.find(marker='queue-Mine').click()
    await rows_show(user, 'Mine to do', absent=('Someone else', 'Done already'), column='subject')
    user.find(marker='queue-Solved').click()
    await rows_show(user, 'Done already', absent=('Mine to do', 'Someone else'), column='subject')
    user.find(marker='queue-All open').click()
    await rows_show(user, 'Mine to do', 'Someone else', absent=('Done already',), column='subject')
    assert other.number in {int(n) for n in listed(user, 'number')}
    user.find(marker='queue-Unassigned').click()
    await rows_show(user, 'Someone else', absent=('Mine to do', 'Done already'), column='subject')


async def test_the_queue_is_kept_in_the_address_for_back_a_reload_or_a_bookmark(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent working the Unassigned queue opens a request and comes Back: the queue again, not every request."""
    agent = make_user('agent')
    mine, other = submit_request('Mine: "to do"'), submit_request('<b>Nobody</b> yet', email='e@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
    await signed_in(user, agent.email, path='/requests?queue=mine')
    await rows_show(user, 'Mine: "to do"', absent=('<b>Nobody</b> yet',), column='subject')
    assert 'unelevated' in user.find(marker='queue-Mine').elements.pop().props  # shown as the queue on screen

    addresses: list[str] = []  # what the browser's address bar is set to (history.replaceState: no page load)
    monkeypatch.setattr(type(ui.navigate.history), 'replace', lambda _self, url: addresses.append(url))
    user.find(marker='queue-Unassigned').click()
    await rows_show(user, '<b>Nobody</b> yet', absent=('Mine: "to do"',), column='subject')
    assert addresses == ['/requests?queue=unassigned']
    await user.open(addresses[-1])  # Back from a request, or a reload
    await rows_show(user, '<b>Nobody</b> yet', absent=('Mine: "to do"',), column='subject')
    assert other.number in {int(n) for n in listed(user, 'number')}


async def test_back_to_a_queue_serves_its_rows_first_never_every_request_for_a_moment(user: User) -> None:
    """The page's first rows (served with it) are the queue's: they were every request's (solved, snoozed, a
    colleague's) until the queue was applied a moment later, rows moving under the agent's finger."""
    agent = make_user('agent')
    mine = submit_request('Mine: "to do" <b>x</b>')
    submit_request('Long solved', email='s@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
    solved = stored_request(mine.number + 1)
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=solved.id, version=solved.version, status='solved')
    await signed_in(user, agent.email, path='/requests')
    await user.open('/requests?queue=mine')  # Back from the request
    table = user.find(ui.table).elements.pop()
    await eventually(lambda: table.rows)  # served with the page, unless the machine is slow
    assert [row['subject'] for row in table.rows] == ['Mine: "to do" <b>x</b>']  # the first rows shown
    assert 'unelevated' in user.find(marker='queue-Mine').elements.pop().props


async def test_a_queue_is_no_longer_lit_nor_in_the_address_once_the_agent_changes_the_filters(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Mine button stayed lit over a list the agent had filtered to solved requests by hand, and a reload showed
    Mine again: the queue goes when the list no longer is it."""
    agent = make_user('agent')
    mine = submit_request('Mine: "López" <i>x</i>')
    submit_request('Not mine', email='n@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
    await signed_in(user, agent.email, path='/requests?queue=mine')
    await rows_show(user, 'Mine: "López" <i>x</i>', absent=('Not mine',), column='subject')
    assert 'unelevated' in user.find(marker='queue-Mine').elements.pop().props
    addresses: list[str] = []
    monkeypatch.setattr(type(ui.navigate.history), 'replace', lambda _self, url: addresses.append(url))
    user.find(marker='filter-status').elements.pop().set_value(['solved'])
    await rows_show(user, absent=('Mine: "López" <i>x</i>',), column='subject')
    assert not any('unelevated' in button.props for button in user.find(kind=ui.button).elements)
    assert addresses == ['/requests']
    user.find(marker='queue-Mine').click()  # and lit again when chosen
    await rows_show(user, 'Mine: "López" <i>x</i>', column='subject')
    assert 'unelevated' in user.find(marker='queue-Mine').elements.pop().props
    assert addresses[-1] == '/requests?queue=mine'


async def test_an_agent_lists_every_request_tagged_refund(user: User) -> None:
    """Tags could be given but not looked for: the Tags filter offers the tags in use and keeps the requests that
    carry one."""
    agent = make_user('agent')
    tagged = submit_request('Money back: "López" <b>x</b>')
    submit_request('Untagged one', email='u@example.com')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=tagged.id, version=tagged.version, tags=['refund'])
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Money back: "López" <b>x</b>', 'Untagged one', column='subject')
    tags = user.find(marker='filter-tags').elements.pop()
    assert 'refund' in tags.options  # offered: a tag requests carry
    tags.set_value(['refund'])
    await rows_show(user, 'Money back: "López" <b>x</b>', absent=('Untagged one',), column='subject')


async def test_each_queue_says_how_many_it_holds_and_follows_changes(user: User) -> None:
    """How many wait for someone, are mine, are late: on the queue buttons, kept up to date as requests come and go."""
    agent = make_user('agent')
    mine = submit_request('Mine to do')
    submit_request('Nobody "yet"', email='e@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
    await signed_in(user, agent.email, path='/requests')

    def count(queue: str) -> str:
        return user.find(marker=f'queue-count-{queue}').elements.pop().text  # '' until counted (hidden)

    unassigned = await _eventually_counted(lambda: count('Unassigned'))
    assert count('Mine') == '1'
    submit_request('Just arrived', email='f@example.com')  # from the API, while the list is open
    await eventually(lambda: count('Unassigned') == str(int(unassigned) + 1), message='the count follows an arrival')
    with session_scope() as session:
        tickets.change(
            session=session,
            actor=agent,
            ticket_id=mine.id,
            version=stored_request(mine.number).version,
            status='solved',
        )
    await eventually(lambda: count('Mine') == '0', message='a solved request leaves Mine')


async def _eventually_counted(read: Callable[[], str]) -> str:
    await eventually(lambda: read() != '', message='the queue shows its count')
    return read()


async def test_the_breaching_and_bugs_queues(user: User) -> None:
    agent = make_user('agent')
    late = submit_request('Late one')
    submit_request('On time', email='o@example.com')
    bug = submit_request('Checkout crashes', email='b@example.com')
    with session_scope() as session:
        stored_late = session.get(Ticket, late.id)
        stored_late.sla_due_at = stored_late.sla_breached_at = utcnow() - timedelta(hours=2)
        session.add(stored_late)
        session.commit()
        tickets.change(
            session=session,
            actor=agent,
            ticket_id=bug.id,
            version=bug.version,
            type='bug',
            severity='critical',
            bug_status='confirmed',
        )
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Late one', 'On time', 'Checkout crashes', column='subject')
    assert next(r for r in user.find(ui.table).elements.pop().rows if r['subject'] == 'Late one')[
        'sla_due_at'
    ].startswith('overdue 2 h')
    user.find(marker='queue-Breaching SLA').click()
    await rows_show(user, 'Late one', absent=('On time', 'Checkout crashes'), column='subject')
    user.find(marker='queue-Bugs').click()
    await rows_show(user, 'Checkout crashes', absent=('Late one', 'On time'), column='subject')
    table = user.find(ui.table).elements.pop()
    assert {'severity', 'bug_status'} <= {c['name'] for c in table.columns}
    assert table.rows[0]['severity'] == 'Critical' and table.rows[0]['bug_status'] == 'Confirmed'


async def test_a_request_arriving_out_of_sight_is_counted_in_a_badge_only_if_it_belongs_to_the_view(
    user: User,
) -> None:
    agent = make_user('agent')
    mine = submit_request('Mine to do')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=mine.id, version=mine.version)
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Mine to do', column='subject')
    user.find(marker='queue-Mine').click()
    await eventually(lambda: user.find(marker='filter-assignee_id').elements.pop().value == agent.id)
    await user.should_not_see(marker='arrivals')
    # a new unassigned request is nobody's yet: nothing new in Mine; one the agent logs from a call is theirs
    submit_request('Brand new: "unassigned" <i>x</i>', email='n@example.com')
    with session_scope() as session:
        tickets.log_request(
            session=session,
            actor=agent,
            data={
                'email': 'p@example.com',
                'name': 'Pat: "caller"',
                'subject': 'Logged: "by phone" <b>y</b>',
                'body': 'Called: <i>z</i>',
            },
        )
    await user.should_see('1 new request')  # counted at once, both would have made it '2 new requests'
    await rows_show(user, 'Logged: "by phone" <b>y</b>', 'Mine to do', column='subject')
    user.find(marker='arrivals').click()
    await rows_show(
        user, 'Brand new: "unassigned" <i>x</i>', 'Logged: "by phone" <b>y</b>', 'Mine to do', column='subject'
    )
    await user.should_not_see(marker='arrivals')


async def test_a_request_that_changes_into_the_queue_on_screen_appears_and_one_that_changes_out_leaves(
    user: User, create_user: Callable[[], User]
) -> None:
    ada, bo = make_user('agent', name='Ada Agent'), make_user('agent', name='Bo Agent')
    taken = submit_request('Taken by Bo: "quotes" <script>x</script>', email='t@example.com')
    free = submit_request('Nobody has it yet', email='f@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=bo, ticket_id=taken.id, version=taken.version)
    await signed_in(user, ada.email, path='/requests')
    user.find(marker='queue-Unassigned').click()
    await rows_show(user, 'Nobody has it yet', absent=(taken.subject,), column='subject')

    other = create_user()  # Bo, in his own browser, gives his request back and takes the free one
    await signed_in(other, bo.email, path=f'/requests/{taken.number}')
    await other.should_see('It has been two weeks.')
    other.find(marker='assignee').elements.pop().set_value(None)
    await other.should_see('Saved')
    await rows_show(user, taken.subject, 'Nobody has it yet', column='subject')  # no reload on Ada's side

    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=bo, ticket_id=free.id, version=stored_request(free.number).version)
    await rows_show(user, taken.subject, absent=('Nobody has it yet',), column='subject')


async def test_a_follow_up_on_a_solved_request_brings_it_into_the_open_queue(user: User) -> None:
    agent = make_user('agent')
    submit_request('Still open', email='o@example.com')
    done = submit_request('Solved: "thanks" <b>x</b>', email='d@example.com')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=done.id, version=done.version, status='solved')
    await signed_in(user, agent.email, path='/requests')
    user.find(marker='queue-All open').click()
    await rows_show(user, 'Still open', absent=(done.subject,), column='subject')
    with session_scope() as session:
        tickets.add_customer_message(session=session, number=done.number, body='It broke again', token=done.token)
    await rows_show(user, 'Still open', done.subject, column='subject')


async def test_a_request_that_starts_breaching_its_sla_joins_the_breaching_queue(user: User) -> None:
    agent = make_user('agent')
    late = submit_request('Late: "soon" <i>x</i>', email='l@example.com')
    submit_request('On time', email='o@example.com')
    await signed_in(user, agent.email, path='/requests')
    user.find(marker='queue-Breaching SLA').click()
    await rows_show(user, absent=(late.subject, 'On time'), column='subject')
    with session_scope() as session:
        stored = session.get(Ticket, late.id)
        stored.sla_due_at = utcnow() - timedelta(minutes=5)  # as time passes; a system change publishes nothing
        session.add(stored)
        session.commit()
        sla.flag_sla_breaches(session=session)  # the sla-check job
    await rows_show(user, late.subject, absent=('On time',), column='subject')
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['subject'] == late.subject)
    assert row['sla_due_at'] == 'overdue 5 min'


async def test_a_request_waiting_on_the_customer_says_its_sla_is_paused_and_is_not_breaching(user: User) -> None:
    """Waiting on the customer stops the clock: the list's SLA cell and the request's page say "Paused" instead of an
    empty cell, and one that breached before it waited is not in the breaching queue while it waits."""
    agent = make_user('agent')
    hostile = 'Lid: "loose" <script>alert(1)</script>'
    waiting = submit_request(hostile, email='w@example.com')
    submit_request('Running', email='r@example.com')
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=waiting.id, version=waiting.version, body='Which one?')
        stored = session.get(Ticket, waiting.id)
        stored.sla_breached_at = utcnow() - timedelta(hours=1)  # it was late before it waited
        session.add(stored)
        session.commit()
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, hostile, 'Running', column='subject')
    rows = {r['subject']: r for r in user.find(ui.table).elements.pop().rows}
    assert rows[hostile]['sla_due_at'] == 'Paused'  # as text: the subject's markup stays text too (row values)
    assert rows['Running']['sla_due_at'].startswith('in ')
    user.find(marker='queue-Breaching SLA').click()
    await rows_show(user, absent=(hostile, 'Running'), column='subject')

    await user.open(f'/requests/{waiting.number}')
    await user.should_see('SLA paused while waiting on the customer')
    assert labels(user, 'subject') == [hostile]


async def test_a_request_logged_from_a_phone_call_opens_so_the_agent_carries_on_in_it(user: User) -> None:
    agent = make_user('agent')
    hostile = 'Call: "refund" <script>alert(1)</script>'
    await signed_in(user, agent.email, path='/requests')
    user.find('New request').click()
    user.find('New customer: email').type('caller@example.com')  # a caller not known yet
    user.find('Subject *').type(hostile)
    user.find('Message *').type('Rang about: <b>order</b> "A-1"')
    user.find('Create request').click()
    await user.should_see('was logged')  # 'Request #1001 was logged'
    await user.should_see(marker='subject')  # the new request's own page
    assert labels(user, 'subject') == [hostile]
    await user.should_see('Rang about: <b>order</b> "A-1"')  # its thread, as text
    assert user.find(marker='reply-body').elements  # where the agent carries on writing
    # theirs: the agent on the phone follows it up (they may hand it on from the field right here)
    await eventually(lambda: user.find(marker='assignee').elements.pop().value == agent.id)


async def test_a_phone_call_is_logged_for_a_customer_found_by_typing_their_name_without_accents(user: User) -> None:
    """'New request' asked for the caller's email, which an agent on the phone does not have: the customer is picked
    by typing their name (or email), accents or not."""
    agent = make_user('agent')
    known = submit_request('Earlier', email='ines.lopez@example.com', name='Inés López: "VIP" <b>x</b>')
    await signed_in(user, agent.email, path='/requests')
    user.find('New request').click()
    await user.should_see('Customer')
    # the form's, not the list's Customer filter behind the dialog
    picker = max(
        (e for e in user.find(kind=ui.select).elements if e.props.get('label') == 'Customer'), key=lambda e: e.id
    )
    typed = next(listener.handler for listener in picker._event_listeners.values() if listener.type == 'inputValue')
    with user.client:  # what the browser sends as the agent types in the field
        typed(SimpleNamespace(args='lopez'))
    assert list(picker.options.values()) == ['ines.lopez@example.com']  # found without the accent
    picker.set_value(next(iter(picker.options)))
    user.find('Subject *').type('Call: "refund" <script>x</script>')
    user.find('Message *').type('Rang about the <b>lid</b>')
    user.find('Create request').click()
    await user.should_see('was logged')
    # the new request's own page opens (the test ended before that navigation ran: "coroutine 'request_page' was never
    # awaited")
    await user.should_see(marker='subject')
    assert labels(user, 'subject') == ['Call: "refund" <script>x</script>']
    with session_scope() as session:
        logged = session.exec(select(Ticket).order_by(Ticket.id.desc())).first()
    assert (logged.customer_id, logged.subject) == (known.customer_id, 'Call: "refund" <script>x</script>')


async def test_the_callers_picker_finds_them_by_surname_then_first_name(user: User) -> None:
    """The customer picker read what was typed as one phrase: 'Smith Anna' found nobody named 'Anna Smith'. It reads
    several words as the list's search does: as typed first, else each word in any order."""
    agent = make_user('agent')
    submit_request('Earlier', email='anna.smith.call@example.com', name='Anna Smith: "VIP" <b>x</b>')
    submit_request('Other', email='anna.other.call@example.com', name='Anna Other')
    await signed_in(user, agent.email, path='/requests')
    user.find('New request').click()
    await user.should_see('Customer')
    picker = max(
        (e for e in user.find(kind=ui.select).elements if e.props.get('label') == 'Customer'), key=lambda e: e.id
    )
    typed = next(listener.handler for listener in picker._event_listeners.values() if listener.type == 'inputValue')
    with user.client:  # what the browser sends as the agent types in the field
        typed(SimpleNamespace(args='smith "vip" anna'))
    assert list(picker.options.values()) == ['anna.smith.call@example.com']
    with user.client:
        typed(SimpleNamespace(args='Anna'))
    assert set(picker.options.values()) == {'anna.smith.call@example.com', 'anna.other.call@example.com'}


async def test_the_assignee_is_found_by_surname_then_first_name_and_picked(user: User) -> None:
    """The assignee field kept only the names holding what was typed as one phrase: 'okafor sam' found nobody named
    'Sam Okafor'. It narrows as every search does: as typed first, else each word in any order, accents ignored."""
    agent = make_user('agent', name='Ada Agent')
    sam = make_user('agent', name='Sam Okafor: "<b>lead</b>"')
    make_user('agent', name='Samira Ökafor-Lund')
    ticket = submit_request('Who takes it: "<script>x</script>"', email='assign.words@example.com')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    picker = user.find(marker='assignee').elements.pop()
    typed = next(listener.handler for listener in picker._event_listeners.values() if listener.type == 'inputValue')
    with user.client:  # what the browser sends as the agent types in the field
        typed(SimpleNamespace(args='okafor "<b>lead</b>" SAM'))
    assert list(picker.options.values()) == ['Sam Okafor: "<b>lead</b>"']
    with user.client:
        typed(SimpleNamespace(args='okafor'))  # as typed, accents ignored: both
    assert set(picker.options.values()) == {'Sam Okafor: "<b>lead</b>"', 'Samira Ökafor-Lund'}
    picker.set_value(sam.id)
    await user.should_see('Saved')
    assert stored_request(ticket.number).assignee_id == sam.id


async def test_an_assigned_requests_assignee_list_offers_every_colleague_to_hand_it_to(user: User) -> None:
    """Opened on a request already assigned, the assignee list showed its assignee only: the field is filled with the
    pick's name, which the browser reports as typed text (Quasar's fill-input), and the list was narrowed to it. The
    agent could not hand the request to a colleague without first clearing the field (which saved "unassigned")."""
    sam = make_user('agent', name='Sam Okafor: "<b>lead</b>"')
    lea = make_user('agent', name='Lea Schmidt')
    ticket = submit_request('Hand it over: "<script>x</script>"', email='hand.over@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=sam, ticket_id=ticket.id, version=ticket.version)
    await signed_in(user, sam.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    picker = user.find(marker='assignee').elements.pop()
    typed = next(listener.handler for listener in picker._event_listeners.values() if listener.type == 'inputValue')
    with user.client:  # what the browser sends on load and after a pick: the field filled with the pick's name
        typed(SimpleNamespace(args='Sam Okafor: "<b>lead</b>"'))
    assert {'Sam Okafor: "<b>lead</b>"', 'Lea Schmidt'} <= set(picker.options.values())
    assert picker.value == sam.id
    with user.client:  # typed by the agent: narrowed as before
        typed(SimpleNamespace(args='schmidt'))
    assert set(picker.options.values()) == {'Sam Okafor: "<b>lead</b>"', 'Lea Schmidt'}
    picker.set_value(lea.id)
    await user.should_see('Saved')
    assert stored_request(ticket.number).assignee_id == lea.id


async def test_the_sla_countdown_comes_right_after_the_number_and_stays_on_a_phone(user: User) -> None:
    agent = make_user('agent')
    submit_request('Due soon')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Due soon', column='subject')
    table = user.find(ui.table).elements.pop()
    names = [c['name'] for c in table.columns]
    assert names[:3] == ['number', 'sla_due_at', 'subject']
    sla_column = next(c for c in table.columns if c['name'] == 'sla_due_at')
    assert 'gt-xs' not in sla_column.get('classes', '')  # shown under 600 px too
    assert table.rows[0]['sla_due_at'].startswith('in ')


async def test_a_queue_clicked_while_the_first_rows_load_shows_the_queues_rows_whichever_answer_comes_last(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow server: the list's first load (every open request) answers after the load asked for by the queue the
    agent clicked meanwhile; the stale answer must not replace the queue's rows."""
    ada, bo = make_user('agent', name='Ada Agent'), make_user('agent', name='Bo Agent')
    taken = submit_request('Taken by Bo: "quotes" <script>x</script>', email='t@example.com')
    submit_request('Nobody has it yet', email='f@example.com')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=bo, ticket_id=taken.id, version=taken.version)
    release = threading.Event()
    fetch = ResourceTable._fetch

    def slow_first_fetch(self, account, request, cursor, language):
        if not request.filters:  # the first load, before any queue: held until the queue's rows are shown
            release.wait(10)
        return fetch(self, account, request, cursor, language)

    monkeypatch.setattr(ResourceTable, '_fetch', slow_first_fetch)
    await signed_in(user, ada.email, path='/requests')
    user.find(marker='queue-Unassigned').click()
    await rows_show(user, 'Nobody has it yet', absent=(taken.subject,), column='subject')
    release.set()
    await asyncio.sleep(0.5)  # the first load's answer arrives now
    await rows_show(user, 'Nobody has it yet', absent=(taken.subject,), column='subject')


def status_of(user: User, subject: str) -> tuple[str, str]:
    row = next(r for r in user.find(ui.table).elements.pop().rows if r['subject'] == subject)
    return row['status'], row['assignee_id']


async def test_a_request_changed_by_another_agent_changes_in_place_on_the_list(
    user: User, create_user: Callable[[], User]
) -> None:
    ada, bo = make_user('agent', name='Ada Agent'), make_user('agent', name='Bo Agent')
    hostile = submit_request('<img src=x onerror="window.__x=1"> broken', email='h@example.com')
    submit_request('Another customer', email='c@example.com')
    await signed_in(user, ada.email, path='/requests')
    await rows_show(user, hostile.subject, 'Another customer', column='subject')
    assert status_of(user, hostile.subject) == ('New', '')

    other = create_user()  # Bo, in his own browser, has the list open too
    await signed_in(other, bo.email, path='/requests')
    await rows_show(other, hostile.subject, column='subject')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=bo, ticket_id=hostile.id, version=hostile.version)
    for seen in (user, other):  # both lists, without a reload; the subject stays text
        await eventually(lambda seen=seen: status_of(seen, hostile.subject) == ('Open', 'Bo Agent'))
        assert sorted(listed(seen, 'subject')) == sorted([hostile.subject, 'Another customer'])


async def test_changes_heard_while_a_list_reloads_show_after_it(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change reloads the list at once; changes committed while that reload is still reading (a burst) reload it
    once more after it, so the list ends with the last state and the last arrival."""
    agent = make_user('agent', name='Ada Agent')
    first = submit_request('Changed twice', email='t@example.com')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Changed twice', column='subject')
    reading, release = threading.Event(), threading.Event()
    fetch = ResourceTable._fetch

    def held_fetch(self, account, request, cursor, language):
        read = fetch(self, account, request, cursor, language)
        if not release.is_set():  # the reload after the first change has read: the next changes commit meanwhile
            reading.set()
            release.wait(10)
        return read

    monkeypatch.setattr(ResourceTable, '_fetch', held_fetch)
    with session_scope() as session:
        taken = tickets.assign_to_me(session=session, actor=agent, ticket_id=first.id, version=first.version)
    await eventually(reading.is_set, message='the reload after the first change started')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=first.id, version=taken.version, status='waiting')
    submit_request('Arrived in the burst', email='b@example.com')
    release.set()
    await rows_show(user, 'Changed twice', 'Arrived in the burst', column='subject')
    await eventually(lambda: status_of(user, 'Changed twice') == ('Waiting on customer', 'Ada Agent'))


async def test_a_new_request_outside_the_queue_on_screen_does_not_show_and_a_changed_one_that_leaves_goes(
    user: User,
) -> None:
    agent = make_user('agent', name='Ada Agent')
    waiting = submit_request('Waiting for the customer', email='w@example.com')
    with session_scope() as session:
        taken = tickets.assign_to_me(session=session, actor=agent, ticket_id=waiting.id, version=waiting.version)
        tickets.change(session=session, actor=agent, ticket_id=waiting.id, version=taken.version, status='waiting')
    submit_request('Open, so not waiting', email='o@example.com')
    await signed_in(user, agent.email, path='/requests')
    user.find(marker='queue-Waiting on customer').click()
    await rows_show(user, 'Waiting for the customer', absent=('Open, so not waiting',), column='subject')
    submit_request('New, so not waiting', email='n@example.com')  # not in this queue: neither in the rows nor the badge
    await rows_show(user, 'Waiting for the customer', absent=('New, so not waiting',), column='subject')
    await user.should_not_see(marker='arrivals')
    with session_scope() as session:
        tickets.change(
            session=session,
            actor=agent,
            ticket_id=waiting.id,
            version=stored_request(waiting.number).version,
            status='open',
        )
    await rows_show(user, absent=('Waiting for the customer', 'New, so not waiting'), column='subject')


async def test_the_status_offers_only_where_the_request_may_go_next(user: User) -> None:
    """An open request offers waiting, solved or closed (not back to new); a closed one, which is final, offers only
    closed: choosing 'Open' there was refused while the select went on saying 'Open'."""
    agent = make_user('agent')
    ticket = submit_request('Closed: "final" <script>alert(1)</script>')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='open')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    status = user.find(marker='status').elements.pop()
    assert list(status.options) == ['open', 'waiting', 'solved', 'closed']
    user.find(marker='assign-to-me')  # nobody's yet: offered
    status.set_value('closed')
    await eventually(lambda: stored_request(ticket.number).status == TicketStatus.closed)
    await eventually(lambda: list(user.find(marker='status').elements.pop().options) == ['closed'])
    await user.should_not_see(marker='assign-to-me')  # closed, final: nothing to take (the list offered it not either)
    assert tickets.next_statuses(stored_request(ticket.number)) == [TicketStatus.closed]


async def test_an_agent_finds_a_customers_requests_by_typing_their_email_or_name(user: User) -> None:
    """The list's search reads the customer's email and name too (search_related), typed with quotes and wildcards,
    and pages through what it finds."""
    agent = make_user('agent')
    email, name = "o'hara+%_z@example.com", 'Zoë "Z" O\'Hara: <script>alert(1)</script>'
    for n in range(27):
        submit_request(f'Question {n:02d}', email=email, name=name)
    submit_request('Where is my parcel?', email='cora@example.com', name='Cora Customer')
    submit_request(f'Forwarded for {name}', email='dan@example.com', name='Dan Day')  # the name in a subject
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Where is my parcel?', column='subject')

    user.find(marker='search').type(email)
    await rows_show(user, 'Question 26', 'Question 02', absent=('Where is my parcel?',), column='subject')
    await eventually(lambda: footer(user, 'subject') == '1–25 of 27')
    ask_for(user, page=2, column='subject')
    await eventually(lambda: listed(user, 'subject') == ['Question 01', 'Question 00'])
    assert footer(user, 'subject') == '26–27 of 27'

    user.find(marker='search').clear().type("o'hara: <script>")  # a fragment of the name, as text
    await rows_show(user, 'Forwarded for ' + name, 'Question 26', absent=('Where is my parcel?',), column='subject')
    await eventually(lambda: footer(user, 'subject') == '1–25 of 28')


async def test_a_bulk_edit_applied_without_a_field_says_so_and_stays_open(user: User) -> None:
    agent = make_user('agent')
    first, second = submit_request('Parcel one'), submit_request('Parcel two', email='dan@example.com')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Parcel one', 'Parcel two', column='subject')
    table = user.find(ui.table)
    rows = next(iter(table.elements)).rows
    table.trigger('selection', {'added': True, 'rows': rows, 'keys': [row['id'] for row in rows]})
    await user.should_see('2 selected')
    user.find('Edit a field').click()
    await user.should_see('Edit a field on every selected record')
    user.find(marker='bulk-apply').click()
    await user.should_see('Choose the field to change')  # it closed without a word, and nothing was changed
    user.find(marker='bulk-field').elements.pop().set_value('priority')
    newest = max(user.find(kind=ui.select, content='Priority').elements, key=lambda e: e.id)  # the dialog's
    newest.set_value('urgent')
    user.find(marker='bulk-apply').click()
    await user.should_see('2 updated')
    assert [stored_request(t.number).priority.value for t in (first, second)] == ['urgent', 'urgent']


async def test_an_agent_deletes_a_view_they_saved_but_not_a_colleagues_shared_one(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    hostile = 'Mine "urgent" <script>window.__x=1</script>: O\'Hara'
    with session_scope() as session:
        team = views.save_view(
            session=session, actor=colleague, resource=TICKETS, name='Team queue', state={}, shared=True
        )
    submit_request('Parcel one')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Parcel one', column='subject')
    user.find(marker='save-view').click()
    user.find(kind=ui.input, content='Name').type(hostile)
    user.find(kind=ui.button, content='Save view').click()
    await user.should_see(f'View “{hostile}” saved')  # typographic quotes around a name with quotes of its own
    # their own view, chosen: they may delete it
    delete = next(iter(await eventually(lambda: user.find(marker='delete-view').elements)))
    user.find(marker='delete-view').click()
    await user.should_see(f'Delete the view “{hostile}”? The list stays as it shows now.')
    user.find(marker='confirm-yes').click()
    await user.should_see(f'View “{hostile}” deleted')
    select = user.find(marker='views').elements.pop()
    assert select.value is None and list(select.options.values()) == ['Team queue (team)']
    with session_scope() as session:
        assert [v.name for v in views.list_views(session=session, actor=agent, resource=TICKETS)] == ['Team queue']
    select.set_value(team.id)
    await eventually(lambda: select.value == team.id)
    assert not delete.visible  # a colleague's shared view is theirs to delete


async def test_an_agent_renames_a_view_they_saved_keeping_what_it_shows_but_not_a_colleagues(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    hostile = 'Mine "urgent" <script>window.__x=1</script>: O\'Hara'
    with session_scope() as session:
        team = views.save_view(
            session=session, actor=colleague, resource=TICKETS, name='Team queue', state={}, shared=True
        )
        views.save_view(session=session, actor=agent, resource=TICKETS, name='Taken', state={})
        mine = views.save_view(
            session=session, actor=agent, resource=TICKETS, name='Urgnet', state={'search': 'parcel'}
        )
    submit_request('Parcel one')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Parcel one', column='subject')
    select = user.find(marker='views').elements.pop()
    await eventually(lambda: mine.id in select.options)
    select.set_value(mine.id)
    rename = next(iter(await eventually(lambda: user.find(marker='rename-view').elements)))
    await eventually(lambda: rename.visible)
    user.find(marker='rename-view').click()
    await user.should_see('Rename view')
    name = user.find(kind=ui.input, content='Name')
    field = next(iter(name.elements))
    assert field.value == 'Urgnet'
    field.value = ''
    name.type('Taken')  # another of theirs on this list: said at the field, nothing renamed
    user.find(marker='rename-view-submit').click()
    await user.should_see('You already have a view named "Taken" on this list')
    field.value = ''
    name.type(hostile)
    user.find(marker='rename-view-submit').click()
    await user.should_see(f'View renamed “{hostile}”')
    assert select.value == mine.id and select.options[mine.id] == hostile  # still chosen, under its new name
    with session_scope() as session:
        renamed = next(v for v in views.list_views(session=session, actor=agent, resource=TICKETS) if v.id == mine.id)
    assert (renamed.name, renamed.state['search']) == (hostile, 'parcel')
    select.set_value(team.id)
    await eventually(lambda: select.value == team.id)
    await eventually(lambda: not rename.visible)  # a colleague's shared view is theirs to rename


async def test_an_agent_takes_the_ticked_unassigned_requests_in_one_go(user: User) -> None:
    agent = make_user('agent')
    hostile = 'Refund "now" <script>window.__x=1</script>: O\'Hara'
    first, second = submit_request(hostile), submit_request('Parcel two', email='dan@example.com')
    left = submit_request('Left for a colleague', email='eve@example.com')
    await signed_in(user, agent.email, path='/requests?queue=unassigned')
    await rows_show(user, hostile, 'Parcel two', 'Left for a colleague', column='subject')
    table = user.find(ui.table)
    rows = [row for row in next(iter(table.elements)).rows if row['subject'] != 'Left for a colleague']
    table.trigger('selection', {'added': True, 'rows': rows, 'keys': [row['id'] for row in rows]})
    await user.should_see('2 selected')
    user.find(marker='bulk-assign-to-me').click()
    await user.should_see('2 assigned to you')  # what was done, not a generic "2 updated"
    await rows_show(user, 'Left for a colleague', absent=(hostile, 'Parcel two'), column='subject')  # the queue's own
    assert [stored_request(t.number).assignee_id for t in (first, second, left)] == [agent.id, agent.id, None]


async def test_a_ticked_request_a_colleague_took_meanwhile_stays_theirs_and_is_said_skipped(user: User) -> None:
    """Two agents triage Unassigned at once: the colleague takes a request this agent has ticked (its row leaves the
    queue, still ticked). Assign to me takes the others and skips theirs, saying why; it went to this agent without
    a word to either of them."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole "C" <b>League</b>')
    hostile = 'Taken: "first" <script>window.__x=1</script>'
    taken, free = submit_request(hostile), submit_request('Still free', email='dan@example.com')
    await signed_in(user, agent.email, path='/requests?queue=unassigned')
    await rows_show(user, hostile, 'Still free', column='subject')
    table = user.find(ui.table)
    rows = list(next(iter(table.elements)).rows)
    table.trigger('selection', {'added': True, 'rows': rows, 'keys': [row['id'] for row in rows]})
    await user.should_see('2 selected')
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=colleague, ticket_id=taken.id, version=taken.version)
    await rows_show(user, 'Still free', absent=(hostile,), column='subject')  # gone from the queue, still ticked
    user.find(marker='bulk-assign-to-me').click()
    await user.should_see('1 assigned to you; 1 skipped: a colleague has it: open the request to take it over')
    assert [stored_request(t.number).assignee_id for t in (taken, free)] == [colleague.id, agent.id]


async def test_a_viewer_ticks_no_request_and_gets_no_assign_to_me(user: User) -> None:
    viewer = make_user('viewer')
    submit_request('Parcel one')
    await signed_in(user, viewer.email, path='/requests')
    await rows_show(user, 'Parcel one', column='subject')
    assert user.find(ui.table).elements.pop().props.get('selection') in (None, 'none')


async def test_a_retry_clicked_as_a_colleagues_note_arrives_still_sends_the_reply_again(user: User) -> None:
    """The browser sends "Retry" from the thread it shows while the server reads the thread again for a colleague's
    note: the failed reply's card is the same as before, so the click still reaches it."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole: "League" <b>')
    ticket = submit_request('Parcel: "lost" <script>alert(1)</script>')
    with session_scope() as session:
        message = tickets.reply(
            session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, body='On it: "soon" <b>'
        )
        message.delivery, message.delivery_error = Delivery.failed, 'SMTP 550 "mailbox" <unavailable>'
        session.add(message)
        session.commit()
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('Failed: SMTP 550 "mailbox" <unavailable>')
    retry = click_as_shown(user, user.find('Retry').elements.pop())  # as the browser shows it
    with session_scope() as session:
        tickets.add_note(session=session, actor=colleague, ticket_id=ticket.id, body='Checked: "the depot" <script>')
    await user.should_see('Checked: "the depot" <script>')  # the thread was read again, with the note
    retry()
    await user.should_see('Not sent (queued)')
    assert [m.delivery for m in messages(ticket.id) if m.kind == MessageKind.reply] == [Delivery.queued]
