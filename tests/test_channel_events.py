"""Event notifications per chat channel, against real local HTTP receivers: each chosen event arrives once, in the
body shape of its service; unchosen ones do not; a failed post is retried and shown in the delivery log; a failure
while queueing never fails the change; only admins choose the events."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.models import AlertDelivery, Ticket, utcnow
from backoffice.permissions import PermissionDenied
from backoffice.services import alert_delivery, app_settings, channel_events, job_runs, stock, ticket_sla, tickets

from .support.factories import make_product, make_user, pay, place, submit_request
from .support.webhook_receiver import webhook_receiver
from .support.write_lock import busy_timeout_shortened, sqlite_write_lock

HOSTILE = '<!channel> @everyone "Refund": <script>alert(1)</script> déjà'


@pytest.fixture(autouse=True)
def wired(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receivers listen on 127.0.0.1
    reload_settings()
    channel_events.wire()


def configure(admin, **changes) -> None:
    with session_scope() as session:
        loaded = app_settings.current_values(session=session)
        app_settings.save(session=session, actor=admin, changes=changes, loaded=loaded)


def bodies(receiver) -> list[dict]:
    return [json.loads(item.body) for item in receiver.received]


def urgent(subject: str = HOSTILE) -> Ticket:
    with session_scope() as session:
        return tickets.submit_request(
            session=session, email='cora@example.com', subject=subject, body='Now!', priority='urgent'
        )


def test_each_chosen_event_arrives_once_in_its_services_shape_and_the_others_do_not() -> None:
    admin = make_user('admin')
    with (
        webhook_receiver() as slack,
        webhook_receiver() as teams,
        webhook_receiver() as mattermost,
        webhook_receiver() as discord,
    ):
        configure(
            admin,
            slack_webhook_url=slack.url,
            slack_events=['urgent_request', 'big_order'],
            teams_webhook_url=teams.url,
            teams_events=['sla_breach'],
            mattermost_webhook_url=mattermost.url,
            mattermost_events=['big_order', 'low_stock'],
            discord_webhook_url=discord.url,
            discord_events=['urgent_request', 'job_failed'],
            big_order_threshold='500',
        )
        ticket = urgent()
        submit_request('Just a question')  # normal priority: nobody is told
        product = make_product('BIG', '300.00', stock_on_hand=10, actor=admin)
        big, small = place(('BIG', 2)), place(('BIG', 1))
        pay(admin, big)
        pay(admin, small)  # under the threshold
        assert alert_delivery.send_due() == {'sent': 4, 'failed': 0, 'retry': 0}
        assert alert_delivery.send_due() == {'sent': 0, 'failed': 0, 'retry': 0}  # once

        slack_texts = [body['text'] for body in bodies(slack)]
        assert len(slack_texts) == 2 and set(bodies(slack)[0]) == {'text'}
        assert f'New urgent request {ticket.number}' in slack_texts[0]
        assert '&lt;!channel&gt;' in slack_texts[0] and '<' not in slack_texts[0]  # no mention, no link from a subject
        assert f'/requests/{ticket.number}' in slack_texts[0]
        assert (
            f'Big order {big.number}: €720.00 from cleo@example.com' in slack_texts[1]
            and f'/orders/{big.number}' in slack_texts[1]
        )
        [discord_body] = bodies(discord)
        assert discord_body['allowed_mentions'] == {'parse': []} and HOSTILE in discord_body['content']
        [mattermost_body] = bodies(mattermost)
        assert set(mattermost_body) == {'text'} and f'Big order {big.number}' in mattermost_body['text']
        assert teams.received == []  # no SLA breach yet

        with session_scope() as session:  # past its first-response time: the sla-check job flags it
            stored = session.get(Ticket, ticket.id)
            stored.sla_due_at = utcnow() - timedelta(minutes=5)
            session.add(stored)
            session.commit()
        with session_scope() as session:
            assert ticket_sla.flag_sla_breaches(session=session) == [ticket.id]
        with session_scope() as session:  # its minimum raised above what is left: low stock
            stock.set_limits(session=session, actor=admin, product_id=product.id, min_qty=50, max_qty=0)
        with session_scope() as session:
            stock.alert_low_stock(session=session)

        def fails() -> None:
            raise RuntimeError('disk on fire')

        for _attempt in range(2):  # a streak of failures is told once
            with pytest.raises(RuntimeError):
                job_runs.record('backup', fails)
        assert alert_delivery.send_due() == {'sent': 3, 'failed': 0, 'retry': 0}

        [card] = bodies(teams)
        assert card['@type'] == 'MessageCard' and f'SLA breach: request {ticket.number}' in card['text']
        assert 'Low stock: BIG' in bodies(mattermost)[1]['text']
        assert bodies(discord)[1]['content'] == 'Scheduled job "backup" failed: RuntimeError: disk on fire'
        assert len(slack.received) == 2  # chose none of these


def test_a_failed_post_is_retried_and_shown_in_the_delivery_log() -> None:
    admin, agent = make_user('admin'), make_user('agent')
    with webhook_receiver() as slack:
        configure(admin, slack_webhook_url=slack.url, slack_events=['urgent_request'])
        slack.answers = [500, 503]
        urgent('Server room flooded')
        assert alert_delivery.send_due() == {'sent': 0, 'failed': 0, 'retry': 1}
        with read_session() as session:
            [logged] = alert_delivery.deliveries(session=session, actor=admin)
            assert (logged.status, logged.attempts, logged.error[:8]) == ('pending', 1, 'HTTP 500')
            assert logged.extra == {'event': 'urgent_request', 'kind': 'event'}
            with pytest.raises(PermissionDenied):
                alert_delivery.deliveries(session=session, actor=agent)
        assert alert_delivery.send_due() == {'sent': 0, 'failed': 0, 'retry': 1}
        assert alert_delivery.send_due() == {'sent': 1, 'failed': 0, 'retry': 0}
        assert len(slack.received) == 3
        with read_session() as session:
            [logged] = alert_delivery.deliveries(session=session, actor=admin)
        assert (logged.status, logged.attempts, logged.error) == ('sent', 3, None)

        slack.answers = [500, 500, 500]  # three failures: given up, and said so in the log
        urgent('Again')
        for _attempt in range(3):
            alert_delivery.send_due()
        with read_session() as session:
            newest = alert_delivery.deliveries(session=session, actor=admin)[0]
        assert (newest.status, newest.attempts, newest.error[:8]) == ('failed', 3, 'HTTP 500')


def test_a_message_claimed_by_another_sender_is_not_posted_twice() -> None:
    admin = make_user('admin')
    with webhook_receiver() as slack:
        configure(admin, slack_webhook_url=slack.url, slack_events=['urgent_request'])
        urgent()
        with read_session() as session:
            [queued] = session.exec(select(AlertDelivery)).all()
        assert alert_delivery._claim(queued.id)  # noqa: SLF001 (another process is posting it right now)
        assert alert_delivery.send_due() == {'sent': 0, 'failed': 0, 'retry': 0}
        assert slack.received == []


def test_a_failure_while_queueing_never_fails_the_change(monkeypatch, caplog) -> None:
    admin = make_user('admin')
    configure(admin, slack_webhook_url='https://hooks.example.com/x', slack_events=['urgent_request'])

    def broken(*_args, **_kwargs):
        raise RuntimeError('settings unreadable')

    monkeypatch.setattr(channel_events, '_channels_for', broken)
    with caplog.at_level(logging.ERROR):
        ticket = urgent()
    assert ticket.id is not None and 'could not be queued' in caplog.text
    with read_session() as session:
        assert session.get(Ticket, ticket.id) is not None
        assert session.exec(select(AlertDelivery)).all() == []


def test_only_admins_choose_the_events_and_a_bad_choice_is_refused() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    with pytest.raises(PermissionDenied):
        configure(manager, slack_events=['urgent_request'])
    with pytest.raises(Exception, match='Choose one of the listed values'):
        configure(admin, slack_events=['urgent_request', 'everything'])
    configure(admin, discord_events=['low_stock', 'urgent_request'])
    with read_session() as session:
        assert app_settings.value(session=session, key='discord_events') == ['urgent_request', 'low_stock']


def test_the_sender_meeting_the_write_lock_warns_and_sends_at_its_next_turn(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The background sender logged "database is locked" (another writer holding SQLite's lock past the busy timeout)
    as an ERROR with its traceback; now a WARNING, and the message waits, not tried, for the next sending."""
    admin = make_user('admin')
    with webhook_receiver() as slack:
        configure(admin, slack_webhook_url=slack.url, slack_events=['urgent_request'])
        urgent()
        with busy_timeout_shortened(monkeypatch), sqlite_write_lock() as holder:
            holder.execute('BEGIN IMMEDIATE')
            channel_events.send_in_background()
            holder.rollback()
            [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert warning.levelname == 'WARNING' and 'tried again at the next run' in warning.getMessage()
            with read_session() as session:
                [waiting] = session.exec(select(AlertDelivery)).all()
            assert (waiting.status, waiting.attempts, slack.received) == ('pending', 0, [])

            channel_events.send_in_background()
        assert len(slack.received) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
