"""On a phone a list is a list of cards that its resource declares (a title line, a status chip, secondary values):
the cards follow the list's search, filters, selection and live updates, and tapping one opens the record."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from backoffice import formatting
from backoffice.db import session_scope
from backoffice.resources import resource
from backoffice.services import crud, ticket_snooze

from .support.factories import make_company, make_customer, make_product, make_user, place, submit_request
from .support.lists import cards, cards_show, tap_card
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE_NAME = 'Zoë "Z": <script>window.__x=1</script>'


def line(card: dict, label: str) -> str | None:
    return next((item['value'] for item in card['lines'] if item['label'] == label), None)


async def test_customers_show_as_cards_that_follow_search_and_filters_and_open(user: User) -> None:
    company = make_company('Acme "Tools": <b>GmbH</b>')
    make_customer('zoe.card@example.com', name=HOSTILE_NAME, company_id=company.id)
    make_customer('una.card@example.com', name='Una', status='unfinished')
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/customers')
    shown = await cards_show(user, 'zoe.card@example.com', 'una.card@example.com')
    zoe = next(card for card in shown if card['title'] == 'zoe.card@example.com')
    # the declared card: email as the title, the status as its chip, then name, company and last seen
    assert zoe['status'] == 'Active'
    assert line(zoe, 'Name') == HOSTILE_NAME  # bound as text by the template, character for character
    assert line(zoe, 'Company') == 'Acme "Tools": <b>GmbH</b>'
    assert line(zoe, 'Last seen') is None  # an empty value takes no line

    user.find(marker='search').type('zoe.c')
    await cards_show(user, 'zoe.card@example.com', absent=('una.card@example.com',))
    user.find(marker='search').elements.pop().set_value('')
    user.find(marker='filter-status').elements.pop().set_value(['unfinished'])
    await cards_show(user, 'una.card@example.com', absent=('zoe.card@example.com',))
    user.find(marker='filter-status').elements.pop().set_value([])

    await cards_show(user, 'zoe.card@example.com')
    tap_card(user, 'zoe.card@example.com')
    await user.should_see('Save changes')  # the customer's dialog
    assert any(getattr(element, 'value', None) == HOSTILE_NAME for element in user.find(kind=ui.input).elements), (
        'the dialog does not show the customer tapped'
    )


async def test_a_new_customer_appears_as_a_card_without_a_reload(user: User) -> None:
    manager = make_user('manager')
    make_customer('first.card@example.com')
    await signed_in(user, manager.email, path='/customers')
    await cards_show(user, 'first.card@example.com')
    with session_scope() as session:  # a colleague adds one meanwhile
        crud.create_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            data={'email': 'live.card@example.com', 'name': 'Live "Card": <i>x</i>', 'status': 'active'},
        )
    shown = await cards_show(user, 'live.card@example.com', 'first.card@example.com')
    assert line(next(c for c in shown if c['title'] == 'live.card@example.com'), 'Name') == 'Live "Card": <i>x</i>'


async def test_an_order_card_shows_number_status_customer_and_total_and_opens_the_order(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), email='ann.card@example.com')
    await signed_in(user, manager.email, path='/orders')
    (card,) = await cards_show(user, order.number)
    assert card['status'] == 'Pending payment'
    assert line(card, 'Customer') == 'ann.card@example.com'
    assert line(card, 'Total') == f'€{order.total:,.2f}'  # with its currency, as every screen writes money
    tap_card(user, order.number)
    await eventually(lambda: user.back_history[-1].endswith(f'/orders/{order.number}'), message='the order opens')


async def test_a_request_card_counts_down_its_deadline(user: User) -> None:
    agent = make_user('agent')
    request = submit_request('Lid "loose": <script>window.__x=2</script>')
    await signed_in(user, agent.email, path='/requests')
    # the request's number leads its title line, where a phone keeps it without a secondary line
    (card,) = await cards_show(user, f'#{request.number} · Lid "loose": <script>window.__x=2</script>')
    assert card['status'] == 'New'
    assert (line(card, 'SLA due') or '').startswith('in '), card


async def test_a_snoozed_request_card_says_when_it_comes_back(user: User) -> None:
    """The Snoozed queue's column on a desktop, on the phone's card: an agent sees when each comes back."""
    agent = make_user('agent')
    snoozed, awake = submit_request('Lid "loose": <script>window.__x=2</script>'), submit_request('Awake')
    until = ticket_snooze.choice('tomorrow')
    with session_scope() as session:
        ticket_snooze.snooze(session=session, actor=agent, ticket_id=snoozed.id, version=snoozed.version, until=until)
    await signed_in(user, agent.email, path='/requests?queue=snoozed')
    (card,) = await cards_show(user, f'#{snoozed.number} · {snoozed.subject}', absent=(f'#{awake.number} · Awake',))
    assert line(card, 'Snoozed until') == formatting.when(until)
    await user.open('/requests?queue=open')
    (card,) = await cards_show(
        user, f'#{awake.number} · {awake.subject}', absent=(f'#{snoozed.number} · {snoozed.subject}',)
    )
    assert line(card, 'Snoozed until') is None  # a line only once snoozed


async def test_cards_are_sorted_by_a_choice_instead_of_column_headers(user: User) -> None:
    manager = make_user('manager')
    make_product('MUG', '10.00', stock_on_hand=50, actor=manager)
    small, big, middle = (place(('MUG', n), email=f'sort{n}@example.com') for n in (1, 5, 3))
    await signed_in(user, manager.email, path='/orders')
    await cards_show(user, small.number, big.number, middle.number)
    user.find(marker='phone-sort').elements.pop().set_value('total')  # "Sort by: Total"
    await eventually(
        lambda: [card['title'] for card in cards(user)] == [big.number, middle.number, small.number],
        message='the cards go from the largest total down (the orders list sorts newest first)',
    )
    user.find(marker='phone-sort-direction').click()  # "Reverse the order"
    await eventually(lambda: [card['title'] for card in cards(user)] == [small.number, middle.number, big.number])
