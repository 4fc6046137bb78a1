"""A dashboard card's "See these in the list" opens the list holding exactly the records its number counts (a count
card's list counts what the card says), or says what the list holds beside a number that is no count; the Requests
list lights the queue its address's filters are; a saved view's date range shows in the date fields again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.kpi import days, read, refresh
from backoffice.kpi import sources as src
from backoffice.kpi.registry import KPIS
from backoffice.listing import query
from backoffice.models import KpiDaily, OrderSource, StockLevel, utcnow
from backoffice.resources import RESOURCES
from backoffice.services import app_settings, stock, ticket_links, ticket_snooze, tickets

from .support import lists
from .support.factories import make_customer, make_product, make_user, paid_order, place, submit_request
from .support.signin import signed_in
from .support.waiting import eventually

COUNT_CARDS = ('orders', 'new_customers', 'open_requests', 'sla_breaches', 'low_stock')
NOT_COUNTS = ('turnover', 'average_basket', 'csat')


def a_demo_like_day() -> None:
    manager = make_user('manager', email='stock.keeper@example.com')
    """Today's records as a shop has them, with each thing a card leaves out: a draft, a cancelled order, an exchange's
    replacement order, an order in another currency, a customer who had ordered before; requests breached today and
    yesterday, rated today and yesterday; a product low in stock and one that is not."""
    now = utcnow()
    earlier, today = now - timedelta(days=3), now - timedelta(minutes=5)
    old = make_customer('old@example.com')
    paid_order(old, earlier, number='OLD-1')
    paid_order(old, today, number='OLD-TODAY')  # not a new customer
    paid_order(make_customer('ana@example.com'), today, number='ANA-TODAY')
    paid_order(make_customer('pe@example.com'), today, number='PE-PENDING', status='pending')
    paid_order(make_customer('di@example.com'), today, '12.00', number='DI-USD', currency='USD')
    paid_order(make_customer('cy@example.com'), today, number='CY-CANCELLED', status='cancelled')
    paid_order(make_customer('dr@example.com'), today, number='DR-DRAFT', status='draft')
    swapped = make_customer('ex@example.com')
    paid_order(swapped, earlier, number='EX-1')
    exchange = paid_order(swapped, today, '0.00', number='EX-SWAP')
    with session_scope() as session:
        exchange = session.merge(exchange)
        exchange.source = OrderSource.exchange
        session.commit()
    breached_today = [submit_request(f'Late {n}', email=f'late{n}@example.com') for n in range(2)]
    breached_before = submit_request('Late before', email='before@example.com')
    rated = [submit_request(f'Rated {n}', email=f'rated{n}@example.com') for n in range(3)]
    with session_scope() as session:
        for ticket in breached_today:
            session.merge(ticket).sla_breached_at = today
        session.merge(breached_before).sla_breached_at = earlier
        for ticket, score, when in zip(rated, (5, 2, 4), (today, today, earlier), strict=True):
            stored = session.merge(ticket)
            stored.rating, stored.rated_at = score, when
        session.commit()
    for sku, on_hand in (('LOW-1', 1), ('PLENTY-1', 50)):
        product = make_product(sku, stock_on_hand=on_hand, actor=manager)
        with session_scope() as session:
            level = session.exec(select(StockLevel).where(StockLevel.product_id == product.id)).one()
            stock.set_limits(
                session=session, actor=manager, product_id=product.id, version=level.version, min_qty=5, max_qty=0
            )


def todays(key: str) -> KpiDaily:
    with read_session() as session:
        today = days.today(app_settings.value(session=session, key='time_zone'))
        return session.exec(select(KpiDaily).where(KpiDaily.kpi == key, KpiDaily.day == today)).one()


def listed_count(key: str, actor: Any) -> int:
    listed = next(kpi.listed for kpi in KPIS if kpi.key == key)
    assert listed is not None, key
    with read_session() as session:
        filters = read.filters_behind_today(session=session, key=key)
        total, exact = query.count(
            session=session,
            actor=actor,
            resource=RESOURCES[listed.resource],
            request=query.ListRequest(filters=filters),
        )
    assert exact
    return total


def test_each_count_cards_list_counts_what_the_card_says() -> None:
    a_demo_like_day()
    refresh.refresh_incremental()
    manager = make_user('manager')
    expected = {'orders': 4, 'new_customers': 3, 'open_requests': 6, 'sla_breaches': 2, 'low_stock': 1}
    for key in COUNT_CARDS:
        number = todays(key).value
        assert number == expected[key], key  # the day has what each card leaves out
        assert listed_count(key, manager) == number, key
        assert read.list_note(key) is None  # the list's count is the number: nothing to explain


def test_a_card_whose_number_is_no_count_says_what_its_list_holds() -> None:
    a_demo_like_day()
    refresh.refresh_incremental()
    manager = make_user('manager')
    assert listed_count('csat', manager) == todays('csat').denominator == 2  # the ratings given today
    # paid today in the shop's currency: the orders the number adds up (not the one in dollars)
    assert listed_count('turnover', manager) == listed_count('average_basket', manager) == 2
    assert todays('average_basket').denominator == 2  # in euros only
    for key in NOT_COUNTS:
        assert read.list_note(key), key


def test_a_rating_merged_away_is_in_neither_the_csat_card_nor_the_list_it_opens() -> None:
    """A request rated, then merged into another (the customer wrote again on the same matter): CSAT leaves its rating
    out (rated where the conversation goes on, tickets.may_rate), and so do the rows behind the card and the requests
    list the card opens, one definition for the three (the card said 1 rating, its list showed 2)."""
    agent, manager = make_user('agent'), make_user('manager')
    kept = submit_request('Kept: "rated" <script>alert(1)</script>')
    merged = submit_request('Merged: "rated" <script>alert(1)</script>')
    goes_on = submit_request('Goes on: <b>x</b>')  # the same customer's, still open
    for ticket, score in ((kept, 5), (merged, 1)):
        with session_scope() as session:
            tickets.change(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, status='solved')
        with session_scope() as session:
            tickets.rate(session=session, number=ticket.number, token=ticket.token, score=score, comment='"x" <b>')
    with session_scope() as session:
        ticket_links.merge(session=session, actor=agent, ticket_id=merged.id, version=None, into_number=goes_on.number)
    refresh.refresh_incremental()
    assert (todays('csat').value, todays('csat').denominator) == (100, 1)
    with read_session() as session:
        _columns, behind = read.rows_behind_today(session=session, key='csat')
        filters = read.filters_behind_today(session=session, key='csat')
        page = query.list_page(
            session=session, actor=manager, resource=RESOURCES['tickets'], request=query.ListRequest(filters=filters)
        )
    assert [row['Request'] for row in behind] == [f'#{kept.number}']
    assert [f'#{row.number}' for row in page.rows] == [f'#{kept.number}']
    assert listed_count('csat', manager) == page.total == 1


def test_the_sources_an_order_card_counts_are_every_one_but_an_exchange() -> None:
    assert set(src.SALE_SOURCES) | set(src.NOT_SALES) == {s.value for s in OrderSource}
    assert not set(src.SALE_SOURCES) & set(src.NOT_SALES)


def test_every_card_with_a_list_links_to_it() -> None:
    linked = {kpi.key for kpi in KPIS if kpi.listed is not None}
    assert linked >= {*COUNT_CARDS, *NOT_COUNTS}


@pytest.mark.parametrize(
    ('key', 'marker', 'shown'),
    [
        ('new_customers', 'filter-first_order-from', 'ana@example.com'),
        ('sla_breaches', 'filter-sla_breached_on-from', 'Late 0'),
        ('csat', 'filter-rated_at-from', 'Rated 1'),
    ],
)
async def test_the_new_links_open_their_lists_on_todays_records(user: User, key: str, marker: str, shown: str) -> None:
    a_demo_like_day()
    refresh.refresh_incremental()
    manager = make_user('manager')
    with read_session() as session:
        address = read.list_behind_today(session=session, key=key, user=manager)
    assert address is not None
    await signed_in(user, manager.email, path=address)
    column = 'email' if key == 'new_customers' else 'subject'
    await eventually(lambda: shown in lists.listed(user, column))
    assert len(lists.listed(user, column)) == listed_count(key, manager)
    today = days.today(app_settings.time_zone()).isoformat()
    assert user.find(marker=marker).elements.pop().value == today  # the day shows in the filter's field
    # on a phone, where the filters fold away behind a button, the button says the list is filtered
    assert user.find(marker='filters-toggle').elements.pop().text == 'Filters (1)'


async def test_the_open_requests_card_lists_every_open_request_snoozed_ones_too(user: User) -> None:
    """The card counts the backlog, snoozed requests included (they are still open); its list shows the same rows, so
    no queue lights: All open leaves snoozed requests out until they come back (services/ticket_snooze.py)."""
    submit_request('Still open')
    later = submit_request('Snoozed "till" Monday: <script>')
    agent = make_user('agent')
    with session_scope() as session:
        ticket_snooze.snooze(
            session=session, actor=agent, ticket_id=later.id, version=later.version, until=utcnow() + timedelta(days=2)
        )
    with read_session() as session:
        address = read.list_behind_today(session=session, key='open_requests', user=agent)
    assert address is not None
    await signed_in(user, make_user('manager').email)  # the card's definition says so: snoozed ones count
    user.find(marker='define-open_requests').click()
    await user.should_see('Customer requests received and not solved by the end of the day, snoozed ones included.')
    await user.open(address)
    await eventually(lambda: sorted(lists.listed(user, 'subject')) == sorted(['Still open', later.subject]))
    queues = ('Unassigned', 'Mine', 'All open', 'Breaching SLA', 'Snoozed', 'Solved')
    assert not any('unelevated' in user.find(marker=f'queue-{n}').elements.pop().props for n in queues)


async def test_a_saved_view_shows_its_days_in_the_date_fields(user: User) -> None:
    a_demo_like_day()
    await signed_in(user, make_user('manager').email, path='/orders?placed_at=2026-11-01..2026-11-30')
    await eventually(lambda: lists.listed(user, 'number') == [])
    user.find(marker='save-view').click()
    name = '"November" <script>alert(1)</script>: été'
    user.find('Name').type(name)
    user.find('Save view').click()
    await user.should_see('saved')
    await user.open('/orders')
    await eventually(lambda: len(lists.listed(user, 'number')) > 0)
    assert user.find(marker='filter-placed_at-from').elements.pop().value == ''
    views = user.find(marker='views').elements.pop()
    chosen = next(key for key, label in views.options.items() if label == name)
    views.set_value(chosen)
    await eventually(lambda: lists.listed(user, 'number') == [])
    first = user.find(marker='filter-placed_at-from').elements.pop().value
    last = user.find(marker='filter-placed_at-to').elements.pop().value
    assert (first, last) == ('2026-11-01', '2026-11-30')


async def test_the_turnover_card_says_what_its_list_holds_the_orders_card_needs_not(user: User) -> None:
    a_demo_like_day()
    refresh.refresh_incremental()
    await signed_in(user, make_user('manager').email)
    user.find(marker='kpi-orders').click()
    await user.should_see(marker='behind-list')
    await user.should_not_see(marker='behind-list-note')  # its list counts what it says
    user.find(marker='kpi-turnover').click()
    await user.should_see("The list holds these paid orders, before refunds; the number takes off today's refunds.")


async def test_the_turnover_list_holds_the_orders_in_the_shops_currency_only(user: User) -> None:
    a_demo_like_day()
    refresh.refresh_incremental()
    manager = make_user('manager')
    with read_session() as session:
        address = read.list_behind_today(session=session, key='turnover', user=manager)
    assert address is not None and 'currency=EUR' in address
    await signed_in(user, manager.email, path=address)
    await eventually(lambda: sorted(lists.listed(user, 'number')) == ['ANA-TODAY', 'OLD-TODAY'])  # not DI-USD
    assert user.find(marker='filter-currency').elements.pop().value == ['EUR']  # shown in its field
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=make_user('admin'),
            loaded=app_settings.current_values(session=session),
            changes={'currency': 'USD'},
        )
    with read_session() as session:
        assert 'currency=USD' in (read.list_behind_today(session=session, key='average_basket', user=manager) or '')
    assert listed_count('average_basket', manager) == 1  # DI-USD


def test_the_low_stock_card_counts_the_products_its_list_the_alert_and_the_digest_call_low() -> None:
    """The Low-stock card counted every stock row at or below a minimum: a product in the trash and one turned into a
    service (its old row, shown nowhere) made the card say 3 beside a list, an alert and a digest of 1; a product
    counted below what open orders reserve, with no minimum, is low for them all and was not on the card. Its rows
    named the product by its database id."""
    from backoffice.resources import resource
    from backoffice.services import crud, digest

    manager = make_user('manager', email='stock.keeper@example.com')
    products = resource('products')
    made = {}
    for sku in ('LOW', 'TRASHED', 'SERVICE', 'PLENTY'):
        made[sku] = make_product(sku, stock_on_hand=1 if sku != 'PLENTY' else 50, actor=manager, name=HOSTILE_NAME)
        with session_scope() as session:
            stock.set_limits(session=session, actor=manager, product_id=made[sku].id, min_qty=5, max_qty=0)
    short = make_product('SHORT', stock_on_hand=3, actor=manager, name=HOSTILE_NAME)  # no minimum
    place(('SHORT', 3), email='buyer@example.com')  # reserves the three
    with session_scope() as session:
        stock.record_count(session=session, actor=manager, product_id=short.id, counted=1, reason='Shelf "A": <b>')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=products, record_id=made['TRASHED'].id)
    with session_scope() as session:  # counted out, then turned into a service: its row stays, at 0 below 5
        stock.record_count(session=session, actor=manager, product_id=made['SERVICE'].id, counted=0, reason='Sold off')
    with session_scope() as session:
        service = session.get(type(made['SERVICE']), made['SERVICE'].id)
        assert service is not None
        crud.update_record(
            session=session,
            actor=manager,
            resource=products,
            record_id=service.id,
            version=service.version,
            changes={'stocked': False},
        )
    refresh.refresh_incremental()

    assert todays('low_stock').value == 2  # LOW and SHORT
    assert listed_count('low_stock', manager) == 2
    with read_session() as session:
        day = days.today(app_settings.value(session=session, key='time_zone'))
        told = digest.build(session=session, actor=manager, first=day, last=day).low_stock
        behind = read.behind_today(session=session, key='low_stock')
    assert told is not None and told[0] == 2
    assert behind.total == 2
    assert [row[behind.columns[0]] for row in behind.rows] == [f'LOW {HOSTILE_NAME}', f'SHORT {HOSTILE_NAME}']


HOSTILE_NAME = 'Mug "classic": <script>x</script>'
