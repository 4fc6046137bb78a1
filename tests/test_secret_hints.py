"""Chat webhooks carry their secret in the address (Slack, Teams, Discord, Mattermost), gateways in their keys: such a
setting is shown as a hint ('https://hooks.slack.com/services/T…/…xyz', 'sk_live_…a1b2') wherever it shows — the audit
log, the settings screen (before and after saving: the browser never holds it), the segments' push dialog, a job's
error — and pg_dump is never given the database password on its command line."""

from __future__ import annotations

import json
import logging
import subprocess
from types import SimpleNamespace

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import text

from backoffice import secret_hint
from backoffice.db import read_session, session_scope
from backoffice.services import app_settings, backups, job_runs

from .support.factories import make_user
from .support.signin import signed_in
from .support.waiting import eventually

SLACK = 'https://hooks.slack.com/services/T0SECRET1/B0SECRET2/xoxSecretPartxyz'
TEAMS = 'https://acme.webhook.office.com/webhookb2/0f1e-guid@9a8b-guid/IncomingWebhook/5ecre7hex/4c3b-guid'
DISCORD = 'https://discord.com/api/webhooks/112233445566/D1scordTokenPartAbc'
MATTERMOST = 'https://chat.acme.example/hooks/m4ttermostsecretkey0123456'
STRIPE_KEY = 'sk_live_51SecretStripeKeyA1b2'
SECRETS = ('T0SECRET1', 'B0SECRET2', 'xoxSecretPart', '5ecre7hex', '112233445566', 'D1scordToken', 'm4ttermost')
SECRETS += ('51SecretStripeKey',)


def test_an_address_keeps_its_host_and_a_hint_and_a_key_its_prefix_and_last_four() -> None:
    assert secret_hint.address(SLACK) == 'https://hooks.slack.com/services/T…/…xyz'
    assert secret_hint.address(TEAMS) == 'https://acme.webhook.office.com/webhookb2/0…/…uid'
    assert secret_hint.address(DISCORD) == 'https://discord.com/api/webhooks/1…/…Abc'
    assert secret_hint.address(MATTERMOST) == 'https://chat.acme.example/hooks/…456'
    assert (
        secret_hint.address('https://u:pw@tool.example.com:8443/in?list=7&token=x')
        == 'https://…@tool.example.com:8443/…?…'
    )
    assert all(secret_hint.address(secret_hint.address(url)) == secret_hint.address(url) for url in (SLACK, TEAMS))
    assert secret_hint.address('not an address') == secret_hint.MASK and secret_hint.address('') == ''
    assert secret_hint.key(STRIPE_KEY) == 'sk_live_…A1b2' and secret_hint.key('whsec_short') == secret_hint.MASK
    said = secret_hint.scrub(
        f'Slack said "no": <script> at {SLACK} (was {MATTERMOST}); see https://shop.example.com/orders/7'
    )
    assert not [secret for secret in SECRETS if secret in said]
    assert 'https://hooks.slack.com/services/T…/…xyz' in said and 'https://shop.example.com/orders/7' in said


def save(changes: dict) -> None:
    with session_scope() as session:
        app_settings.save(session=session, actor=make_user('admin'), changes=changes, loaded={})


def stored_audit() -> str:
    with read_session() as session:
        rows = session.exec(text('SELECT summary, CAST(changes AS TEXT) FROM audit_log')).all()
    return ' '.join(f'{summary} {changes}' for summary, changes in rows)


def test_every_secret_setting_reaches_the_audit_log_as_a_hint_only() -> None:
    save({'slack_webhook_url': SLACK, 'teams_webhook_url': TEAMS, 'discord_webhook_url': DISCORD})
    save({'mattermost_webhook_url': MATTERMOST, 'stripe_secret_key': STRIPE_KEY, 'stripe_webhook_secret': 'whsec_x1'})
    save({'slack_webhook_url': 'https://hooks.slack.com/services/T9/B9/AnotherSecretValue99'})
    stored = stored_audit()
    assert not [secret for secret in SECRETS + ('whsec_x1', 'AnotherSecretValue') if secret in stored], stored
    with read_session() as session:
        entries = session.exec(
            text("SELECT CAST(changes AS TEXT) FROM audit_log WHERE action = 'settings.changed' ORDER BY id")
        )
        changes = [json.loads(row[0]) for row in entries]
    assert changes[0]['slack_webhook_url'] == ['', 'https://hooks.slack.com/services/T…/…xyz']
    assert changes[1]['stripe_secret_key'] == ['', app_settings.MASK]  # a key: that it changed, nothing of it
    assert changes[2]['slack_webhook_url'] == [
        'https://hooks.slack.com/services/T…/…xyz',
        'https://hooks.slack.com/services/T…/…e99',
    ]
    with read_session() as session:  # the app itself still reads them whole
        assert app_settings.value(session=session, key='slack_webhook_url').endswith('AnotherSecretValue99')


def test_a_failed_jobs_error_is_kept_with_the_address_masked() -> None:
    def failing() -> None:
        raise RuntimeError(f'posting to {SLACK} failed; mail at smtp://bot:Pa55w0rd@mail.example.com')

    with pytest.raises(RuntimeError):
        job_runs.record('alert-deliveries', failing)
    with read_session() as session:
        error = session.exec(text('SELECT error FROM job_runs')).scalar_one()
    assert 'https://hooks.slack.com/services/T…/…xyz' in error and 'mail.example.com' in error
    assert not [secret for secret in SECRETS + ('Pa55w0rd',) if secret in error], error


def test_the_scheduler_s_log_of_a_failed_job_masks_the_address() -> None:
    written: list[str] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            written.append(logging.Formatter().format(record))

    logger = logging.getLogger('secret_hints_test.executor')
    logger.propagate, handler = False, Kept()
    logger.addHandler(handler)
    secret_hint.scrub_logs_of('secret_hints_test.executor')
    secret_hint.scrub_logs_of('secret_hints_test.executor')  # asked twice: one filter
    try:
        raise RuntimeError(f'posting to {SLACK} failed')
    except RuntimeError:
        logger.warning('Job "%s" raised an exception (%s)', 'alerts', DISCORD, exc_info=True)
    finally:
        logger.removeHandler(handler)
    assert len(logger.filters) == 1 and len(written) == 1
    assert 'https://hooks.slack.com/services/T…/…xyz' in written[0] and 'Traceback' in written[0]
    assert 'https://discord.com/api/webhooks/1…/…Abc' in written[0]
    assert not [secret for secret in SECRETS if secret in written[0]], written[0]


def test_pg_dump_and_pg_restore_get_the_password_in_their_environment_not_their_arguments(
    monkeypatch, tmp_path
) -> None:
    seen: list[tuple[list[str], dict]] = []

    def run(arguments: list[str], **options) -> subprocess.CompletedProcess:
        seen.append((arguments, options.get('env') or {}))
        return subprocess.CompletedProcess(arguments, 0, '', '')

    url = 'postgresql+psycopg://shop:S3cret"pw@db.example.com:5432/shop'
    assert backups._libpq_url(url, password=False) == 'postgresql://shop@db.example.com:5432/shop'
    monkeypatch.setattr(subprocess, 'run', run)
    monkeypatch.setattr(backups, 'verify', lambda path: 'ok')
    backups.restore(tmp_path / 'backoffice-20261205-010203.dump', SimpleNamespace(is_sqlite=False, database_url=url))
    # the dump's migrations read first (a newer schema is refused before anything is touched), then the restore
    assert {arguments[0] for arguments, _env in seen} == {'pg_restore'}
    for arguments, _env in seen:
        assert not [part for part in arguments if 'S3cret' in part]
    assert seen[-1][1]['PGPASSWORD'] == 'S3cret"pw'  # the restore connects: its password in its environment


async def test_the_settings_screen_never_holds_a_secret_and_says_what_is_saved_as_a_hint(user: User) -> None:
    save({'slack_webhook_url': SLACK, 'stripe_secret_key': STRIPE_KEY})
    await signed_in(user, make_user('admin').email, path='/settings')
    await user.should_see('Saved: https://hooks.slack.com/services/T…/…xyz', retries=30)
    await user.should_see('Saved: sk_live_…A1b2')
    values = [str(getattr(element, 'value', '')) for element in user.find(kind=ui.input).elements]
    assert not [secret for secret in SECRETS if any(secret in value for value in values)]
    user.find(marker='slack_webhook_url').elements.pop().set_value(DISCORD)  # typed: replaces it
    user.find(marker='stripe_secret_key-remove').click()  # "Remove": cleared on save
    await user.should_see('Removed when you save the settings')
    user.find('Save settings').click()
    await user.should_see('Settings saved', retries=30)
    await user.should_see('Saved: https://discord.com/api/webhooks/1…/…Abc')
    assert user.find(marker='slack_webhook_url').elements.pop().value == ''  # the box empties after saving
    with read_session() as session:
        assert app_settings.value(session=session, key='slack_webhook_url') == DISCORD
        assert app_settings.value(session=session, key='stripe_secret_key') == ''
    await eventually(
        lambda: 'Not set' in [label.text for label in user.find(marker='stripe_secret_key-saved').elements]
    )


async def test_the_segments_push_dialog_names_the_webhook_by_its_hint(user: User) -> None:
    save({'segments_webhook_url': 'https://mail-tool.example.com/import/Segm3ntSecretPath?list=7&key=Zz9'})
    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see(marker='segment-inactive', retries=40)
    user.find(marker='segment-inactive').click()
    await user.should_see('Push to webhook')
    user.find('Push to webhook').click()
    await user.should_see('https://mail-tool.example.com/i…/…ath?…')
    shown = ' '.join(label.text for label in user.find(kind=ui.label).elements)
    assert 'Segm3ntSecretPath' not in shown and 'Zz9' not in shown
    assert 'Segm3ntSecretPath' not in stored_audit() and 'Zz9' not in stored_audit()
