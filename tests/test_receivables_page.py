"""The receivables screen as a manager uses it: the ageing in total and per customer, every open invoice, a payment
that settles the invoices ticked (refused at the field above what is open); an agent may not open it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.kpi.days import today as shop_today
from backoffice.models import Reminder, ReminderStatus
from backoffice.services import app_settings, dunning

from .support.factories import make_company, make_product, make_user
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually

HOSTILE = 'Acme "Labs": <script>alert(1)</script>'


def table(user: User, marker: str) -> ui.table:
    return next(iter(user.find(marker=marker).elements))


async def test_a_manager_sees_what_is_owed_and_records_one_payment_for_two_invoices(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    acme = make_company(HOSTILE)
    _o1, i1 = invoiced_on_terms(manager, 'ann@acme.example', 1, 30, company_id=acme.id)  # 10.00
    _o2, i2 = invoiced_on_terms(manager, 'bob@acme.example', 4, 30, company_id=acme.id)  # 40.00

    await signed_in(user, manager.email, path='/finance/receivables')
    await user.should_see(marker='ageing-total', retries=40)
    await user.should_see('€50.00')
    accounts = table(user, 'accounts')
    assert [(row['name'], row['total'], row['not_due']) for row in accounts.rows] == [(HOSTILE, '€50.00', '€50.00')]
    items = table(user, 'open-invoices')
    assert [(row['number'], row['open']) for row in items.rows] == [(i1.number, '€10.00'), (i2.number, '€40.00')]

    items.selected = list(items.rows)
    user.find(marker='record-receipt').click()
    await user.should_see(marker='receipt-dialog')
    user.find(marker=f'amount-{i2.number}').clear().type('40.01')
    user.find(marker='reference').type(HOSTILE)
    user.find(marker='dialog-submit').click()
    await user.should_see(f'Only €40.00 is open on invoice {i2.number}', retries=40)
    user.find(marker=f'amount-{i2.number}').clear().type('15.00')
    user.find(marker='dialog-submit').click()
    await user.should_see('Payment of €25.00 recorded.', retries=40)
    await eventually(
        lambda: [(r['number'], r['open']) for r in table(user, 'open-invoices').rows] == [(i2.number, '€25.00')]
    )
    # the account's statement button (a button inside the table's row)
    user.find(marker='accounts').trigger('statement', {'customer_id': None, 'company_id': acme.id})
    download = await user.download.next(timeout=20)
    assert download.content.startswith(b'%PDF')


async def test_an_agent_may_not_open_receivables(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/finance/receivables')
    await user.should_not_see(marker='ageing-total')


async def test_a_manager_approves_one_reminder_and_cancels_another(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o1, i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 15)
    _o2, i2 = invoiced_on_terms(manager, 'bob@example.com', 1, 15)
    with session_scope() as session:
        dunning.queue_reminders(session=session, today=shop_today(app_settings.time_zone()) + timedelta(days=20))

    await signed_in(user, manager.email, path='/finance/receivables')
    await user.should_see(f'Reminder 1 for invoice {i1.number} to ann@example.com', retries=40)
    user.find(marker=f'approve-{i1.number}').click()
    await user.should_see('Reminder approved: it is sent shortly.', retries=40)
    user.find(marker=f'cancel-{i2.number}').click()
    await user.should_see('Reminder cancelled.', retries=40)
    await user.should_see('No reminder waits for review.')
    with read_session() as session:
        assert [r.status for r in session.exec(select(Reminder).order_by(Reminder.id))] == [
            ReminderStatus.queued,
            ReminderStatus.cancelled,
        ]


async def test_the_statement_downloads_from_the_customer_page(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    order, invoice = invoiced_on_terms(manager, 'ann@example.com', 2, 30, name=HOSTILE)
    await signed_in(user, manager.email, path=f'/customers/{order.customer_id}')
    await user.should_see(marker='statement', retries=40)
    user.find(marker='statement').click()
    download = await user.download.next(timeout=20)
    assert download.content.startswith(b'%PDF')


async def test_a_french_manager_confirms_the_open_amount_as_they_type_it(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt's amount is put in the field as the reader types amounts (40,00 in French, not 40.00), and read
    back as such."""
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _order, invoice = invoiced_on_terms(manager, 'zoe@example.com', 4, 30, name=HOSTILE)  # 40.00
    await signed_in(user, manager.email, path='/finance/receivables')
    monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')
    await user.open('/finance/receivables')
    await user.should_see(marker='ageing-total', retries=40)
    items = table(user, 'open-invoices')
    items.selected = list(items.rows)
    user.find(marker='record-receipt').click()
    await user.should_see(marker='receipt-dialog')
    assert user.find(marker=f'amount-{invoice.number}').elements.pop().value == '40,00'
    user.find(marker='reference').type(HOSTILE)
    user.find(marker='dialog-submit').click()
    await user.should_see('40,00\u00a0€', retries=40)
    await eventually(lambda: table(user, 'open-invoices').rows == [])


async def test_the_totals_and_ageing_read_per_currency(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    make_product('CAP', '7.00', stock_on_hand=100, actor=manager, currency='USD')
    invoiced_on_terms(manager, 'ann@example.com', 3, 30, name=HOSTILE)  # €30.00
    invoiced_on_terms(manager, 'ann@example.com', 1, 30, sku='CAP')  # $7.00
    await signed_in(user, manager.email, path='/finance/receivables')
    await user.should_see(marker='ageing-total', retries=40)
    # the total open, and the "not due" bucket, a line per currency; nothing is 1–30 days late in dollars
    for key in ('total', 'not_due'):
        card = user.find(marker=f'ageing-{key}').elements.pop()
        assert [label.text for label in card.descendants() if isinstance(label, ui.label)][1:] == ['€30.00', '$7.00']
    late = user.find(marker='ageing-d1_30').elements.pop()
    assert [label.text for label in late.descendants() if isinstance(label, ui.label)][1:] == ['€0.00']
    accounts = table(user, 'accounts')
    assert sorted((row['name'], row['total'], row['not_due']) for row in accounts.rows) == [
        (HOSTILE, '$7.00', '$7.00'),
        (HOSTILE, '€30.00', '€30.00'),
    ]


async def test_a_reminder_approved_as_a_colleagues_order_refreshes_the_page_is_approved(user: User) -> None:
    """The browser sends "Approve and send" from the reminders it shows while the page reads again for a colleague's
    new invoice (every order, invoice and payment of the shop refreshes it): the reminders are the same, so their
    buttons stay and the click lands."""
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o1, i1 = invoiced_on_terms(manager, 'ann@example.com', 1, 15, name=HOSTILE)
    with session_scope() as session:
        dunning.queue_reminders(session=session, today=shop_today(app_settings.time_zone()) + timedelta(days=20))

    await signed_in(user, manager.email, path='/finance/receivables')
    await user.should_see(f'Reminder 1 for invoice {i1.number} to ann@example.com', retries=40)
    # the button as the browser shows it, clicked later
    approve = click_as_shown(user, user.find(marker=f'approve-{i1.number}').elements.pop())
    _o2, i2 = invoiced_on_terms(make_user('manager'), 'bob@example.com', 4, 30)  # a colleague's invoice, live
    await eventually(lambda: i2.number in [row['number'] for row in table(user, 'open-invoices').rows])
    approve()
    await user.should_see('Reminder approved: it is sent shortly.', retries=40)
    await user.should_see('No reminder waits for review.', retries=40)
