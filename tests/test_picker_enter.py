"""Enter in a picker takes the first suggestion for the text in its field when Enter was pressed, sent with the Enter:
never the first of a list still showing an earlier, shorter text (typed fast, then Enter at once). Each test first
narrows the list for fewer letters, as the browser had when its list lagged, then sends Enter with the whole text.
Nothing matches: the field says so, and typing takes it back."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui
from nicegui.testing import User

from .support.factories import make_customer, make_user, stored_request, submit_request
from .support.signin import signed_in
from .support.waiting import eventually


def sends(user: User, picker: ui.element, event: str, text: Any) -> None:
    """What the browser sends from the field: every listener of the event, as NiceGUI runs them."""
    with user.client:
        for listener in list(picker._event_listeners.values()):  # noqa: SLF001
            if listener.type == event:
                events.handle_event(
                    listener.handler, events.GenericEventArguments(sender=picker, client=user.client, args=text)
                )


def labelled(user: User, label: str) -> ui.select:
    return max((e for e in user.find(kind=ui.select).elements if e.props.get('label') == label), key=lambda e: e.id)


async def test_the_callers_picker_takes_the_first_customer_of_the_text_sent_with_enter(user: User) -> None:
    agent = make_user('agent')
    make_customer('pick.alpha@example.com', name='Alpha: "A" <b>x</b>')
    alphonse = make_customer('pick.alphonse@example.com', name='Alphonse')
    await signed_in(user, agent.email, path='/requests')
    user.find('New request').click()
    await user.should_see('Customer')
    picker = labelled(user, 'Customer')
    sends(user, picker, 'inputValue', 'pick.alph')  # the list of fewer letters: pick.alpha first
    assert next(iter(picker.options.values())) == 'pick.alpha@example.com'
    sends(user, picker, 'keydown', 'pick.alphonse')
    assert picker.value == alphonse.id, 'Enter took the first suggestion of an earlier, shorter text'
    assert picker.error is None

    hostile = '"zz": <script>x</script>'
    sends(user, picker, 'keydown', hostile)
    assert picker.error == f'Nothing matches “{hostile}”'  # said at the field, as text
    assert picker.value == alphonse.id  # the pick stays
    sends(user, picker, 'inputValue', 'pick')  # typing on takes it back
    assert picker.error is None


async def test_the_assignee_picker_takes_the_first_name_the_words_find(user: User) -> None:
    agent = make_user('agent', name='Ada Agent')
    make_user('agent', name='Sam Adams')
    sam = make_user('agent', name='Sam Okafor: "<b>lead</b>"')
    ticket = submit_request('Who takes it: "<script>x</script>"', email='enter.assign@example.com')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('It has been two weeks.')
    picker = user.find(marker='assignee').elements.pop()
    sends(user, picker, 'inputValue', 'sam')  # Sam Adams first
    sends(user, picker, 'keydown', 'okafor sam')  # each word, any order
    await user.should_see('Saved')
    assert stored_request(ticket.number).assignee_id == sam.id
    first_drawn = picker.id  # the change draws the picker again: the one shown now is the one a person types in
    await eventually(lambda: any(e.id != first_drawn for e in user.find(marker='assignee').elements))
    picker = max(user.find(marker='assignee').elements, key=lambda e: e.id)
    sends(user, picker, 'keydown', '<b>nobody</b>')
    assert picker.error == 'Nothing matches “<b>nobody</b>”'


async def test_enter_on_the_name_already_picked_keeps_it(user: User) -> None:
    """'Okafor' is picked; Enter on its name in the field keeps it, though 'Ada Okafor' is listed first for it."""
    agent = make_user('agent', name='Ada Okafor')
    okafor = make_user('agent', name='Okafor')
    ticket = submit_request('Keep it', email='enter.keep@example.com')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('Keep it')
    user.find(marker='assignee').elements.pop().set_value(okafor.id)
    await user.should_see('Saved')
    await eventually(lambda: stored_request(ticket.number).assignee_id == okafor.id)
    picker = user.find(marker='assignee').elements.pop()  # built again by the change
    sends(user, picker, 'inputValue', 'Okafor')  # the name shown in the field once picked
    assert next(iter(picker.options.values())) == 'Ada Okafor'
    sends(user, picker, 'keydown', 'Okafor')
    assert picker.value == okafor.id
    assert picker.error is None


async def test_the_canned_reply_picker_inserts_the_first_reply_of_the_text_sent_with_enter(user: User) -> None:
    from backoffice.db import session_scope
    from backoffice.models import CannedReply

    agent = make_user('agent')
    with session_scope() as session:
        session.add(CannedReply(title='Enter label: "return" <b>x</b>', body='Your prepaid courier label.'))
        session.add(CannedReply(title='Enter sticker', body='Your sticker: <i>here</i>'))
        session.commit()
    ticket = submit_request('Canned by Enter', email='enter.canned@example.com')
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('Canned by Enter')
    picker = user.find(marker='canned').elements.pop()
    await eventually(lambda: len(picker.options) >= 2)  # filled just after the page
    sends(user, picker, 'inputValue', 'enter')  # the label first
    sends(user, picker, 'keydown', 'enter sticker')
    body = user.find(marker='reply-body').elements.pop()
    await eventually(lambda: body.value == 'Your sticker: <i>here</i>')
    sends(user, picker, 'keydown', 'sticker "label" <script>')
    assert picker.error == 'Nothing matches “sticker "label" <script>”'
    assert body.value == 'Your sticker: <i>here</i>'  # nothing else inserted


async def test_a_list_filters_no_one_option_comes_first_only_for_what_says_it(user: User) -> None:
    """The Assignee filter's "No assignee" was the first suggestion whatever was typed: Enter on a name took it."""
    manager = make_user('manager')
    zed = make_user('agent', name='Zed Filterman', email='zed.filterman@example.com')
    await signed_in(user, manager.email, path='/requests')
    picker = labelled(user, 'Assignee')
    sends(user, picker, 'inputValue', 'zed.filter')
    assert 'No assignee' not in picker.options.values()
    sends(user, picker, 'keydown', 'zed.filterman')
    assert picker.value == zed.id
    sends(user, picker, 'inputValue', 'no assi')
    assert next(iter(picker.options.values())) == 'No assignee'


async def test_the_merge_picker_takes_the_first_duplicate_of_the_text_sent_with_enter(user: User) -> None:
    manager = make_user('manager')
    jane = make_customer('enter.jane@example.com', name='Jane Doe')
    make_customer('enter.jane1@example.com', name='Jane One')
    twin = make_customer('enter.jane2@example.com', name='Zoë "O\'Brien" <script>alert(1)</script>')
    await signed_in(user, manager.email, path=f'/customers/{jane.id}')
    user.find(marker='merge-with').click()
    await user.should_see('Merge a duplicate into this customer')
    picker = user.find(marker='merge-duplicate').elements.pop()
    sends(user, picker, 'inputValue', 'enter.jane')
    sends(user, picker, 'keydown', 'enter.jane2')
    assert picker.value == twin.id
    await user.should_see('Will move to Jane Doe')
