"""Security probe: a handler of a page left open acts with the user's rights of now, not of when the page was built.

An admin takes a role away (a manager made agent); the manager's /alerts page, still open (a browser that ignores
being sent elsewhere keeps its socket), must not send a test message to the shop's chat with the rights it had."""

from __future__ import annotations

from nicegui.testing import User

from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.models import AutomationRule
from backoffice.models import User as Staff
from backoffice.services import app_settings, users

from .support.automations import make_automation, switch_on
from .support.factories import change_user, make_user, submit_request
from .support.signin import signed_in
from .support.stale_page import click_and_finish
from .support.webhook_receiver import webhook_receiver


async def test_a_test_message_from_an_open_alerts_page_uses_the_role_of_now(user: User, monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()
    admin, manager = make_user('admin'), make_user('manager')
    with webhook_receiver() as mattermost:
        with session_scope() as session:
            loaded = app_settings.current_values(session=session)
            app_settings.save(
                session=session, actor=admin, changes={'mattermost_webhook_url': mattermost.url}, loaded=loaded
            )
        await signed_in(user, manager.email, path='/alerts')
        await user.should_see('No alert rules yet.', retries=30)
        user.find('Send a test message').click()
        user.find(marker='test-channel').elements.pop().set_value('mattermost')
        change_user(admin, manager, role='agent')  # meanwhile an admin makes the manager an agent (no alerts.manage)
        user.find(marker='send-test').click()
        await user.should_see('You are not allowed to do this (alerts.manage).', retries=30)
        assert mattermost.received == []


async def test_a_deactivated_managers_open_automations_page_changes_no_rule(user: User) -> None:
    """Automations act with a manager's rights: someone deactivated (or made agent) must not keep a page open that
    still edits them. The clicks are sent as a browser would that ignores being sent to the sign-in page."""
    admin, manager = make_user('admin'), make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager, name='Tag them', event='request.created', actions=[{'kind': 'add_tag', 'value': 'x'}]
    )
    switch_on(manager, rule.id, sample.id)
    await signed_in(user, manager.email, path='/automations')
    await user.should_see('Tag them', retries=30)
    switch, edit, new = (
        user.find(marker=f'switch-{rule.id}'),
        user.find(marker=f'edit-{rule.id}'),
        user.find(marker='new-automation'),
    )
    with session_scope() as session:
        version = session.get(Staff, manager.id).version
        users.set_active(session=session, actor=admin, user_id=manager.id, version=version, active=False)
    for found in (switch, edit, new):
        await click_and_finish(found)
    with read_session() as session:
        kept = session.get(AutomationRule, rule.id)
        assert kept is not None and kept.enabled  # not switched off
    page = next(iter(switch.elements)).client  # the page left open (the browser may be on the sign-in page by now)
    opened = [element for element in page.elements.values() if 'automation-name' in element._markers]  # noqa: SLF001
    assert not opened  # no rule dialog, for a new rule or this one
