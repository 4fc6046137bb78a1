"""Customer satisfaction: solving a request emails the customer a link that rates it, once, on a public page; the
rating (with whatever the customer wrote, shown as text) appears on the request for agents."""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes
from urllib.parse import urlsplit

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Customer, Delivery, MessageKind, TicketMessage
from backoffice.services import app_settings, mail, tickets

from .support.factories import make_user, stored_request, submit_request
from .support.signin import signed_in
from .support.smtp import FakeSmtp
from .support.waiting import eventually

PUBLIC = 'https://help.shop.example'
COMMENT = 'Quick: "great" <script>window.__x=1</script>'


def solved_email(smtp_server: FakeSmtp, agent) -> tuple[int, str]:
    """Solve a request as an agent, send the outbox; returns the request number and the text of the email sent."""
    ticket = submit_request('Parcel "late" <b>x</b>')
    shop_mails()
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url, 'public_url': PUBLIC})
    assert mail.send_outbox(settings)['sent'] == 1
    (_, recipients, data), *_ = smtp_server.received
    email = message_from_bytes(data)
    assert recipients == ['cora@example.com']
    assert email['Subject'] == f'Solved: Parcel "late" <b>x</b> [#{ticket.number}]'
    return ticket.number, email.get_payload(decode=True).decode()


def shop_mails() -> None:
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=make_user('admin'),
            changes={'support_email': 'help@shop.example', 'company_name': 'Shop & Co'},
            loaded={},
        )


def link_in(text: str) -> str:
    return re.search(r'https?://\S+', text).group(0)


async def test_the_solved_email_carries_a_link_that_rates_the_request_once(
    user: User, create_user: Callable[[], User], smtp_server: FakeSmtp
) -> None:
    agent = make_user('agent')
    number, text = solved_email(smtp_server, agent)
    assert f'request #{number}' in text and 'Rate our help' in text
    link = urlsplit(link_in(text))
    assert f'{link.scheme}://{link.netloc}' == PUBLIC and link.path == '/rate'

    await user.open(f'{link.path}?{link.query}')  # the customer: no account, not signed in
    await user.should_see('Rate our help')
    await user.should_see(f'Request #{number}: Parcel "late" <b>x</b>')
    user.find(marker='rate-send').click()
    await user.should_see('Choose from 1 to 5 stars')
    user.find(marker='rate-score').elements.pop().set_value(4)
    user.find(marker='rate-comment').type(COMMENT)
    user.find(marker='rate-send').click()
    await user.should_see('Thank you for your rating!')
    await eventually(lambda: stored_request(number).rating == 4)
    assert stored_request(number).rating_comment == COMMENT

    again = create_user()  # the same link a second time: rated once only
    await again.open(f'{link.path}?{link.query}')
    await again.should_see('You have already rated this request. Thank you!')
    await again.should_not_see(marker='rate-send')

    agents_view = create_user()
    await signed_in(agents_view, agent.email, path=f'/requests/{number}')
    await agents_view.should_see('4/5')
    await agents_view.should_see(COMMENT)  # a label: shown as text
    await agents_view.should_see('Solved notice to the customer, with a link to rate')
    token = stored_request(number).token
    assert all(token not in m.body for m in thread(number))  # agents never see the customer's token


async def test_a_wrong_or_missing_token_rates_nothing(user: User) -> None:
    ticket = submit_request()
    await user.open(f'/rate?request={ticket.number}&token=not-the-token')
    await user.should_see('No request matches this number and link.')
    await user.should_not_see(marker='rate-send')
    await user.open('/rate?request=99999999999999999999&token=x')
    await user.should_see('No request matches this number and link.')


def test_a_request_solved_again_after_a_rating_sends_no_second_rating_link(smtp_server: FakeSmtp) -> None:
    agent = make_user('agent')
    number, text = solved_email(smtp_server, agent)
    token = re.search(r'token=([\w-]+)', text).group(1)
    with session_scope() as session:
        tickets.rate(session=session, number=number, token=token, score=5)
    with session_scope() as session:
        tickets.add_customer_message(session=session, number=number, body='One more thing', token=token)
    ticket = stored_request(number)
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url, 'public_url': PUBLIC})
    assert mail.send_outbox(settings)['sent'] == 1
    assert '/rate?' not in message_from_bytes(smtp_server.received[-1][2]).get_payload(decode=True).decode()
    assert [m.kind for m in thread(number)].count(MessageKind.notice) == 2


def thread(number: int) -> list[TicketMessage]:
    ticket = stored_request(number)
    with read_session() as session:
        return list(session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)))


MERGED = 'Merged: "late" <script>window.__x=1</script>: l\'été'


async def test_a_request_merged_away_after_its_rating_link_was_sent_is_rated_nowhere(
    user: User, create_user: Callable[[], User], smtp_server: FakeSmtp
) -> None:
    """A solved request merged into another (the customer wrote again on the same matter) is closed by the merge: its
    link, the API and the portal offered to rate it, and the rating counted in CSAT for help nobody gave there."""
    from backoffice.api.requests import router
    from backoffice.services import ticket_links

    from .support.api import api_client
    from .support.portal import enter_portal

    agent = make_user('agent')
    number, text = solved_email(smtp_server, agent)
    link = urlsplit(link_in(text))
    token = re.search(r'token=([\w-]+)', text).group(1)
    target = submit_request(MERGED)  # the same customer: cora
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=stored_request(number).id, version=None, into_number=target.number
        )
    said = (
        f'This request was merged into request #{target.number}: the conversation goes on there, and you can rate '
        'our help there once it is solved.'
    )

    await user.open(f'{link.path}?{link.query}')  # the link in the email they already have
    await user.should_see(said)
    await user.should_not_see(marker='rate-send')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.rate(session=session, number=number, token=token, score=1, comment=MERGED)
    assert refused.value.errors == {'': said}
    async with api_client(router) as client:
        answer = await client.post(f'/api/requests/{number}/rating', json={'token': token, 'score': 1})
    assert answer.status_code == 422, answer.text
    assert said in answer.text

    customer = create_user()  # in the portal: no rating form, but where to rate and write now
    await enter_portal(customer, 'cora@example.com')
    await customer.open(f'/portal/requests/{number}')
    await customer.should_see(marker='portal-continues-in')
    await customer.should_see(f'request #{target.number}')
    await customer.should_not_see(marker='portal-rating')
    assert stored_request(number).rating is None


def test_a_request_merged_before_its_solved_email_went_out_sends_the_customer_solved_once_for_the_one_going_on(
    smtp_server: FakeSmtp,
) -> None:
    """The merge moved the queued "solved" email into the request that goes on, which is open: the customer was told
    "solved" (of the merged request's number, under the other's subject) of a conversation going on. Now nothing goes
    out at the merge, the portal does not show it, and the customer hears "solved" once: when the request that goes on
    is, with its own rating link."""
    from backoffice.services import portal, ticket_links
    from backoffice.services.portal_scope import actor_of

    agent = make_user('agent')
    early, goes_on = submit_request(MERGED), submit_request('Parcel "late"')
    shop_mails()
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=early.id, version=early.version, status='solved')
    with session_scope() as session:
        ticket_links.merge(session=session, actor=agent, ticket_id=early.id, version=None, into_number=goes_on.number)
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url, 'public_url': PUBLIC})
    assert mail.send_outbox(settings)['sent'] == 0
    assert smtp_server.received == []
    with read_session() as session:
        cora = actor_of(session, session.get(Customer, early.customer_id))
        for number in (early.number, goes_on.number):
            shown = portal.request_view(session=session, actor=cora, number=number).thread
            assert MessageKind.notice not in [entry.kind for entry in shown], number

    ticket = stored_request(goes_on.number)
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
    assert mail.send_outbox(settings)['sent'] == 1
    (_, recipients, data), *_ = smtp_server.received
    email = message_from_bytes(data)
    assert email['Subject'] == f'Solved: Parcel "late" [#{goes_on.number}]'
    text = email.get_payload(decode=True).decode()
    assert f'request #{goes_on.number}' in text and f'#{early.number}' not in text
    assert f'request={goes_on.number}&token={goes_on.token}' in link_in(text)


def test_a_solved_email_sent_before_the_merge_is_the_only_one_the_customer_gets(smtp_server: FakeSmtp) -> None:
    from backoffice.services import ticket_links

    agent = make_user('agent')
    number, _text = solved_email(smtp_server, agent)  # the outbox ran first
    goes_on = submit_request('Parcel "late"')
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=stored_request(number).id, version=None, into_number=goes_on.number
        )
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url, 'public_url': PUBLIC})
    assert mail.send_outbox(settings)['sent'] == 0
    assert len(smtp_server.received) == 1


def test_a_solved_email_the_server_took_while_a_merge_cancelled_it_is_recorded_as_sent(
    smtp_server: FakeSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox had read its batch when the merge committed: the email went out, and the thread says so rather than
    "cancelled" (the merge's audit entry says it was meant to be)."""
    from backoffice.services import ticket_links

    agent = make_user('agent')
    early, goes_on = submit_request(MERGED), submit_request('Parcel "late"')
    shop_mails()
    with session_scope() as session:
        tickets.change(session=session, actor=agent, ticket_id=early.id, version=early.version, status='solved')
    sending = mail.send_one

    def merged_meanwhile(server, email):
        with session_scope() as session:
            ticket_links.merge(
                session=session, actor=agent, ticket_id=early.id, version=None, into_number=goes_on.number
            )
        return sending(server, email)

    monkeypatch.setattr(mail, 'send_one', merged_meanwhile)
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url, 'public_url': PUBLIC})
    assert mail.send_outbox(settings)['sent'] == 1
    assert len(smtp_server.received) == 1
    assert [(m.kind, m.delivery) for m in thread(early.number) if m.kind == MessageKind.notice] == [
        (MessageKind.notice, Delivery.sent)
    ]
