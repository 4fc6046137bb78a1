"""Chat channels' events in the UI: an admin chooses them at /settings, a new urgent request reaches the receiver
right after its commit, and /alerts shows the message in the delivery log (a failure with its error); a manager
cannot open the settings, an agent sees no log."""

from __future__ import annotations

import json

from nicegui.testing import User

from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.services import app_settings, tickets

from .support.factories import make_user
from .support.signin import signed_in
from .support.waiting import eventually
from .support.webhook_receiver import webhook_receiver

HOSTILE = 'Broken "till": <script>alert(1)</script> à l\'aide'


def urgent(subject: str = HOSTILE) -> None:
    with session_scope() as session:
        tickets.submit_request(
            session=session, email='cora@example.com', subject=subject, body='Now', priority='urgent'
        )


async def test_an_admin_chooses_events_for_a_channel_and_sees_them_sent(user: User, monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()
    admin = make_user('admin')
    with webhook_receiver() as discord:
        await signed_in(user, admin.email, path='/settings')
        await user.should_see('Events told on Discord', retries=30)
        user.find(marker='discord_webhook_url').elements.pop().set_value(discord.url)
        user.find(marker='discord_events').elements.pop().set_value(['urgent_request', 'job_failed'])
        user.find('Save settings').click()
        await user.should_see('Settings saved', retries=30)
        with read_session() as session:
            assert app_settings.value(session=session, key='discord_events') == ['urgent_request', 'job_failed']

        urgent()  # sent by the worker right after the commit: no job needed
        await eventually(lambda: len(discord.received) == 1)
        body = json.loads(discord.received[0].body)
        assert HOSTILE in body['content'] and body['allowed_mentions'] == {'parse': []}

        discord.answers = [500]
        urgent('Second')
        await eventually(lambda: len(discord.received) == 2)
        await user.open('/alerts')
        await user.should_see('Messages sent', retries=30)
        await user.should_see('New urgent request → Discord', retries=30)
        await user.should_see('Sent')
        await user.should_see('Waiting')
        await user.should_see(content='last error: HTTP 500', retries=10)


async def test_only_admins_open_the_settings_and_agents_see_no_log(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/alerts')
    await user.should_see('Alerts', retries=30)
    await user.should_not_see('Messages sent')
    await user.open('/settings')
    await user.should_see("You don't have access to this page", retries=30)
