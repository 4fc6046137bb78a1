"""The dashboard's read side: a visit while the aggregates are unchanged reuses what the last one computed; a refresh
or a definition change shows new numbers at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.kpi import days, definitions, read, refresh
from backoffice.kpi.registry import BY_KEY, KPIS
from backoffice.models import EventType, KpiDaily, Refund, UsageEvent, utcnow
from backoffice.services import digest, digest_mail
from backoffice.services.digest_mail import CardLine, Digest
from components.kpi_widgets import change_text

from .support.factories import make_customer, make_user, paid_order


def test_the_dashboard_is_computed_once_per_state_of_the_aggregates() -> None:
    now = utcnow()  # one clock for the test: a period ending today is also computed once per minute of the day
    today = days.today('UTC', now)
    with session_scope() as session:
        session.add(KpiDaily(kpi='turnover', day=today, value=120.0))
        session.commit()
    with read_session() as session:
        period = read.period_ending_today(7, session=session)
        first = read.dashboard(session=session, period=period, now=now)
        again = read.dashboard(session=session, period=period, now=now)
    assert again is first
    assert next(c for c in first.cards if c.key == 'turnover').value == 120

    with session_scope() as session:  # a refresh writes a value
        session.add(KpiDaily(kpi='turnover', day=today - timedelta(days=1), value=30.0))
        session.commit()
    with read_session() as session:
        refreshed = read.dashboard(session=session, period=period, now=now)
    assert next(c for c in refreshed.cards if c.key == 'turnover').value == 150

    with session_scope() as session:  # the owner redefines an active user: the card's definition follows
        definitions.change(session=session, actor=make_user('admin'), values={'active_days': 9})
    with read_session() as session:
        redefined = read.dashboard(session=session, period=period, now=now)
    assert '9 days' in next(c for c in redefined.cards if c.key == 'active_users').definition


def test_the_funnel_ends_with_the_orders_placed_online_not_every_order() -> None:
    """An order entered by staff or imported had no checkout: the funnel's last step counts the front office's
    order_placed events, as checkout abandonment does, so Checkouts → Orders placed never grows."""
    today = days.today('UTC')
    with session_scope() as session:
        session.add(KpiDaily(kpi='checkouts', day=today, value=10.0))
        session.add(KpiDaily(kpi='orders_placed_online', day=today, value=7.0))
        session.add(KpiDaily(kpi='orders', day=today, value=25.0))  # 18 of them entered by staff
        session.commit()
    with read_session() as session:
        steps = read.funnel(session=session, period=read.period_ending_today(7, session=session))
    assert steps[-2:] == [('Checkouts', 10.0), ('Orders placed', 7.0)]


def test_the_rows_behind_todays_turnover_add_up_to_it() -> None:
    """A morning with a refund: the card said −€5.04 and its rows "Nothing today yet"; the rows held the orders waiting
    for payment and those in pounds, which the turnover leaves out. Now they are what the turnover adds up."""
    jo = make_customer('jo@example.com')
    now = utcnow()
    old = paid_order(jo, now - timedelta(days=40), '60.00', number='100001', status='delivered')
    with session_scope() as session:
        session.add(Refund(order_id=old.id, amount=Decimal('5.04'), refunded_at=now - timedelta(seconds=1)))
        session.commit()
    for number, status, currency, total in (
        ('100002', 'paid', 'EUR', '80.00'),
        ('100003', 'pending', 'EUR', '30.00'),  # not paid: no turnover yet
        ('100004', 'paid', 'GBP', '1200.00'),  # another currency: not in the euros
    ):
        paid_order(jo, now - timedelta(seconds=2), total, number=number, status=status, currency=currency)
    refresh.refresh_incremental()

    with read_session() as session:
        columns, rows = read.rows_behind_today(session=session, key='turnover')
        turnover = next(c for c in read.cards(session=session, period=read.period_ending_today(1, session=session)))
        _columns, basket = read.rows_behind_today(session=session, key='average_basket')
    assert turnover.key == 'turnover' and turnover.value == 74.96
    assert columns == ['Order', 'What', 'Amount', 'Time']
    with i18n.use('fr'), read_session() as session:  # a time of day, said so: not 'Date et heure' over 10:02
        assert read.rows_behind_today(session=session, key='turnover')[0] == ['Commande', 'Quoi', 'Montant', 'Heure']
        assert read.rows_behind_today(session=session, key='orders')[0][-1] == 'Heure'
    assert [(row['Order'], row['What'], row['Amount']) for row in rows] == [
        ('100001', 'Refund', '-€5.04'),
        ('100002', 'Paid', '€80.00'),
    ]
    assert [(row['Order'], row['Amount']) for row in basket] == [('100002', '€80.00')]


def test_a_rate_moves_in_points_on_its_card_and_in_the_digest() -> None:
    """Sign-up abandonment 43.2 % said "▲ 34.0 %" against 32.2 %: a founder read 66 %, or a third more sign-ups
    lost; a rate's change is the points it moved (▲ 11.0 pts). Amounts and counts keep their percentage."""
    today = days.today('UTC')
    busy = {1: (432, 1000, 120), 8: (322, 1000, 100)}  # days ago: sign-ups lost, started; orders
    with session_scope() as session:
        for ago in range(14):  # every day has a row: the week before is a whole period
            lost, started, orders = busy.get(ago, (0, 0, 0))
            day = today - timedelta(days=ago)
            rate = lost / started * 100 if started else None
            session.add(KpiDaily(kpi='signup_abandonment', day=day, value=rate, numerator=lost, denominator=started))
            session.add(KpiDaily(kpi='orders', day=day, value=orders))
        session.commit()
    with read_session() as session:
        cards = {c.key: c for c in read.cards(session=session, period=read.period_ending_today(7, session=session))}
    abandonment, orders = cards['signup_abandonment'], cards['orders']
    assert (abandonment.value, abandonment.previous, abandonment.change) == (43.2, 32.2, 11.0)
    assert change_text(abandonment) == '▲ 11.0 pts' and abandonment.good is False  # more sign-ups lost
    assert change_text(orders) == '▲ 20.0%'  # 120 against 100
    with i18n.use('fr'):
        assert change_text(abandonment) == '▲ 11,0 pts'
    with read_session() as session:  # its days as a file: what it divides too, for a spreadsheet to add days up
        content, name = read.series_csv(
            session=session, period=read.Period(today - timedelta(days=1), today), key='signup_abandonment'
        )
    assert name == f'signup_abandonment-{today - timedelta(days=1):%Y%m%d}-{today:%Y%m%d}.csv'
    assert content.decode('utf-8-sig').splitlines() == [
        'day,signup_abandonment,sign-ups not completed,sign-ups started',
        f'{today - timedelta(days=1)},43.2,432,1000',
        f'{today},,0,0',
    ]
    with read_session() as session:  # for French Excel, which reads a comma-separated file as one column
        content, _name = read.series_csv(
            session=session,
            period=read.Period(today - timedelta(days=1), today),
            key='signup_abandonment',
            separator=';',
        )
    assert content.decode('utf-8-sig').splitlines() == [  # and its decimals with a comma: 43.2 read as a date or text
        'day;signup_abandonment;sign-ups not completed;sign-ups started',
        f'{today - timedelta(days=1)};43,2;432;1000',
        f'{today};;0;0',
    ]
    with session_scope() as session:  # a day of more refunds than sales: still a number, not guarded as text
        session.add(KpiDaily(kpi='turnover', day=today, value=-12.5))
        session.commit()
    with read_session() as session:
        content, _name = read.series_csv(
            session=session, period=read.Period(today, today), key='turnover', separator=';'
        )
    assert content.decode('utf-8-sig').splitlines() == ['day;turnover', f'{today};-12,5']

    line = CardLine('signup_abandonment', 'Sign-up abandonment', '43.2 %', 11.0, False, [], points=True)
    made = digest_mail.render(
        Digest('Zoë', date(2026, 12, 1), date(2026, 12, 7), [line], None, None, None, None),
        base_url='http://shop.example',
        unsubscribe='http://shop.example/u',
    )
    assert '+11.0 pts vs the previous period' in made.text


def test_a_rate_s_file_names_its_two_columns_for_what_they_are_in_the_reader_s_language() -> None:
    """The conversion and average basket files had columns 'numerator,denominator': jargon to a founder."""
    today = date.today()
    with session_scope() as session:
        session.add(KpiDaily(kpi='conversion', day=today, value=2.5, numerator=5, denominator=200))
        session.add(KpiDaily(kpi='average_basket', day=today, value=40.0, numerator=200, denominator=5))
        session.commit()
    period = read.Period(today, today)

    def header(key: str, separator: str = ',') -> str:
        with read_session() as session:
            content, _name = read.series_csv(session=session, period=period, key=key, separator=separator)
        return content.decode('utf-8-sig').splitlines()[0]

    assert header('conversion') == 'day,conversion,orders,visits'
    assert header('average_basket') == 'day,average_basket,turnover,paid orders'
    assert header('csat') == 'day,csat,ratings of 4 or 5,ratings'
    with i18n.use('fr'):  # as a French reader gets the semicolons, the words are theirs
        assert header('conversion', ';') == 'day;conversion;commandes;visites'
        assert header('average_basket', ';') == 'day;average_basket;chiffre d’affaires;commandes payées'
    assert all(kpi.parts != ('numerator', 'denominator') for kpi in KPIS if kpi.period == 'ratio')


def test_a_custom_period_s_calendar_opens_on_the_month_of_its_last_day() -> None:
    """It opened on the first month of the 30 days shown (November), where the days to change are in December."""
    assert read.calendar_month(read.Period(date(2026, 11, 8), date(2026, 12, 7))) == (2026, 12)
    assert read.calendar_month(read.Period(date(2025, 12, 20), date(2026, 1, 3))) == (2026, 1)


def test_the_turnover_says_it_includes_vat_and_shipping() -> None:
    """In French 'chiffre d'affaires' reads as before VAT: the definitions say the totals include it (TTC)."""
    defs = definitions.Definitions()
    for key in ('turnover', 'average_basket'):
        assert 'VAT and shipping included' in BY_KEY[key].describe(defs)
        with i18n.use('fr'):
            assert 'Total TTC des commandes payées, frais de port compris' in BY_KEY[key].describe(defs)


def test_the_rows_behind_todays_new_customers_are_them() -> None:
    """The card said 2 new customers and its rows listed every order of the day: they are who placed their first
    order today, with how many they placed."""
    jo, ann = make_customer('jo@example.com'), make_customer('ann@example.com')
    now = utcnow()
    for number, customer, ago in (
        ('100001', jo, timedelta(days=40)),  # jo came back today: not new
        ('100002', jo, timedelta(seconds=3)),
        ('100003', ann, timedelta(seconds=2)),
        ('100004', ann, timedelta(seconds=1)),
    ):
        paid_order(customer, now - ago, '10.00', number=number)
    refresh.refresh_incremental()
    with read_session() as session:
        columns, rows = read.rows_behind_today(session=session, key='new_customers')
        cards = read.cards(session=session, period=read.period_ending_today(1, session=session))
    assert next(c.value for c in cards if c.key == 'new_customers') == len(rows) == 1
    assert columns == ['Customer', 'Orders', 'First order']
    assert [(row['Customer'], row['Orders']) for row in rows] == [(f'customer {ann.id}', 2)]


def test_the_rows_behind_todays_active_users_are_them() -> None:
    """The card said 2 active users and its rows listed every event of the day ("7" visits and page views, anonymous
    ones too): they are the customers the definition counts, with their events in its days."""
    jo, ann, old = (make_customer(f'{name}@example.com', name=f'{name} "x": <script>') for name in ('jo', 'ann', 'old'))
    now = utcnow()
    with session_scope() as session:
        for number, (customer_id, kind, ago) in enumerate(
            [
                (jo.id, EventType.visit, timedelta(days=10)),  # active: within the 30 days
                (jo.id, EventType.page_view, timedelta(days=9)),
                (ann.id, EventType.login, timedelta(seconds=5)),
                (ann.id, EventType.signup_started, timedelta(seconds=4)),  # not an activity by default
                (old.id, EventType.visit, timedelta(days=45)),  # too long ago
                *((None, EventType.page_view, timedelta(seconds=n + 1)) for n in range(4)),  # anonymous visitors
            ]
        ):
            session.add(
                UsageEvent(
                    client_id=f'e{number}',
                    type=int(kind),
                    ts=now - ago,
                    customer_id=customer_id,
                    anonymous_id=f'anon-{number}',
                )
            )
        session.commit()
    refresh.recompute(first=days.today('UTC', now) - timedelta(days=1))
    with read_session() as session:
        behind = read.behind_today(session=session, key='active_users')
        cards = read.cards(session=session, period=read.period_ending_today(1, session=session))
    assert next(c.value for c in cards if c.key == 'active_users') == behind.total == len(behind.rows) == 2
    assert behind.columns == ['Customer', 'Events', 'Last seen']
    assert [(row['Customer'], row['Events']) for row in behind.rows] == [
        (f'customer {ann.id}', '1'),
        (f'customer {jo.id}', '2'),
    ]


def test_the_rows_behind_todays_checkout_abandonment_say_which_were_abandoned() -> None:
    """The card said 66.7 % and its rows were today's checkouts, the abandoned ones not told from the others: each row
    says whether an order followed, as the percentage counts it."""
    ann = make_customer('ann@example.com', name='Ann "A": <script>')
    now = utcnow()
    with session_scope() as session:
        for number, (kind, visitor, customer_id, ago) in enumerate(
            [
                (EventType.checkout_started, 'anon-1', None, timedelta(seconds=50)),
                (EventType.order_placed, 'anon-1', None, timedelta(seconds=40)),  # anon-1 ordered
                (EventType.checkout_started, 'anon-2', None, timedelta(seconds=30)),  # abandoned so far
                (EventType.checkout_started, 'anon-3', ann.id, timedelta(seconds=20)),
                (EventType.order_placed, 'anon-4', None, timedelta(seconds=10)),  # another visitor's order
            ]
        ):
            session.add(
                UsageEvent(
                    client_id=f'c{number}', type=int(kind), ts=now - ago, customer_id=customer_id, anonymous_id=visitor
                )
            )
        session.commit()
    refresh.refresh_incremental()
    with read_session() as session:
        behind = read.behind_today(session=session, key='checkout_abandonment')
        cards = read.cards(session=session, period=read.period_ending_today(1, session=session))
    assert next(c.value for c in cards if c.key == 'checkout_abandonment') == 66.67
    assert behind.columns == ['Event', 'Time', 'Visitor', 'Outcome']
    assert [(row['Visitor'], row['Outcome']) for row in behind.rows] == [
        (f'customer {ann.id}', 'Not yet'),
        ('anon-2', 'Not yet'),
        ('anon-1', 'Order placed'),
    ]
    with i18n.use('fr'), read_session() as session:
        french = read.behind_today(session=session, key='checkout_abandonment')
    assert [row['Résultat'] for row in french.rows] == ['Pas encore', 'Pas encore', 'Commande passée']


def test_a_period_ending_today_is_compared_with_the_days_before_up_to_the_same_time_of_day() -> None:
    """At 08:00 the 7 days' turnover said "▼ 13.3 %" and active users "▼ 50.0 %" every morning: today so far was
    compared with whole days. The 7 days before are now counted up to 08:00 on their last day, from its rows: an order
    at 09:00 that day, a customer first seen at 10:00, the order that followed a checkout at 09:00 are not yet."""
    today = date(2026, 11, 20)
    now = datetime.combine(today, time(8, 0, 30), UTC)
    last_before = today - timedelta(days=7)
    at = lambda hour, minute=0, day=last_before: datetime.combine(day, time(hour, minute), UTC)  # noqa: E731
    jo, ann, bo = (make_customer(f'{name}@example.com') for name in ('jo', 'ann', 'bo'))
    with session_scope() as session:
        definitions.change(session=session, actor=make_user('admin'), values={'active_days': 1})  # daily active
    with session_scope() as session:
        for ago in range(14):  # the aggregates, as the refresh left them: last_before's are its whole day
            day = today - timedelta(days=ago)
            turnover = {0: 50.0, 7: 150.0}.get(ago, 100.0)
            active = {0: 1.0, 7: 2.0}.get(ago, 1.0)
            abandoned = (1.0, 1.0) if ago == 0 else (0.0, 1.0) if ago == 7 else (0.0, 0.0)
            session.add(KpiDaily(kpi='turnover', day=day, value=turnover))
            session.add(KpiDaily(kpi='active_users', day=day, value=active))
            rate = 100 * abandoned[0] / abandoned[1] if abandoned[1] else None
            session.add(
                KpiDaily(
                    kpi='checkout_abandonment',
                    day=day,
                    value=rate,
                    numerator=abandoned[0],
                    denominator=abandoned[1],
                )
            )
        for n, (kind, when, customer, visitor) in enumerate(
            (
                (EventType.visit, at(23, day=last_before - timedelta(days=1)), bo, 'v-bo'),  # the day before
                (EventType.visit, at(7, 30), jo, 'v-jo'),
                (EventType.checkout_started, at(7, 45), jo, 'v-jo'),
                (EventType.order_placed, at(9), jo, 'v-jo'),  # after 08:00: the checkout was still abandoned then
                (EventType.visit, at(10), ann, 'v-ann'),  # after 08:00
            )
        ):
            session.add(
                UsageEvent(client_id=f'e{n}', type=int(kind), ts=when, customer_id=customer.id, anonymous_id=visitor)
            )
        session.commit()
    for number, placed, total in (('100001', at(7), '50.00'), ('100002', at(9), '100.00')):
        paid_order(jo, placed, total, number=number)

    period = read.Period(today - timedelta(days=6), today)
    with read_session() as session:
        cards = {c.key: c for c in read.cards(session=session, period=period, now=now)}
    turnover, active, abandonment = cards['turnover'], cards['active_users'], cards['checkout_abandonment']
    assert (turnover.value, turnover.previous) == (650.0, 650.0)  # 6 days and 8 hours each: not 650 against 750
    assert change_text(turnover) == 'no change'
    assert (active.value, active.previous) == (1.0, 1.0)  # jo by 08:00 (bo's visit was the day before)
    assert (abandonment.value, abandonment.previous) == (100.0, 100.0)
    assert turnover.previous_until == at(8)  # what the opened card and the period line say

    with read_session() as session:  # a period of whole days (the digest's) compares whole days
        whole = {
            c.key: c
            for c in read.cards(session=session, period=read.Period(period.first, today - timedelta(days=1)), now=now)
        }
    assert whole['turnover'].previous_until is None


def test_a_custom_period_cannot_go_past_today() -> None:
    """The custom period's calendar let a founder pick next week: its empty days read as a fall. Days after today are
    refused, saying up to which day; days up to today are the period, in either order."""
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    today = date(2026, 12, 6)
    with pytest.raises(ValidationFailed) as refused:
        read.chosen_period(today - timedelta(days=2), today + timedelta(days=3), zone='UTC', now=now)
    assert refused.value.errors == {
        'days': 'Days after today have no figures yet: choose days up to today (2026-12-06).'
    }
    with i18n.use('fr'):
        with pytest.raises(ValidationFailed) as refused:
            read.chosen_period(today + timedelta(days=1), today + timedelta(days=3), zone='UTC', now=now)
    assert 'Les jours après aujourd’hui n’ont pas encore de chiffres' in refused.value.errors['days']
    assert read.chosen_period(today, today - timedelta(days=6), zone='UTC', now=now) == read.Period(
        today - timedelta(days=6), today
    )
    # in Paris it is already the 7th at 23:30 UTC on the 6th: the 7th is today there
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert read.chosen_period(today, today + timedelta(days=1), zone='Europe/Paris', now=late).last == date(2026, 12, 7)


def test_a_picked_period_is_a_range_or_one_day_and_nothing_picked_is_refused() -> None:
    """The range calendar gives {'from', 'to'}, or the day alone when one day is tapped twice: both are periods."""
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert read.picked_period({'from': '2026-12-01', 'to': '2026-12-03'}, zone='UTC', now=now) == read.Period(
        date(2026, 12, 1), date(2026, 12, 3)
    )
    assert read.picked_period('2026-12-05', zone='UTC', now=now) == read.Period(date(2026, 12, 5), date(2026, 12, 5))
    assert read.picked_period('2026/12/04', zone='UTC', now=now) == read.Period(date(2026, 12, 4), date(2026, 12, 4))
    for nothing in (None, '', {}, {'from': '2026-12-01'}, 'x"<script>:'):
        with pytest.raises(ValidationFailed) as refused:
            read.picked_period(nothing, zone='UTC', now=now)
        assert refused.value.errors == {'days': 'Choose the days: tap the first and the last, or one day twice.'}
    with pytest.raises(ValidationFailed):
        read.picked_period('2026-12-09', zone='UTC', now=now)  # after today, as chosen_period says


def test_the_digest_says_the_change_the_cards_of_its_days_say() -> None:
    """The digest covers whole days (up to yesterday): it reads the cards of its days, so its change is the one the
    dashboard shows for those days, each against whole days before (no time of day to cut them at)."""
    today = days.today('UTC')
    yesterday = today - timedelta(days=1)
    with session_scope() as session:
        for ago in range(1, 15):
            day = today - timedelta(days=ago)
            session.add(KpiDaily(kpi='turnover', day=day, value=100.0 + (ago == 7) * 50 + (ago == 1) * 20))
            session.add(
                KpiDaily(kpi='conversion', day=day, value=5.0 + (ago < 8), numerator=5 + (ago < 8), denominator=100)
            )
        session.commit()
    manager = make_user('manager')
    with read_session() as session:
        shown = read.cards(session=session, period=read.Period(yesterday - timedelta(days=6), yesterday))
        sent = digest.build(session=session, actor=manager, first=yesterday - timedelta(days=6), last=yesterday)
    assert sent.cards is not None
    said = {line.key: line.change for line in sent.cards}
    assert said == {card.key: card.change for card in shown}
    assert (said['turnover'], said['conversion']) == (10.0, 1.0)  # €770 against €700; 6 % against 5 %: 1 point
    assert all(card.previous_until is None for card in shown)


def test_a_rating_of_a_request_merged_into_another_counts_neither_in_csat_nor_behind_it() -> None:
    """A merged request is that conversation, rated in the request that goes on: its rating (given before the merge,
    or through a link before merged requests were refused one) made today's CSAT 50 % instead of 100 %."""
    from backoffice.models import Ticket, TicketStatus

    cora = make_customer('cora@example.com')
    now = utcnow()
    with session_scope() as session:
        kept = Ticket(number=1001, subject='Parcel "late" <script>', customer_id=cora.id, token='k' * 20)
        session.add(kept)
        session.flush()
        for number, into, score in ((1002, None, 5), (1003, kept.id, 1)):
            session.add(
                Ticket(
                    number=number,
                    subject=f'Request {number}: "x" <script>alert(1)</script>',
                    customer_id=cora.id,
                    token=f'{number}' * 5,
                    status=TicketStatus.closed,
                    solved_at=now - timedelta(seconds=2),
                    merged_into_id=into,
                    rating=score,
                    rating_comment='Bad: "merged" <script>',
                    rated_at=now - timedelta(seconds=1),
                )
            )
        session.commit()
    refresh.refresh_incremental()
    with read_session() as session:
        cards = read.cards(session=session, period=read.period_ending_today(1, session=session))
        _columns, rows = read.rows_behind_today(session=session, key='csat')
    assert next(c.value for c in cards if c.key == 'csat') == 100
    assert [row['Request'] for row in rows] == ['#1002']
