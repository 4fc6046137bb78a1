"""Names people give things are trimmed, 1..80 characters and free of invisible characters, with the reason at the
field; quotes and brackets stay allowed (every screen shows names as text). Links built from data are http(s) only."""

from __future__ import annotations

import threading

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Carrier
from backoffice.resources import resource
from backoffice.services import api_keys, crud, segments, tickets, users, views, webhooks
from components.resource_table import ResourceTable

from .support.factories import advance, make_customer, make_product, make_user, pay, place, ship_with
from .support.markup import PROP_BREAKOUT
from .support.signin import signed_in
from .support.waiting import eventually

INVISIBLE = ['Loyal\x00', 'Loyal\nVIP', 'Loyal\x1b[31m', 'Loyal\u202egnp.exe', 'Lo\u200byal']


def save_segment(name: str):
    with session_scope() as session:
        return segments.save_segment(session=session, actor=make_user('manager'), name=name, filters={'min_orders': 1})


def save_view(name: str):
    with session_scope() as session:
        return views.save_view(
            session=session, actor=make_user('manager'), resource=resource('customers'), name=name, state={}
        )


def create_key(name: str):
    with session_scope() as session:
        return api_keys.create_key(session=session, actor=make_user('admin'), name=name, scopes=['requests:write'])


def create_webhook(name: str):
    with session_scope() as session:
        return webhooks.create_endpoint(
            session=session,
            actor=make_user('admin'),
            data={'name': name, 'url': 'https://hooks.example.com/hook', 'events': '*'},
        )


def rename_user(name: str):
    admin, other = make_user('admin'), make_user('agent')
    with session_scope() as session:
        return users.update_user(session=session, actor=admin, user_id=other.id, version=other.version, name=name)


NAMED = [save_segment, save_view, create_key, create_webhook]


@pytest.mark.parametrize('save', NAMED + [rename_user])
@pytest.mark.parametrize('name', INVISIBLE)
def test_a_name_with_control_or_invisible_characters_is_refused_at_the_field(save, name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save(name)
    assert 'control or invisible' in refused.value.errors['name']


@pytest.mark.parametrize('save', NAMED)
def test_a_name_is_trimmed_and_at_most_80_characters(save) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save('x' * 81)
    assert refused.value.errors['name'] == 'Use at most 80 characters (this has 81)'
    with pytest.raises(ValidationFailed):
        save('   ')
    saved = save(f'  {PROP_BREAKOUT}  ')  # quotes and a colon are fine: they are shown as text
    saved = saved[0] if isinstance(saved, tuple) else saved
    assert saved.name == PROP_BREAKOUT


def test_tags_with_control_characters_are_refused() -> None:
    agent = make_user('agent')
    with session_scope() as session:
        ticket = tickets.submit_request(session=session, email='cleo@example.com', subject='Hi', body='Hello')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, tags=['vip\x07'])
    assert 'control or invisible' in refused.value.errors['tags']


@pytest.mark.parametrize(
    'template',
    [
        'javascript:alert(1)//{tracking}',
        'data:text/html,<script>1</script>',
        '//evil.example/{tracking}',
        ' JaVaScRiPt:alert(1)',
    ],
)
def test_a_carrier_tracking_link_must_be_an_http_address(template: str) -> None:
    manager = make_user('manager')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        crud.create_record(
            session=session,
            actor=manager,
            resource=resource('carriers'),
            data={'code': 'evil', 'name': 'Evil', 'tracking_url_template': template},
        )
    assert 'https://' in refused.value.errors['tracking_url_template']


def test_a_tracking_template_stored_before_the_check_never_becomes_a_link() -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=5, actor=manager)
    with session_scope() as session:  # written straight into the table, as an older version could have
        carrier = Carrier(code='old', name='Old', tracking_url_template='javascript:alert(1)//{tracking}')
        session.add(carrier)
        session.commit()
    order = advance(manager, pay_for(manager, place(('MUG', 1))), 'pack')
    shipment = ship_with(manager, order, carrier_id=carrier.id, tracking_number='JD0146')
    assert shipment.tracking_url == ''


def pay_for(manager, order):
    pay(manager, order)
    return order


async def test_a_links_record_opens_even_when_a_colleagues_change_arrives_as_the_list_loads(
    user: User, monkeypatch
) -> None:
    """'/customers?open=12' opens the record once the list has loaded; a change arriving meanwhile starts a later load
    that takes over (its rows are newer), and that one opened nothing: the link showed the list alone (CI met it on
    /mailboxes). Whichever load shows the rows opens the record."""
    manager = make_user('manager')
    customer = make_customer('link.open@example.com', name='Lina "Link" <b>x</b>: open')
    fetch, calls, go_on = ResourceTable._fetch, [0], threading.Event()  # noqa: SLF001

    def first_waits(table: ResourceTable, *args):
        calls[0] += 1
        if calls[0] == 1:  # the page's first load: held until the change's load has started
            go_on.wait(timeout=20)
        return fetch(table, *args)

    monkeypatch.setattr(ResourceTable, '_fetch', first_waits)
    await signed_in(user, manager.email, path=f'/customers?open={customer.id}')
    await eventually(lambda: calls[0] == 1, message='the first load started')
    make_customer('colleague.added@example.com', name='Added meanwhile')  # a colleague's change: a later load
    await eventually(lambda: calls[0] >= 2, message="the change's load started")
    go_on.set()
    await user.should_see('Save changes', retries=40)  # the record's dialog is open
    await user.should_see('link.open@example.com')


async def test_a_next_page_asked_for_as_a_colleagues_change_arrives_is_the_page_shown(user: User, monkeypatch) -> None:
    """The next-page arrow clicked while the list reads, and a colleague's change heard before that page came back: the
    change's reload reads the page the reader asked for, not the one still shown, and the footer moves on (it read page
    one again, which took over the click's later answer: the arrow seemed to do nothing, a CI run on PostgreSQL, whose
    changes arrive from the other process as they come)."""
    manager = make_user('manager')
    for number in range(27):
        make_customer(f'next.page{number:02}@example.com', name=f'Next "page": <script>x</script> {number}')
    fetch, asked, go_on = ResourceTable._fetch, [], threading.Event()  # noqa: SLF001

    def page_two_waits(table: ResourceTable, account, request, *args):
        asked.append(request.page)
        if request.page == 2 and asked.count(2) == 1:  # the click's read: held until the change's reload has started
            go_on.wait(timeout=20)
        return fetch(table, account, request, *args)

    monkeypatch.setattr(ResourceTable, '_fetch', page_two_waits)
    await signed_in(user, manager.email, path='/customers')
    table = user.find(ui.table).elements.pop()
    await eventually(lambda: len(table.rows) == 25, message='the first page shows')
    pagination = {**table.pagination, 'page': 2}
    pagination.pop('label', None)
    user.find(ui.table).trigger('request', {'pagination': pagination, 'filter': None})
    await eventually(lambda: 2 in asked, message="the click's read started")
    reads = len(asked)
    make_customer('colleague.meanwhile@example.com', name='Added "meanwhile": <b>x</b>')
    await eventually(lambda: len(asked) > reads, message="the change's reload started")
    go_on.set()
    await eventually(lambda: table.pagination['page'] == 2 and len(table.rows) == 3, message='page two shows')
    assert table.pagination['label'] == '26–28 of 28'
