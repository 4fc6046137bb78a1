"""Alerts on the KPIs: a rule fires once per crossing and resolves when back to normal, tells the chosen staff in-app
and a real chat receiver through the outbound guard; mute and snooze silence it; only managers and admins set rules."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes

import pytest
from sqlmodel import select

from backoffice import i18n, stored_text
from backoffice.config import get_settings, reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AlertDelivery, AlertEvent, EventType, KpiDaily, Notification, UsageEvent, utcnow
from backoffice.permissions import PermissionDenied
from backoffice.services import alert_checks, alert_delivery, alerts, app_settings

from .support.factories import make_user
from .support.goals import make_rule, put_daily
from .support.webhook_receiver import webhook_receiver

HOSTILE = 'Sales "drop": <script>alert(1)</script>'


@pytest.fixture(autouse=True)
def private_receivers(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()


def set_channel(admin, channel: str, url: str) -> None:
    with session_scope() as session:
        loaded = app_settings.current_values(session=session)
        app_settings.save(session=session, actor=admin, changes={f'{channel}_webhook_url': url}, loaded=loaded)


def fired() -> list[AlertEvent]:
    with read_session() as session:
        return list(session.exec(select(AlertEvent).order_by(AlertEvent.id)))


def deliveries() -> list[AlertDelivery]:
    with read_session() as session:
        return list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)))


def test_a_rule_fires_once_per_crossing_tells_staff_and_chat_and_resolves() -> None:
    admin, agent = make_user('admin'), make_user('agent')
    with webhook_receiver() as slack, webhook_receiver() as discord:
        set_channel(admin, 'slack', slack.url)
        set_channel(admin, 'discord', discord.url)
        make_rule(
            admin,
            name=HOSTILE,
            kpi='turnover',
            kind='below',
            threshold=100,
            recipients=[agent.id],
            channels=['slack', 'discord'],
        )
        put_daily('turnover', {1: 40.0})  # yesterday's: a day's total below is told once the day is over
        assert alert_checks.evaluate() == {'checked': 1, 'fired': 1, 'resolved': 0}
        assert alert_checks.evaluate() == {'checked': 1, 'fired': 0, 'resolved': 0}  # still low: not told again
        assert alert_delivery.send_due() == {'sent': 2, 'failed': 0, 'retry': 0}
        assert alert_delivery.send_due() == {'sent': 0, 'failed': 0, 'retry': 0}
        [event] = fired()
        assert event.value == 40 and event.resolved_at is None and HOSTILE in event.message
        slack_text = json.loads(slack.received[0].body)['text']  # Slack's control characters escaped as it documents
        # read by people: money as every screen writes it (the stored English text keeps 40.00 EUR)
        said = stored_text.show(event.message, event.message_key, event.message_params)
        assert 'is €40.00, below €100.00' in said and '40.00 EUR' in event.message
        assert slack_text == said.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
        assert json.loads(discord.received[0].body)['content'] == said
        with read_session() as session:
            [notice] = session.exec(select(Notification).where(Notification.user_id == agent.id)).all()
        assert notice.text == said and notice.link == '/alerts'  # as the recipient reads it

        put_daily('turnover', {1: 150.0})  # back above: resolved, and said once
        assert alert_checks.evaluate()['resolved'] == 1
        assert alert_checks.evaluate() == {'checked': 1, 'fired': 0, 'resolved': 0}
        alert_delivery.send_due()
        assert [e.resolved_at is not None for e in fired()] == [True]
        assert 'Back to normal' in json.loads(slack.received[1].body)['text']

        put_daily('turnover', {1: 10.0})  # a second crossing is a second firing
        assert alert_checks.evaluate()['fired'] == 1
        assert len(fired()) == 2
    with read_session() as session:
        story = alerts.history(session=session, actor=agent)
    first = story[1]  # newest first: the second firing, then the first (resolved)
    assert first.rule == HOSTILE and first.resolved_at is not None
    assert set(first.told) == {
        ('in_app', agent.name, 'sent'),
        ('slack', 'Slack', 'sent'),
        ('discord', 'Discord', 'sent'),
    }


def test_a_total_below_its_floor_waits_for_the_day_to_be_over() -> None:
    """Today's turnover so far is below any daily floor each morning: a rule on a day's total compares complete
    days, or it would fire after every midnight and resolve every afternoon."""
    manager = make_user('manager')
    make_rule(manager, name='Slow day', kpi='turnover', kind='below', threshold=3000)
    make_rule(manager, name='Slow week', kpi='orders', kind='below', threshold=50, window_days=7)
    make_rule(manager, name='Backlog', kpi='open_requests', kind='below', threshold=5)  # a level: today's counts
    put_daily('turnover', {0: 120.0, 1: 5200.0})  # this morning's 120; yesterday a normal day
    put_daily('orders', {0: 1.0, **{ago: 9.0 for ago in range(1, 8)}})  # 63 over the last 7 complete days
    put_daily('open_requests', {0: 2.0, 1: 20.0})
    assert alert_checks.evaluate()['fired'] == 1
    assert [e.value for e in fired()] == [2.0]  # the backlog only

    put_daily('turnover', {1: 2100.0})  # yesterday ended below the floor: told
    assert alert_checks.evaluate()['fired'] == 1
    assert [e.value for e in fired()] == [2.0, 2100.0]


def test_a_rate_is_judged_on_complete_days() -> None:
    """Conversion below 5 % fired at 00:20 (3 visits, no order yet: 0 %) and resolved by noon, every day; checkout
    abandonment above 60 % fired on the checkouts of the last minutes, not yet followed by their order."""
    manager = make_user('manager')
    make_rule(manager, name='Conversion floor', kpi='conversion', kind='below', threshold=5)
    make_rule(manager, name='Abandonment ceiling', kpi='checkout_abandonment', kind='above', threshold=60)
    day = alert_checks.days.today('UTC')
    with session_scope() as session:
        for key, ago, (numerator, denominator) in (
            ('conversion', 0, (0, 3)),  # this morning so far
            ('conversion', 1, (12, 150)),  # yesterday: 8 %
            ('checkout_abandonment', 0, (4, 5)),  # the last minutes' checkouts, orders not in yet
            ('checkout_abandonment', 1, (30, 100)),
        ):
            session.merge(
                KpiDaily(
                    kpi=key,
                    day=day - timedelta(days=ago),
                    value=100 * numerator / denominator,
                    numerator=numerator,
                    denominator=denominator,
                )
            )
        session.commit()
    assert alert_checks.evaluate()['fired'] == 0
    assert fired() == []


def test_change_and_no_data_rules_by_hand() -> None:
    manager = make_user('manager')
    # the last 2 complete days (yesterday and the day before) 60 against the 2 before 100: -40 %
    put_daily('orders', {0: 1.0, 1: 30.0, 2: 30.0, 3: 50.0, 4: 50.0})
    make_rule(manager, name='Orders swing', kpi='orders', kind='change', threshold=35, window_days=2)
    make_rule(manager, name='Orders calm', kpi='orders', kind='change', threshold=45, window_days=2)
    make_rule(manager, name='No visits', kpi='visits', kind='no_data', threshold=24)
    with session_scope() as session:
        session.add(UsageEvent(client_id='v1', type=int(EventType.visit), ts=utcnow() - timedelta(hours=30)))
        session.commit()
    assert alert_checks.evaluate()['fired'] == 2
    names = {e.rule_id: e.value for e in fired()}
    assert sorted(names.values()) == [-40.0, 30.0]
    with session_scope() as session:
        session.add(UsageEvent(client_id='v2', type=int(EventType.visit), ts=utcnow() - timedelta(hours=1)))
        session.commit()
    assert alert_checks.evaluate()['resolved'] == 1  # a visit came in: no longer silent


def test_mute_and_snooze_log_the_firing_but_tell_nobody() -> None:
    manager, agent = make_user('manager'), make_user('agent')
    muted = make_rule(manager, name='Muted', threshold=10, recipients=[agent.id])
    snoozed = make_rule(manager, name='Snoozed', threshold=10, recipients=[agent.id])
    with session_scope() as session:
        alerts.set_muted(session=session, actor=manager, rule_id=muted.id, muted=True)
    with session_scope() as session:
        alerts.snooze(session=session, actor=manager, rule_id=snoozed.id, hours=24)
    put_daily('turnover', {0: 500.0})
    assert alert_checks.evaluate()['fired'] == 2
    assert sorted(e.silenced for e in fired()) == ['muted', 'snoozed']
    assert deliveries() == []


def test_the_test_message_reaches_a_real_receiver_and_a_private_address_is_refused(monkeypatch) -> None:
    admin = make_user('admin')
    with webhook_receiver() as teams:
        set_channel(admin, 'teams', teams.url)
        sent = alert_delivery.send_test(actor=admin, channel='teams')
        assert sent.status == 'sent'
        body = json.loads(teams.received[0].body)
        assert body['@type'] == 'MessageCard' and 'Test message' in body['text']
        monkeypatch.delenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS')
        reload_settings()
        with pytest.raises(ValidationFailed) as refused:  # 127.0.0.1 is not public
            alert_delivery.send_test(actor=admin, channel='teams')
        assert 'Not delivered' in refused.value.errors['channel'] and len(teams.received) == 1
    with pytest.raises(ValidationFailed) as refused:
        alert_delivery.send_test(actor=admin, channel='slack')
    assert refused.value.errors['channel'] == 'Not delivered: No address is set for this channel.'
    assert [d.status for d in deliveries()] == ['sent', 'failed', 'failed']  # each try is in the log


def test_a_delivery_error_the_app_said_is_read_in_the_readers_language(monkeypatch) -> None:
    """'could not connect', 'no address set': stored with their msgid (migration 0070), so a French admin reads them in
    French in the delivery log and in the refusal; the receiver's own words stay as they came."""
    admin = make_user('admin')
    with webhook_receiver() as teams:
        set_channel(admin, 'teams', teams.url)
        monkeypatch.delenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS')
        reload_settings()
        with i18n.use('fr'), pytest.raises(ValidationFailed) as refused:  # 127.0.0.1 is not public
            alert_delivery.send_test(actor=admin, channel='teams')
    assert refused.value.errors['channel'] == 'Non remis\u00a0: adresse non autorisée'
    with session_scope() as session:  # a chat alert queued for a channel with no address
        session.add(AlertDelivery(channel='slack', target='Slack', text=HOSTILE))
        session.add(
            AlertDelivery(channel='slack', target='Slack', text=HOSTILE, status='failed', error='could not connect')
        )
        session.add(
            AlertDelivery(channel='slack', target='Slack', text=HOSTILE, status='failed', error=f'HTTP 500 {HOSTILE}')
        )
        session.commit()
    alert_delivery.send_due()
    tested, queued, older, theirs = deliveries()
    assert (tested.error, tested.error_key, queued.error, queued.error_key) == (
        'address not allowed',
        'address not allowed',
        'no address set',
        'no address set',
    )
    with i18n.use('fr'):
        said = [alert_delivery.last_error(d) for d in (tested, queued, older, theirs)]
    assert said == ['adresse non autorisée', 'aucune adresse définie', 'connexion impossible', f'HTTP 500 {HOSTILE}']
    with i18n.use('en'):
        assert alert_delivery.last_error(queued) == 'no address set'


def test_only_managers_and_admins_set_rules_and_bad_input_is_refused() -> None:
    agent, manager = make_user('agent'), make_user('manager')
    with pytest.raises(PermissionDenied):
        make_rule(agent)
    with pytest.raises(PermissionDenied):
        alert_delivery.send_test(actor=agent, channel='slack')
    with pytest.raises(ValidationFailed) as refused:
        make_rule(manager, name='', kpi='nope', kind='change', threshold=-1, window_days=0, channels=['fax'])
    assert set(refused.value.errors) == {'name', 'kpi', 'threshold', 'window_days', 'channels'}
    rule = make_rule(manager)
    with session_scope() as session, pytest.raises(PermissionDenied):
        alerts.set_muted(session=session, actor=agent, rule_id=rule.id, muted=True)


def test_an_alert_by_email_goes_out_once_through_the_mail_server(smtp_server) -> None:
    admin = make_user('admin')
    manager = make_user('manager', email='maria@example.com')
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=admin,
            changes={'support_email': 'help@shop.example', 'company_name': 'Shop & Co'},
            loaded={},
        )
    settings = get_settings().model_copy(update={'smtp_url': smtp_server.url})
    make_rule(manager, name=HOSTILE, threshold=10, recipients=[manager.id], email=True)
    put_daily('turnover', {0: 50.0})
    alert_checks.evaluate()
    assert alert_delivery.send_due(settings) == {'sent': 1, 'failed': 0, 'retry': 0}
    assert alert_delivery.send_due(settings) == {'sent': 0, 'failed': 0, 'retry': 0}
    [(sender, recipients, data)] = smtp_server.received
    email = message_from_bytes(data)
    assert sender == 'help@shop.example' and recipients == ['maria@example.com']
    assert HOSTILE in email.get_payload(decode=True).decode()


def test_a_change_rule_on_a_rate_counts_points_as_the_cards_do() -> None:
    """The cards say conversion moved ▲ 1.0 pts (5 % → 6 %), and a rule 'changes by more than 2' fired on it as +20 %.
    On a rate the change and its limit are points: 5 % → 6 % stays quiet, 5 % → 8 % fires, said in points."""
    manager = make_user('manager')
    make_rule(manager, name='Conversion swing', kpi='conversion', kind='change', threshold=2, window_days=1)
    make_rule(manager, name='Orders swing', kpi='orders', kind='change', threshold=2, window_days=1)
    day = alert_checks.days.today('UTC')

    def conversion(yesterday: tuple[int, int]) -> None:
        with session_scope() as session:
            for ago, (orders, visits) in ((1, yesterday), (2, (5, 100))):  # the day before: 5 %
                session.merge(
                    KpiDaily(
                        kpi='conversion',
                        day=day - timedelta(days=ago),
                        value=100 * orders / visits,
                        numerator=orders,
                        denominator=visits,
                    )
                )
            session.commit()

    conversion((6, 100))  # 6 %: 1 point up (20 % more)
    put_daily('orders', {1: 6.0, 2: 5.0})  # 20 % more orders: a count keeps its percentage
    assert alert_checks.evaluate()['fired'] == 1
    assert [e.value for e in fired()] == [20.0]  # the orders only

    conversion((8, 100))  # 8 %: 3 points up
    assert alert_checks.evaluate()['fired'] == 1
    rule_fired = fired()[-1]
    assert rule_fired.value == 3.0
    shown = stored_text.show(rule_fired.message, rule_fired.message_key, rule_fired.message_params)
    assert shown == 'Alert "Conversion swing": Conversion changed by 3 pts against the previous period (limit 2 pts).'
    with i18n.use('fr'):
        shown = stored_text.show(rule_fired.message, rule_fired.message_key, rule_fired.message_params)
    assert 'Conversion a varié de 3 pts' in shown and '(limite 2 pts)' in shown
