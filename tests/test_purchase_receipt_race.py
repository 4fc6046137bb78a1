"""Two people unpacking the same parcel of a partly received purchase order: whoever books it second is told that a
colleague received it meanwhile (how many, who), nothing of theirs is booked and what they typed stays — the goods are
never counted twice; pressing again books theirs on top when a second parcel did arrive."""

from __future__ import annotations

import threading

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import StaleRecord, ValidationFailed
from backoffice.models import PurchaseLine, StockLevel, StockMovement
from backoffice.models import User as UserRow
from backoffice.services import audit, purchases

from .support.api import key_for
from .support.factories import make_product, make_user
from .support.lists import open_row, rows_show
from .support.signin import signed_in

HOSTILE = 'PO "12": <script>alert(1)</script>'
COLLEAGUE = 'Sam "O\'Neil": <b>x</b>'
KEY = 'Dock: "scanner" <script>x</script>'


@pytest.fixture
def manager():
    return make_user('manager')


@pytest.fixture
def colleague():
    return make_user('manager', name=COLLEAGUE)


def ordered(manager, quantity: int, reference: str = HOSTILE):
    """A purchase order of `quantity` mugs, and its one line's id."""
    mug = make_product('MUG', actor=manager)
    with session_scope() as session:
        purchase = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Acme',
            reference=reference,
            received=False,
            lines=[{'product_id': mug.id, 'quantity': quantity, 'unit_cost': '2.50'}],
        )
    with read_session() as session:
        line = session.exec(select(PurchaseLine.id).where(PurchaseLine.purchase_id == purchase.id)).one()
    return purchase, mug, line


def receive(actor, purchase_id: int, line: int, quantity: int, seen: int):
    with session_scope() as session:
        return purchases.receive(
            session=session, actor=actor, purchase_id=purchase_id, quantities={line: quantity}, seen={line: seen}
        )


def received(line: int) -> int:
    with read_session() as session:
        return session.exec(select(PurchaseLine.received_quantity).where(PurchaseLine.id == line)).one()


def on_hand(product_id: int) -> int:
    with read_session() as session:
        found = session.exec(select(StockLevel).where(StockLevel.product_id == product_id)).first()
    return found.on_hand if found else 0


def receipts(product_id: int) -> list[int]:
    with read_session() as session:
        return list(
            session.exec(
                select(StockMovement.quantity)
                .where(StockMovement.product_id == product_id)
                .order_by(col(StockMovement.id))
            ).all()
        )


def test_two_people_receiving_the_same_parcel_at_once_book_it_once(manager, colleague) -> None:
    purchase, mug, line = ordered(manager, 10)
    receive(manager, purchase.id, line, 2, seen=0)  # a first short delivery: 8 still due
    start = threading.Barrier(2)
    won, lost, failed = [], [], []

    def book(actor) -> None:
        try:
            start.wait()
            receive(actor, purchase.id, line, 3, seen=2)  # both screens showed 2 received, 8 due: 3 + 3 fit
            won.append(actor.id)
        except StaleRecord as error:
            lost.append(error)
        except BaseException as error:  # anything else is a bug (a deadlock, a half-booked receipt)
            failed.append(error)

    threads = [threading.Thread(target=book, args=(actor,)) for actor in (manager, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and len(won) == 1 and len(lost) == 1
    (refused,) = lost
    assert isinstance(refused, purchases.ReceivedMeanwhile) and refused.items == 3
    assert refused.received == {line: 5}
    winner = COLLEAGUE if won == [colleague.id] else manager.name
    assert str(refused).startswith(f'{winner} received 3 items of purchase {HOSTILE} meanwhile (')
    assert (received(line), on_hand(mug.id), receipts(mug.id)) == (5, 5, [2, 3])  # the parcel counted once


def test_the_second_is_told_and_may_book_a_second_parcel_by_pressing_again(manager, colleague) -> None:
    purchase, mug, line = ordered(manager, 10)
    receive(colleague, purchase.id, line, 1, seen=0)
    with pytest.raises(purchases.ReceivedMeanwhile) as told:
        receive(manager, purchase.id, line, 4, seen=0)
    assert str(told.value).startswith(f'{COLLEAGUE} received 1 item of purchase {HOSTILE} meanwhile (')
    assert str(told.value).endswith(
        'nothing of yours was booked, and what you typed is kept. If it was the same delivery, close this; if '
        'another one arrived too, press Receive now again.'
    )
    assert (received(line), on_hand(mug.id)) == (1, 1)
    with i18n.use('fr'), pytest.raises(purchases.ReceivedMeanwhile) as in_french:
        receive(manager, purchase.id, line, 4, seen=0)
    assert str(in_french.value).startswith(
        f'{COLLEAGUE} a réceptionné 1 article de la commande fournisseur {HOSTILE} entre-temps ('
    )
    assert 'appuyez de nouveau sur «\u00a0Réceptionner maintenant\u00a0».' in str(in_french.value)
    receive(manager, purchase.id, line, 4, seen=told.value.received[line])  # told, and another parcel did arrive
    assert (received(line), on_hand(mug.id)) == (5, 5)
    with pytest.raises(ValidationFailed) as over:  # what is due is what is due now
        receive(manager, purchase.id, line, 6, seen=5)
    assert over.value.errors == {'lines.0.quantity': 'At most 5 still due'}


def test_a_colleague_received_everything_meanwhile(manager, colleague) -> None:
    purchase, mug, line = ordered(manager, 3)
    receive(colleague, purchase.id, line, 3, seen=0)
    with pytest.raises(purchases.ReceivedMeanwhile) as told:
        receive(manager, purchase.id, line, 3, seen=0)
    assert str(told.value).startswith(f'{COLLEAGUE} received 3 items of purchase {HOSTILE} meanwhile (')
    assert str(told.value).endswith('it is received in full, and nothing of yours was booked.')
    assert (received(line), on_hand(mug.id)) == (3, 3)


async def test_the_second_person_on_screen_is_told_and_keeps_what_they_typed(user: User, manager, colleague) -> None:
    purchase, mug, line = ordered(manager, 10)
    await signed_in(user, manager.email, path='/purchases')
    await rows_show(user, HOSTILE, column='reference')
    open_row(user, HOSTILE, column='reference')
    await user.should_see('10 × MUG', retries=40)
    arrived = newest(user, f'arrived-{line}')
    arrived.set_value('4')
    receive(colleague, purchase.id, line, 4, seen=0)  # the colleague booked the same parcel first
    click_newest(user, 'receive-now')
    await user.should_see(f'{COLLEAGUE} received 4 items of purchase {HOSTILE} meanwhile (', retries=40)
    await user.should_see('nothing of yours was booked, and what you typed is kept')
    assert arrived.value == '4'
    assert (received(line), on_hand(mug.id)) == (4, 4)
    # the dialog says the purchase as it is now, not as it was when opened: the person decides on what is due
    assert newest(user, 'purchase-state').text == 'Acme · partly received: 6 items still due'
    assert newest(user, 'purchase-line-' + str(line)).text == '€2.50 each · 4 received, 6 still due'
    await user.should_not_see(marker='cancel-purchase')  # something arrived: it can no longer be cancelled
    assert newest(user, 'close-short').visible  # only closed short
    click_newest(user, 'receive-now')  # a second parcel did arrive: pressing again books it
    await user.should_see(f'Received 4 items of purchase {HOSTILE}: the rest is still due', retries=40)
    assert (received(line), on_hand(mug.id)) == (8, 8)


async def test_a_colleague_received_everything_while_the_dialog_was_open(user: User, manager, colleague) -> None:
    purchase, mug, line = ordered(manager, 3)
    await signed_in(user, manager.email, path='/purchases')
    await rows_show(user, HOSTILE, column='reference')
    open_row(user, HOSTILE, column='reference')
    await user.should_see('3 × MUG', retries=40)
    assert newest(user, 'purchase-state').text == 'Acme · on order'
    before = timeline(user)
    receive(colleague, purchase.id, line, 3, seen=0)
    click_newest(user, 'receive-now')
    await user.should_see('it is received in full, and nothing of yours was booked.', retries=40)
    # its timeline read again too: the colleague's receipt is there, by them, after what was shown before
    after = timeline(user)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert after[-1].endswith(f' · {COLLEAGUE}')  # by name, as everywhere, not by email
    state = newest(user, 'purchase-state').text
    assert state.startswith('Acme · received ') and 'on order' not in state
    assert newest(user, 'purchase-line-' + str(line)).text == '€2.50 each · all received'
    # nothing is left to receive, close short or cancel: those buttons are gone, the arrived field too
    for gone in ('receive-now', 'cancel-purchase', f'arrived-{line}'):
        await user.should_not_see(marker=gone)
    assert (received(line), on_hand(mug.id)) == (3, 3)


async def test_a_receipt_through_an_api_key_is_told_and_shown_by_the_keys_name(user: User, manager) -> None:
    """The warning named the person alone and the timeline showed 'sam@… (API key ab12cd34)' as the log keeps it: both
    name the key as its list does and its person by name, as every other screen does."""
    key, _secret = key_for('manager', 'write:canned-replies', name=KEY, person_name=COLLEAGUE)
    purchase, _mug, line = ordered(manager, 10)
    await signed_in(user, manager.email, path='/purchases')
    await rows_show(user, HOSTILE, column='reference')
    open_row(user, HOSTILE, column='reference')
    await user.should_see('10 × MUG', retries=40)
    newest(user, f'arrived-{line}').set_value('4')
    with read_session() as session:
        person = session.get(UserRow, key.user_id)
    with audit.through(f'API key {key.prefix}'):  # as /api/v1 writes it
        receive(person, purchase.id, line, 4, seen=0)
    click_newest(user, 'receive-now')
    said = f'API key “{KEY}” ({COLLEAGUE})'
    await user.should_see(f'{said} received 4 items of purchase {HOSTILE} meanwhile (', retries=40)
    assert timeline(user)[-1].endswith(f' · {said}')
    assert not any(person.email in entry for entry in timeline(user))


def timeline(user: User) -> list[str]:
    """The purchase dialog's timeline as shown: each entry's texts, oldest first."""
    entries = sorted(user.find(marker='purchase-timeline-entry').elements, key=lambda element: element.id)
    return [' | '.join(label.text for label in entry.descendants() if isinstance(label, ui.label)) for entry in entries]


def newest(user: User, marker: str) -> ui.element:
    """The field of the dialog opened last (a closed dialog may linger in the simulated page)."""
    return max(user.find(marker=marker).elements, key=lambda element: element.id)


def click_newest(user: User, marker: str) -> None:
    found = user.find(marker=marker)
    found.elements = {newest(user, marker)}
    found.click()
