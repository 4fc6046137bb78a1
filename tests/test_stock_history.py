"""A product's stock history: why its stock is what it is. Each movement — a receipt, a sale, a return, a count —
newest first, a page at a time, with when, the change, what it left, why, what it came from and who; on the
product's own dialog, as a tab."""

from __future__ import annotations

from nicegui.testing import User
from sqlalchemy import event, text

from backoffice import db
from backoffice.db import session_scope
from backoffice.services import purchases, stock

from .support.factories import advance, make_product, make_user, pay, place
from .support.signin import signed_in

HOSTILE = 'Cassé "au quai": <script>alert(1)</script> <img src=x onerror="window.__x=1">'
COLLEAGUE = 'Léa "Docks": <b>x</b>'


def history(actor, product_id: int, page: int = 1):
    with session_scope() as session:
        return stock.history(session=session, actor=actor, record_id=product_id, page=page)


def a_day_of_stock():
    """A mug received on a purchase, sold on an order, and a breakage counted by a colleague."""
    manager = make_user('manager')
    colleague = make_user('manager', name=COLLEAGUE)
    mug = make_product('MUG', '25.00', actor=manager)
    with session_scope() as session:
        purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Acme',
            reference='PO "9": <b>',
            lines=[{'product_id': mug.id, 'quantity': 10}],
        )
    order = place(('MUG', 3))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    with session_scope() as session:
        stock.adjust(session=session, actor=colleague, product_id=mug.id, quantity=-2, reason=HOSTILE)
    return manager, colleague, mug, order


def test_a_products_stock_history_says_why_its_stock_is_what_it_is_newest_first() -> None:
    manager, _colleague, mug, order = a_day_of_stock()
    page = history(manager, mug.id)
    assert (page.page, page.pages, page.total) == (1, 1, 3)
    assert [(r.change, r.after, r.reason, r.reference, r.href, r.by) for r in page.rows] == [
        (-2, 5, HOSTILE, '', '', COLLEAGUE),
        # what it came from said once, as its linked reference, under the kind of movement (not 'Order 1042' · '1042')
        (-3, 7, 'Sale', f'Order {order.number}', f'/orders/{order.number}', manager.name),
        (10, 10, 'Receipt', 'Purchase PO "9": <b>', page.rows[2].href, manager.name),
    ]
    assert page.rows[2].href.startswith('/purchases?open=')
    assert page.rows[0].at >= page.rows[1].at >= page.rows[2].at


def test_a_long_stock_history_is_read_a_page_at_a_time() -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=1, actor=manager)
    for n in range(stock.HISTORY_PAGE + 4):
        with session_scope() as session:
            stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=1, reason=f'found {n}: "{n}"')
    first, second = history(manager, mug.id), history(manager, mug.id, page=2)
    assert (first.pages, first.total, len(first.rows), len(second.rows)) == (2, stock.HISTORY_PAGE + 5, 20, 5)
    assert first.rows[0].reason == f'found {stock.HISTORY_PAGE + 3}: "{stock.HISTORY_PAGE + 3}"'
    assert second.rows[-1].change == 1 and second.rows[-1].after == 1  # the first receipt, last
    assert history(manager, mug.id, page=99).page == 2  # past the last page: the last page


def test_a_page_of_stock_history_is_found_by_its_index_not_by_reading_every_movement() -> None:
    """A deep page of a long history stepped over every movement of the product and its joins (OFFSET over rows, sorted
    by time with no index in that order). A page's ids now come from ix_stock_movements_product_created (migration
    0082) in the history's order, the rows and what they name read for those ids only."""
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=1, actor=manager)
    engine = db.get_engine()
    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if 'FROM stock_movements' in statement and 'LIMIT' in statement:
            seen.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', capture)
    try:
        assert history(manager, mug.id).total == 1
    finally:
        event.remove(engine, 'before_cursor_execute', capture)
    [(statement, parameters)] = seen
    explain = 'EXPLAIN QUERY PLAN ' if engine.dialect.name == 'sqlite' else 'EXPLAIN '
    with engine.connect() as connection:
        if engine.dialect.name != 'sqlite':
            connection.execute(text('SET enable_seqscan = off'))  # a few rows: read as a big table would be
        plan = ' '.join(str(row) for row in connection.exec_driver_sql(explain + statement, parameters))
    assert 'ix_stock_movements_product_created' in plan, plan


async def test_the_product_dialog_shows_its_stock_history(user: User) -> None:
    manager, _colleague, mug, order = a_day_of_stock()
    await signed_in(user, manager.email, path=f'/products?open={mug.id}')
    await user.should_see(marker='record-ledger-tab', retries=40)
    user.find(marker='record-ledger-tab').click()
    await user.should_see(HOSTILE, retries=40)
    reasons = texts(user, 'ledger-reason')
    assert reasons == [HOSTILE, 'Sale', 'Receipt']
    changes = texts(user, 'ledger-change')
    assert changes == ['-2', '-3', '+10']
    assert texts(user, 'ledger-by') == [COLLEAGUE, manager.name, manager.name]
    linked = {e.text: e.props.get('href') for e in user.find(marker='ledger-reference').elements}
    assert linked[f'Order {order.number}'] == f'/orders/{order.number}'
    await user.should_see('On hand after: 5')
    await user.should_not_see(marker='ledger-pager')


async def test_a_long_stock_history_pages_on_the_dialog(user: User) -> None:
    manager = make_user('manager')
    mug = make_product('MUG', stock_on_hand=1, actor=manager)
    for n in range(stock.HISTORY_PAGE + 2):
        with session_scope() as session:
            stock.adjust(session=session, actor=manager, product_id=mug.id, quantity=1, reason=f'found "{n}"')
    await signed_in(user, manager.email, path=f'/products?open={mug.id}')
    await user.should_see(marker='record-ledger-tab', retries=40)
    user.find(marker='record-ledger-tab').click()
    await user.should_see('Page 1 of 2', retries=40)
    assert len(user.find(marker='ledger-row').elements) == stock.HISTORY_PAGE
    user.find(marker='ledger-older').click()
    await user.should_see('Page 2 of 2', retries=40)
    assert texts(user, 'ledger-reason')[:2] == ['found "1"', 'found "0"']  # the oldest last; the first receipt after
    assert len(user.find(marker='ledger-row').elements) == 3


async def test_a_service_has_no_stock_history_tab(user: User) -> None:
    manager = make_user('manager')
    plan = make_product('PLAN', stocked=False)
    await signed_in(user, manager.email, path=f'/products?open={plan.id}')
    await user.should_see(marker='record-tabs', retries=40)
    await user.should_not_see(marker='record-ledger-tab')


def texts(user: User, marker: str) -> list[str]:
    """The texts of the elements so marked, in the order the page shows them."""
    return [e.text for e in sorted(user.find(marker=marker).elements, key=lambda e: e.id)]
