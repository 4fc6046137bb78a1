"""The reasons the app writes itself (a stock movement's 'Return R-7', 'Order 1042', 'Purchase PO-3'; a return's
refund 'Return R-7') are stored in English with their msgid and values (migration 0050), so a French reader sees
« Retour R-7 » in the movements list and on the order page, an English reader exactly what was always stored, and a
row written before shows its stored text. A credit note is written in its customer's language, as the invoice is: its
line says why in that language too. A person's words (an adjustment, a return's reason) are shown as typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n, stored_text
from backoffice.db import read_session, session_scope
from backoffice.models import (
    AuditEntry,
    Customer,
    Invoice,
    MovementKind,
    OrderLine,
    PurchaseLine,
    Refund,
    Return,
    StockMovement,
    utcnow,
)
from backoffice.services import documents, gateway_payments, payments, purchases, returns, stock

from .support.factories import advance, make_product, make_user, pay, place, receive_return, refund_return, start_return
from .support.pdf import pdf_words
from .support.refunds import card_order, received_return_of_card_order, refunded_then_failed
from .support.signin import signed_in
from .support.stripe_server import StripeServer, set_up_stripe
from .support.waiting import eventually

NBSP, NNBSP = '\u00a0', '\u202f'
HOSTILE = 'Trop "petit": <script>alert(1)</script>'


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to read every page in French from then on (as in test_pages_in_french.py)."""
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


def returned_and_refunded(manager, *, language: str | None, sku: str = 'MUG') -> tuple:
    """A paid, shipped and delivered order of 2 × `sku` at €25.00; one returned (the customer's hostile reason),
    received back into stock and refunded. Its customer reads `language`."""
    make_product(sku, '25.00', stock_on_hand=5, actor=manager)
    order = place((sku, 2), name='Cleo "C" <b>Stone</b>')
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.language = language
        session.add(customer)
        session.commit()
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    rma = start_return(manager, order, reason=HOSTILE)
    receive_return(manager, rma)
    refund_return(manager, rma)
    with read_session() as session:
        return order, session.get(Return, rma.id)


def item_name(order) -> str:
    with read_session() as session:
        return session.exec(select(OrderLine.name).where(OrderLine.order_id == order.id)).one()


def movements(kind: MovementKind) -> list[StockMovement]:
    with read_session() as session:
        return list(
            session.exec(select(StockMovement).where(StockMovement.kind == kind).order_by(col(StockMovement.id)))
        )


def credit_note(order_id: int) -> Invoice:
    with read_session() as session:
        return session.exec(select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == 'credit_note')).one()


def ledger(user: User) -> ui.table:
    """The Movements tab's table (the Stock tab's comes first)."""
    return max(user.find(ui.table).elements, key=lambda table: table.id)


def test_the_reasons_are_stored_in_english_with_their_msgid_and_read_in_each_language() -> None:
    manager = make_user('manager')
    order, rma = returned_and_refunded(manager, language=None)
    [back] = movements(MovementKind.return_)
    with read_session() as session:
        [refund] = session.exec(select(Refund).where(Refund.order_id == order.id)).all()
    # stored as it always was (search, exports, the gateway): English, exact
    assert (back.reason, back.reason_key, back.reason_params) == (
        f'Return {rma.number}',
        'Return {number}',
        {'number': rma.number},
    )
    assert (refund.reason, refund.reason_key) == (f'Return {rma.number}', 'Return {number}')
    assert rma.reason == ' '.join(HOSTILE.split())  # the customer's own words stay theirs
    with i18n.use('fr'):
        assert payments.reason_said(refund) == f'Retour {rma.number}'
        assert stored_text.show(back.reason, back.reason_key, back.reason_params) == f'Retour {rma.number}'
    with i18n.use('en'):
        assert payments.reason_said(refund) == f'Return {rma.number}'
    # an English customer's credit note says why in English, as before
    note = credit_note(order.id)
    assert note.lines[0]['name'] == f'Refund on order {order.number}: return {rma.number} (1 × {item_name(order)})'


def test_a_sale_a_purchase_and_an_adjustment_keep_their_own_words() -> None:
    manager = make_user('manager')
    product = make_product('LAMP', '10.00', actor=manager)
    with session_scope() as session:
        purchases.receive_purchase(
            session=session,
            actor=manager,
            supplier='Acme',
            reference=HOSTILE,
            lines=[{'product_id': product.id, 'quantity': 4}],
        )
    order = place(('LAMP', 1))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    with session_scope() as session:
        stock.adjust(session=session, actor=manager, product_id=product.id, quantity=-1, reason=HOSTILE)
    [receipt], [sale], [adjusted] = (
        movements(kind) for kind in (MovementKind.receipt, MovementKind.sale, MovementKind.adjustment)
    )
    reasons = [(m.reason, m.reason_key) for m in (receipt, sale, adjusted)]
    assert reasons == [
        (f'Purchase {HOSTILE}', 'Purchase {number}'),
        (f'Order {order.number}', 'Order {number}'),
        (HOSTILE, None),  # a person's words: no msgid, shown as typed in every language
    ]
    with i18n.use('fr'):
        shown = [stored_text.show(m.reason, m.reason_key, m.reason_params) for m in (receipt, sale, adjusted)]
    assert shown == [f'Commande fournisseur {HOSTILE}', f'Commande {order.number}', HOSTILE]


def test_a_french_customers_credit_note_says_why_in_french() -> None:
    manager = make_user('manager')
    order, rma = returned_and_refunded(manager, language='fr')
    note = credit_note(order.id)
    said = f'Remboursement sur la commande {order.number}{NBSP}: retour {rma.number} (1 × {item_name(order)})'
    assert note.lines[0]['name'] == said
    text = pdf_words(documents.invoice_pdf(note))
    assert 'Avoir' in text and f'retour {rma.number}' in text and 'Return ' not in text and 'return ' not in text


def test_store_credit_says_its_return_in_the_credit_notes_language() -> None:
    manager = make_user('manager')
    make_product('CUP', '25.00', stock_on_hand=5, actor=manager)
    order = place(('CUP', 2))
    with session_scope() as session:
        customer = session.get(Customer, order.customer_id)
        customer.language = 'fr'
        session.add(customer)
        session.commit()
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship', 'deliver')
    rma = start_return(manager, order)
    receive_return(manager, rma)
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='credit_note')
    note = credit_note(order.id)
    assert note.lines[0]['name'] == f'Avoir client sur la commande {order.number}{NBSP}: Retour {rma.number}'
    assert note.note == f'Retour {rma.number}'  # printed under the totals, in the document's language


async def test_a_french_manager_reads_the_reasons_in_french_and_an_old_row_as_stored(
    user: User, in_french: Callable[[], None]
) -> None:
    manager = make_user('manager')
    order, rma = returned_and_refunded(manager, language=None, sku='VASE')
    with session_scope() as session:  # rows written before reasons kept their msgid
        old = session.exec(select(StockMovement).where(StockMovement.kind == MovementKind.return_)).one()
        session.add(
            StockMovement(product_id=old.product_id, kind=MovementKind.adjustment, quantity=0, reason='Return R-OLD')
        )
        session.add(Refund(order_id=order.id, amount=0, reason='Return R-OLD', refunded_at=utcnow()))
        session.commit()
    with session_scope() as session:  # a person's words: as typed, in every language
        payments.refund(session=session, actor=manager, order_id=order.id, amount='1.00', reason=HOSTILE)

    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(f'refunded €30.00: Return {rma.number}')  # English: exactly as before
    in_french()
    await user.open(f'/orders/{order.number}')
    await user.should_see(f'remboursement de 30,00{NBSP}€{NBSP}: Retour {rma.number}')
    await user.should_see('Return R-OLD')  # an old row: as stored
    await user.should_see(f'remboursement de 1,00{NBSP}€{NBSP}: {HOSTILE}')
    entries = [label.text for label in user.find(marker='timeline-entry').elements for label in label.descendants()]
    assert any(f'(Retour {rma.number})' in entry for entry in entries), entries  # the timeline's refund too

    await user.open('/inventory')
    user.find('Mouvements').click()

    def reasons() -> list[str]:
        return [row['reason'] for row in ledger(user).rows if 'reason' in row]

    await eventually(lambda: f'Retour {rma.number}' in reasons(), message='the return movement reads in French')
    assert 'Return R-OLD' in reasons()
    assert f'Commande {order.number}' in reasons()  # the sale


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    with StripeServer() as server:
        set_up_stripe(server, make_user('admin'), monkeypatch)
        yield server


def test_a_returns_refund_through_stripe_hands_its_reason_on_to_the_refund_it_books(stripe) -> None:
    """Refused first, then paid back again: the reason travels from the gateway refund rows to the refund booked."""
    manager = make_user('manager')
    order, rma = received_return_of_card_order(stripe, manager)
    stripe.state.next_refund_status = 'failed'
    with session_scope() as session:
        returns.resolve(session=session, actor=manager, return_id=rma.id, resolution='refund')
    with read_session() as session:
        sent = gateway_payments.refund_of_return(session=session, actor=manager, return_id=rma.id)
    assert sent is not None and (sent.reason, sent.reason_key) == (f'Return {rma.number}', 'Return {number}')
    stripe.state.next_refund_status = 'succeeded'
    with session_scope() as session:
        again = gateway_payments.pay_back_again(session=session, actor=manager, refund_id=sent.id)
    assert again.reason_key == 'Return {number}'
    with read_session() as session:
        [refund] = session.exec(select(Refund).where(Refund.order_id == order.id)).all()
    assert (refund.reason, refund.reason_key, refund.reason_params) == (
        f'Return {rma.number}',
        'Return {number}',
        {'number': rma.number},
    )
    with i18n.use('fr'):
        assert payments.reason_said(refund) == f'Retour {rma.number}'


def test_a_refund_the_bank_sent_back_says_so_in_the_readers_language(stripe) -> None:
    manager = make_user('manager')
    order, _intent = card_order(stripe, 'BOWL')
    row = refunded_then_failed(stripe, manager, order)
    with read_session() as session:
        reversal = session.exec(select(Refund).where(Refund.order_id == order.id, Refund.amount < 0)).one()
    said = 'The card was reported lost or stolen: the bank refused the refund'
    assert (reversal.reason, reversal.reason_key) == (
        f'Refund {row.reference} failed: {said}',
        'Refund {reference} failed: {message}',
    )
    with i18n.use('fr'):
        assert payments.reason_said(reversal).startswith(f'Échec du remboursement {row.reference}{NBSP}: ')


def purchase_summaries() -> list[AuditEntry]:
    with read_session() as session:
        return list(
            session.exec(select(AuditEntry).where(AuditEntry.entity == 'purchases').order_by(col(AuditEntry.id)))
        )


def test_a_purchases_audit_summary_counts_one_line_as_one_line_in_english_and_french_old_entries_too() -> None:
    manager = make_user('manager')
    lamp, desk = make_product('LAMP-P', '10.00', actor=manager), make_product('DESK-P', '90.00', actor=manager)
    with session_scope() as session:
        purchases.receive_purchase(
            session=session, actor=manager, supplier=HOSTILE, lines=[{'product_id': lamp.id, 'quantity': 1}]
        )
        ordered = purchases.create_purchase(
            session=session,
            actor=manager,
            supplier=HOSTILE,
            received=False,
            lines=[{'product_id': lamp.id, 'quantity': 3}, {'product_id': desk.id, 'quantity': 1}],
        )
        lamp_line = session.exec(
            select(PurchaseLine).where(PurchaseLine.purchase_id == ordered.id, PurchaseLine.product_id == lamp.id)
        ).one()
        purchases.receive(session=session, actor=manager, purchase_id=ordered.id, quantities={lamp_line.id: 1})
    received, on_order, part = purchase_summaries()
    number = {e.id: e.summary_params['purchase'] for e in (received, on_order, part)}
    assert received.summary == f'Received purchase {number[received.id]} from {HOSTILE}: 1 line'
    assert on_order.summary == f'Ordered purchase {number[on_order.id]} from {HOSTILE}: 2 lines'
    assert part.summary == f'Received part of purchase {number[part.id]} from {HOSTILE}: 1 item'
    with i18n.use('fr'):
        shown = [stored_text.show(e.summary, e.summary_key, e.summary_params) for e in (received, on_order, part)]
    assert shown == [
        f'Commande fournisseur {number[received.id]} de {HOSTILE} reçue{NBSP}: 1 ligne',
        f'Commande fournisseur {number[on_order.id]} passée à {HOSTILE}{NBSP}: 2 lignes',
        f'Commande fournisseur {number[part.id]} de {HOSTILE} reçue en partie{NBSP}: 1 article',
    ]

    # entries written before kept the msgid of '{lines} lines' with a plain count: read as the new sentences
    old = [
        ('Received purchase {purchase} from {supplier}: {lines} lines', 'lines', 1),
        ('Ordered purchase {purchase} from {supplier}: {lines} lines', 'lines', 1234),
        ('Received part of purchase {purchase} from {supplier}: {items} items', 'items', 1),
    ]
    params = [{'purchase': 'PO-7', 'supplier': HOSTILE, name: stored_text.count(n)} for _key, name, n in old]
    english = [stored_text.show('stored', key, values) for (key, _name, _n), values in zip(old, params, strict=True)]
    assert english == [
        f'Received purchase PO-7 from {HOSTILE}: 1 line',
        f'Ordered purchase PO-7 from {HOSTILE}: 1,234 lines',
        f'Received part of purchase PO-7 from {HOSTILE}: 1 item',
    ]
    with i18n.use('fr'):
        french = [stored_text.show('stored', key, values) for (key, _name, _n), values in zip(old, params, strict=True)]
    assert french == [
        f'Commande fournisseur PO-7 de {HOSTILE} reçue{NBSP}: 1 ligne',
        f'Commande fournisseur PO-7 passée à {HOSTILE}{NBSP}: 1{NNBSP}234 lignes',
        f'Commande fournisseur PO-7 de {HOSTILE} reçue en partie{NBSP}: 1 article',
    ]
