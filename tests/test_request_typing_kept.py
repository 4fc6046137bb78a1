"""What an agent is typing in a request's details (its tags, its order number) while a colleague changes the same field:
the typing stays on the screen, and saving it names the colleague instead of quietly putting their change back."""

from __future__ import annotations

from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.services import tickets, users

from .support.colleagues import colleague_changes
from .support.factories import make_user, stored_request, submit_request
from .support.signin import signed_in
from .support.waiting import eventually

TYPED_ORDER = '"B-2": <script>x</script>'  # an order number is 40 characters at most


async def open_request(user: User, email: str, number: int) -> None:
    await signed_in(user, email, path=f'/requests/{number}')
    await user.should_see('It has been two weeks.')


def shown(user: User, marker: str):
    return user.find(marker=marker).elements.pop()


async def test_an_order_number_being_typed_stays_when_a_colleague_changes_it_and_saving_says_who(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request(order_number='A-1')
    await open_request(user, agent.email, ticket.number)
    shown(user, 'order-number').set_value(TYPED_ORDER)  # typed, not yet saved (Enter or leaving the field saves)
    colleague_changes(ticket.number, colleague, order_number='C-3', priority='high')
    await eventually(lambda: shown(user, 'priority').value == 'high')  # the page heard of it
    assert shown(user, 'order-number').value == TYPED_ORDER

    user.find(marker='order-number').trigger('keydown.enter')
    await user.should_see(f'changed by {colleague.name}')
    assert user.notify.contains(f'changed by {colleague.name}')  # said where the agent is, too
    assert stored_request(ticket.number).order_number == 'C-3'  # the colleague's number stands

    user.find(marker='reload').click()  # the request as it is now, what was typed kept over it
    await user.should_not_see(marker='stale')
    assert shown(user, 'order-number').value == TYPED_ORDER
    user.find(marker='order-number').trigger('keydown.enter')
    await eventually(lambda: stored_request(ticket.number).order_number == TYPED_ORDER)
    await user.should_see(f'Order {TYPED_ORDER}')  # as text


async def test_an_order_number_saved_by_a_colleague_shows_when_the_agent_was_not_typing(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request(order_number='A-1')
    await open_request(user, agent.email, ticket.number)
    colleague_changes(ticket.number, colleague, order_number=TYPED_ORDER)
    await eventually(lambda: shown(user, 'order-number').value == TYPED_ORDER)
    shown(user, 'order-number').set_value('D-4')
    user.find(marker='order-number').trigger('keydown.enter')
    await eventually(lambda: stored_request(ticket.number).order_number == 'D-4')


async def test_a_tag_typed_anew_and_entered_in_the_browser_is_saved(user: User) -> None:
    """The browser sends a new tag as its text (not one of the options): it is saved, not taken for the tags shown."""
    agent = make_user('agent')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    user.find(marker='tags').trigger('update:modelValue', ['vip: "gold" <script>'])  # typed, then Enter
    await user.should_see('Saved')
    await eventually(lambda: stored_request(ticket.number).tags == ['vip: "gold" <script>'])


async def test_a_tag_being_typed_stays_when_a_colleague_changes_the_tags_and_both_are_kept(user: User) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    tags = shown(user, 'tags')
    # 'fragi' typed in the field, no Enter yet: only the browser holds it (as the Chromium test shows)
    colleague_changes(ticket.number, colleague, tags=['vip: "gold"'])
    await eventually(lambda: shown(user, 'tags').value == ['vip: "gold"'])
    assert shown(user, 'tags') is tags  # updated where it is, not built anew: the browser keeps the text typed in it

    tags.set_value([*tags.value, 'fragile <script>'])  # Enter: the typed tag joins the colleague's
    await user.should_see('Saved')
    await eventually(lambda: stored_request(ticket.number).tags == ['vip: "gold"', 'fragile <script>'])


async def test_a_tag_added_over_a_colleagues_unseen_change_says_who_and_reload_keeps_both(user: User) -> None:
    """The colleague's tag is saved just before this agent's (the page has not heard of it yet): the save names the
    colleague, the agent's tag stays on the screen, and Reload shows both tags and saves them, the colleague's kept."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    tags = shown(user, 'tags')
    colleague_changes(ticket.number, colleague, tags=['vip'], priority='high')
    tags.set_value(['fragile'])  # before the live update arrived
    await user.should_see(f'changed by {colleague.name}')
    assert user.notify.contains(f'changed by {colleague.name}')
    assert stored_request(ticket.number).tags == ['vip']
    await eventually(lambda: shown(user, 'priority').value == 'high')  # the page heard of it
    assert shown(user, 'tags').value == ['fragile']  # the live update left the agent's tag on the screen

    user.find(marker='reload').click()
    await user.should_not_see(marker='stale')
    await eventually(lambda: stored_request(ticket.number).tags == ['vip', 'fragile'])
    assert shown(user, 'tags').value == ['vip', 'fragile']


async def test_an_assignee_being_searched_stays_when_the_customer_writes_or_a_tag_changes(user: User) -> None:
    """The header (status, priority, type, assignee) is built anew only when what it shows changed: the customer's
    message or a colleague's tag leaves the name being typed in the assignee field alone."""
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    assignee = shown(user, 'assignee')
    # 'Cole' typed in its field to find the colleague: only the browser holds it, kept while the field is not rebuilt
    with session_scope() as session:
        tickets.add_customer_message(session=session, number=ticket.number, body='Any news?', token=ticket.token)
    colleague_changes(ticket.number, colleague, tags=['vip'])
    await user.should_see('Any news?')
    await eventually(lambda: shown(user, 'tags').value == ['vip'])
    assert shown(user, 'assignee') is assignee

    colleague_changes(ticket.number, colleague, priority='high')  # what the header shows: built anew, up to date
    await eventually(lambda: shown(user, 'priority').value == 'high')


async def test_a_header_change_refused_shows_the_stored_value_again_not_the_choice_that_was_not_saved(
    user: User,
) -> None:
    """A priority picked over a colleague's unseen change is refused (the warning names them): the field goes back to
    the priority the request has, through the live update and the warning's Reload, instead of showing "High" as if
    saved. An assignee deactivated since the list was drawn is refused at the field, which shows nobody again."""
    admin, agent = make_user('admin'), make_user('agent')
    colleague = make_user('agent', name='Cole "C" <b>League</b>')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    colleague_changes(ticket.number, colleague, tags=['vip: "x"'])  # not shown in the header
    shown(user, 'priority').set_value('high')  # before the live update arrived
    await user.should_see(f'changed by {colleague.name}')
    await eventually(lambda: shown(user, 'tags').value == ['vip: "x"'])  # the page heard of it
    assert stored_request(ticket.number).priority == 'normal'
    await eventually(lambda: shown(user, 'priority').value == 'normal')
    user.find(marker='reload').click()
    await user.should_not_see(marker='stale')
    assert shown(user, 'priority').value == 'normal'

    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=colleague.id, version=colleague.version, active=False)
    shown(user, 'assignee').set_value(colleague.id)  # still offered: the list was drawn before they left
    await eventually(lambda: shown(user, 'assignee').error == 'Choose an active member of staff who answers requests')
    assert shown(user, 'assignee').value is None and stored_request(ticket.number).assignee_id is None
