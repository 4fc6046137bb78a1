"""A report scheduled weekly or monthly to chosen staff: each recipient gets last period's figures by email (the staff
outbox), in their language and with their permissions, once per period; recipients who may not read reports are
refused; on the screen a manager schedules one, sees it listed and stops it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import text
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import ReportSchedule, StaffMail
from backoffice.services import report_schedules

from .support.factories import make_product, make_user, pay, place
from .support.finance import round_prices
from .support.instants import bound
from .support.signin import signed_in
from .support.waiting import eventually


def test_last_period_is_the_last_complete_week_or_month() -> None:
    thursday = date(2026, 12, 3)
    assert report_schedules.last_period('weekly', thursday) == (date(2026, 11, 23), date(2026, 11, 29))
    assert report_schedules.last_period('monthly', thursday) == (date(2026, 11, 1), date(2026, 11, 30))


def test_a_monthly_sales_report_is_mailed_once_to_each_recipient_in_their_language() -> None:
    admin, manager = make_user('admin'), make_user('manager', name='Max Manager')
    viewer = make_user('viewer', name='Vic Viewer')
    with session_scope() as session:
        session.execute(text("UPDATE users SET language = 'fr' WHERE id = :id"), {'id': viewer.id})
        session.commit()
    round_prices(admin)
    make_product('MUG', '12.50', name='Mug', stock_on_hand=20, actor=admin)
    order = place(('MUG', 2))
    pay(admin, order)
    with session_scope() as session:
        session.execute(
            bound(
                'UPDATE orders SET paid_at = :at WHERE id = :id', at=datetime(2026, 11, 12, 10, tzinfo=UTC), id=order.id
            )
        )
        session.commit()
    agent = make_user('agent')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        report_schedules.create(
            session=session, actor=manager, key='sales', frequency='monthly', recipients=[agent.id], filters={}
        )
    assert 'recipients' in refused.value.errors  # an agent may not read reports
    with session_scope() as session:
        report_schedules.create(
            session=session,
            actor=manager,
            key='sales',
            frequency='monthly',
            recipients=[manager.id, viewer.id],
            filters={'group': 'product', 'first': 'ignored'},
        )
    for _run in range(2):  # the second run finds November sent already
        with session_scope() as session:
            report_schedules.send_due(session=session, today=date(2026, 12, 3))
    with read_session() as session:
        mails = {m.to_address: m for m in session.exec(select(StaffMail)).all()}
        schedule = session.exec(select(ReportSchedule)).one()
    assert set(mails) == {manager.email, viewer.email}
    english, french = mails[manager.email], mails[viewer.email]
    assert english.subject == 'Sales, 2026-11-01 – 2026-11-30'
    assert '- Mug (MUG) — Units sold: 2; Sales excl. VAT: €25.00' in english.body
    assert french.subject == 'Ventes, 01/11/2026 – 30/11/2026'
    assert 'Ventes HT : 25,00' in french.body or 'Ventes HT: 25,00' in french.body
    assert schedule.last_sent_through == date(2026, 11, 30) and schedule.filters == {'group': 'product'}


async def test_a_manager_schedules_a_report_and_stops_it(user: User) -> None:
    manager = make_user('manager', name='Max Manager')
    await signed_in(user, manager.email, path='/reports/returns')
    user.find(marker='schedule-report').click()
    await user.should_see(marker='schedule-dialog')
    user.find(marker='dialog-submit').click()
    await user.should_see('Choose who receives it', retries=40)
    recipients = next(iter(user.find(marker='schedule-recipients').elements))
    assert isinstance(recipients, ui.select)
    recipients.value = [manager.id]
    user.find(marker='dialog-submit').click()
    await user.should_see('The report will be sent.', retries=40)
    await user.should_see('Every week to Max Manager')
    with read_session() as session:
        schedule = session.exec(select(ReportSchedule)).one()
    assert schedule.report == 'returns' and schedule.recipients == [manager.id]
    user.find(marker=f'stop-schedule-{schedule.id}').click()
    await user.should_see('The report is no longer sent.', retries=40)
    await eventually(lambda: not _schedules())


def _schedules() -> list:
    with read_session() as session:
        return list(session.exec(select(ReportSchedule)).all())
