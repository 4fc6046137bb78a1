"""The support desk's rules: a request arrives, is numbered, assigned and timed; agents answer, note, change, merge;
the customer writes back and rates; breaches of the SLA are flagged and the assignee is told."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, select

from backoffice import events, i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from backoffice.listing.query import ListRequest, list_page
from backoffice.models import (
    AuditEntry,
    CannedReply,
    Customer,
    Delivery,
    MessageKind,
    Notification,
    Ticket,
    TicketMessage,
    utcnow,
)
from backoffice.resources import resource
from backoffice.services import app_settings, crud, notifications, ticket_sla, tickets, users
from backoffice.services.customers import ban_customer

from .support.factories import make_customer, make_product, make_user, place


def submit(
    email: str = 'cleo@example.com', subject: str = 'Where is my parcel?', body: str = 'It has been a week.', **fields
) -> Ticket:
    with session_scope() as session:
        return tickets.submit_request(session=session, email=email, subject=subject, body=body, source='api', **fields)


def fresh(ticket_id: int) -> Ticket:
    with read_session() as session:
        return session.get(Ticket, ticket_id)


def messages(ticket_id: int) -> list[TicketMessage]:
    with read_session() as session:
        return list(
            session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id))
        )


def set_setting(key: str, value) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={key: value}, loaded={})


@pytest.fixture
def published() -> list[dict]:
    seen: list[dict] = []
    events.subscribe('tickets', seen.append, key='test-tickets')
    return seen


# --- intake -----------------------------------------------------------------------------------------------------------


def test_a_request_creates_the_customer_numbers_the_ticket_and_starts_the_thread(published: list[dict]) -> None:
    # a question may name any order; a return names one of the customer's own (test_intake_api)
    ticket = submit('Cleo@Example.com', name='Cleo Stone', order_number='A-1042', type='question')
    assert (ticket.number, ticket.status, ticket.type, ticket.priority) == (1001, 'new', 'question', 'normal')
    assert ticket.order_number == 'A-1042' and len(ticket.token) >= 30 and ticket.assignee_id is None
    with read_session() as session:
        customer = session.get(Customer, ticket.customer_id)
        assert (customer.email, customer.name) == ('cleo@example.com', 'Cleo Stone')
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == 'ticket.created')).one()
        assert 'token' not in audit.changes and audit.changes['number'] == [None, 1001]
    [message] = messages(ticket.id)
    assert (message.kind, message.customer_id, message.body, message.delivery) == (
        'customer',
        customer.id,
        'It has been a week.',
        None,
    )
    assert published == [{'id': ticket.id, 'action': 'created'}]

    again = submit('cleo@example.com', subject='Second question')
    assert again.number == 1002 and again.customer_id == customer.id  # found by email, not created twice


def test_bad_input_gets_a_message_per_field_and_saves_nothing() -> None:
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.submit_request(
            session=session, email='not an email', subject='  ', body='x' * 20_001, type='complaint', source='api'
        )
    errors = refused.value.errors
    assert errors['email'] == 'Enter a valid email address'
    assert errors['subject'] == 'This field is required'
    assert errors['body'] == 'Use at most 20,000 characters (this has 20,001)'
    assert errors['type'].startswith('Choose one of')
    with pytest.raises(ValidationFailed) as refused:
        submit(subject='s' * 201)
    assert refused.value.errors == {'subject': 'Use at most 200 characters (this has 201)'}
    with read_session() as session:
        assert session.exec(select(Ticket)).all() == [] and session.exec(select(Customer)).all() == []


def test_what_the_customer_wrote_is_kept_as_written_without_nul_bytes() -> None:
    script = '<script>alert(1)</script>'
    ticket = submit(subject=f'Hi {script}\x00\nthere', body=f'{script}\x00 <b>bold</b>')
    assert ticket.subject == f'Hi {script} there'  # one line (it becomes an email subject), no NUL
    assert messages(ticket.id)[0].body == f'{script} <b>bold</b>'


def test_a_banned_customer_is_refused_with_its_own_error() -> None:
    manager = make_user('manager')
    customer = make_customer('troll@example.com')
    with session_scope() as session:
        ban_customer(session=session, actor=manager, record_id=customer.id, version=customer.version, reason='Abuse')
    with pytest.raises(tickets.CustomerBanned):
        submit('TROLL@example.com')
    with read_session() as session:
        assert session.exec(select(Ticket)).all() == []
    assert submit('ok@example.com').number == 1001  # the refused request used no number


def test_numbers_stay_unique_and_gapless_under_concurrent_intake() -> None:
    threads, each = 6, 5
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def intake(worker: int) -> None:
        try:
            start.wait()
            for i in range(each):
                submit(f'c{worker}-{i}@example.com', subject=f'Request {worker}/{i}')
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=intake, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    with read_session() as session:
        numbers = sorted(session.exec(select(Ticket.number)).all())
    assert numbers == list(range(1001, 1001 + threads * each))


def test_the_counter_restarts_after_the_highest_number_when_it_is_missing() -> None:
    submit()
    with session_scope() as session:
        session.execute(tickets.TicketCounter.__table__.delete())
        session.commit()
    assert submit(subject='After a restore').number == 1002


# --- auto-assignment -------------------------------------------------------------------------------------------------


def test_auto_assignment_is_off_by_default_and_round_robin_takes_turns() -> None:
    ana, ben = make_user('agent', email='ana@example.com'), make_user('agent', email='ben@example.com')
    make_user('agent', email='gone@example.com', active=False)
    make_user('manager')  # not an agent: not auto-assigned
    assert submit().assignee_id is None
    set_setting('auto_assign', 'round_robin')
    assert [submit(subject=f'R{i}').assignee_id for i in range(5)] == [ana.id, ben.id, ana.id, ben.id, ana.id]


def test_least_loaded_gives_a_request_to_the_agent_with_the_fewest_open_ones() -> None:
    ana, ben = make_user('agent', email='ana@example.com'), make_user('agent', email='ben@example.com')
    set_setting('auto_assign', 'least_loaded')
    first, second = submit(subject='one'), submit(subject='two')
    assert (first.assignee_id, second.assignee_id) == (ana.id, ben.id)
    with session_scope() as session:  # ana solves hers: she now has fewer open requests
        tickets.change(session=session, actor=ana, ticket_id=first.id, version=first.version, status='solved')
    assert submit(subject='three').assignee_id == ana.id
    assert submit(subject='four').assignee_id in (ana.id, ben.id)


def test_without_an_active_agent_requests_stay_unassigned() -> None:
    set_setting('auto_assign', 'round_robin')
    assert submit().assignee_id is None


# --- SLA --------------------------------------------------------------------------------------------------------------


def test_due_times_come_from_the_settings_and_move_with_the_priority() -> None:
    agent = make_user('agent')
    set_setting('sla_first_response_urgent', 2)
    ticket = submit(priority='normal')
    assert ticket.first_response_due - ticket.created_at == timedelta(hours=24)
    assert ticket.resolution_due - ticket.created_at == timedelta(hours=72)
    assert ticket.sla_due_at == ticket.first_response_due
    with session_scope() as session:
        urgent = tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=1, priority='urgent')
    assert urgent.first_response_due - urgent.created_at == timedelta(hours=2)
    assert urgent.resolution_due - urgent.created_at == timedelta(hours=8)
    with session_scope() as session:
        tickets.reply(
            session=session, actor=agent, ticket_id=ticket.id, version=urgent.version, body='On it', status='open'
        )
    assert fresh(ticket.id).sla_due_at == urgent.resolution_due  # answered: the resolution target counts now


def test_waiting_on_the_customer_pauses_the_resolution_clock_until_they_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    """A customer who answers a day later brings the request back with the time it had, not already overdue."""
    agent = make_user('agent')
    ticket = submit(subject='Lid: "loose" <script>alert(1)</script>', priority='urgent')  # resolved within 8 h
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=1, body='Which colour? <b>x</b>')
    waiting = fresh(ticket.id)
    assert waiting.status == 'waiting' and waiting.paused_at is not None and waiting.sla_due_at is None
    assert ticket_sla.paused_cell(waiting) == 'Paused'
    with i18n.use('fr'):
        assert ticket_sla.paused_cell(waiting) == 'En pause'
        assert ticket_sla.paused_line(waiting) == 'SLA en pause en attendant le client'

    later = waiting.paused_at + timedelta(hours=20)  # the customer replies 20 h later: past the 8 h target
    monkeypatch.setattr(ticket_sla, 'utcnow', lambda: later)
    with session_scope() as session:
        assert ticket_sla.flag_sla_breaches(session=session) == []
        tickets.add_customer_message(session=session, number=ticket.number, body='Blue: "ok"', token=ticket.token)
    back = fresh(ticket.id)
    assert back.status == 'open' and back.paused_at is None and back.paused_seconds == 20 * 3600
    assert back.resolution_due == waiting.resolution_due + timedelta(hours=20)
    assert back.sla_due_at == back.resolution_due and back.sla_due_at > later  # still the time it had left
    assert ticket_sla.paused_cell(back) == ''
    with session_scope() as session:
        assert ticket_sla.flag_sla_breaches(session=session) == []
    assert fresh(ticket.id).sla_breached_at is None


def test_an_agent_reopening_a_waiting_request_resumes_the_clock_and_a_priority_change_keeps_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = make_user('agent')
    ticket = submit(priority='normal')  # 72 h to resolve
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=1, body='Any news?')
    waiting = fresh(ticket.id)
    later = waiting.paused_at + timedelta(hours=5, minutes=30)
    monkeypatch.setattr(ticket_sla, 'utcnow', lambda: later)
    with session_scope() as session:
        opened = tickets.change(
            session=session, actor=agent, ticket_id=ticket.id, version=waiting.version, status='open'
        )
    assert opened.resolution_due == waiting.resolution_due + timedelta(hours=5, minutes=30)
    with session_scope() as session:
        urgent = tickets.change(
            session=session, actor=agent, ticket_id=ticket.id, version=opened.version, priority='urgent'
        )
    assert urgent.resolution_due == urgent.created_at + timedelta(hours=8 + 5, minutes=30)  # the target, plus the wait
    assert urgent.sla_due_at == urgent.resolution_due


def test_a_request_solved_while_waiting_is_not_counted_late_for_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = make_user('agent')
    ticket = submit(priority='urgent')
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=1, body='Try again?')
    waiting = fresh(ticket.id)
    later = waiting.paused_at + timedelta(days=3)
    monkeypatch.setattr(ticket_sla, 'utcnow', lambda: later)
    with session_scope() as session:
        solved = tickets.change(
            session=session, actor=agent, ticket_id=ticket.id, version=waiting.version, status='solved'
        )
    assert solved.paused_at is None and solved.resolution_due == waiting.resolution_due + timedelta(days=3)


def test_the_sla_job_flags_a_breach_once_and_tells_the_assignee(
    monkeypatch: pytest.MonkeyPatch, published: list[dict]
) -> None:
    agent = make_user('agent')
    set_setting('auto_assign', 'round_robin')
    late, answered = submit(subject='Late', priority='urgent'), submit(subject='Answered', priority='urgent')
    unassigned = submit(subject='Nobody', priority='low')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=unassigned.id, version=1, assignee_id=None)
        tickets.reply(session=session, actor=agent, ticket_id=answered.id, version=1, body='Looking', status='open')
    with session_scope() as session:
        assert ticket_sla.flag_sla_breaches(session=session) == []  # nothing is due yet
        notifications.mark_read(session=session, user=agent)  # "assigned to you": read

    later = utcnow() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(ticket_sla, 'utcnow', lambda: later)
    published.clear()
    with session_scope() as session:
        assert ticket_sla.flag_sla_breaches(session=session) == [late.id]
    assert fresh(late.id).sla_breached_at == later and fresh(late.id).version == late.version  # not an edit
    assert fresh(answered.id).sla_breached_at is None and fresh(unassigned.id).sla_breached_at is None
    assert published == [{'id': late.id, 'action': 'sla-breached'}]
    with session_scope() as session:
        [notice] = notifications.unread_for(session=session, user=agent)
        assert notice.text == f'Request #{late.number} missed its first-response target: Late'
        assert notice.link == f'/requests/{late.number}'
        assert ticket_sla.flag_sla_breaches(session=session) == []  # once

    monkeypatch.setattr(ticket_sla, 'utcnow', lambda: later + timedelta(days=30))
    with session_scope() as session:
        assert set(ticket_sla.flag_sla_breaches(session=session)) == {answered.id, unassigned.id}
        texts = [n.text for n in notifications.unread_for(session=session, user=agent)]
    assert texts[0].startswith(f'Request #{answered.number} missed its resolution target')
    assert len(texts) == 2  # the unassigned request told no one


def test_notifications_are_marked_read_per_user() -> None:
    ana, ben = make_user('agent'), make_user('agent')
    with session_scope() as session:
        session.add_all(
            [
                Notification(user_id=ana.id, text='one'),
                Notification(user_id=ana.id, text='two'),
                Notification(user_id=ben.id, text='bens'),
            ]
        )
        session.commit()
    with session_scope() as session:
        first = notifications.unread_for(session=session, user=ana)[-1]
        assert notifications.mark_read(session=session, user=ana, notification_ids=[first.id]) == 1
        assert [n.text for n in notifications.unread_for(session=session, user=ana)] == ['two']
        assert notifications.mark_read(session=session, user=ana) == 1
        assert notifications.unread_for(session=session, user=ana) == []
        assert [n.text for n in notifications.unread_for(session=session, user=ben)] == ['bens']


# --- the agent's work -------------------------------------------------------------------------------------------------


def test_a_reply_is_queued_stamps_the_first_response_and_waits_on_the_customer(published: list[dict]) -> None:
    agent = make_user('agent')
    ticket = submit()
    with session_scope() as session:
        message = tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=1, body='Hello Cleo!')
    saved = fresh(ticket.id)
    assert (message.kind, message.delivery, message.author_id) == ('reply', Delivery.queued, agent.id)
    assert (saved.status, saved.assignee_id, saved.version) == ('waiting', agent.id, 2)
    assert saved.first_responded_at is not None and saved.sla_due_at is None  # the ball is in the customer's court
    first_response = saved.first_responded_at
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=2, body='And also…', status='solved')
    saved = fresh(ticket.id)
    assert saved.first_responded_at == first_response and saved.status == 'solved' and saved.solved_at is not None
    assert [p['action'] for p in published] == ['created', 'replied', 'replied']


def test_a_note_is_internal_and_never_queued() -> None:
    agent = make_user('agent')
    ticket = submit()
    with session_scope() as session:
        note = tickets.add_note(session=session, actor=agent, ticket_id=ticket.id, body='VIP customer, be kind')
    assert (note.kind, note.delivery) == (MessageKind.note, None)
    assert fresh(ticket.id).version == 1  # no edit conflict for whoever has the request open
    with session_scope() as session:
        thread = tickets.thread(session=session, actor=agent, ticket_id=ticket.id)
    assert [m.kind for m in thread] == ['customer', 'note']


def test_a_stale_reply_or_change_is_refused_and_names_who_changed_it() -> None:
    ana, ben = make_user('agent', email='ana@example.com'), make_user('agent', email='ben@example.com')
    ticket = submit()
    with session_scope() as session:
        tickets.change(session=session, actor=ana, ticket_id=ticket.id, version=1, priority='high')
    with session_scope() as session, pytest.raises(StaleRecord) as refused:
        tickets.reply(session=session, actor=ben, ticket_id=ticket.id, version=1, body='Typed on the old version')
    assert f'changed by {ana.name}' in str(refused.value)
    with session_scope() as session, pytest.raises(StaleRecord):
        tickets.change(session=session, actor=ben, ticket_id=ticket.id, version=1, status='solved')
    assert [m.kind for m in messages(ticket.id)] == ['customer'] and fresh(ticket.id).status == 'new'


@pytest.mark.parametrize(
    ('path', 'refusal'),
    [
        (
            ['closed', 'open'],
            'This request is closed, which is final; a new message from the customer starts a new request',
        ),
        (['open', 'new'], 'A request cannot go back to new'),
        (['solved', 'waiting'], 'A solved request cannot become waiting'),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(path: list[str], refusal: str) -> None:
    agent = make_user('agent')
    ticket = submit()
    *legal, illegal = path
    for status in legal:
        with session_scope() as session:
            ticket = tickets.change(
                session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status=status
            )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status=illegal)
    assert refused.value.errors == {'status': refusal}


def test_solving_stamps_solved_at_and_reopening_clears_it() -> None:
    agent = make_user('agent')
    ticket = submit()
    with session_scope() as session:
        solved = tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=1, status='solved')
    assert solved.solved_at is not None and solved.sla_due_at is None
    with session_scope() as session:
        reopened = tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=2, status='open')
    assert reopened.solved_at is None and reopened.sla_due_at == reopened.first_response_due
    with session_scope() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'ticket.updated').order_by(AuditEntry.id.desc())
        ).first()
    assert entry.changes['status'] == ['solved', 'open']


def test_assign_to_me_opens_a_new_request_and_an_assignee_must_answer_requests() -> None:
    agent, viewer = make_user('agent'), make_user('viewer')
    ticket = submit()
    with session_scope() as session, pytest.raises(PermissionDenied):
        tickets.assign_to_me(session=session, actor=viewer, ticket_id=ticket.id, version=1)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=1, assignee_id=viewer.id)
    assert refused.value.errors == {'assignee_id': 'Choose an active member of staff who answers requests'}
    with session_scope() as session:
        mine = tickets.assign_to_me(session=session, actor=agent, ticket_id=ticket.id, version=1)
    assert (mine.assignee_id, mine.status) == (agent.id, 'open')


def test_a_deactivated_colleague_is_never_given_a_request() -> None:
    """A page drawn before the colleague left still offers them, and a mailbox keeps the default assignee it was given:
    neither hands a request to someone who can no longer sign in (out of every queue, its SLA running out)."""
    admin, agent, leaver = make_user('admin'), make_user('agent'), make_user('agent', email='leaver@example.com')
    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=leaver.id, version=leaver.version, active=False)
    ticket = submit(subject='Lost "parcel": <script>alert(1)</script>')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=1, assignee_id=leaver.id)
    assert refused.value.errors == {'assignee_id': 'Choose an active member of staff who answers requests'}
    # the mail of a mailbox whose default assignee left goes to the queue, as any other (auto-assignment's pick)
    assert submit(subject='By mail: <b>"help"</b>', assignee_id=leaver.id).assignee_id is None
    set_setting('auto_assign', 'round_robin')
    assert submit(subject='By mail again', assignee_id=leaver.id).assignee_id == agent.id
    assert submit(subject='To the agent', assignee_id=agent.id).assignee_id == agent.id


def test_tags_are_normalised_and_unknown_fields_refused() -> None:
    agent = make_user('agent')
    ticket = submit()
    with session_scope() as session:
        tagged = tickets.change(
            session=session, actor=agent, ticket_id=ticket.id, version=1, tags='Shipping, VIP ,shipping,,'
        )
    assert tagged.tags == ['shipping', 'vip']
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=2, token='mine now')
    assert 'token' in refused.value.errors


def test_bug_reports_carry_severity_steps_and_a_fixed_in_version() -> None:
    agent = make_user('agent')
    question = submit()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=question.id, version=1, severity='major')
    assert refused.value.errors == {'severity': 'Only a bug report has a severity: make its type Bug first'}
    bug = submit(subject='Checkout crashes', type='bug')
    assert bug.bug_status == 'reported'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=bug.id, version=1, bug_status='fixed')
    assert refused.value.errors == {'fixed_in_version': 'Say in which version it is fixed'}
    with session_scope() as session:
        fixed = tickets.change(
            session=session,
            actor=agent,
            ticket_id=bug.id,
            version=1,
            severity='critical',
            steps='1. Add to cart\n2. Pay',
            bug_status='fixed',
            fixed_in_version='2.4.1',
        )
    assert (fixed.severity, fixed.bug_status, fixed.fixed_in_version) == ('critical', 'fixed', '2.4.1')
    with read_session() as session:
        page = list_page(
            session=session,
            actor=agent,
            resource=resource('tickets'),
            request=ListRequest(filters={'type': 'bug', 'bug_status': 'fixed'}),
        )
    assert [row.id for row in page.rows] == [bug.id]


def test_a_duplicate_is_closed_pointing_at_the_original() -> None:
    agent = make_user('agent')
    original, copy = submit(subject='Broken zip'), submit(subject='Zip broken again')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.mark_duplicate(session=session, actor=agent, ticket_id=copy.id, version=1, of_number=9999)
    assert refused.value.errors == {'of_number': 'There is no request #9999'}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.mark_duplicate(session=session, actor=agent, ticket_id=copy.id, version=1, of_number=copy.number)
    assert refused.value.errors == {'of_number': 'A request cannot be a duplicate of itself'}
    with session_scope() as session:
        closed = tickets.mark_duplicate(
            session=session, actor=agent, ticket_id=copy.id, version=1, of_number=f'#{original.number}'
        )
    assert (closed.duplicate_of_id, closed.status) == (original.id, 'closed')
    assert messages(copy.id)[-1].body == f'Closed as a duplicate of #{original.number}.'
    third = submit(subject='Zip third time')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.mark_duplicate(session=session, actor=agent, ticket_id=third.id, version=1, of_number=copy.number)
    assert refused.value.errors == {
        'of_number': f'#{copy.number} is itself a duplicate of #{original.number}: choose that one'
    }


# --- the customer's side ----------------------------------------------------------------------------------------------


def test_a_follow_up_joins_the_thread_and_reopens_a_waiting_or_solved_request() -> None:
    agent = make_user('agent')
    ticket = submit()
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=1, body='Try again?', status='solved')
    with session_scope() as session, pytest.raises(NotFound):
        tickets.add_customer_message(session=session, number=ticket.number, body='Hi', token='guess')
    with session_scope() as session, pytest.raises(NotFound):
        tickets.add_customer_message(session=session, number=ticket.number, body='Hi', email='other@example.com')
    with session_scope() as session:
        tickets.add_customer_message(session=session, number=ticket.number, body='Still broken', token=ticket.token)
    saved = fresh(ticket.id)
    assert (saved.status, saved.solved_at) == ('open', None)
    with session_scope() as session:
        tickets.add_customer_message(
            session=session, number=ticket.number, body='And a photo', email='CLEO@example.com'
        )
    # solving it emailed the customer the solved notice (with the rating link) after the reply
    assert [m.kind for m in messages(ticket.id)] == ['customer', 'reply', 'notice', 'customer', 'customer']

    with session_scope() as session:
        tickets.change(
            session=session, actor=agent, ticket_id=ticket.id, version=fresh(ticket.id).version, status='closed'
        )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.add_customer_message(session=session, number=ticket.number, body='Hello?', token=ticket.token)
    assert refused.value.errors == {'number': f'Request #{ticket.number} is closed: send a new request'}


def test_a_rating_needs_the_token_a_solved_request_and_happens_once() -> None:
    agent = make_user('agent')
    ticket = submit()
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.rate(session=session, number=ticket.number, token=ticket.token, score=5)
    assert refused.value.errors == {'': 'A request can be rated once it is solved'}
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=1, status='solved')
    with session_scope() as session, pytest.raises(NotFound):
        tickets.rate(session=session, number=ticket.number, token='forged', score=5)
    for score in (0, 6, '5', True):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            tickets.rate(session=session, number=ticket.number, token=ticket.token, score=score)
        assert refused.value.errors == {'score': 'Give a score from 1 to 5'}
    with session_scope() as session:
        rated = tickets.rate(
            session=session, number=ticket.number, token=ticket.token, score=4, comment=' Quick and kind\x00 '
        )
    assert (rated.rating, rated.rating_comment) == (4, 'Quick and kind') and rated.rated_at is not None
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.rate(session=session, number=ticket.number, token=ticket.token, score=1)
    assert refused.value.errors == {'': 'This request has already been rated. Thank you!'}


# --- canned replies ---------------------------------------------------------------------------------------------------


def test_canned_replies_fill_placeholders_and_survive_unknown_ones() -> None:
    agent = make_user('agent', name='Sam Okafor')
    manager = make_user('manager')
    with session_scope() as session:
        canned = crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={
                'title': 'Where is my order',
                'body': 'Hi {customer_name}, order {order_number} (request #{ticket_number}) ships today. '
                'Typo {custmer} and {braces} stay; {{ and } too. — {agent_name}',
            },
        )
    make_product('SKU-1', stock_on_hand=5, actor=manager)
    order = place(('SKU-1', 1), email='cleo@example.com')
    with_order = submit(name='Cleo', order_number=order.number)
    without = submit('anon@example.com', subject='No order')
    with session_scope() as session:
        text = tickets.render_canned(session=session, actor=agent, canned=canned, ticket=with_order)
        bare = tickets.render_canned(session=session, actor=agent, canned=canned.id, ticket=without.id)
    assert text == (
        f'Hi Cleo, order {order.number} (request #1001) ships today. Typo {{custmer}} and {{braces}} stay; {{{{ and }} '
        'too. — Sam Okafor'
    )
    # what the request has no value for stays as written, for the agent to see (and the reply is refused while it does)
    assert bare.startswith('Hi {customer_name}, order {order_number} (request #1002)')
    with session_scope() as session:
        assert session.get(CannedReply, canned.id).title == 'Where is my order'


def test_a_canned_reply_greets_the_customer_by_their_first_name() -> None:
    agent, manager = make_user('agent'), make_user('manager')
    with session_scope() as session:
        canned = crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={'title': 'Hello: "first" <script>', 'body': 'Hi {customer_first_name}, — {customer_name}'},
        )
    named, anonymous = submit(name='Hugo van Evans'), submit('anon@example.com', subject='No name')
    with session_scope() as session:
        assert tickets.render_canned(session=session, actor=agent, canned=canned, ticket=named) == (
            'Hi Hugo, — Hugo van Evans'
        )
        assert tickets.render_canned(session=session, actor=agent, canned=canned, ticket=anonymous) == (
            'Hi {customer_first_name}, — {customer_name}'
        )


def test_a_canned_reply_fills_the_order_number_only_with_an_order_of_the_requests_customer() -> None:
    """{order_number} took whatever the request's order field said: another customer's order number named by mistake
    (or on purpose) went out as "your order …". It is the customer's order the request names, else their latest;
    a number naming no order of theirs, or a customer without orders, leaves the blank, refused on sending."""
    agent, manager = make_user('agent', name='Sam Okafor'), make_user('manager')
    with session_scope() as session:
        canned = crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={'title': 'Order: "shipped" <script>', 'body': 'Your order {order_number} left: "today" <b>.'},
        )
    make_product('SKU-1', stock_on_hand=20, actor=manager)
    first = place(('SKU-1', 1), email='cleo@example.com')
    latest = place(('SKU-1', 1), email='cleo@example.com')
    someone_elses = place(('SKU-1', 1), email='hugo@example.com')  # the shop's last order, not Cleo's
    named_own = submit(name='Cleo: "C" <script>', subject='About: "my first" <b>', order_number=f'#{first.number}')
    named_others = submit(subject='Wrong: "number" <script>', order_number=someone_elses.number)
    named_none = submit(subject='No number: "given" <script>')
    no_orders = submit('newcomer@example.com', subject='Not a buyer: <script>')

    def filled(request: Ticket) -> str:
        with session_scope() as session:
            return tickets.render_canned(session=session, actor=agent, canned=canned, ticket=request)

    assert filled(named_own) == f'Your order {first.number} left: "today" <b>.'
    assert filled(named_none) == f'Your order {latest.number} left: "today" <b>.'
    assert filled(named_others) == 'Your order {order_number} left: "today" <b>.'
    assert filled(no_orders) == 'Your order {order_number} left: "today" <b>.'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.reply(
            session=session,
            actor=agent,
            ticket_id=named_others.id,
            version=named_others.version,
            body=filled(named_others),
        )
    assert refused.value.errors == {'body': 'Replace {order_number} before sending: this request has no value for it'}


def test_a_canned_reply_without_an_order_keeps_its_placeholder_and_the_reply_is_refused_until_it_is_replaced() -> None:
    """The return label reply on a request without an order said 'a return label for order . Once the parcel…' and
    went to the customer like that: the empty placeholder is left for the agent to see, and the reply is refused, at
    its text, naming it, until the agent writes the order number in."""
    agent, manager = make_user('agent', name='Sam Okafor'), make_user('manager')
    with session_scope() as session:
        canned = crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={'title': 'Return label: "prepaid" <script>', 'body': 'Label for order {order_number}. {agent_name}'},
        )
    request = submit(name='Cleo "O\'Hara" <b>x</b>', subject='No order: "yet" <script>x</script>')
    with session_scope() as session:
        text = tickets.render_canned(session=session, actor=agent, canned=canned, ticket=request)
    assert text == 'Label for order {order_number}. Sam Okafor'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.reply(session=session, actor=agent, ticket_id=request.id, version=request.version, body=text)
    assert refused.value.errors == {'body': 'Replace {order_number} before sending: this request has no value for it'}
    with session_scope() as session:
        sent = tickets.reply(
            session=session,
            actor=agent,
            ticket_id=request.id,
            version=request.version,
            body=text.replace('{order_number}', 'A-7: "x" <b>'),
        )
    assert sent.body == 'Label for order A-7: "x" <b>. Sam Okafor'
    assert [m.kind for m in messages(request.id)].count(MessageKind.reply) == 1  # the refused one wrote nothing


def test_a_canned_reply_says_request_number_and_the_older_ticket_number_still_works() -> None:
    agent, manager = make_user('agent'), make_user('manager')
    with session_scope() as session:
        canned = crud.create_record(
            session=session,
            actor=manager,
            resource=resource('canned-replies'),
            data={'title': 'Both "names": <script>', 'body': 'Request #{request_number}, once #{ticket_number}'},
        )
    request = submit(name='Cleo')
    with session_scope() as session:
        assert (
            tickets.render_canned(session=session, actor=agent, canned=canned, ticket=request)
            == 'Request #1001, once #1001'
        )
    assert 'request_number' in tickets.PLACEHOLDERS and 'ticket_number' not in tickets.PLACEHOLDERS


# --- the declared list ------------------------------------------------------------------------------------------------


def test_the_list_searches_subject_and_number_and_edits_go_through_the_rules() -> None:
    agent = make_user('agent')
    submit(subject='Refund for order 1042')
    other = submit(subject='Login trouble')
    tickets_resource = resource('tickets')
    with read_session() as session:
        by_number = list_page(
            session=session, actor=agent, resource=tickets_resource, request=ListRequest(search='1002')
        )
        by_subject = list_page(
            session=session, actor=agent, resource=tickets_resource, request=ListRequest(search='refund')
        )
    assert [r.subject for r in by_number.rows] == ['Login trouble']
    assert [r.subject for r in by_subject.rows] == ['Refund for order 1042']
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.update_record(
            session=session,
            actor=agent,
            resource=tickets_resource,
            record_id=other.id,
            version=1,
            changes={'severity': 'major'},
        )
    assert refused.value.errors == {'severity': 'Only a bug report has a severity: make its type Bug first'}
    with session_scope() as session:
        logged = crud.create_record(
            session=session,
            actor=agent,
            resource=tickets_resource,
            data={
                'email': 'caller@example.com',
                'subject': 'Phoned in',
                'body': 'Called about a refund',
                'priority': 'high',
            },
        )
    assert logged.record.number == 1003 and logged.record.source == 'staff' and logged.record.priority == 'high'


def test_the_demo_desk_is_seeded_once_with_threads_breaches_and_ratings() -> None:
    import random

    from backoffice.seed.support import seed_support

    for n in range(20):
        make_customer(f'demo{n}@example.com', name=f'Demo {n}')
    make_user('agent')
    make_user('agent')
    with session_scope() as session:
        lines = seed_support(session, random.Random(7))
    assert lines[0] == 'Support: 6 canned replies' and lines[1].startswith('Support: 60 requests')
    with read_session() as session:
        rows = session.exec(select(Ticket)).all()
        assert sorted(t.number for t in rows) == list(range(1001, 1061))
        assert any(t.sla_breached_at for t in rows) and any(t.rating for t in rows)
        assert all(t.status in ('solved', 'closed') for t in rows if t.rating)
        assert len(session.exec(select(TicketMessage)).all()) > 60
        # "waiting on customer" (or solved) while the customer wrote last was a demo the rules cannot produce
        for ticket in rows:
            said = [
                m.kind
                for m in session.exec(
                    select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
                )
            ]
            last = [kind for kind in said if kind != MessageKind.note][-1]
            if ticket.status in ('waiting', 'solved', 'closed') and MessageKind.reply in said:
                assert last == MessageKind.reply, f'#{ticket.number} is {ticket.status} after the customer wrote'
    with session_scope() as session:
        assert seed_support(session, random.Random(7)) == []
    assert submit().number == 1061


def test_a_request_is_linked_to_the_order_it_names_only_when_it_is_that_customers() -> None:
    from .support.factories import make_product, place

    agent = make_user('agent')
    make_product('MUG', stock_on_hand=5, actor=make_user('admin'))
    mine = place(('MUG', 1), email='cleo@example.com', external_id='shop-77')
    theirs = place(('MUG', 1), email='someone.else@example.com')

    def linked(order_number: str | None):
        ticket = submit(order_number=order_number)
        with read_session() as session:
            return tickets.linked_order(session=session, actor=agent, ticket=session.get(Ticket, ticket.id))

    assert linked(mine.number).id == mine.id
    assert linked(f'#{mine.number}').id == mine.id  # as customers write it
    assert linked('shop-77').id == mine.id  # the shop's own order id works too
    assert linked(theirs.number) is None  # another customer's order is not this request's
    assert linked('A-404') is None and linked(None) is None


def test_the_assignee_hears_of_a_new_request_a_colleagues_hand_over_and_the_customers_answer() -> None:
    """The agent in charge is told in the bell, linked to the request: handed a new request, given one by a
    colleague (not when taking it themselves), and when the customer writes on it (the portal, email, the API)."""
    taker, other = make_user('agent', name='Sam Agent'), make_user('agent', name='Lea Agent')
    subject = 'Broken: "lid" <script>alert(1)</script>'
    ticket = submit(subject=subject, assignee_id=taker.id)  # a mailbox's default assignee (auto-assignment alike)

    def unread(user) -> list[tuple[str, str]]:
        with session_scope() as session:
            found = [(n.text, n.link) for n in notifications.unread_for(session=session, user=user)]
            notifications.mark_read(session=session, user=user)
        return found

    link = f'/requests/{ticket.number}'
    assert unread(taker) == [(f'New request #{ticket.number} assigned to you: {subject}', link)]
    with session_scope() as session:
        tickets.change(session=session, actor=taker, ticket_id=ticket.id, version=1, assignee_id=other.id)
    assert unread(other) == [(f'{taker.name} assigned request #{ticket.number} to you: {subject}', link)]
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=taker, ticket_id=ticket.id, version=2)
    assert unread(taker) == [] and unread(other) == []  # taking it oneself tells nobody

    with session_scope() as session:
        tickets.add_customer_message(session=session, number=ticket.number, body='Any news?', token=ticket.token)
    assert unread(taker) == [(f'The customer wrote on request #{ticket.number}: {subject}', link)]
    assert unread(other) == []


def test_the_canned_replies_picker_offers_each_reply_by_its_title_and_text_on_one_line() -> None:
    """Typing in the picker narrows by what each choice says: the title alone hid a reply the agent knew by a word of
    its text. One from the trash is not offered."""
    agent = make_user('agent')
    with session_scope() as session:
        kept = CannedReply(title='Refund: "López" <b>x</b>', body='Hi {customer_first_name},\n\nyour   refund  left.')
        gone = CannedReply(title='Old <script>x</script>', body='gone', deleted_at=utcnow())
        session.add_all([kept, gone])
        session.commit()
        kept_id, gone_id = kept.id, gone.id
    with read_session() as session:
        choices = tickets.canned_choices(session=session, actor=agent)
    assert choices[kept_id] == 'Refund: "López" <b>x</b> — Hi {customer_first_name}, your refund left.'
    assert gone_id not in choices


def test_a_phone_call_is_logged_for_a_picked_customer_or_a_new_one_and_never_for_nobody() -> None:
    agent = make_user('agent')
    known = make_customer('known@example.com', name='Inés "I" <b>López</b>')
    call = {'subject': 'Call: "refund" <script>x</script>', 'body': 'Rang: é'}
    with session_scope() as session:
        picked = tickets.log_request(session=session, actor=agent, data={**call, 'customer_id': known.id, 'name': 'X'})
        assert picked.customer_id == known.id
        assert session.get(Customer, known.id).name == 'Inés "I" <b>López</b>'  # a typed name renames nobody
    with session_scope() as session:
        made = tickets.log_request(session=session, actor=agent, data={**call, 'email': 'new.caller@example.com'})
        assert session.get(Customer, made.customer_id).email == 'new.caller@example.com'
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.log_request(session=session, actor=agent, data={**call, 'email': ' '})
    assert 'customer_id' in refused.value.errors
    with session_scope() as session, pytest.raises(ValidationFailed) as gone:
        tickets.log_request(session=session, actor=agent, data={**call, 'customer_id': 10**9})
    assert gone.value.errors == {'customer_id': 'This customer no longer exists'}


def test_a_phone_call_is_the_logging_agents_unless_they_give_it_to_a_colleague() -> None:
    """The agent on the phone follows the call up: it was handed out to whoever auto-assignment picked (or nobody)."""
    agent, colleague, viewer = (
        make_user('agent'),
        make_user('agent', name='Cole "C" <b>League</b>'),
        make_user('viewer'),
    )
    call = {'subject': 'Call: "refund" <script>x</script>', 'body': "Rang: l'été", 'email': 'caller@example.com'}
    with session_scope() as session:
        mine = tickets.log_request(session=session, actor=agent, data=call)
        assert mine.assignee_id == agent.id
    with session_scope() as session:
        given = tickets.log_request(session=session, actor=agent, data={**call, 'assignee_id': colleague.id})
        assert given.assignee_id == colleague.id
    with session_scope() as session:  # the colleague learns it from the bell; the agent is not told of their own
        told = session.exec(select(Notification.user_id).order_by(col(Notification.id))).all()
        assert told == [colleague.id]
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.log_request(session=session, actor=agent, data={**call, 'assignee_id': viewer.id})
    assert set(refused.value.errors) == {'assignee_id'}
