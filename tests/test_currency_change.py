"""Changing the shop's currency at /settings: the stored KPI history (turnover and average basket add up the orders in
the shop's currency only) is recomputed in the new currency in the background, and the page says so where the
currency is set, with what is not converted (goal targets, alert thresholds, the amounts of other settings). The
dashboard then writes the new currency as every screen writes money ($450.00; French 450,00 $US)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.kpi import days, refresh
from backoffice.models import KpiDaily, KpiJobRun, Order
from backoffice.models.sales import Refund
from backoffice.services import app_settings

from .support.factories import make_customer, make_product, make_user, place
from .support.lists import rows_show
from .support.signin import signed_in

NBSP, NNBSP = '\u00a0', '\u202f'
D = days.today('UTC') - timedelta(days=3)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def values(key: str) -> dict[date, float | None]:
    with read_session() as session:
        return {row.day: row.value for row in session.exec(select(KpiDaily).where(KpiDaily.kpi == key))}


@pytest.fixture
def two_currencies() -> None:
    """Paid orders in euros (100 on D, 60 the day before) and one in dollars (500 on D, 50 of it refunded), and the
    history computed while the shop's currency is EUR."""
    customer = make_customer('two.currencies@example.com')
    orders = [('EUR', '100.00', D), ('EUR', '60.00', D - timedelta(days=1)), ('USD', '500.00', D)]
    with session_scope() as session:
        for number, (currency, total, day) in enumerate(orders, start=700):
            order = Order(
                number=str(number),
                customer_id=customer.id,
                email=customer.email,
                status='paid',
                currency=currency,
                total=Decimal(total),
                placed_at=at(day, 10),
            )
            session.add(order)
            session.flush()
            if currency == 'USD':
                session.add(Refund(order_id=order.id, amount=Decimal('50.00'), refunded_at=at(day, 12)))
        session.commit()
    refresh.recompute(first=D - timedelta(days=1), last=D)
    assert values('turnover') == {D - timedelta(days=1): 60, D: 100}
    assert values('average_basket')[D] == 100


def recomputes_done() -> None:
    """Wait for the background recompute(s) the page started (no timing: each thread is joined)."""
    for thread in [t for t in threading.enumerate() if t.name.startswith('kpi-recompute-')]:
        thread.join()


def change_currency(to: str) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        loaded = app_settings.current_values(session=session)
        app_settings.save(session=session, actor=admin, loaded=loaded, changes={'currency': to})


def test_a_new_currency_recomputes_the_money_kpis_of_the_whole_history(two_currencies: None) -> None:
    orders_before = values('orders')
    change_currency('USD')
    started = refresh.start_recompute_after_settings(['currency', 'company_name'], actor='owner@example.com')
    assert started is not None
    run_id, thread = started
    thread.join()

    turnover = values('turnover')
    assert (turnover[D - timedelta(days=1)], turnover[D]) == (0, 450)  # the dollars less their refund; no euros
    assert values('average_basket')[D] == 500
    assert values('orders') == orders_before  # not a money KPI: left as it was
    with read_session() as session:
        run = session.get(KpiJobRun, run_id)
        assert run is not None and run.job == refresh.RECOMPUTE and run.finished_at is not None and not run.error
    assert set(refresh.money_kpis()) >= {'turnover', 'average_basket'}
    assert refresh.start_recompute_after_settings(['company_name'], actor='owner@example.com') is None


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


async def test_an_owner_switches_to_dollars_and_the_dashboard_follows(user: User, two_currencies: None) -> None:
    owner = make_user('admin')
    await signed_in(user, owner.email, path='/')
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see('€160.00')  # the euros of the week; the dollars are no euros

    await user.open('/settings')
    user.find(marker='currency').elements.pop().value = 'USD'
    user.find('Save settings').click()
    await user.should_see('Settings saved')
    await user.should_see('The KPI history is being recomputed in USD: turnover and average basket now add up')
    await user.should_see('goal targets and alert thresholds on amounts')
    recomputes_done()

    await user.open('/')
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see('$450.00')
    await user.should_not_see('€160.00')


async def test_a_french_owner_reads_what_the_change_recomputes(
    user: User, two_currencies: None, in_french: Callable[[], None]
) -> None:
    owner = make_user('admin')
    await signed_in(user, owner.email, path='/settings')
    in_french()
    await user.open('/settings')
    user.find(marker='currency').elements.pop().value = 'USD'
    user.find('Enregistrer les paramètres').click()
    await user.should_see(f'L’historique des indicateurs est recalculé en USD{NBSP}: le chiffre d’affaires')
    await user.should_see('les cibles des objectifs et les seuils d’alerte sur des montants')
    recomputes_done()

    await user.open('/')
    next(iter(user.find(ui.toggle).elements)).value = 7
    await user.should_see(f'450,00{NBSP}$US')


async def test_lists_write_each_amount_in_its_own_currency(user: User, in_french: Callable[[], None]) -> None:
    """A list's money column said 2,962.80 with no currency while the order page said €2,962.80: now each amount is
    written with its record's currency (an order's, a product's), in the reader's language."""
    manager = make_user('manager')
    make_product('LIST-EUR', '1234.50', stock_on_hand=5, actor=manager, name='Lamp "A": <script>alert(1)</script>')
    make_product('LIST-USD', '99.90', currency='USD')
    euros = place(('LIST-EUR', 2))
    with session_scope() as session:
        dollars = Order(
            number='900001',
            customer_id=euros.customer_id,
            email='d@example.com',
            status='paid',
            currency='USD',
            total=Decimal('99.90'),
        )
        session.add(dollars)
        session.commit()

    def totals() -> dict[str, str]:
        return {row['number']: row['total'] for row in user.find(ui.table).elements.pop().rows}

    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, euros.number, '900001', column='number')
    assert totals()[euros.number] == '€2,962.80' and totals()['900001'] == '$99.90'
    await user.open('/products')
    await rows_show(user, 'LIST-EUR', 'LIST-USD', column='sku')
    prices = {row['sku']: row['price'] for row in user.find(ui.table).elements.pop().rows}
    assert (prices['LIST-EUR'], prices['LIST-USD']) == ('€1,234.50', '$99.90')

    in_french()
    await user.open('/orders')
    await rows_show(user, euros.number, '900001', column='number')
    assert totals()[euros.number] == f'2{NNBSP}962,80{NBSP}€' and totals()['900001'] == f'99,90{NBSP}$US'
