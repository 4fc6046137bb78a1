"""Relating requests: links shown on both requests, removable and audited; merging one request into another (its
messages and files move, it closes pointing to the target), with its refusals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from backoffice import stored_text
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, Delivery, MessageKind, TicketAttachment, TicketMessage, TicketStatus
from backoffice.permissions import PermissionDenied
from backoffice.services import reports, ticket_attachments, ticket_links, tickets

from .support.factories import make_role, make_user, stored_request, submit_request

HOSTILE = 'Re: "refund" <script>alert(1)</script>'


def test_a_link_shows_on_both_requests_and_goes_from_either_side() -> None:
    agent = make_user('agent')
    first, second = submit_request('Parcel lost'), submit_request(HOSTILE)
    with session_scope() as session:
        shown = ticket_links.link(session=session, actor=agent, ticket_id=first.id, other_number=f'#{second.number}')
    assert (shown.number, shown.subject, shown.status) == (second.number, HOSTILE, 'new')
    with read_session() as session:
        assert [r.number for r in ticket_links.linked(session=session, actor=agent, ticket_id=first.id)] == [
            second.number
        ]
        assert [r.subject for r in ticket_links.linked(session=session, actor=agent, ticket_id=second.id)] == [
            'Parcel lost'
        ]
    with session_scope() as session, pytest.raises(ValidationFailed) as again:
        ticket_links.link(session=session, actor=agent, ticket_id=second.id, other_number=first.number)
    assert again.value.errors == {'other_number': f'#{first.number} is already linked to this request'}

    with session_scope() as session:
        ticket_links.unlink(session=session, actor=agent, ticket_id=second.id, other_id=first.id)
    with read_session() as session:
        assert ticket_links.linked(session=session, actor=agent, ticket_id=first.id) == []
        audited = session.exec(
            select(AuditEntry.action, AuditEntry.entity_id)
            .where(col(AuditEntry.action).in_(['ticket.linked', 'ticket.unlinked']))
            .order_by(col(AuditEntry.id))
        ).all()
    assert sorted(audited) == sorted(
        [
            ('ticket.linked', str(first.id)),
            ('ticket.linked', str(second.id)),
            ('ticket.unlinked', str(second.id)),
            ('ticket.unlinked', str(first.id)),
        ]
    )
    with session_scope() as session, pytest.raises(NotFound):
        ticket_links.unlink(session=session, actor=agent, ticket_id=second.id, other_id=first.id)


def test_a_link_is_refused_to_itself_to_no_request_and_to_a_reader() -> None:
    agent, viewer = make_user('agent'), make_user('viewer')
    ticket = submit_request()
    for number, said in (
        (ticket.number, 'A request cannot be linked to itself'),
        ('99999', 'There is no request #99999'),
        ('"x": <script>', 'Enter the number of a request, e.g. 1042'),
    ):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            ticket_links.link(session=session, actor=agent, ticket_id=ticket.id, other_number=number)
        assert refused.value.errors == {'other_number': said}
    with session_scope() as session, pytest.raises(PermissionDenied):
        ticket_links.link(session=session, actor=viewer, ticket_id=ticket.id, other_number=ticket.number)


def numbers(found: ticket_links.Found) -> list[int]:
    return [r.number for r in found.requests]


def test_search_finds_by_number_subject_words_or_customer_the_most_recent_first() -> None:
    agent = make_user('agent')
    mine = submit_request('Parcel lost', email='cleo.marsh@example.com', name='Cleo "Q" Marsh')
    hostile = submit_request(HOSTILE, email='dan@example.com', name='Dan: <script>x</script>')
    percent = submit_request('100% wrong')
    later = submit_request('The parcel: arrived late', email='cleo.marsh@example.com', name='Cleo "Q" Marsh')

    def search(query: str, **kwargs) -> ticket_links.Found:
        with read_session() as session:
            return ticket_links.search(session=session, actor=agent, query=query, **kwargs)

    assert numbers(search(f'#{mine.number}')) == [mine.number]
    assert numbers(search(f' {mine.number} '))[0] == mine.number  # the very number first
    assert numbers(search('LOST parcel')) == [mine.number]  # each word, in any order and case
    assert numbers(search('Marsh')) == [later.number, mine.number]  # the customer's name, most recent first
    assert numbers(search('cleo.marsh@example')) == [later.number, mine.number]  # ... and their email
    assert {r.customer for r in search('cleo.marsh@example').requests} == {'Cleo "Q" Marsh'}  # said with each
    assert numbers(search('marsh late')) == [later.number]
    assert numbers(search('<script>')) == [hostile.number]  # in the subject and the name, found once, as text
    assert numbers(search('"refund"')) == [hostile.number]
    assert numbers(search('%')) == [percent.number]  # a % is looked for, not a wildcard
    assert search('   ') == ticket_links.Found([]) and search('Parcel').more == 0
    # the request itself is left out, and so are those already linked to it (a merge may go into a linked one)
    with session_scope() as session:
        ticket_links.link(session=session, actor=agent, ticket_id=mine.id, other_number=later.number)
    assert numbers(search('parcel', ticket_id=mine.id)) == []
    assert numbers(search('parcel', ticket_id=mine.id, merging=True)) == [later.number]
    assert numbers(search('parcel', ticket_id=hostile.id)) == [later.number, mine.number]
    # a merge cannot go into a closed request: none is offered
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=later.id, version=later.version, status='closed')
    assert numbers(search('parcel', ticket_id=mine.id, merging=True)) == []


def test_search_shows_the_first_ten_and_says_how_many_more_match() -> None:
    agent = make_user('agent')
    made = [submit_request(f'Crate #{n}: "broken" <script>') for n in range(13)]
    with read_session() as session:
        found = ticket_links.search(session=session, actor=agent, query='crate broken', ticket_id=made[0].id)
    assert numbers(found) == [ticket.number for ticket in made[:0:-1]][:10]  # the most recent ten, itself left out
    assert (found.more, found.more_capped) == (2, False)


def test_search_reads_the_words_as_typed_first_then_each_word_as_every_search_does() -> None:
    agent = make_user('agent')
    phrase = submit_request('Refund: "still waiting" <script>', name='Ines Duarte')
    scattered = submit_request('Still no refund, "waiting" <b>', name='Ines Duarte')
    itself = submit_request('Waiting still: refund', email='olu@example.com', name='Olu "O" Bello')

    def search(query: str, **kwargs) -> list[int]:
        with read_session() as session:
            return numbers(ticket_links.search(session=session, actor=agent, query=query, **kwargs))

    # the words as typed find one: only that one (word by word found both)
    assert search('still waiting') == [phrase.number]
    # found as typed only by the request itself, left out: then each word, in any order
    assert search('waiting still', ticket_id=itself.id) == [scattered.number, phrase.number]
    assert search('duarte waiting refund') == [scattered.number, phrase.number]  # the name among the words


def test_merging_moves_the_messages_and_files_and_closes_with_a_pointer() -> None:
    agent = make_user('agent')
    target = submit_request('Parcel lost')
    source = submit_request('Parcel still lost', body='Second mail: "where" <script>alert(1)</script>')
    with session_scope() as session:
        ticket_attachments.store(
            session,
            ticket_id=source.id,
            message_id=None,
            files=[ticket_attachments.from_mail('label.pdf', b'%PDF-1.4', 'application/pdf')],
        )
        session.commit()
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=source.id, version=source.version, body='Looking.')
    with session_scope() as session:
        ticket_links.merge(
            session=session,
            actor=agent,
            ticket_id=source.id,
            version=stored_request(source.number).version,
            into_number=target.number,
        )
    merged = stored_request(source.number)
    assert (merged.status, merged.merged_into_id) == (TicketStatus.closed, target.id)
    with read_session() as session:
        moved = session.exec(
            select(TicketMessage).where(TicketMessage.ticket_id == target.id).order_by(col(TicketMessage.id))
        ).all()
        left = session.exec(select(TicketMessage).where(TicketMessage.ticket_id == source.id)).all()
        files = session.exec(select(TicketAttachment.ticket_id)).all()
        audited = session.exec(
            select(AuditEntry.action, AuditEntry.entity_id).where(
                col(AuditEntry.action).in_(['ticket.merged', 'ticket.merged_in'])
            )
        ).all()
        pointer = ticket_links.merged_into(session=session, actor=agent, ticket=merged)
    bodies = [tickets.note_text(m) for m in moved]
    assert bodies == [
        'It has been two weeks.',
        'Second mail: "where" <script>alert(1)</script>',
        'Looking.',
        f'#{source.number} was merged into this request (messages moved: 2).',
    ]
    assert [tickets.note_text(m) for m in left] == [f'Merged into #{target.number}: the conversation goes on there.']
    # the customer is sent nothing new: the only email is the reply written before the merge
    assert [m.kind for m in moved if m.delivery == Delivery.queued] == [MessageKind.reply]
    assert files == [target.id]
    assert sorted(audited) == sorted([('ticket.merged', str(source.id)), ('ticket.merged_in', str(target.id))])
    assert pointer is not None and pointer.number == target.number

    # the customer writes on the merged request (its link, the front office): it joins the request that goes on
    with session_scope() as session:
        message = tickets.add_customer_message(session=session, number=source.number, token=source.token, body='More')
    assert message.ticket_id == target.id


def solved(ticket, agent) -> None:
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')


def notices_of(ticket) -> list[tuple[int, Delivery | None]]:
    """The solved notices now on this request: (their request, delivery), oldest first."""
    with read_session() as session:
        rows = session.exec(
            select(TicketMessage.ticket_id, TicketMessage.delivery)
            .where(TicketMessage.kind == MessageKind.notice, TicketMessage.ticket_id == ticket.id)
            .order_by(col(TicketMessage.id))
        ).all()
    return [(ticket_id, delivery) for ticket_id, delivery in rows]


def cancellations(ticket) -> list[str]:
    with read_session() as session:
        rows = session.exec(
            select(AuditEntry).where(
                AuditEntry.action == 'ticket.notice_cancelled', AuditEntry.entity_id == str(ticket.id)
            )
        ).all()
    return [stored_text.show(row.summary, row.summary_key, row.summary_params) for row in rows]


def test_a_solved_notice_not_sent_yet_is_cancelled_by_the_merge_one_sent_moves_with_the_conversation() -> None:
    """A solved request merged into another before the outbox sent its "solved" email: the email moved with the
    conversation and went out, telling the customer "solved" of a conversation going on in an open request. Now it
    stays on the merged request, cancelled (never sent, never retried), audited; one already sent is history, and
    moves with the rest."""
    agent = make_user('agent')
    early, goes_on = submit_request(HOSTILE), submit_request('Parcel "late": <b>x</b>')
    solved(early, agent)
    with session_scope() as session:
        ticket_links.merge(session=session, actor=agent, ticket_id=early.id, version=None, into_number=goes_on.number)
    assert notices_of(early) == [(early.id, Delivery.cancelled)]
    assert notices_of(goes_on) == []
    assert cancellations(early) == [
        f'Solved notice of #{early.number} not sent: merged into #{goes_on.number} before it went out'
    ]
    assert stored_request(goes_on.number).status == TicketStatus.open  # nothing solved there yet
    with read_session() as session:
        note = session.exec(
            select(TicketMessage).where(TicketMessage.ticket_id == goes_on.id, TicketMessage.kind == MessageKind.note)
        ).one()
        notice_id = session.exec(select(TicketMessage.id).where(TicketMessage.ticket_id == early.id)).first()
    assert tickets.note_text(note) == f'#{early.number} was merged into this request (messages moved: 1).'
    with session_scope() as session, pytest.raises(ValidationFailed):  # never queued again
        tickets.retry_delivery(session=session, actor=agent, message_id=notice_id)

    # the other order: the outbox sent it before the merge; what the customer got stays in the conversation
    sent_first, later = submit_request('Sent "first" <script>'), submit_request('Later: <b>')
    solved(sent_first, agent)
    with session_scope() as session:
        notice = session.exec(
            select(TicketMessage).where(
                TicketMessage.ticket_id == sent_first.id, TicketMessage.kind == MessageKind.notice
            )
        ).one()
        notice.delivery = Delivery.sent
        session.add(notice)
        session.commit()
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=sent_first.id, version=None, into_number=later.number
        )
    assert notices_of(later) == [(later.id, Delivery.sent)] and notices_of(sent_first) == []
    assert cancellations(sent_first) == []


def test_a_solved_request_a_merge_opens_again_has_its_unsent_solved_notice_cancelled() -> None:
    """The target was solved, its "solved" email still queued, when an unanswered question was merged into it: the
    merge opens it again (the question awaits an answer), and the email would have said "solved" of it."""
    agent = make_user('agent')
    target, question = submit_request('Parcel "late": <b>x</b>'), submit_request(HOSTILE)
    solved(target, agent)
    with session_scope() as session:
        ticket_links.merge(session=session, actor=agent, ticket_id=question.id, version=None, into_number=target.number)
    assert stored_request(target.number).status == TicketStatus.open
    assert notices_of(target) == [(target.id, Delivery.cancelled)]
    assert cancellations(target) == [
        f'Solved notice of #{target.number} not sent: open again with #{question.number} merged in before it went out'
    ]
    assert cancellations(question) == []  # it had none


def test_merging_into_a_new_request_opens_it_and_leaves_one_service_level_clock_running() -> None:
    """The request merged into stayed "new" after an agent's merge, as if nobody had looked at it; the merged one
    closed, and counted in the support report as a request solved at the merge (a resolution nobody gave). Now: the
    target is open, its clock unchanged (the customer is not answered yet); the merged one's clock stops and the report
    counts the conversation once, in the request that goes on."""
    agent, manager = make_user('agent', name='Ann "A" Agent: <b>'), make_user('manager')
    target = submit_request('Parcel lost: "box" <script>x</script>')
    source = submit_request('Still nothing: "again" <script>', body='Any news? "soon": <b>')
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=source.id, version=source.version, into_number=target.number
        )
    after, merged = stored_request(target.number), stored_request(source.number)
    assert (target.status, after.status) == (TicketStatus.new, TicketStatus.open)
    assert after.first_responded_at is None and after.sla_due_at == target.sla_due_at == target.first_response_due
    assert (merged.status, merged.sla_due_at, merged.merged_into_id) == (TicketStatus.closed, None, target.id)
    with read_session() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'ticket.merged_in', AuditEntry.entity_id == str(target.id))
        ).one()
        table = reports.run(
            session=session, actor=manager, key='support', params=reports.default_params('support', date.today())
        )
    assert entry.changes['status'] == ['new', 'open']
    assert (table.totals['volume'], table.totals['solved']) == (1, 0)


def test_merging_is_a_change_of_the_target_an_edit_begun_before_it_is_refused() -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    target = submit_request('Parcel lost: "box" <script>')
    with session_scope() as session:  # answered: the target waits on the customer
        tickets.reply(session=session, actor=agent, ticket_id=target.id, version=target.version, body='Checking.')
    opened = stored_request(target.number)  # what the colleague has on screen
    source = submit_request('Still nothing', body='Any news?')
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=source.id, version=source.version, into_number=target.number
        )
    after = stored_request(target.number)
    assert after.version == opened.version + 1 and after.updated_at > opened.updated_at  # the list moves it up
    # the question that came in is unanswered: the target is back in the queue instead of waiting on the customer
    assert (opened.status, after.status) == (TicketStatus.waiting, TicketStatus.open)
    with read_session() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'ticket.merged_in', AuditEntry.entity_id == str(target.id))
        ).one()
    assert entry.version == after.version and entry.changes['status'] == ['waiting', 'open']
    # the colleague's edit of the version they loaded would overwrite what the merge brought: refused, naming who
    with session_scope() as session, pytest.raises(StaleRecord) as stale:
        tickets.change(session=session, actor=colleague, ticket_id=target.id, version=opened.version, priority='high')
    assert agent.name in str(stale.value)
    with session_scope() as session, pytest.raises(StaleRecord):
        tickets.reply(session=session, actor=colleague, ticket_id=target.id, version=opened.version, body='Hi')


def test_merging_is_refused_into_itself_a_closed_request_and_twice() -> None:
    agent = make_user('agent')
    ticket, closed = submit_request('One'), submit_request('Closed one')
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=closed.id, version=closed.version, status='closed')
    for number, said in (
        (ticket.number, 'A request cannot be merged into itself'),
        (closed.number, f'#{closed.number} is closed: choose a request that is still open'),
        ('nope', 'Enter the number of a request, e.g. 1042'),
    ):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            ticket_links.merge(
                session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, into_number=number
            )
        assert refused.value.errors == {'into_number': said}
    with session_scope() as session, pytest.raises(ValidationFailed) as final:
        ticket_links.merge(
            session=session,
            actor=agent,
            ticket_id=closed.id,
            version=stored_request(closed.number).version,
            into_number=ticket.number,
        )
    assert final.value.errors == {'into_number': 'This request is closed, which is final: it cannot be merged'}
    assert stored_request(ticket.number).status == TicketStatus.new


def test_merging_across_customers_needs_a_confirmation() -> None:
    agent = make_user('agent')
    target = submit_request('Parcel lost', email='cora@example.com', name='Cora "C"')
    source = submit_request('Mine too', email='dan@example.com', name='Dan: <script>x</script>')
    with read_session() as session:
        warning = ticket_links.merge_warning(
            session=session, actor=agent, ticket_id=source.id, into_number=target.number
        )
    assert warning == (
        f'Request #{source.number} comes from Dan: <script>x</script> (dan@example.com) and request #{target.number} '
        'from Cora "C" (cora@example.com): two different customers. Merging shows Dan: <script>x</script> '
        '(dan@example.com)\'s messages to Cora "C" (cora@example.com) in the portal, and Dan: <script>x</script> '
        '(dan@example.com) gets no answer of their own.'
    )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=source.id, version=source.version, into_number=target.number
        )
    assert refused.value.errors == {
        'into_number': f'Request #{target.number} comes from another customer: confirm that it is the same conversation'
    }
    with session_scope() as session:
        tickets.reply(session=session, actor=agent, ticket_id=source.id, version=source.version, body='Looking.')
    source = stored_request(source.number)

    def merge_confirmed() -> None:
        with session_scope() as session:
            ticket_links.merge(
                session=session,
                actor=agent,
                ticket_id=source.id,
                version=source.version,
                into_number=target.number,
                other_customer=True,
            )

    with pytest.raises(ValidationFailed) as unsent:  # moved, the outbox would mail Dan's reply to Cora
        merge_confirmed()
    assert unsent.value.errors == {
        'into_number': 'A reply on this request is still waiting to be sent: merge it once the reply is sent'
    }
    with session_scope() as session:
        reply = session.exec(select(TicketMessage).where(TicketMessage.kind == MessageKind.reply)).one()
        reply.delivery = Delivery.sent
        session.add(reply)
        session.commit()
    merge_confirmed()
    assert stored_request(source.number).merged_into_id == target.id
    # Dan writing on his merged request is not put into Cora's: it is closed, as any closed request
    with session_scope() as session, pytest.raises(ValidationFailed):
        tickets.add_customer_message(session=session, number=source.number, token=source.token, body='More')


def test_merging_into_another_customers_request_takes_the_right_to_change_customers() -> None:
    """A custom role that answers requests but may not change customers merges within one customer's requests only:
    into another's it is refused at the field before any confirmation (the warning would name the other customer),
    and the request stays as it was; the same customer's merge goes through."""
    desk = make_user(make_role('tickets.read', 'tickets.write', name='Desk "only": <b>').key)
    source = submit_request(HOSTILE, email='dan@example.com')
    other = submit_request('Also me', email='dan@example.com')
    target = submit_request('Cora asks', email='cora@example.com')
    refusal = {
        'into_number': f"Request #{target.number} is another customer's: merging into it takes the right to change "
        'customers (customers.write). Ask someone who has it, or link the two requests instead.'
    }
    with read_session() as session, pytest.raises(ValidationFailed) as warned:
        ticket_links.merge_warning(session=session, actor=desk, ticket_id=source.id, into_number=target.number)
    assert warned.value.errors == refusal
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        ticket_links.merge(
            session=session,
            actor=desk,
            ticket_id=source.id,
            version=source.version,
            into_number=target.number,
            other_customer=True,
        )
    assert refused.value.errors == refusal
    assert stored_request(source.number).merged_into_id is None
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=desk, ticket_id=source.id, version=source.version, into_number=other.number
        )
    assert stored_request(source.number).merged_into_id == other.id
