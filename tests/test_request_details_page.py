"""One request's details beside its thread: tags, the bug report, duplicates, the customer's rating, and who else is
looking at it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import BugStatus, Ticket, TicketStatus, TicketType
from backoffice.models.base import utcnow
from backoffice.services import ticket_links, tickets

from .support.factories import make_user, stored_request, submit_request
from .support.signin import signed_in
from .support.waiting import eventually


async def open_request(user: User, email: str, number: int) -> None:
    await signed_in(user, email, path=f'/requests/{number}')
    await user.should_see('It has been two weeks.')


async def test_tags_are_added_and_saved(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    tags = user.find(marker='tags').elements.pop()
    tags.set_value(['shipping', 'vip'])
    await user.should_see('Saved')
    await eventually(lambda: stored_request(ticket.number).tags == ['shipping', 'vip'])


async def test_a_bug_report_goes_through_to_fixed_in_a_version(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request('Checkout crashes')
    await open_request(user, agent.email, ticket.number)
    await user.should_not_see(marker='bug-report')
    user.find(marker='type').elements.pop().set_value('bug')
    await user.should_see(marker='bug-report')
    assert user.find(marker='bug-status').elements.pop().value == 'reported'

    user.find(marker='severity').elements.pop().set_value('critical')
    user.find(marker='steps').type('1. Add to cart\n2. Pay')
    user.find(marker='bug-status').elements.pop().set_value('fixed')
    user.find(marker='save-bug').click()
    await eventually(lambda: user.find(marker='fixed-in').elements.pop().error == 'Say in which version it is fixed')
    assert stored_request(ticket.number).bug_status == BugStatus.reported  # nothing half-saved

    user.find(marker='fixed-in').type('2.4.1')
    user.find(marker='save-bug').click()
    await eventually(lambda: stored_request(ticket.number).bug_status == BugStatus.fixed)
    saved = stored_request(ticket.number)
    assert (saved.type, saved.severity.value, saved.bug_status, saved.fixed_in_version) == (
        TicketType.bug,
        'critical',
        BugStatus.fixed,
        '2.4.1',
    )
    assert saved.steps == '1. Add to cart\n2. Pay'


async def test_steps_being_typed_in_a_bug_report_stay_when_the_status_changes(user: User) -> None:
    """An agent writing the steps to reproduce answers the customer meanwhile (the status turns to waiting), a colleague
    sets the status, a customer writes again: what they typed in the bug report stays, to be saved."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request('Checkout crashes')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, type='bug')
    await open_request(user, agent.email, ticket.number)
    typed = 'Steps: "pay" then <script>alert(1)</script>: crash'
    user.find(marker='steps').type(typed)
    user.find(marker='fixed-in').type("2.4 'beta'")
    user.find(marker='reply-body').type('We are looking into it.')
    user.find(marker='send-reply').click()
    await eventually(lambda: stored_request(ticket.number).status == TicketStatus.waiting)
    await user.should_see('We are looking into it.')
    with session_scope() as session:
        tickets.change(
            session=session,
            actor=colleague,
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            status='open',
            priority='high',
        )
        tickets.add_customer_message(session=session, number=ticket.number, body='Any news?', token=ticket.token)
    await user.should_see('Any news?')
    await eventually(lambda: user.find(marker='priority').elements.pop().value == 'high')
    assert user.find(marker='steps').elements.pop().value == typed
    assert user.find(marker='fixed-in').elements.pop().value == "2.4 'beta'"
    user.find(marker='save-bug').click()
    await eventually(lambda: stored_request(ticket.number).steps == typed)
    assert stored_request(ticket.number).fixed_in_version == "2.4 'beta'"


async def test_a_bug_report_changed_by_a_colleague_while_typing_keeps_the_typing_and_refuses_to_overwrite(
    user: User,
) -> None:
    """A colleague saves the bug report (severity critical) while this agent types the steps: the steps stay on the
    screen, and saving them says who changed the report instead of quietly putting the old severity back; Reload shows
    the colleague's severity with the steps still there, to be saved."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request('Checkout crashes')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, type='bug')
    await open_request(user, agent.email, ticket.number)
    typed = 'Steps: "pay" then <script>alert(1)</script>: crash'
    user.find(marker='steps').type(typed)
    with session_scope() as session:
        tickets.change(
            session=session,
            actor=colleague,
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            severity='critical',
            priority='high',
        )
    await eventually(lambda: user.find(marker='priority').elements.pop().value == 'high')  # the page heard of it
    assert user.find(marker='steps').elements.pop().value == typed
    user.find(marker='save-bug').click()
    await user.should_see('changed by Cole League')  # by their name, not their email
    await user.should_not_see(f'changed by {colleague.email}')
    # said where the agent is too: on a phone the warning is at the top, the Save button a screen or two below it
    assert user.notify.contains('changed by Cole League')
    saved = stored_request(ticket.number)
    assert (saved.severity.value, saved.steps) == ('critical', None)  # the colleague's severity stands
    user.find(marker='reload').click()  # the colleague's change shows, with what was typed kept over it
    await eventually(lambda: user.find(marker='severity').elements.pop().value == 'critical')
    assert user.find(marker='steps').elements.pop().value == typed
    user.find(marker='save-bug').click()
    await eventually(lambda: stored_request(ticket.number).steps == typed)
    assert stored_request(ticket.number).severity.value == 'critical'


async def test_a_return_request_without_its_order_says_what_starts_a_return(user: User) -> None:
    """A return or exchange whose customer gave no order number has no "Start a return": the order field says that
    its number is what starts one."""
    agent = make_user('agent')
    with session_scope() as session:
        ticket = tickets.submit_request(
            session=session,
            email='cora@example.com',
            name='Cora "C": <script>alert(1)</script>',
            subject='Wrong size: exchange',
            body='It has been two weeks.',
            type='return_exchange',
        )
    await open_request(user, agent.email, ticket.number)
    await user.should_not_see(marker='start-return')
    order = user.find(marker='order-number').elements.pop()
    assert order.props.get('hint') == "Enter the order's number to start a return"


async def test_marking_a_duplicate_closes_it_and_links_the_original(user: User) -> None:
    agent = make_user('agent')
    original = submit_request('Parcel lost')
    again = submit_request('Parcel lost again')  # the same customer: no question asked
    await open_request(user, agent.email, again.number)
    user.find(marker='duplicate').click()
    user.find(marker='duplicate-number').type(str(again.number))
    user.find(marker='confirm-duplicate').click()
    await user.should_see('A request cannot be a duplicate of itself')
    user.find(marker='duplicate-number').clear().type(str(original.number))
    user.find(marker='confirm-duplicate').click()
    await user.should_see('Closed as a duplicate')
    await user.should_see(marker='duplicate-of')
    await user.should_see(f'#{original.number}')
    assert stored_request(again.number).status == TicketStatus.closed


async def test_enter_in_the_duplicate_dialog_marks_it_as_its_button_does(user: User) -> None:
    """Enter in "Original request no." did nothing (the merge and link dialogs take the number on Enter)."""
    agent = make_user('agent')
    original = submit_request('Parcel lost: "where" <script>x</script>')
    again = submit_request('Parcel lost again: "still" <b>x</b>')
    await open_request(user, agent.email, again.number)
    user.find(marker='duplicate').click()
    user.find(marker='duplicate-number').type(str(again.number)).trigger('keydown.enter')
    await user.should_see('A request cannot be a duplicate of itself')
    user.find(marker='duplicate-number').clear().type(str(original.number)).trigger('keydown.enter')
    await user.should_see('Closed as a duplicate')
    assert stored_request(again.number).duplicate_of_id == original.id


async def test_a_duplicate_of_a_merged_request_is_refused_naming_the_request_it_went_into(user: User) -> None:
    """Marked a duplicate of a request merged away (closed, its conversation going on in another), the customer's
    duplicate pointed at a request nobody answers any more, without a word. It is refused at the field, naming the one
    to choose, as a duplicate of a duplicate is."""
    agent = make_user('agent')
    merged = submit_request('Parcel lost: "first" <script>x</script>')
    kept = submit_request('Parcel lost: "kept" <b>x</b>')
    again = submit_request('Parcel lost again: 🙃')
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=merged.id, version=merged.version, into_number=kept.number
        )
    await open_request(user, agent.email, again.number)
    user.find(marker='duplicate').click()
    user.find(marker='duplicate-number').type(str(merged.number))
    user.find(marker='confirm-duplicate').click()
    await user.should_see(f'#{merged.number} was merged into #{kept.number}: choose that one')
    assert stored_request(again.number).status != TicketStatus.closed
    user.find(marker='duplicate-number').clear().type(str(kept.number))
    user.find(marker='confirm-duplicate').click()
    await user.should_see('Closed as a duplicate')
    assert stored_request(again.number).duplicate_of_id == kept.id


async def test_marking_a_duplicate_of_another_customers_request_asks_first(user: User) -> None:
    agent = make_user('agent')
    original = submit_request('Parcel lost', email='cora@example.com', name='Cora "C" <b>Customer</b>')
    other = submit_request('My parcel too', email='dan@example.com', name='Dan: <script>x</script>')
    await open_request(user, agent.email, other.number)
    user.find(marker='duplicate').click()
    user.find(marker='duplicate-number').type(str(original.number))
    user.find(marker='confirm-duplicate').click()
    await user.should_see(
        f'Request #{other.number} comes from Dan: <script>x</script> (dan@example.com) and request '
        f'#{original.number} from Cora "C" <b>Customer</b> (cora@example.com): two different customers. '
        'Closing it as a duplicate means Dan: <script>x</script> (dan@example.com) gets no answer of their own.'
    )
    user.find(marker='confirm-no').click()
    await user.should_not_see('Closed as a duplicate')
    assert stored_request(other.number).status != TicketStatus.closed

    user.find(marker='confirm-duplicate').click()
    await user.should_see('two different customers', retries=40)
    user.find(marker='confirm-yes').click()
    await user.should_see('Closed as a duplicate')
    await eventually(lambda: stored_request(other.number).status == TicketStatus.closed)
    assert stored_request(other.number).duplicate_of_id == original.id


def test_the_service_refuses_another_customers_original_unless_confirmed() -> None:
    agent = make_user('agent')
    original = submit_request('Parcel lost')
    other = submit_request('Mine too', email='dan@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.mark_duplicate(
            session=session, actor=agent, ticket_id=other.id, version=other.version, of_number=original.number
        )
    assert refused.value.errors == {
        'of_number': f'Request #{original.number} comes from another customer: confirm that it is the same request'
    }
    with session_scope() as session:
        tickets.mark_duplicate(
            session=session,
            actor=agent,
            ticket_id=other.id,
            version=other.version,
            of_number=original.number,
            other_customer=True,
        )
    assert stored_request(other.number).duplicate_of_id == original.id


async def test_the_customers_rating_shows_on_the_request(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
        tickets.rate(
            session=session, number=ticket.number, token=ticket.token, score=4, comment='Quick, thanks! <b>bold</b>'
        )
    await open_request(user, agent.email, ticket.number)
    await user.should_see('4/5')
    await user.should_see('Quick, thanks! <b>bold</b>')  # as text


async def test_each_agent_sees_who_else_has_the_request_open(user: User, create_user: Callable[[], User]) -> None:
    alex, blair = make_user('agent', name='Alex Agent'), make_user('agent', name='Blair Agent')
    ticket = submit_request()
    await open_request(user, alex.email, ticket.number)
    await user.should_not_see(marker='present')
    other = create_user()
    await open_request(other, blair.email, ticket.number)
    await user.should_see('Blair Agent')
    await other.should_see('Alex Agent')


async def test_an_agent_sees_a_colleague_writing_in_the_request_before_either_sends(
    user: User, create_user: Callable[[], User]
) -> None:
    """Two agents answering one customer: each sees the other writing (their box holds unsent text), before a second
    answer goes; it goes once the text is sent or emptied."""
    alex, blair = make_user('agent', name='Alex "A" <b>Agent</b>: x'), make_user('agent', name='Blair Agent')
    ticket = submit_request()
    await open_request(user, alex.email, ticket.number)
    other = create_user()
    await open_request(other, blair.email, ticket.number)
    await user.should_see('Blair Agent')  # looking, not writing
    await user.should_not_see(marker='colleague-writing')

    user.find(marker='reply-body').type('Sorry: it ships <script>alert(1)</script> tomorrow')
    await other.should_see('Alex "A" <b>Agent</b>: x is writing a reply or a note')
    await user.should_not_see(marker='colleague-writing')  # not told about themselves

    box = other.find(marker='reply-body').elements.pop()
    box.set_value('Refunded today.')
    await user.should_see('Blair Agent is writing a reply or a note')
    box.set_value('  ')  # Blair thinks better of it
    await user.should_not_see(marker='colleague-writing')

    user.find(marker='send-reply').click()
    await user.should_see('Reply queued')
    await other.should_not_see(marker='colleague-writing')


async def test_the_order_a_request_names_links_to_it_and_can_be_corrected(user: User) -> None:
    from .support.factories import make_product, place

    agent = make_user('agent')
    make_product('MUG', stock_on_hand=5, actor=make_user('admin'))
    order = place(('MUG', 1), email='cora@example.com')
    ticket = submit_request(order_number='A-1')
    await open_request(user, agent.email, ticket.number)
    await user.should_see(marker='order-number')
    field = user.find(marker='order-number')
    assert 'No order of this customer has this number' in next(iter(field.elements)).props['hint']
    await user.should_not_see(marker='order-link')

    next(iter(field.elements)).set_value(order.number)
    field.trigger('keydown.enter')
    await eventually(lambda: stored_request(ticket.number).order_number == order.number)
    await user.should_see(marker='order-link')
    link = next(iter(user.find(marker='order-link').elements))
    assert link.props['href'] == f'/orders/{order.number}'


async def test_an_agent_on_another_app_process_shows_as_looking_too(user: User) -> None:
    from backoffice import events
    from backoffice.runtime import presence

    alex = make_user('agent', name='Alex Agent')
    ticket = submit_request()
    await open_request(user, alex.email, ticket.number)
    await user.should_not_see(marker='present')
    # what the PostgreSQL relay delivers when Casey opens the request on another process
    events.deliver(
        presence.TOPIC, {'process': 'other-process', 'places': {f'tickets/{ticket.id}': [[999, 'Casey Remote']]}}
    )
    await user.should_see('Casey Remote')
    events.deliver(presence.TOPIC, {'process': 'other-process', 'places': {f'tickets/{ticket.id}': []}})
    await user.should_not_see('Casey Remote')


async def test_the_request_says_its_next_sla_deadline_and_red_once_passed(user: User) -> None:
    """The list's "SLA due" on the request itself: the first reply's deadline until answered, then the resolution's;
    overdue in red (an agent reading one request saw no deadline at all)."""
    agent = make_user('agent')
    ticket = submit_request('Lid "loose": <script>window.__x=1</script>')
    await open_request(user, agent.email, ticket.number)
    due = user.find(marker='sla-due').elements.pop()
    assert due.text.startswith('First reply due: in '), due.text
    assert 'text-red-8' not in due.classes

    with session_scope() as session:  # its deadline passed an hour ago
        stored = session.get(Ticket, ticket.id)
        stored.sla_due_at = stored.first_response_due = utcnow() - timedelta(hours=1, minutes=5)
        session.add(stored)
        session.commit()
    await user.open(f'/requests/{ticket.number}')
    due = user.find(marker='sla-due').elements.pop()
    assert due.text == 'First reply due: overdue 1 h 05 min' and 'text-red-8' in due.classes, (due.text, due.classes)

    with session_scope() as session:  # answered: the resolution's deadline counts now
        tickets.reply(
            session=session,
            actor=agent,
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            body='On its way',
            status=TicketStatus.open,  # (waiting on the customer pauses the clock)
        )
    await user.open(f'/requests/{ticket.number}')
    await user.should_see('Resolution due: in ', retries=40)


async def test_a_reply_typed_and_not_sent_waits_for_the_agent_on_that_request(user: User) -> None:
    """An agent who follows a link away (or reloads) finds their unsent reply again on that request only; sending it
    empties the box for good."""
    agent = make_user('agent')
    first = submit_request('Lid "loose": <script>window.__x=1</script>')
    other = submit_request('Another one', email='dora@example.com', body='Hello there')
    await open_request(user, agent.email, first.number)
    typed = 'Dear Cora, "soon": <script>alert(1)</script>'
    user.find(marker='reply-body').elements.pop().set_value(typed)

    await user.open(f'/requests/{other.number}')  # another request: its own box, empty
    await user.should_see('Hello there')
    assert user.find(marker='reply-body').elements.pop().value == ''
    await user.open(f'/requests/{first.number}')  # back: the reply typed is there
    await user.should_see('It has been two weeks.')
    box = user.find(marker='reply-body').elements.pop()
    assert box.value == typed

    user.find(marker='send-reply').click()
    await user.should_see('Reply queued')
    await eventually(lambda: box.value == '', message='the box empties once the reply is queued')
    await user.open(f'/requests/{first.number}')
    await user.should_see('It has been two weeks.')
    assert user.find(marker='reply-body').elements.pop().value == ''


async def test_a_closed_request_takes_notes_not_replies(user: User) -> None:
    """Sending on a closed request was refused after the agent had written the reply: its box offers a note only, and
    says why; a request closed while open on the screen loses its Send reply at once."""
    agent = make_user('agent')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    send = user.find(marker='send-reply').elements.pop()
    assert send.visible
    await user.should_not_see(marker='closed-no-reply')

    with session_scope() as session:  # a colleague closes it meanwhile
        tickets.change(
            session=session,
            actor=make_user('manager'),
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            status='closed',
        )
    await eventually(lambda: not send.visible, message='Send reply goes once the request is closed')
    await user.should_see('This request is closed: it takes notes, not replies.')
    user.find(marker='reply-body').elements.pop().set_value('Customer called: "fine" <b>ok</b>')
    user.find(marker='add-note').click()
    await user.should_see('Note added')


async def test_ctrl_enter_in_the_reply_box_sends_the_reply(user: User) -> None:
    """The help desk's usual key: Ctrl+Enter (⌘+Enter) sends what is typed, as the button does; not on a closed
    request, which takes notes only."""
    agent = make_user('agent')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    box = user.find(marker='reply-body').elements.pop()
    box.set_value('On its way: "tomorrow" <script>alert(1)</script>')
    user.find(marker='reply-body').trigger('keydown.ctrl.enter')
    await user.should_see('Reply queued')
    await eventually(lambda: box.value == '')
    await user.should_see('On its way: "tomorrow" <script>alert(1)</script>')
    assert stored_request(ticket.number).status == TicketStatus.waiting

    with session_scope() as session:
        tickets.change(
            session=session,
            actor=agent,
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            status='closed',
        )
    await user.should_see('This request is closed: it takes notes, not replies.')
    box.set_value('Not to be sent')
    user.find(marker='reply-body').trigger('keydown.meta.enter')
    user.find(marker='add-note').click()  # what the key left in the box goes as a note
    await user.should_see('Note added')
    with session_scope() as session:
        thread = tickets.thread(session=session, actor=agent, ticket_id=ticket.id)
    assert [(m.kind.value, m.body) for m in thread][1:] == [
        ('reply', 'On its way: "tomorrow" <script>alert(1)</script>'),
        ('note', 'Not to be sent'),
    ]


async def test_the_customers_other_requests_show_beside_the_request(user: User) -> None:
    """The customer's history from the request: their other requests (newest first, each a link, with its status),
    not this one, not another customer's."""
    agent = make_user('agent')
    older = submit_request('Lid "cracked": <script>alert(1)</script>', email='hist@example.com')
    solved = submit_request('Refund?', email='hist@example.com')
    submit_request('Not theirs', email='someone@example.com')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=solved.id, version=1, status='solved')
    ticket = submit_request('Where is my parcel?', email='hist@example.com')
    await open_request(user, agent.email, ticket.number)
    await user.should_see(marker='customer-history')
    rows = sorted(user.find(marker='history-request').elements, key=lambda row: row.id)  # in the page's order
    shown = [next(child for child in row.descendants() if isinstance(child, ui.link)).text for row in rows]
    assert shown == [f'#{solved.number} Refund?', f'#{older.number} Lid "cracked": <script>alert(1)</script>']
    await user.should_see('Solved')
    assert user.find(marker='history-count').elements.pop().text == '2'
    await user.should_not_see('Not theirs')

    user.find(f'#{older.number} Lid').click()  # opens that request
    await user.should_see(f'#{ticket.number} Where is my parcel?')  # where the history goes on, the other way


async def test_a_customers_only_request_shows_no_history(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request(email='first-time@example.com')
    await open_request(user, agent.email, ticket.number)
    await user.should_not_see(marker='customer-history')


async def test_the_browser_tab_names_the_request(user: User) -> None:
    """Several requests open in tabs were all "Request · Backoffice"; the subject is the customer's text."""
    agent = make_user('agent')
    ticket = submit_request('Lid </title><script>alert(1)</script> "cracked"')
    await open_request(user, agent.email, ticket.number)
    assert user.client.title == f'#{ticket.number} Lid </title><script>alert(1)</script> "cracked" · Backoffice'


async def test_the_request_has_one_heading_its_number_and_subject(user: User) -> None:
    """'Request' stood above '#12 Subject', two headings saying one thing: the number and subject are the heading."""
    agent = make_user('agent')
    ticket = submit_request('Refund: "López" <script>x</script>')
    await open_request(user, agent.email, ticket.number)
    headings = [e for e in user.client.elements.values() if e.props.get('role') == 'heading']
    assert len(headings) == 1
    assert headings[0] is user.find(marker='heading').elements.pop()
    assert user.find(marker='subject').elements.pop().text == 'Refund: "López" <script>x</script>'


async def test_a_colleagues_reply_while_the_agent_writes_is_said_before_a_second_answer(user: User) -> None:
    """Two agents answering the same customer at once sent two answers: the one still writing is told who replied,
    keeps their text, and the notice goes once they send."""
    agent, colleague = make_user('agent'), make_user('agent', name='Lea "L" <b>Colleague</b>')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    box = user.find(marker='reply-body').elements.pop()
    box.set_value('Sorry: it ships <script>alert(1)</script> tomorrow')
    with session_scope() as session:
        tickets.reply(
            session=session,
            actor=colleague,
            ticket_id=ticket.id,
            version=stored_request(ticket.number).version,
            body='Refunded today.',
        )
    said = (
        'Lea "L" <b>Colleague</b> replied to the customer while you were writing: read their reply before sending '
        'yours.'
    )
    await user.should_see(said)
    await user.should_see('Refunded today.')
    assert box.value == 'Sorry: it ships <script>alert(1)</script> tomorrow'

    user.find(marker='send-reply').click()  # theirs to decide
    await user.should_see('Reply queued')
    await user.should_not_see(marker='replied-meanwhile')


async def test_the_customer_writing_again_while_the_agent_writes_is_said_above_the_box(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    box = user.find(marker='reply-body').elements.pop()
    box.set_value('Your parcel "ships" <script>alert(1)</script>: tomorrow')
    with session_scope() as session:
        tickets.add_customer_message(
            session=session,
            number=ticket.number,
            body='Never mind: it "arrived" <b>today</b>',
            email='cora@example.com',
        )
    await user.should_see('Never mind: it "arrived" <b>today</b>')
    said = 'The customer wrote again while you were writing: read their message before sending your reply.'
    await user.should_see(said)
    assert box.value == 'Your parcel "ships" <script>alert(1)</script>: tomorrow'  # theirs to change or send


async def test_a_colleagues_reply_while_the_box_is_empty_says_nothing(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Lea Colleague')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    with session_scope() as session:
        tickets.reply(session=session, actor=colleague, ticket_id=ticket.id, version=1, body='Refunded today.')
    await user.should_see('Refunded today.')
    await user.should_not_see(marker='replied-meanwhile')


async def test_a_customer_known_by_email_only_shows_no_empty_name_before_it(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request(email='nameless@example.com', name='', order_number=None)
    await open_request(user, agent.email, ticket.number)
    line = user.find(marker='customer').elements.pop()
    shown = [child.text for child in line.descendants() if isinstance(child, ui.label | ui.link)]
    assert shown == ['nameless@example.com'], shown
