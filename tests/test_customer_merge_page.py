"""A manager merges a duplicate from the customer's page: Merge with… → pick by email → the preview → Merge, and lands
on the customer kept with the duplicate's orders there; the duplicate's page says where it went."""

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import Customer, Order
from backoffice.resources import resource
from backoffice.services import crud

from .support.factories import make_company, make_customer, make_product, make_user, place
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Zoë "O\'Brien" <script>alert(1)</script>: ünïcode'


async def test_a_manager_merges_a_duplicate_and_lands_on_the_customer_kept(user: User) -> None:
    manager = make_user('manager')
    make_product('MRGP-1', stock_on_hand=5, actor=manager)
    jane = make_customer('jane@example.com', name='Jane Doe', consent=True)
    twin = make_customer('jane2@example.com', name=HOSTILE, consent=False)
    place(('MRGP-1', 1), email='jane2@example.com')
    place(('MRGP-1', 1), email='jane2@example.com')
    await signed_in(user, manager.email, path=f'/customers/{jane.id}')
    await user.should_see('Merge with…')
    user.find(marker='merge-with').click()
    await user.should_see('Merge a duplicate into this customer')
    picker = user.find(marker='merge-duplicate').elements.pop()
    assert isinstance(picker, ui.select)
    picker.set_value(twin.id)
    await user.should_see('Will move to Jane Doe')
    await user.should_see('orders')
    await user.should_see('Marketing consent after the merge: No')
    await user.should_see('The duplicate said No: a merge never opts anyone in.')
    await user.should_see('jane2@example.com')
    user.find(marker='confirm-merge').click()
    await user.should_see('Customers merged.')
    await user.should_see('jane@example.com')

    def merged() -> bool:
        with read_session() as session:
            orders = session.exec(select(Order).where(Order.customer_id == jane.id)).all()
            return len(orders) == 2 and session.get(Customer, twin.id).merged_into_id == jane.id

    await eventually(merged)
    await user.open(f'/customers/{twin.id}')
    await user.should_see(f'Merged into customer #{jane.id}')


async def test_a_viewer_is_not_offered_the_merge(user: User) -> None:
    jane = make_customer('jane@example.com', name='Jane Doe')
    await signed_in(user, make_user('viewer').email, path=f'/customers/{jane.id}')
    await user.should_see('jane@example.com')
    await user.should_not_see('Merge with…')


async def test_a_merge_on_what_a_colleague_changed_since_the_preview_is_refused(user: User) -> None:
    manager = make_user('manager')
    jane = make_customer('jane@example.com', name='Jane Doe')
    twin = make_customer('jane2@example.com', name='Jane Twin')
    await signed_in(user, manager.email, path=f'/customers/{jane.id}')
    user.find(marker='merge-with').click()
    await user.should_see('Merge a duplicate into this customer')
    user.find(marker='merge-duplicate').elements.pop().set_value(twin.id)
    await user.should_see('Will move to Jane Doe')
    colleague = make_user('manager', email='colleague@example.com', name='Cole "Colleague": <i>C</i>')
    with session_scope() as session:  # a colleague changes the duplicate meanwhile
        crud.update_record(
            session=session,
            actor=colleague,
            resource=resource('customers'),
            record_id=twin.id,
            version=twin.version,
            changes={'phone': '+33 6 12 34 56 78'},
        )
    user.find(marker='confirm-merge').click()
    await user.should_see(colleague.name)  # by name, as colleagues know each other
    with read_session() as session:
        assert session.get(Customer, twin.id).merged_into_id is None


async def test_a_customer_or_company_in_the_trash_opens_with_its_record_and_no_side_panels(user: User) -> None:
    manager = make_user('manager')
    gone = make_customer('gone@example.com', name=HOSTILE)
    firm = make_company('Gone "Firm" <b>: SA')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=resource('customers'), record_id=gone.id)
        crud.delete_record(session=session, actor=manager, resource=resource('companies'), record_id=firm.id)
    await signed_in(user, manager.email, path=f'/customers/{gone.id}')
    await user.should_see('gone@example.com')  # the record, read from the trash (a logged error fails the test)
    await user.should_not_see('Merge with…')
    await user.should_not_see('Add an address')
    await user.open(f'/companies/{firm.id}')
    await user.should_see('Gone "Firm" <b>: SA')


async def test_the_duplicate_clicked_is_the_one_picked_even_if_the_list_changed_under_the_click(user: User) -> None:
    """The list follows typing: a click on the browser's older list must pick what was clicked, not whatever sits at
    that place in the newer list (or nothing, with a server error, when the newer list is shorter)."""
    manager = make_user('manager')
    jane = make_customer('jane@example.com', name='Jane Doe')
    first = make_customer('first.twin@example.com', name='First: "<b>Twin</b>"')
    second = make_customer('second.twin@example.com', name=HOSTILE)
    await signed_in(user, manager.email, path=f'/customers/{jane.id}')
    user.find(marker='merge-with').click()
    await user.should_see('Merge a duplicate into this customer')
    picker = user.find(marker='merge-duplicate')
    select = next(iter(picker.elements))
    assert isinstance(select, ui.select)
    shown = dict(select.options)  # what the browser lists before the person types
    place, label = list(shown).index(second.id), shown[second.id]
    assert place > 0 and shown[first.id] != label
    picker.trigger('inputValue', 'second.twin')  # the server narrows the list to one …
    await eventually(lambda: list(select.options) == [second.id])
    picker.trigger('update:modelValue', {'value': place, 'label': label})  # … as the click on the older list arrives
    await user.should_see('Will move to Jane Doe')
    assert select.value == second.id
    await user.should_see('second.twin@example.com')

    picker.trigger('inputValue', '')
    await eventually(lambda: first.id in select.options)
    gone = {'value': 0, 'label': 'Someone since erased <script>alert(1)</script>'}
    picker.trigger('update:modelValue', gone)  # a label no longer offered: the pick stays as it was
    await user.should_see('Will move to Jane Doe')
    assert select.value == second.id
