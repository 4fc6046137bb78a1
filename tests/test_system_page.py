"""The System screen: an administrator sees the health checks, takes a backup and finds it listed; others cannot."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice import i18n
from backoffice.config import reload_settings
from backoffice.db import get_engine, read_session, session_scope
from backoffice.models import AuditEntry, Delivery, JobRun, WebhookDelivery, utcnow
from backoffice.permissions import PermissionDenied
from backoffice.runtime.scheduler import JobRunner
from backoffice.services import (
    app_settings,
    backups,
    job_runs,
    staff_mail,
    system_health,
    tickets,
    users,
    webhooks,
)

from .support.factories import make_customer, make_user, submit_request
from .support.lists import rows_show
from .support.newer_backup import FUTURE_REVISION, backup_from_a_newer_version, schema_revisions
from .support.other_kind_backup import backup_of_the_other_kind
from .support.plans import let_the_page_run, reading, statements_during
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Zoë "Z" O\'Hara: <script>alert(1)</script>'


async def test_an_admin_sees_the_health_and_takes_a_backup(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/system')
    await user.should_see(marker='check-Database')
    await user.should_see(marker='check-Schema')
    await user.should_see('Up to date with this version')
    await user.should_see('No backup yet: take one now')
    user.find(marker='back-up').click()
    await user.should_see('Backup written', retries=100)  # pg_dump takes a few seconds
    await user.should_see(marker='backup')
    await user.should_not_see('No backup yet: take one now')
    await user.should_see('1 backup kept, latest')  # said '1 kept' (in French '1 conservées')


async def test_back_up_now_whose_check_fails_says_so_and_lists_it_as_failing(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "Backup written" in green; failing now, it left the list and the Backups check as before the click."""
    admin = make_user('admin')
    real_compare = backups.compare
    # the database moved on under the copy: one more user than the backup holds
    monkeypatch.setattr(backups, 'compare', lambda path, live: real_compare(path, {**live, 'users': live['users'] + 1}))
    await signed_in(user, admin.email, path='/system')
    await user.should_see('No backup yet: take one now')
    user.find(marker='back-up').click()
    await user.should_see('was written but failed its check', retries=100)
    await user.should_not_see('Backup written')
    await user.should_see(marker='backup')  # listed, with what its check found
    await user.should_see('Not verified: rows differ (users: ')
    await user.should_see(': it failed its check.')  # the Backups check


async def test_an_admin_sees_why_emails_wait_in_the_outbox_staff_and_portal_emails_included(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customer's portal sign-in link and a colleague's password-reset link waited unsent while the Outbox check said
    "0 waiting, 0 failed" (it counted replies only), and why mail waited was written in the server's log only."""
    monkeypatch.setenv('BACKOFFICE_SMTP_URL', 'smtp://127.0.0.1:1')  # nothing listens there: every try fails
    settings = reload_settings()
    admin = make_user('admin')
    with session_scope() as session:
        staff_mail.queue_to(session, address='cora@example.com', subject=HOSTILE, body='Your sign-in link')
        session.commit()
    await signed_in(user, admin.email, path='/system')
    await user.should_see('1 waiting, 0 failed: nothing is sent until a support email is set at Settings → General')

    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'support_email': 'help@shop.example'}, loaded={})
    assert staff_mail.send_staff_mail(settings) == {'sent': 0, 'failed': 0, 'retry': 1}
    await user.open('/system')
    await user.should_see('1 waiting, 0 failed: the mail server said:')  # the try that failed, and what it said
    await user.should_see('Connection refused')
    await user.should_see(marker='check-error')


async def test_the_outbox_check_sends_failed_emails_to_their_section_and_failed_replies_to_their_requests(
    user: User,
) -> None:
    """The Outbox check said "retry the failed replies on their requests" while the emails that had failed were
    listed, with Retry, under Failed emails on the same page: it now counts each and says where each is retried."""
    admin, agent = make_user('admin'), make_user('agent')
    error = f'550 5.1.1 <cora@example.com>: "no such user" {HOSTILE}'
    with session_scope() as session:
        for address in ('cora@example.com', 'dan@example.com'):
            failed = staff_mail.queue_to(session, address=address, subject=HOSTILE, body='Your sign-in link')
            failed.status, failed.attempts, failed.error = 'failed', 5, error
        session.commit()
    ticket = submit_request()
    with session_scope() as session:
        reply = tickets.reply(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version, body='On it.')
        reply.delivery = Delivery.failed
        session.add(reply)
        session.commit()
    await signed_in(user, admin.email, path='/system')
    await user.should_see(
        '0 waiting, 3 failed: 2 emails to retry under Failed emails; 1 reply to a customer to retry on its request; '
        'the mail server said:'
    )
    await user.should_not_see('retry the failed replies on their requests')
    user.find(marker='show-failed-mails').click()  # scrolls to the list (seen in Chromium: system-outbox-*.png)
    await user.should_see(marker='failed-mails-heading')
    await user.should_see(error)  # the mail server's words, as it said them
    with i18n.use('fr'), read_session() as session:
        found = system_health.checks(session=session, actor=admin, settings=reload_settings())
    outbox = next(check for check in found if check.name == 'Outbox')
    assert outbox.detail == (
        '0 en attente, 3 en échec\u00a0: 2 e-mails à relancer sous E-mails en échec\u00a0; 1 réponse à un client à '
        'relancer depuis sa demande\u00a0; le serveur de messagerie a répondu\u00a0:'
    )
    assert outbox.section == system_health.FAILED_MAILS

    user.find(marker='retry-all-mails').click()  # no email failed any more: the check no longer points there
    await user.should_see('2 emails will be sent again with the next outbox run')
    await user.should_see(
        '2 waiting, 1 failed: no SMTP server is set (BACKOFFICE_SMTP_URL); '
        '1 reply to a customer to retry on its request'
    )
    await user.should_not_see(marker='show-failed-mails')


async def test_a_manager_gets_no_access(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/system')
    await user.should_see("You don't have access to this page")
    await user.should_not_see(marker='back-up')


async def test_an_admin_restores_a_backup_after_a_confirmation_and_sees_the_restored_data(user: User) -> None:
    admin = make_user('admin')
    make_customer('kept@example.com', name=HOSTILE)
    with session_scope() as session:
        taken = backups.take_backup(session=session, actor=admin, settings=reload_settings())
    make_customer('later@example.com', name='Made "after" the backup: <b>')
    await signed_in(user, admin.email, path='/system')
    await user.should_see(marker='backup-check')
    await user.should_see('Verified: ')
    user.find(marker='restore').click()
    await user.should_see(marker='restore-dialog')
    await user.should_see(f'The whole database will be replaced with {taken.name}', retries=20)
    await user.should_see('A backup of the current state is taken first, so you can go back to it.')
    await user.should_see(marker='restore-sign-in')  # it says who will have to sign in again (an admin was surprised)
    user.find(marker='confirm-restore').click()
    await user.should_see(f'Restored {taken.name}. The state before was kept as', retries=200)
    await eventually(lambda: len(backups.list_backups(reload_settings())) == 2, message='the safety backup is kept')
    # the restored database knows only the sessions it held when the backup was taken: sign in again
    await signed_in(user, admin.email, path='/customers')
    await rows_show(user, 'kept@example.com', absent=('later@example.com',))
    with read_session() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'system.restore')).first() is not None


async def test_a_backup_from_a_newer_version_is_refused_with_the_reason_and_nothing_is_replaced(user: User) -> None:
    admin = make_user('admin')
    newer = backup_from_a_newer_version(admin, reload_settings())
    make_customer('made-after@example.com', name=HOSTILE)
    await signed_in(user, admin.email, path='/system')
    user.find(marker='restore').click()
    await user.should_see(marker='restore-dialog')
    user.find(marker='confirm-restore').click()
    await user.should_see(
        f'{newer.name} cannot be restored: it was taken by a newer version of Backoffice', retries=100
    )
    assert [b.name for b in backups.list_backups(reload_settings())] == [newer.name]  # no safety backup was needed
    assert FUTURE_REVISION not in schema_revisions()
    await signed_in(user, admin.email, path='/customers')  # still signed in, on the same database
    await rows_show(user, 'made-after@example.com')


async def test_after_a_move_to_another_database_its_old_backups_are_not_offered_for_restore(user: User) -> None:
    """The SQLite backups taken before copy-database onto PostgreSQL stay in the folder: the Backups check took the
    newest of them for a backup of this database, and Restore took a safety backup (pruning a kept one) before
    refusing the file for its kind."""
    admin = make_user('admin')
    settings = reload_settings()
    other = backup_of_the_other_kind(settings)
    other_kind, this_kind = ('PostgreSQL', 'SQLite') if settings.is_sqlite else ('SQLite', 'PostgreSQL')
    await signed_in(user, admin.email, path='/system')
    await user.should_see(f'No backup of this database yet (those kept were taken on {other_kind}): take one now')
    await user.should_see(marker='backup-other-kind')
    await user.should_see(f'A {other_kind} backup, from before the database moved: it cannot be restored here.')
    await user.should_not_see(marker='restore')
    with pytest.raises(
        backups.BackupFailed, match=f'This is a {other_kind} (dump|backup); the app runs on {this_kind}'
    ):
        backups.restore_backup(actor=admin, settings=settings, name=other.name)
    assert [b.name for b in backups.list_backups(settings)] == [other.name]  # no safety backup taken for nothing


async def test_a_manager_cannot_restore_even_by_calling_the_service(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    with session_scope() as session:
        taken = backups.take_backup(session=session, actor=admin, settings=reload_settings())
    with pytest.raises(PermissionDenied):
        backups.restore_backup(actor=manager, settings=reload_settings(), name=taken.name)
    await signed_in(user, manager.email, path='/system')
    await user.should_see("You don't have access to this page")
    await user.should_not_see(marker='restore')


async def test_an_admin_sees_every_scheduled_job_with_its_last_runs_failures_first(user: User) -> None:
    admin = make_user('admin')
    for _minute in range(job_runs.SHOWN_PER_JOB + 2):
        job_runs.record('send-outbox', lambda: {'sent': 2})

    def broken() -> None:
        raise RuntimeError('SMTP said "no": <b>')

    with pytest.raises(RuntimeError):
        job_runs.record('backup', broken)
    with statements_during(get_engine()) as seen:
        await signed_in(user, admin.email, path='/system')
        await let_the_page_run()
    assert len(reading(seen, 'job_runs')) == 1  # every job's runs in one statement, not one per job (21 before)
    await user.should_see(marker='job-backup')
    await user.should_see('RuntimeError: SMTP said "no": <b>')
    await user.should_see('sent: 2')
    await user.should_see(marker='job-automations')  # a job that has not run yet is listed too
    jobs = [m for e in user.find(marker='job-runs').elements for c in e.default_slot.children for m in c._markers]
    assert jobs[0] == 'job-backup' and 'job-send-outbox' in jobs
    with read_session() as session:
        shown = {h.job: h for h in job_runs.overview(session=session, actor=admin, jobs=['automations'])}
    assert len(shown['send-outbox'].runs) == job_runs.SHOWN_PER_JOB  # the newest of the twelve
    assert shown['send-outbox'].last.id == max(run.id for run in shown['send-outbox'].runs)
    assert shown['automations'].runs == [] and shown['backup'].failing


async def test_each_job_says_when_it_runs_in_the_shop_s_time_zone(user: User) -> None:
    """A job not run yet said only 'Not run yet.' and the backups' help said '02:30 UTC' to a shop in Tokyo, whose every
    other time on the page is in JST (no summer time there: 02:30 UTC is 11:30 JST all year)."""
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'time_zone': 'Asia/Tokyo'}, loaded={})
    await signed_in(user, admin.email, path='/system')
    await user.should_see('every night at 11:30 JST')
    schedules = {
        marker: label.text
        for marker in (
            'job-schedule-backup',
            'job-schedule-automations',
            'job-schedule-send-outbox',
            'job-schedule-digests',
        )
        for label in user.find(marker=marker).elements
    }
    assert schedules == {
        'job-schedule-backup': 'Every day at 11:30 JST',
        'job-schedule-automations': 'Every 30 seconds',
        'job-schedule-send-outbox': 'Every minute',
        'job-schedule-digests': 'Every hour, 2 minutes past',
    }


async def test_a_run_whose_process_died_shows_as_interrupted_once_another_process_leads(user: User) -> None:
    """A leader killed during kpi-refresh left its run "running"; after the next leader took over, /system says the
    run was interrupted instead of showing a job running that is not."""
    admin = make_user('admin')
    with session_scope() as session:
        session.add(JobRun(job='kpi-refresh', started_at=utcnow()))  # as the dead leader wrote it, before its work
        session.commit()
    runner = JobRunner(reload_settings(), jobs=[])
    await runner.start()
    assert runner.is_leader
    await runner.stop()
    await signed_in(user, admin.email, path='/system')
    await user.should_see(marker='job-kpi-refresh')
    await user.should_see('interrupted')
    await user.should_see('The process running it stopped before the end (killed, crashed or restarted).')
    await user.should_not_see(marker='outcome-running')


async def test_a_run_the_busy_database_made_skip_reads_skipped_and_may_run_now_in_english_and_french(
    user: User,
) -> None:
    """A run whose writes met other writers holding SQLite's write lock through every try (the scheduler's wrapper
    raises DatabaseStayedBusy): no failure in red, no error text; it says why and offers "Run now"."""
    admin = make_user('admin')

    def busy() -> None:
        raise job_runs.DatabaseStayedBusy('other writes kept the database busy through 4 tries')

    with pytest.raises(job_runs.DatabaseStayedBusy):
        job_runs.record('automations', busy)
    await signed_in(user, admin.email, path='/system')
    await user.should_see(marker='job-automations')
    await user.should_see('skipped: database busy')
    await user.should_see('Other writes kept the database busy through every try: it runs again at its next turn.')
    await user.should_see(marker='run-now-automations')
    await user.should_not_see(marker='outcome-failed')
    with i18n.use('fr'):  # as a French admin reads them
        assert i18n._('skipped: database busy') == 'sautée\u00a0: base de données occupée'
        assert i18n._(
            'Other writes kept the database busy through every try: it runs again at its next turn.'
        ).startswith('D’autres écritures ont occupé la base de données à chaque essai\u00a0:')


async def test_a_french_admin_reads_what_each_job_did_in_french_and_older_runs_as_stored(user: User) -> None:
    admin = make_user('admin')
    with session_scope() as session:  # a run recorded before results were stored with their msgid: English only
        session.add(JobRun(job='webhooks', started_at=utcnow(), duration_ms=5, outcome='ok', result='delivered: 3'))
        session.commit()
        users.set_language(session=session, actor=admin, language='fr')
    job_runs.record('send-outbox', lambda: {'sent': 1234, 'failed': 0, 'retry': 2})
    job_runs.record('purge-trash', lambda: {'purged': {'customers': 2}, 'kept': ['in use', 'in use']})
    job_runs.record('backup', lambda: HOSTILE)  # a text result (a file name) is shown as it is, as text
    with read_session() as session:
        newest = session.exec(select(JobRun).where(JobRun.job == 'send-outbox')).one()
    assert newest.result == 'sent: 1,234, failed: 0, retry: 2'  # the English text beside the msgid, for what reads it
    assert newest.result_key == '{result}'

    await signed_in(user, admin.email, path='/system')
    await user.should_see(marker='job-send-outbox')
    shown = {label.text for label in user.find(marker='job-result').elements}
    assert shown == {
        'envoyés\u00a0: 1\u202f234, en échec\u00a0: 0, à réessayer\u00a0: 2',  # French words and numbers
        'supprimés\u00a0: clients\u00a0: 2, conservés\u00a0: 2',
        HOSTILE,
        'delivered: 3',  # an older run: its stored text
    }


def test_the_webhooks_check_counts_deliveries_retried_and_given_up() -> None:
    """A receiver down for hours showed nowhere on /system: only in the deliveries log of /webhooks."""
    admin = make_user('admin')
    with read_session() as session:
        calm = next(
            c
            for c in system_health.checks(session=session, actor=admin, settings=reload_settings())
            if c.name == 'Webhooks'
        )
    assert (calm.status, calm.detail) == ('ok', 'Every delivery taken or on its way')
    with session_scope() as session:
        endpoint, _secret = webhooks.create_endpoint(
            session=session, actor=admin, data={'name': HOSTILE, 'url': 'https://hooks.example.com/in'}
        )
        for number, (status, attempts) in enumerate((('pending', 2), ('pending', 0), ('failed', 6), ('delivered', 1))):
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event='order.paid',
                    dedup_key=f'k{number}',
                    status=status,
                    attempts=attempts,
                )
            )
        session.commit()
    with read_session() as session:
        found = system_health.checks(session=session, actor=admin, settings=reload_settings())
    check = next(c for c in found if c.name == 'Webhooks')
    assert (check.status, check.detail) == ('error', '1 being retried, 1 given up in the last 7 days: see Webhooks')
    assert HOSTILE not in check.detail  # counts only
