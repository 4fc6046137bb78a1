"""The ready reports against figures added up by hand on a small shop made through the services (dates set in plain
SQL where a report reads them): sales net of refunds by product, category and period; VAT per rate from invoices and
credit notes; stock value now and at a past day; returns by reason; support per agent; cohorts. Who may read them,
filters refused at their field, and the CSV/XLSX/PDF files."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text

from backoffice import formatting, i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.kpi.days import today
from backoffice.models import Order, Return, ReturnLine, ReturnStatus
from backoffice.permissions import PermissionDenied
from backoffice.reports.base import Params, heading
from backoffice.services import app_settings, orders, payments, purchases, reports
from components.report_charts import figure

from .support.factories import (
    advance,
    make_category,
    make_customer,
    make_product,
    make_user,
    pay,
    place,
    submit_request,
)
from .support.finance import round_prices
from .support.instants import bound

D = Decimal
JUNE = Params(first=date(2026, 6, 1), last=date(2026, 6, 30))


def run(actor, key: str, params: Params = JUNE):
    with read_session() as session:
        return reports.run(session=session, actor=actor, key=key, params=params)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def set_column(table: str, column: str, value, row_id: int) -> None:
    with session_scope() as session:
        session.execute(bound(f'UPDATE {table} SET {column} = :v WHERE id = :id', v=value, id=row_id))
        session.commit()


def by(table, key: str = 'label') -> dict:
    return {row[key]: row for row in table.rows}


@pytest.fixture
def shop():
    """SHIRT 20.00 (Shirts) and MUG 10.00 (no category), no VAT or shipping: A = 2 SHIRT + 1 MUG (50.00) paid on
    3 June, refunded 10.00 on 10 June; B = 1 MUG paid on 20 June; C = 1 SHIRT paid on 2 July."""
    admin = make_user('admin')
    round_prices(admin)
    shirts = make_category('Shirts')
    make_product('SHIRT', '20.00', name='Shirt', category_id=shirts.id, stock_on_hand=100, actor=admin)
    make_product('MUG', '10.00', name='Mug', stock_on_hand=100, actor=admin)
    a = place(('SHIRT', 2), ('MUG', 1), email='ann@example.com')
    b = place(('MUG', 1), email='bob@example.com')
    c = place(('SHIRT', 1), email='cid@example.com')
    for order, day in ((a, '2026-06-03'), (b, '2026-06-20'), (c, '2026-07-02')):
        pay(admin, order)
        set_column('orders', 'paid_at', at(day), order.id)
    with session_scope() as session:
        refund = payments.refund(session=session, actor=admin, order_id=a.id, amount='10.00', reason='Late delivery')
        session.commit()
        refund_id = refund.id
    set_column('refunds', 'refunded_at', at('2026-06-10'), refund_id)
    return admin, shirts, (a, b, c)


def test_sales_by_product_are_net_of_refunds_spread_over_the_lines(shop) -> None:
    admin, _shirts, _orders = shop
    table = run(admin, 'sales')
    rows = by(table)
    # the 10.00 refund of order A (50.00): 40/50 on the shirts, 10/50 on the mug
    assert rows['Shirt (SHIRT)']['units'] == 2
    assert (rows['Shirt (SHIRT)']['sales'], rows['Shirt (SHIRT)']['refunds'], rows['Shirt (SHIRT)']['net']) == (
        D('40.00'),
        D('8.00'),
        D('32.00'),
    )
    assert (rows['Mug (MUG)']['units'], rows['Mug (MUG)']['net']) == (2, D('18.00'))
    assert table.totals['net'] == D('50.00')
    assert rows['Shirt (SHIRT)']['share'] == pytest.approx(0.64)
    assert [row['label'] for row in table.rows] == ['Shirt (SHIRT)', 'Mug (MUG)']  # the largest first


def test_sales_by_category_and_by_period(shop) -> None:
    admin, shirts, _orders = shop
    categories = by(run(admin, 'sales', Params(JUNE.first, JUNE.last, group='category')))
    assert {label: row['net'] for label, row in categories.items()} == {'Shirts': D('32.00'), 'No category': D('18.00')}
    weeks = run(admin, 'sales', Params(JUNE.first, JUNE.last, group='period', grain='week'))
    by_week = {row['period']: row['net'] for row in weeks.rows}
    assert by_week[date(2026, 6, 1)] == D('50.00')  # order A, Wednesday 3 June
    assert by_week[date(2026, 6, 8)] == D('-10.00')  # the refund
    assert by_week[date(2026, 6, 15)] == D('10.00')
    assert by_week[date(2026, 6, 22)] == D('0.00')  # a quiet week still shows
    months = run(admin, 'sales', Params(date(2026, 6, 1), date(2026, 7, 31), group='period', grain='month'))
    assert [(row['period'], row['units'], row['net']) for row in months.rows] == [
        (date(2026, 6, 1), 4, D('50.00')),
        (date(2026, 7, 1), 1, D('20.00')),
    ]
    only_shirts = run(admin, 'sales', Params(JUNE.first, JUNE.last, category_id=shirts.id))
    assert [row['label'] for row in only_shirts.rows] == ['Shirt (SHIRT)']


def test_vat_collected_per_rate_from_invoices_and_credit_notes() -> None:
    admin = make_user('admin')
    make_product('BOOK', '10.00', name='Book', stock_on_hand=50, actor=admin)
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={'vat_rate': '20', 'shipping_fee': '0'},
        )
    twenty = place(('BOOK', 3), email='ann@example.com')  # 30.00 + 6.00 VAT
    pay(admin, twenty)
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            loaded=app_settings.current_values(session=session),
            changes={'vat_rate': '5.5'},
        )
    reduced = place(('BOOK', 2), email='bob@example.com')  # 20.00 + 1.10 VAT
    pay(admin, reduced)
    with session_scope() as session:  # 12.00 back on the 20 % order: a credit note of 10.00 + 2.00 VAT
        payments.refund(session=session, actor=admin, order_id=twenty.id, amount='12.00', reason='Damaged')
        session.commit()
    today = date.today()
    table = run(admin, 'vat', Params(today.replace(day=1), today))
    rows = {row['rate']: row for row in table.rows}
    assert (rows[D('0.2')]['invoiced_base'], rows[D('0.2')]['invoiced_tax']) == (D('30.00'), D('6.00'))
    assert (rows[D('0.2')]['credited_base'], rows[D('0.2')]['credited_tax']) == (D('10.00'), D('2.00'))
    assert rows[D('0.2')]['net_tax'] == D('4.00')
    assert (rows[D('0.055')]['net_base'], rows[D('0.055')]['net_tax']) == (D('20.00'), D('1.10'))
    assert table.totals['net_tax'] == D('5.10')


def test_stock_is_valued_at_the_weighted_average_cost_now_and_at_a_past_day() -> None:
    admin = make_user('admin')
    make_product('LAMP', '50.00', name='Lamp')
    make_product('SOCK', '5.00', name='Sock')
    with read_session() as session:
        ids = dict(session.execute(text('SELECT sku, id FROM products')).all())

    def buy(sku: str, quantity: int, cost: str | None, day: str) -> None:
        with session_scope() as session:
            line = {'product_id': ids[sku], 'quantity': quantity}
            if cost is not None:
                line['unit_cost'] = cost
            purchases.receive_purchase(session=session, actor=admin, supplier='Acme', reference='PO', lines=[line])
            session.commit()
        with session_scope() as session:
            session.execute(
                bound(
                    'UPDATE purchases SET received_at = :d, ordered_at = :d WHERE id = (SELECT max(id) FROM purchases)',
                    d=at(day),
                )
            )
            session.execute(
                bound(
                    'UPDATE stock_movements SET created_at = :d WHERE id = (SELECT max(id) FROM stock_movements)',
                    d=at(day),
                )
            )
            session.commit()

    buy('LAMP', 10, '20.00', '2026-05-01')  # 10 at 20.00
    buy('LAMP', 5, '26.00', '2026-06-15')  # then 15 at (200 + 130) / 15 = 22.00
    buy('SOCK', 7, None, '2026-05-01')  # no known cost
    now = run(admin, 'stock', Params(JUNE.first, JUNE.last))
    rows = by(now)
    assert (rows['Lamp']['quantity'], rows['Lamp']['unit_cost'], rows['Lamp']['value']) == (15, D('22.00'), D('330.00'))
    assert rows['Sock']['value'] is None and now.totals['value'] == D('330.00')
    assert any('no known cost' in note for note in now.notes)
    before = by(run(admin, 'stock', Params(JUNE.first, JUNE.last, at=date(2026, 6, 1))))
    assert (before['Lamp']['quantity'], before['Lamp']['unit_cost'], before['Lamp']['value']) == (
        10,
        D('20.00'),
        D('200.00'),
    )


def test_returns_are_counted_by_reason(shop) -> None:
    admin, _shirts, (a, b, _c) = shop
    with session_scope() as session:
        lines = dict(session.execute(text('SELECT order_id || sku, id FROM order_lines')).all())
        made = []
        for number, order, items, status in (
            ('R-1', a, [('SHIRT', 2, 'Too small'), ('MUG', 1, 'Broken')], ReturnStatus.received),
            ('R-2', b, [('MUG', 1, 'broken')], ReturnStatus.requested),
            ('R-3', b, [('MUG', 1, 'Changed my mind')], ReturnStatus.cancelled),
        ):
            rma = Return(number=number, order_id=order.id, customer_id=order.customer_id, status=status)
            session.add(rma)
            session.flush()
            for sku, quantity, reason in items:
                session.add(
                    ReturnLine(
                        return_id=rma.id, order_line_id=lines[f'{order.id}{sku}'], quantity=quantity, reason=reason
                    )
                )
            made.append(rma.id)
        session.commit()
    for rma_id in made:
        set_column('returns', 'created_at', at('2026-06-12'), rma_id)
    table = run(admin, 'returns')
    rows = {row['label'].casefold(): row for row in table.rows}
    assert (rows['broken']['returns'], rows['broken']['units']) == (2, 2)  # "Broken" and "broken" are one reason
    assert (rows['too small']['returns'], rows['too small']['units']) == (1, 2)
    assert 'changed my mind' not in rows  # a cancelled return
    assert rows['broken']['share'] == pytest.approx(0.5) and table.totals['returns'] == 2


def test_support_performance_per_agent() -> None:
    admin = make_user('admin')
    ann, bob = make_user('agent', name='Ann Agent'), make_user('agent', name='Bob Agent')
    made = [submit_request(f'Question {n}', email=f'c{n}@example.com') for n in range(5)]
    # (agent, created, first response after h, solved after h, rating)
    plan = [
        (ann, 1, 2, 10, 5),
        (ann, 1, 4, 30, 3),
        (ann, 2, None, None, None),
        (bob, 3, 1, 5, 4),
        (None, 4, 8, 8, None),
    ]
    for ticket, (agent, day, responded, solved, rating) in zip(made, plan, strict=True):
        created = at(f'2026-06-0{day}', 9)
        with session_scope() as session:
            session.execute(
                bound(
                    'UPDATE tickets SET assignee_id = :a, created_at = :c, first_responded_at = :r, solved_at = :s, '
                    'rating = :rating WHERE id = :id',
                    a=agent.id if agent else None,
                    c=created,
                    r=at(f'2026-06-0{day}', 9 + responded) if responded else None,
                    s=created.replace(day=created.day + solved // 24, hour=9 + solved % 24) if solved else None,
                    rating=rating,
                    id=ticket.id,
                )
            )
            session.commit()
    table = run(admin, 'support')
    rows = by(table)
    assert (rows['Ann Agent']['volume'], rows['Ann Agent']['solved']) == (3, 2)
    assert rows['Ann Agent']['first_response_median'] == 3.0  # of 2 h and 4 h
    assert rows['Ann Agent']['resolution_mean'] == 20.0  # of 10 h and 30 h
    assert rows['Ann Agent']['csat'] == 0.5 and rows['Ann Agent']['rating_mean'] == 4.0  # 5 and 3
    assert (rows['Bob Agent']['volume'], rows['Bob Agent']['csat']) == (1, 1.0)
    assert rows['Unassigned']['volume'] == 1
    assert table.totals['volume'] == 5 and table.totals['csat'] == pytest.approx(2 / 3)
    only_bob = run(admin, 'support', Params(JUNE.first, JUNE.last, agent_id=bob.id))
    assert [row['label'] for row in only_bob.rows] == ['Bob Agent']
    with i18n.use('fr'):  # a count of requests: plural (it read 'Résolue', the status of one request)
        assert [heading(column) for column in table.columns][1:3] == ['Demandes', 'Résolues']


def test_cohorts_share_of_each_months_new_customers_who_order_in_month_n(shop) -> None:
    admin, _shirts, _orders = shop
    people = {email: make_customer(email) for email in ('m1@example.com', 'm2@example.com', 'j1@example.com')}
    for email, day in (
        ('m1@example.com', '2026-05-05'),
        ('m2@example.com', '2026-05-20'),
        ('j1@example.com', '2026-06-02'),
    ):
        set_column('customers', 'signed_up_at', at(day), people[email].id)
    for email, days in (('m1@example.com', ['2026-05-06', '2026-06-10']), ('m2@example.com', ['2026-07-01'])):
        for day in days:
            order = place(('MUG', 1), email=email)
            set_column('orders', 'placed_at', at(day), order.id)
    # the fixture's customers signed up today; May and June each have their own
    table = run(admin, 'cohorts', Params(date(2026, 5, 1), date(2026, 6, 30)))
    rows = {row['cohort']: row for row in table.rows}
    may = rows[date(2026, 5, 1)]
    assert may['customers'] == 2
    assert (may['m0'], may['m1'], may['m2'], may['m3']) == (0.5, 0.5, 0.5, 0.0)
    assert rows[date(2026, 6, 1)]['customers'] == 1 and rows[date(2026, 6, 1)]['m0'] == 0.0


def test_the_cohorts_chart_draws_every_cohort_of_the_default_year_and_the_latest_of_a_longer_period() -> None:
    admin = make_user('admin')
    now = today(app_settings.time_zone())
    default = reports.default_params('cohorts', now)
    months = [default.first]
    while months[-1] < now.replace(day=1):
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    assert len(months) == 13  # this month and the 12 before it: the oldest cohort has its month 12
    for n, month in enumerate(months):
        customer = make_customer(f'cohort{n}@example.com')
        set_column('customers', 'signed_up_at', at(month.isoformat()), customer.id)
    table = run(admin, 'cohorts', default)
    curves = [trace['name'] for trace in figure(table)['data']]
    # the chart drew the latest 12 of the table's 13: the oldest, the one with a whole year, was missing
    assert curves == [row['label'] for row in table.rows] and len(curves) == 13
    longer = run(admin, 'cohorts', Params(first=months[0] - timedelta(days=365), last=now))
    assert len(longer.rows) == 13  # nobody signed up in the year before
    earlier = make_customer('earlier@example.com')
    set_column('customers', 'signed_up_at', at((months[0] - timedelta(days=200)).isoformat()), earlier.id)
    longer = run(admin, 'cohorts', Params(first=months[0] - timedelta(days=365), last=now))
    assert len(longer.rows) == 14
    assert [trace['name'] for trace in figure(longer)['data']] == [row['label'] for row in longer.rows[-13:]]


def test_the_cohorts_chart_stops_before_the_month_not_over_and_the_report_says_so() -> None:
    """A week into a month, each cohort's figure for it counts a quarter of a month's orders: every curve fell at its
    last point (60 % to 13 %), read as customers leaving. The table keeps the month so far and says so; the chart
    stops before it."""
    admin = make_user('admin')
    now = today(app_settings.time_zone())
    this_month = now.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    make_product('MUG', '10.00', name='Mug "A": <script>x</script>', stock_on_hand=10, actor=admin)
    buyer = make_customer('cohort.a@example.com', name='Cleo "C": <script>y</script>')
    set_column('customers', 'signed_up_at', at(last_month.isoformat()), buyer.id)
    for day in (last_month, now):
        order = place(('MUG', 1), email=buyer.email)
        set_column('orders', 'placed_at', at(day.isoformat()), order.id)
    table = run(admin, 'cohorts', Params(last_month, now))
    row = next(row for row in table.rows if row['cohort'] == last_month)
    assert (row['m0'], row['m1']) == (1.0, 1.0)  # the table: this month so far
    curve = next(trace for trace in figure(table)['data'] if trace['name'] == row['label'])
    assert curve['y'][:2] == [100.0, None]  # the chart: not this month
    assert any(note.startswith(f'{formatting.month(this_month)} is not over') for note in table.notes)
    with i18n.use('fr'):
        french = run(admin, 'cohorts', Params(last_month, now))
    assert any('n’est pas terminé' in note for note in french.notes)


def test_the_cohorts_size_column_is_not_called_as_the_dashboards_new_customers() -> None:
    """The cohort's size counts who signed up that month, buyers or not; it was headed "New customers", the name of
    the dashboard's card counting first orders, and a founder compared the two numbers."""
    from backoffice.kpi.registry import BY_KEY

    admin = make_user('admin')
    now = today(app_settings.time_zone())
    for language in ('en', 'fr'):
        with i18n.use(language):
            table = run(admin, 'cohorts', Params(now.replace(day=1), now))
            size = next(column for column in table.columns if column.key == 'customers')
            assert heading(size) != i18n.gettext(BY_KEY['new_customers'].label)
            assert heading(size) == {'en': 'Customers signed up', 'fr': 'Clients inscrits'}[language]


def test_only_readers_of_reports_may_run_them_and_filters_are_refused_at_their_field(shop) -> None:
    agent = make_user('agent')
    with pytest.raises(PermissionDenied):
        run(agent, 'sales')
    for role in ('viewer', 'manager'):
        assert run(make_user(role), 'vat').rows is not None
    with pytest.raises(ValidationFailed) as refused:
        reports.params_from('sales', {'first': '2026-06-30', 'last': '2026-06-01'}, date(2026, 7, 1))
    assert 'first' in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        reports.params_from('sales', {'first': 'yesterday'}, date(2026, 7, 1))
    assert 'first' in refused.value.errors


def test_exports_hold_the_figures_as_csv_xlsx_and_pdf(shop) -> None:
    admin, _shirts, _orders = shop
    files = {}
    for fmt in ('csv', 'xlsx', 'pdf'):
        with read_session() as session:
            files[fmt] = reports.export(session=session, actor=admin, key='sales', params=JUNE, fmt=fmt)
    content, name, media = files['csv']
    assert name == 'sales-20260601-20260630.csv' and media.startswith('text/csv')
    lines = content.decode('utf-8-sig').splitlines()
    assert lines[0].startswith('Product,Units sold,Sales excl. VAT')
    assert 'Shirt (SHIRT),2,40.00,8.00,32.00,0.64' in lines
    sheet = load_workbook(io.BytesIO(files['xlsx'][0])).active
    assert [cell.value for cell in sheet[2]][:5] == ['Shirt (SHIRT)', 2, 40.0, 8.0, 32.0]
    assert sheet.cell(row=4, column=1).value == 'Total'
    pdf_text = PdfReader(io.BytesIO(files['pdf'][0])).pages[0].extract_text()
    assert 'Sales' in pdf_text and 'Shirt (SHIRT)' in pdf_text and '€32.00' in pdf_text


def test_a_returns_refund_is_taken_from_the_returned_lines_only(shop) -> None:
    admin, _shirts, (a, _b, _c) = shop
    with session_scope() as session:
        shirt_line = session.execute(
            text("SELECT id FROM order_lines WHERE order_id = :o AND sku = 'SHIRT'"), {'o': a.id}
        ).scalar_one()
        rma = Return(number='R-7', order_id=a.id, customer_id=a.customer_id, status=ReturnStatus.received)
        session.add(rma)
        session.flush()
        session.add(ReturnLine(return_id=rma.id, order_line_id=shirt_line, quantity=1, reason='Too small'))
        session.commit()
        rma_id = rma.id
    with session_scope() as session:
        refund = payments.refund(
            session=session, actor=admin, order_id=a.id, amount='20.00', reason='Returned', return_id=rma_id
        )
        session.commit()
        refund_id = refund.id
    set_column('refunds', 'refunded_at', at('2026-06-11'), refund_id)
    rows = by(run(admin, 'sales'))
    # the shirt's 20.00 back on top of its 8.00 share of the earlier 10.00: the mug keeps only its 2.00
    assert (rows['Shirt (SHIRT)']['refunds'], rows['Mug (MUG)']['refunds']) == (D('28.00'), D('2.00'))


def test_units_called_off_by_cancel_what_is_not_shipped_are_not_sold(shop) -> None:
    """Order A's parcel took 1 shirt and the mug; the second shirt was called off ("Cancel what is not shipped"): the
    report sells 1 shirt, by product, by category and by period (its money stays until it is refunded)."""
    admin, _shirts, (a, _b, _c) = shop
    advance(admin, a, 'pack')
    with session_scope() as session:
        lines = {line.sku: line.id for line in orders.order_lines(session, a.id)}
        version = session.get(Order, a.id).version
        orders.ship(
            session=session, actor=admin, order_id=a.id, version=version, lines={lines['SHIRT']: 1, lines['MUG']: 1}
        )
    with session_scope() as session:
        version = session.get(Order, a.id).version
        orders.cancel_rest(session=session, actor=admin, order_id=a.id, version=version, reason='Sold out: <b>"x"</b>')
    rows = by(run(admin, 'sales'))
    assert (rows['Shirt (SHIRT)']['units'], rows['Shirt (SHIRT)']['sales']) == (1, D('40.00'))
    assert rows['Mug (MUG)']['units'] == 2
    assert run(admin, 'sales').totals['units'] == 3
    categories = by(run(admin, 'sales', Params(JUNE.first, JUNE.last, group='category')))
    assert categories['Shirts']['units'] == 1
    months = run(admin, 'sales', Params(date(2026, 6, 1), date(2026, 7, 31), group='period', grain='month'))
    assert [(row['period'], row['units']) for row in months.rows] == [(date(2026, 6, 1), 3), (date(2026, 7, 1), 1)]


def test_a_refund_after_cancel_what_is_not_shipped_is_taken_from_the_cancelled_items(shop) -> None:
    """Order A (2 shirts, 1 mug: 50.00; 10.00 refunded on 10 June, spread) shipped 1 shirt and the mug; the second
    shirt (20.00) was called off on 11 June, then 25.00 refunded on 12 June: 20.00 of it is the cancelled shirt's, the
    other 5.00 spread over the order like any refund. The 10 June refund, made before, stays spread."""
    admin, _shirts, (a, _b, _c) = shop
    advance(admin, a, 'pack')
    with session_scope() as session:
        lines = {line.sku: line.id for line in orders.order_lines(session, a.id)}
        version = session.get(Order, a.id).version
        orders.ship(
            session=session, actor=admin, order_id=a.id, version=version, lines={lines['SHIRT']: 1, lines['MUG']: 1}
        )
    with session_scope() as session:
        version = session.get(Order, a.id).version
        orders.cancel_rest(session=session, actor=admin, order_id=a.id, version=version, reason='Sold out: <b>"x"</b>')
    with read_session() as session:
        cancelled = session.execute(
            text("SELECT id FROM order_events WHERE order_id = :o AND text LIKE 'Shipped; not shipped, cancelled%'"),
            {'o': a.id},
        ).scalar_one()
    set_column('order_events', 'created_at', at('2026-06-11'), cancelled)
    with session_scope() as session:
        refund = payments.refund(session=session, actor=admin, order_id=a.id, amount='25.00', reason='Sold out: "x"')
        session.commit()
        refund_id = refund.id
    set_column('refunds', 'refunded_at', at('2026-06-12'), refund_id)
    table = run(admin, 'sales')
    rows = by(table)
    # shirt: 8.00 of the 10.00, the 20.00 cancelled shirt, 4.00 of the other 5.00; mug: 2.00 and 1.00
    assert (rows['Shirt (SHIRT)']['refunds'], rows['Mug (MUG)']['refunds']) == (D('32.00'), D('3.00'))
    assert table.totals['refunds'] == D('35.00')
    assert sum(row['refunds'] for row in run(admin, 'sales', Params(JUNE.first, JUNE.last, group='category')).rows) == (
        D('35.00')
    )
    # a report starting after the cancellation's refund knows it gave the shirt's money back: a refund after it spreads
    with session_scope() as session:
        later = payments.refund(session=session, actor=admin, order_id=a.id, amount='5.00', reason='Goodwill: <i>')
        session.commit()
        later_id = later.id
    set_column('refunds', 'refunded_at', at('2026-06-20'), later_id)
    rows = by(run(admin, 'sales', Params(date(2026, 6, 15), JUNE.last)))
    assert (rows['Shirt (SHIRT)']['refunds'], rows['Mug (MUG)']['refunds']) == (D('4.00'), D('1.00'))


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv() -> None:
    admin = make_user('admin')
    round_prices(admin)
    make_product('EVIL', '5.00', name='=HYPERLINK("http://x","y")', stock_on_hand=5, actor=admin)
    order = place(('EVIL', 1))
    pay(admin, order)
    today = date.today()
    with read_session() as session:
        content, _name, _media = reports.export(
            session=session, actor=admin, key='sales', params=Params(today, today), fmt='csv'
        )
    assert '\'=HYPERLINK(""http://x"",""y"") (EVIL)' in content.decode('utf-8-sig')
