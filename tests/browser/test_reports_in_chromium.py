"""Every ready report in a real browser at a phone's and a desktop's width: its filters, its chart drawn by Plotly, its
table with the totals, hostile names and reasons shown as text, nothing overflowing sideways (screenshots in
tests/artifacts/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import text

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Return, ReturnLine, ReturnStatus
from backoffice.services import payments, purchases

from ..support.browser import (
    ARTIFACTS,
    RunningServer,
    WebDriverWait,
    no_horizontal_overflow,
    phone_again,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible_text,
)
from ..support.factories import make_category, make_customer, make_product, make_user, pay, place, submit_request
from ..support.instants import bound

pytestmark = pytest.mark.browser

HOSTILE = 'Mug "Deluxe": <img src=x onerror="window.__x=1">'
REPORTS = ('sales', 'vat', 'stock', 'returns', 'support', 'cohorts')


def shop() -> None:
    manager = make_user('manager')
    kitchen, garden = make_category('Kitchen'), make_category('Garden <b>&</b> outdoors')
    for sku, price, name, category in (
        ('RPT-MUG', '12.50', HOSTILE, kitchen.id),
        ('RPT-POT', '34.00', 'Terracotta pot', garden.id),
        ('RPT-PAN', '49.90', 'Cast iron pan', kitchen.id),
    ):
        product = make_product(sku, price, name=name, category_id=category)
        with session_scope() as session:
            purchases.receive_purchase(
                session=session,
                actor=manager,
                supplier='Acme',
                reference='PO-1',
                lines=[{'product_id': product.id, 'quantity': 80, 'unit_cost': str(round(float(price) * 0.45, 2))}],
            )
            session.commit()
    now = datetime.now(UTC)
    orders = []
    for n, lines in enumerate(
        [(('RPT-MUG', 2), ('RPT-POT', 1)), (('RPT-PAN', 1),), (('RPT-MUG', 4),), (('RPT-POT', 2), ('RPT-PAN', 1))] * 3
    ):
        order = place(*lines, email=f'rpt{n % 5}@example.com')
        pay(manager, order)
        with session_scope() as session:
            session.execute(
                bound(
                    'UPDATE orders SET paid_at = :at WHERE id = :id',
                    {'at': now - timedelta(days=(n * 2) % 28, hours=1), 'id': order.id},
                )
            )
            session.commit()
        orders.append(order)
    with session_scope() as session:
        payments.refund(session=session, actor=manager, order_id=orders[0].id, amount='10.00', reason='Late delivery')
        session.commit()
    with session_scope() as session:
        line_ids = session.execute(text('SELECT id FROM order_lines ORDER BY id')).scalars().all()
        for number, (reason, quantity) in enumerate(
            [(HOSTILE, 1), ('Too small', 2), ('Too small', 1), ('Damaged in transit', 1)]
        ):
            rma = Return(number=f'R-9{number}', order_id=orders[number].id, status=ReturnStatus.received)
            session.add(rma)
            session.flush()
            session.add(ReturnLine(return_id=rma.id, order_line_id=line_ids[number], quantity=quantity, reason=reason))
        session.commit()
    ann, bob = make_user('agent', name='Ann Agent'), make_user('agent', name='Bob <i>Agent</i>')
    for n in range(8):
        ticket = submit_request(f'Question {n}', email=f'rpt{n}@example.com')
        created = now - timedelta(days=n + 1)
        with session_scope() as session:
            session.execute(
                bound(
                    'UPDATE tickets SET assignee_id = :a, created_at = :c, first_responded_at = :r, solved_at = :s, '
                    'rating = :rating WHERE id = :id',
                    a=(ann, bob)[n % 2].id,
                    c=created,
                    r=created + timedelta(hours=1 + n),
                    s=created + timedelta(hours=6 + 3 * n) if n % 3 else None,
                    rating=(5, 4, 2, 5)[n % 4] if n % 3 else None,
                    id=ticket.id,
                )
            )
            session.commit()
    for n in range(12):
        customer = make_customer(f'cohort{n}@example.com')
        months_ago = n % 6
        with session_scope() as session:
            session.execute(
                bound(
                    'UPDATE customers SET signed_up_at = :at WHERE id = :id',
                    {'at': now - timedelta(days=30 * months_ago + 1), 'id': customer.id},
                )
            )
            session.commit()
        for later in range(0, months_ago, 1 + n % 2):
            order = place(('RPT-MUG', 1), email=f'cohort{n}@example.com')
            with session_scope() as session:
                session.execute(
                    bound(
                        'UPDATE orders SET placed_at = :at WHERE id = :id',
                        {'at': now - timedelta(days=30 * (months_ago - later)), 'id': order.id},
                    )
                )
                session.commit()
    # a whole year of cohorts, as on the demo: this month and the 12 before it (13 curves, a legend of several rows)
    months = [now.replace(day=1, hour=12, minute=0, second=0, microsecond=0)]
    while len(months) < 13:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    for months_ago in range(13):
        customer = make_customer(f'cohort-year{months_ago}@example.com')
        with session_scope() as session:
            session.execute(
                bound(
                    'UPDATE customers SET signed_up_at = :at WHERE id = :id',
                    {'at': months[months_ago], 'id': customer.id},
                )
            )
            session.commit()


def test_every_report_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    shop()
    set_viewport(driver, 390, 844)
    signed_in(driver, server.url, '/reports')
    visible_text(driver, 'Stock valuation')
    # each page loads once, on a phone, and is then turned into a desktop's window (one load a page, not two)
    for key in ('', *REPORTS):
        if key:
            phone_again(driver)
            driver.get(f'{server.url}/reports/{key}')
            WebDriverWait(driver, 20).until(
                lambda d: (
                    d.find_elements(By.CSS_SELECTOR, '.q-table tbody tr')
                    and d.find_elements(By.CSS_SELECTOR, '.js-plotly-plot .main-svg')
                )
            )
        else:  # the reports' index, which signing in landed on
            visible_text(driver, 'Customer cohorts')
        for width, height in ((390, 844), (1440, 900)):
            if width != 390:
                resize_and_settle(driver, width, height)  # the drawer slid in, the chart redrawn to its box
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / (f'report-{key}-{width}.png' if key else f'reports-{width}.png')))
            if key:
                assert no_horizontal_overflow(driver), f'the {key} report overflows sideways at {width} px'
                assert driver.execute_script('return window.__x') is None
            if key == 'cohorts':
                assert cohorts_drawn_apart(driver) == 13, f'13 cohorts in the table and its chart at {width} px'
        if key == 'returns':
            WebDriverWait(driver, 20).until(lambda d: HOSTILE in d.find_element(By.CSS_SELECTOR, '.q-table').text)
            assert driver.execute_script('return window.__x') is None  # a reason typed as markup reads as typed


def cohorts_drawn_apart(driver: WebDriver) -> int:
    """The cohorts' chart: its legend's entries, counted once none overlaps the months axis's title or its ticks."""
    boxes = driver.execute_script(
        """
        const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const plot = document.querySelector('.js-plotly-plot');
        return {
            title: [...plot.querySelectorAll('.g-xtitle text')].map(box),
            ticks: [...plot.querySelectorAll('.xtick text')].map(box),
            legend: [...plot.querySelectorAll('.legend .traces')].map(box),
            rows: document.querySelectorAll('.q-table tbody tr').length,
        };
        """
    )
    assert boxes['title'], 'the months axis has its title'
    for entry in boxes['legend']:
        for other in boxes['title'] + boxes['ticks']:
            apart = entry[2] <= other[0] or other[2] <= entry[0] or entry[3] <= other[1] or other[3] <= entry[1]
            assert apart, f'a legend entry {entry} lies over the axis title or a tick {other}'
    assert len(boxes['legend']) == boxes['rows']
    return len(boxes['legend'])
