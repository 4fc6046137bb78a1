"""Relating requests on the request page: linking (found by number or subject, shown on both, live on a colleague's
screen, removable), merging into another request (with its refusals and the question across customers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nicegui import ui
from nicegui.testing import User

from backoffice.services.ticket_links import Found
from pages import request as request_screen

from .support.colleagues import colleague_changes
from .support.factories import make_user, stored_request, submit_request
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Re: "refund" <script>alert(1)</script>'


async def open_request(user: User, email: str, number: int, says: str = 'It has been two weeks.') -> None:
    await signed_in(user, email, path=f'/requests/{number}')
    await user.should_see(says)


def linked_texts(user: User) -> list[str]:
    try:
        rows = user.find(marker='linked-request').elements
    except AssertionError:  # none shown
        return []
    return sorted(' '.join(e.text for e in row.descendants() if isinstance(e, ui.label | ui.link)) for row in rows)


def results_shown(user: User) -> list[str]:
    """The numbers of the requests the search dialog offers."""
    try:
        rows = user.find(marker='search-result').elements
    except AssertionError:  # none shown
        return []
    return sorted(
        e.text for row in rows for e in row.descendants() if isinstance(e, ui.label) and e.text.startswith('#')
    )


def search_error(user: User) -> str | None:
    return user.find(marker='request-search').elements.pop().error


async def test_an_agent_links_two_requests_found_by_subject_and_both_show_it_live(
    user: User, create_user: Callable[[], User]
) -> None:
    alex, blair = make_user('agent', name='Alex Agent'), make_user('agent', name='Blair Agent')
    first = submit_request('Parcel lost')
    second = submit_request(HOSTILE, body='Where is the refund?')
    await open_request(user, alex.email, first.number)
    other = create_user()
    await open_request(other, blair.email, second.number, says='Where is the refund?')
    await other.should_see('No related requests yet.')

    user.find(marker='link-request').click()
    user.find(marker='request-search').type('<script>')
    await user.should_see(marker='pick')  # found (the customer's other requests beside the thread name it too)
    await user.should_see(HOSTILE)  # shown as text
    user.find(marker='pick').click()
    await user.should_see('Linked')
    await eventually(lambda: linked_texts(user) == [f'#{second.number} {HOSTILE} New'])
    link = user.find(marker='related-link').elements.pop()
    assert link.props['href'] == f'/requests/{second.number}'
    # the other request's screen, open elsewhere, shows the link without a reload
    await eventually(lambda: linked_texts(other) == [f'#{first.number} Parcel lost New'])

    colleague_changes(first.number, blair, status='open')  # the status shown with the link follows
    await eventually(lambda: linked_texts(other) == [f'#{first.number} Parcel lost Open'])

    other.find(marker='unlink').click()
    await other.should_see('Link removed')
    await eventually(lambda: linked_texts(user) == [] and linked_texts(other) == [])


async def test_linking_by_number_says_at_the_field_what_is_wrong(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request()
    await open_request(user, agent.email, ticket.number)
    user.find(marker='link-request').click()
    field = user.find(marker='request-search')
    field.type(str(ticket.number)).trigger('keydown.enter')
    await eventually(lambda: search_error(user) == 'A request cannot be linked to itself')
    field.clear().type('"x": <script>').trigger('keydown.enter')
    await eventually(lambda: search_error(user) == 'Nothing matches “"x": <script>”')
    await user.should_see('No request matches.')


async def test_an_agent_merges_a_request_into_another_and_sees_where_it_went_on(
    user: User, create_user: Callable[[], User]
) -> None:
    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    target = submit_request('Parcel lost')
    closed = submit_request('Old one')
    colleague_changes(closed.number, agent, status='closed')
    source = submit_request('Parcel still lost', body='Second mail: "where" <script>alert(1)</script>')
    other = create_user()  # a colleague has the target open
    await open_request(other, colleague.email, target.number)
    await open_request(user, agent.email, source.number, says='Second mail')
    user.find(marker='merge').click()
    # what the merge does to both requests' statuses and clocks is said before it is done
    await user.should_see('this one closes, pointing there: its SLA clock stops. The other request keeps its own clock')
    field = user.find(marker='request-search')
    field.type(str(closed.number)).trigger('keydown.enter')
    await eventually(lambda: search_error(user) == f'#{closed.number} is closed: choose a request that is still open')
    field.clear().type(f'#{target.number}')
    await user.should_see('Parcel lost')
    field.trigger('keydown.enter')
    await user.should_see('Merged')
    await user.should_see(marker='merged-into')
    await user.should_see(f'Merged into #{target.number}: the conversation goes on there.')
    await user.should_not_see(marker='merge')
    assert stored_request(source.number).merged_into_id == target.id
    await other.should_see('Second mail: "where" <script>alert(1)</script>')  # moved, live on the colleague's screen
    await other.should_see(f'#{source.number} was merged into this request (messages moved: 1).')
    # handled by an agent, the new target is open, on the colleague's screen too
    await eventually(lambda: other.find(marker='status').elements.pop().value == 'open')
    assert next(iter(user.find(marker='related-link').elements)).props['href'] == f'/requests/{target.number}'


async def test_merging_into_another_customers_request_asks_first(user: User) -> None:
    agent = make_user('agent')
    target = submit_request('Parcel lost', email='cora@example.com', name='Cora "C"')
    source = submit_request('Mine too', email='dan@example.com', name='Dan: <script>x</script>')
    await open_request(user, agent.email, source.number)
    user.find(marker='merge').click()
    user.find(marker='request-search').type(str(target.number)).trigger('keydown.enter')
    await user.should_see('two different customers')
    user.find(marker='confirm-no').click()
    await user.should_not_see('Merged into')
    assert stored_request(source.number).merged_into_id is None
    user.find(marker='request-search').trigger('keydown.enter')
    await user.should_see('two different customers', retries=40)
    user.find(marker='confirm-yes').click()
    await user.should_see(marker='merged-into')
    assert stored_request(source.number).merged_into_id == target.id


async def test_a_reader_sees_the_links_but_cannot_change_them(user: User) -> None:
    from backoffice.db import session_scope
    from backoffice.services import ticket_links

    agent, viewer = make_user('agent'), make_user('viewer')
    first, second = submit_request('Parcel lost'), submit_request(HOSTILE)
    with session_scope() as session:
        ticket_links.link(session=session, actor=agent, ticket_id=first.id, other_number=second.number)
    await open_request(user, viewer.email, first.number)
    await eventually(lambda: linked_texts(user) == [f'#{second.number} {HOSTILE} New'])
    await user.should_not_see(marker='unlink')
    await user.should_not_see(marker='link-request')
    await user.should_not_see(marker='merge')


async def test_the_customer_of_a_merged_request_is_shown_where_it_goes_on_and_nothing_of_another_customer(
    user: User,
) -> None:
    from backoffice.db import session_scope
    from backoffice.services import ticket_links

    from .support.portal import enter_portal

    agent = make_user('agent')
    target = submit_request('Parcel lost', email='cleo@example.com')
    source = submit_request('Parcel lost: "again" <script>', email='cleo@example.com', body='Second: any news?')
    others = submit_request('Not yours', email='dan@example.com')
    with session_scope() as session:
        ticket_links.merge(
            session=session, actor=agent, ticket_id=source.id, version=source.version, into_number=target.number
        )
    await enter_portal(user, 'cleo@example.com')
    await user.open(f'/portal/requests/{source.number}')
    await user.should_see(marker='portal-continues-in')
    await user.should_see(f'request #{target.number}')
    await user.open(f'/portal/requests/{target.number}')
    await user.should_see('Second: any news?')  # what they wrote is in the request that goes on

    # merged into another customer's request (confirmed by the agent): the customer is not told of it
    third = submit_request('Mine', email='cleo@example.com')
    with session_scope() as session:
        ticket_links.merge(
            session=session,
            actor=agent,
            ticket_id=third.id,
            version=third.version,
            into_number=others.number,
            other_customer=True,
        )
    await user.open(f'/portal/requests/{third.number}')
    await user.should_see('This request is closed.')
    await user.should_not_see(marker='portal-continues-in')
    # their list says where each goes on, never that the merge (which closed them) ended them
    await user.open('/portal/requests')
    await user.should_see(marker=f'portal-request-{source.number}')

    def badge(number: int) -> str:
        [card] = user.find(marker=f'portal-request-{number}').elements
        return next(b.text for b in card.descendants() if isinstance(b, ui.badge))

    assert badge(source.number) == f'Merged into #{target.number}'
    assert badge(third.number) == 'Merged into another request'  # not another customer's number
    assert badge(target.number) == 'In progress'  # the one that goes on


async def test_a_merge_is_a_change_of_the_target_live_on_a_colleagues_screen_and_at_the_moved_up_in_the_list(
    user: User, create_user: Callable[[], User]
) -> None:
    from backoffice.db import session_scope
    from backoffice.services import tickets

    from .support.lists import listed

    agent, colleague = make_user('agent'), make_user('agent', name='Cole League')
    target = submit_request('Parcel lost: "box" <script>', email='cleo@example.com')
    with session_scope() as session:  # answered: the target waits on the customer
        tickets.reply(session=session, actor=colleague, ticket_id=target.id, version=target.version, body='Checking.')
    source = submit_request('Still nothing', email='cleo@example.com', body='Any news? "soon": <script>x</script>')
    submit_request('Wrong size', email='cleo@example.com')  # updated after the target: above it in the list
    other = create_user()  # the colleague, with the target open
    await open_request(other, colleague.email, target.number, says='Checking.')
    assert other.find(marker='status').elements.pop().value == 'waiting'
    desk = create_user()  # the live list, by updated time
    await signed_in(desk, make_user('agent').email, path='/requests')
    await eventually(
        lambda: listed(desk, 'subject')[:3] == ['Wrong size', 'Still nothing', 'Parcel lost: "box" <script>']
    )

    await open_request(user, agent.email, source.number, says='Any news?')
    user.find(marker='merge').click()
    user.find(marker='request-search').type('cleo@example')  # the customer's email finds their requests
    await user.should_see('Parcel lost: "box" <script>')
    user.find(marker='request-search').clear().type(f'#{target.number}').trigger('keydown.enter')
    await user.should_see('Merged')

    # the colleague's screen shows the messages that came in and the request back in the queue, without a reload
    await other.should_see('Any news? "soon": <script>x</script>')
    await other.should_see(f'#{source.number} was merged into this request (messages moved: 1).')
    await eventually(lambda: other.find(marker='status').elements.pop().value == 'open')
    # the list moves the target up by its updated time, under the merged one (closed as it went)
    await eventually(
        lambda: listed(desk, 'subject')[:3] == ['Still nothing', 'Parcel lost: "box" <script>', 'Wrong size']
    )
    assert stored_request(target.number).version == target.version + 2  # the reply, then the merge


async def test_the_link_search_shows_ten_says_how_many_more_and_leaves_out_what_is_linked(user: User) -> None:
    agent = make_user('agent')
    ticket = submit_request('Crate: "dented" <script>', email='ivy@example.com', name='Ivy: <b>Stone</b>')
    made = [submit_request(f'Crate #{n}: "dented" <script>') for n in range(12)]
    await open_request(user, agent.email, ticket.number)
    user.find(marker='link-request').click()
    user.find(marker='request-search').type('dented crate')
    await user.should_see('2 more — type more to narrow')
    await eventually(lambda: len(user.find(marker='search-result').elements) == 10)
    await user.should_not_see(f'#{made[0].number}')  # the oldest two are the ones not shown
    user.find(marker='request-search').clear().type(f'#{made[11].number}')
    await user.should_not_see('more — type more to narrow')
    user.find(marker='pick').click()
    await eventually(lambda: linked_texts(user) == [f'#{made[11].number} Crate #11: "dented" <script> New'])
    user.find(marker='link-request').click()
    user.find(marker='request-search').type('dented crate')
    await user.should_see('1 more — type more to narrow')  # the linked one is no longer offered


async def test_enter_links_the_first_request_the_words_sent_with_it_find(user: User) -> None:
    """Enter takes the first request found for the text in the field when it was pressed, sent with the Enter: the
    field's value on the server (a quarter of a second behind the typing) may be the text of fewer letters."""
    agent = make_user('agent')
    ticket = submit_request('Mug: "chipped" <script>')
    older = submit_request('Kettle "A": leaking <script>')
    submit_request('Kettle "B": leaking <script>')
    newest = submit_request('Kettle "C": leaking <script>')
    await open_request(user, agent.email, ticket.number)
    user.find(marker='link-request').click()
    field = user.find(marker='request-search')
    field.type('leaking kettle').trigger('keydown.enter', 'leaking kettle "A"')  # the browser's text, not 'leaking…'
    await user.should_see('Linked')
    await eventually(lambda: linked_texts(user) == [f'#{older.number} Kettle "A": leaking <script> New'])
    user.find(marker='link-request').click()
    field = user.find(marker='request-search')
    field.type('leaking').trigger('keydown.enter', 'leaking kettle <script> "zz"')
    await eventually(lambda: search_error(user) == 'Nothing matches “leaking kettle <script> "zz"”')
    field.trigger('keydown.enter', 'kettle leaking')  # several found (B and C): the first listed, the newest
    await eventually(lambda: len(linked_texts(user)) == 2)
    assert f'#{newest.number} Kettle "C": leaking <script> New' in linked_texts(user)


async def test_enter_does_not_merge_into_one_of_several_requests_the_words_find(user: User) -> None:
    """A merge cannot be undone: words that find several requests ask the agent to choose; one found, Enter merges."""
    agent = make_user('agent')
    source = submit_request('Mug: "chipped" <script>')
    submit_request('Kettle "A": leaking <script>')
    only = submit_request('Kettle "B": leaking <script>')
    await open_request(user, agent.email, source.number)
    user.find(marker='merge').click()
    field = user.find(marker='request-search')
    field.type('kettle leaking').trigger('keydown.enter', 'kettle leaking')
    await eventually(lambda: search_error(user) == 'Several requests match: choose one, or type its number')
    assert stored_request(source.number).merged_into_id is None
    field.trigger('keydown.enter', 'kettle "B"')
    await user.should_see('Merged')
    assert stored_request(source.number).merged_into_id == only.id


async def test_the_link_search_shows_what_the_last_words_typed_find_even_when_an_earlier_search_answers_last(
    user: User, monkeypatch
) -> None:
    """ "kettle" is searched, then "kettle B" typed on; the search of fewer letters answering last does not bring back
    the kettle the words typed leave out."""
    agent = make_user('agent')
    ticket = submit_request('Mug: "chipped" <script>')
    submit_request('Kettle "A": leaking <script>', email='ann@example.com')
    second = submit_request('Kettle "B": leaking <script>', email='bo@example.com')
    go_on, held, searches = asyncio.Event(), asyncio.Event(), {'started': 0, 'done': 0}
    search = request_screen.RequestScreen._search  # noqa: SLF001

    async def slow_first(screen: request_screen.RequestScreen, query: str, merging: bool) -> Found:
        searches['started'] += 1
        try:
            if query == 'kettle':  # the search of fewer letters: it answers last
                held.set()
                await go_on.wait()
            return await search(screen, query, merging)
        finally:
            searches['done'] += 1

    monkeypatch.setattr(request_screen.RequestScreen, '_search', slow_first)
    await open_request(user, agent.email, ticket.number)
    user.find(marker='link-request').click()
    field = user.find(marker='request-search')
    field.type('kettle')
    await eventually(held.is_set)
    field.type(' "B"')
    await eventually(lambda: results_shown(user) == [f'#{second.number}'])  # the later search's answer
    go_on.set()
    await eventually(lambda: searches['done'] == searches['started'])  # the earlier search answered
    assert results_shown(user) == [f'#{second.number}']
