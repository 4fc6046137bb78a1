"""The audit log as people use it: a row opens the entry in words with its fields before and after and a link that
goes to the record; the record-type filter offers every audited type; hostile text in a changed field stays text."""

from __future__ import annotations

import re

from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlmodel import select

from backoffice import extension_hooks
from backoffice.db import read_session, session_scope
from backoffice.listing.query import ListRequest, list_page
from backoffice.models import AuditEntry, User
from backoffice.resources import RESOURCES, resource
from backoffice.resources.system import OTHER_AUDITED_TYPES
from backoffice.services import crud
from components.screens import SCREENS

from .support.factories import advance, make_customer, make_product, make_user, pay, place, receive
from .support.lists import open_row, rows_show
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Ann "A": <script>window.__x=1</script>'


def packed_order():
    maria = make_user('manager', name='Maria Lopez')
    product = make_product('MUG-1', price='12.50')
    receive(maria, product.id, 5)
    order = place(('MUG-1', 1))
    pay(maria, order)
    return advance(maria, order, 'pack')


def changes_shown(user: SimulatedUser) -> list[tuple[str, str, str]]:
    table = user.find(marker='audit-changes').elements.pop()
    assert isinstance(table, ui.table)
    return [(row['label'], row['before'], row['after']) for row in table.rows]


async def test_an_admin_opens_an_order_change_reads_it_and_follows_the_link(user: SimulatedUser) -> None:
    order = packed_order()
    await signed_in(user, make_user('admin').email, path='/audit')
    await rows_show(user, f'Order {order.number}: Packed', column='summary')
    open_row(user, f'Order {order.number}: Packed', column='summary')
    await user.should_see(f'Maria Lopez changed the status of order {order.number} from Paid to Packed')
    assert ('Status', 'Paid', 'Packed') in changes_shown(user)
    await user.should_see(f'Open order {order.number}')
    user.find(marker='audit-record-link').click()
    await eventually(lambda: user.back_history[-1] == f'/orders/{order.number}', message='the link opens the order')
    await user.should_see('Timeline', retries=50)  # the order's page


async def test_the_record_type_filter_offers_orders_and_returns_and_filters_by_them(user: SimulatedUser) -> None:
    order = packed_order()
    make_customer('ann@example.com')
    await signed_in(user, make_user('admin').email, path='/audit')
    await rows_show(user, 'Added ann@example.com', column='summary')
    select = user.find(marker='filter-entity').elements.pop()
    offered = set(select.options.values()) if isinstance(select.options, dict) else set(select.options)
    assert {'Orders', 'Returns', 'Invoices', 'Stock levels', 'Purchases', 'Requests', 'Customers'} <= offered
    select.set_value(['orders'])
    await rows_show(user, f'Order {order.number}: Packed', absent=('Added ann@example.com',), column='summary')


async def test_hostile_text_in_a_changed_field_shows_as_text_and_the_link_opens_the_customer(
    user: SimulatedUser,
) -> None:
    customer = make_customer('bo@example.com', name='Bo')
    editor = make_user('manager', name='Kim Park')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=editor,
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes={'name': HOSTILE},
        )
    await signed_in(user, make_user('admin').email, path='/audit')
    await rows_show(user, 'Updated bo@example.com', column='summary')
    open_row(user, 'Updated bo@example.com', column='summary')
    await user.should_see(f'Kim Park changed the name of customer bo@example.com from Bo to {HOSTILE}')
    assert ('Name', 'Bo', HOSTILE) in changes_shown(user)
    assert not [e for e in user.client.elements.values() if isinstance(e, ui.html)]
    user.find(marker='audit-record-link').click()
    await user.should_see('Save changes', retries=50)  # the customers list opened the customer's dialog
    await eventually(
        lambda: HOSTILE in [e.value for e in user.find(kind=ui.input).elements],
        message='the dialog shows the customer with its (hostile) name as a value',
    )


def test_every_declared_record_link_leads_to_a_screen() -> None:
    """A resource's link (and an audited type's) is a page that exists: '/orders/{number}', '/customers?open={id}'.
    The extensions' screens are declared as main.py declares them (after the core's), whatever ran before this test."""
    import pages  # noqa: F401  (the core's screens)

    extension_hooks.import_pages()

    def shape(path: str) -> str:
        return re.sub(r'\{[^}]*\}', '{}', path.partition('?')[0])

    screens = {shape(declared.path) for declared in SCREENS.values()}
    links = [r.link for r in RESOURCES.values() if r.link] + [t.link for t in OTHER_AUDITED_TYPES.values() if t.link]
    assert len(links) > 10
    assert [link for link in links if shape(link) not in screens] == []


async def test_an_admin_filters_the_log_by_who_made_the_changes(user: SimulatedUser) -> None:
    """The log had only its search: an admin looking for what one colleague did typed their email and got every entry
    that mentioned it."""
    order = packed_order()  # by Maria
    ann = make_customer('ann.who@example.com', name=HOSTILE)  # by another admin
    with read_session() as session:
        maria = session.exec(select(User).where(User.name == 'Maria Lopez')).one()
    await signed_in(user, make_user('admin').email, path='/audit')
    await rows_show(user, f'Order {order.number}: Packed', f'Added {ann.email}', column='summary')
    who = user.find(marker='filter-actor_id').elements.pop()
    assert maria.email in who.options.values()
    who.set_value(maria.id)
    await rows_show(user, f'Order {order.number}: Packed', absent=(f'Added {ann.email}',), column='summary')


async def test_a_manager_without_staff_rights_has_no_who_filter_but_still_reads_the_log(user: SimulatedUser) -> None:
    packed_order()
    await signed_in(user, make_user('manager').email, path='/audit')
    await user.should_see(marker='filter-entity')
    await user.should_not_see(marker='filter-actor_id')  # the staff list is for those who manage users


async def test_an_admin_filters_the_log_by_what_was_done(user: SimulatedUser) -> None:
    order = packed_order()
    make_customer('ann.what@example.com', name=HOSTILE)
    with read_session() as session:
        packed = session.exec(select(AuditEntry).where(AuditEntry.summary == f'Order {order.number}: Packed')).one()
    await signed_in(user, make_user('admin').email, path='/audit')
    await rows_show(user, f'Order {order.number}: Packed', 'Added ann.what@example.com', column='summary')
    what = user.find(marker='filter-action').elements.pop()
    assert {packed.action, 'customer.created'} <= set(what.options)
    what.set_value([packed.action])
    await rows_show(user, f'Order {order.number}: Packed', absent=('Added ann.what@example.com',), column='summary')
    # what the filter offers is what this process found when the log's screen opened: a kind of change first made
    # since (or in another process) still filters, over the API as on the screen, and finds what it should
    with read_session() as session:
        newer = list_page(
            session=session,
            actor=make_user('admin'),
            resource=resource('audit'),
            request=ListRequest(filters={'action': ['order.not-made-yet']}),
        )
    assert newer.rows == []
