"""A saved segment pushed to the campaign tool on a schedule: every Monday (or day, or month) without anyone pressing
Push, as the person who scheduled it — only consenting customers, never an erased one —, a failure said on the
segment, told once to its scheduler, and the job's run failed on /system."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from backoffice import i18n, outbound
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, BuiltInSegmentPush, Customer, JobRun, Notification, Segment, User
from backoffice.runtime import job_titles, scheduler
from backoffice.services import app_settings, job_runs, personal_data, segment_pushes, segments

from .support.factories import make_customer, make_user
from .support.webhook_receiver import webhook_receiver
from .support.write_lock import busy_timeout_shortened, sqlite_write_lock, transactions_held_by_others

HOSTILE = 'Lapsed "VIP": <script>alert(1)</script> l\'été'
MONDAY = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # a Monday, noon (the same day in the shop's time zone)
WEDNESDAY = date(2026, 12, 2)


class Receiver(list):
    """What the campaign tool received; `answer` is what it answers (200 unless a test says otherwise)."""

    answer = outbound.Answer(200, None)

    def post(self, url, body, headers, **kwargs) -> outbound.Answer:
        if self.answer.ok:
            self.append(json.loads(body))
        return self.answer


@pytest.fixture
def sent(monkeypatch) -> Receiver:
    receiver = Receiver()
    monkeypatch.setattr(outbound, 'post', receiver.post)
    return receiver


def set_webhook(url: str = 'https://mail-tool.example.com/import?list=7') -> None:
    with session_scope() as session:
        app_settings.save(session=session, actor=make_user('admin'), changes={'segments_webhook_url': url}, loaded={})


def saved_segment(actor, name: str = HOSTILE, filters: dict | None = None) -> Segment:
    with session_scope() as session:
        return segments.save_segment(session=session, actor=actor, name=name, filters=filters or {})


def schedule(actor, segment_id: int, frequency: str | None, today: date = WEDNESDAY) -> Segment:
    with session_scope() as session:
        version = session.get(Segment, segment_id).version
        return segment_pushes.schedule(
            session=session, actor=actor, segment_id=segment_id, version=version, frequency=frequency, today=today
        )


def stored(segment_id: int) -> Segment:
    with read_session() as session:
        return session.get(Segment, segment_id)


def notifications_of(user) -> list[Notification]:
    with read_session() as session:
        return list(session.exec(select(Notification).where(Notification.user_id == user.id)).all())


def test_a_segment_scheduled_every_monday_is_pushed_on_monday_once_with_only_consenting_living_customers(
    sent: Receiver,
) -> None:
    manager, admin = make_user('manager'), make_user('admin')
    set_webhook()
    make_customer('ann@example.com', name='Ann "A": <b>', consent=True)
    make_customer('bo@example.com', name='Bo', consent=False)  # never agreed: never sent
    gone = make_customer('gone@example.com', name='Gone', consent=True)
    with session_scope() as session:
        personal_data.erase_customer(
            session=session,
            actor=admin,
            record_id=gone.id,
            version=session.get(Customer, gone.id).version,
            confirmation='gone@example.com',
        )
    segment = saved_segment(manager)
    scheduled = schedule(manager, segment.id, 'weekly')  # on a Wednesday: the first push is next Monday
    assert scheduled.next_push_on == date(2026, 12, 7)
    assert segment_pushes.said(scheduled) == 'Pushed to the webhook every Monday · next on 2026-12-07'

    assert segment_pushes.push_due(now=datetime(2026, 12, 6, 12, tzinfo=UTC)) == {'sent': 0, 'failed': 0}
    assert sent == []
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 1, 'failed': 0}
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 0, 'failed': 0}  # the hourly job: once that day
    assert sent == [
        {'segment': HOSTILE, 'customers': [{'email': 'ann@example.com', 'name': 'Ann "A": <b>', 'language': 'en'}]}
    ]
    after = stored(segment.id)
    assert after.next_push_on == date(2026, 12, 14) and after.last_pushed_at is not None
    assert after.version == scheduled.version  # a push is no edit: an editor open on the segment still saves
    with read_session() as session:
        actions = [
            (e.action, e.actor_email, (e.changes or {}).get('scheduled'))
            for e in session.exec(
                select(AuditEntry).where(AuditEntry.entity == 'segments').order_by(col(AuditEntry.id))
            )
        ]
    assert actions[-2:] == [
        ('segments.push_scheduled', manager.email, None),
        ('segments.pushed', manager.email, [None, True]),
    ]


def test_daily_and_monthly_schedules_name_their_next_day() -> None:
    assert segment_pushes.next_day('daily', WEDNESDAY, include=True) == WEDNESDAY
    assert segment_pushes.next_day('daily', WEDNESDAY) == date(2026, 12, 3)
    assert segment_pushes.next_day('weekly', date(2026, 12, 7), include=True) == date(2026, 12, 7)
    assert segment_pushes.next_day('weekly', date(2026, 12, 7)) == date(2026, 12, 14)
    assert segment_pushes.next_day('monthly', WEDNESDAY) == date(2027, 1, 1)
    assert segment_pushes.next_day('monthly', date(2027, 1, 1), include=True) == date(2027, 1, 1)
    assert segment_pushes.next_day('monthly', date(2027, 1, 31)) == date(2027, 2, 1)


def test_a_failed_push_is_said_on_the_segment_told_once_and_fails_the_jobs_run_then_a_retry_clears_it(
    sent: Receiver,
) -> None:
    manager = make_user('manager')
    set_webhook()
    make_customer('ann@example.com', name='Ann', consent=True)
    segment = saved_segment(manager)
    schedule(manager, segment.id, 'daily', today=MONDAY.date())
    sent.answer = outbound.Answer(None, outbound.COULD_NOT_CONNECT)
    for _attempt in range(2):  # the hourly job tries again; its scheduler is told once
        with pytest.raises(segment_pushes.PushesFailed) as failed:
            job_runs.record('segment-pushes', lambda: segment_pushes.push_due(now=MONDAY))
    assert HOSTILE in str(failed.value) and 'could not connect' in str(failed.value)
    with read_session() as session:
        runs = session.exec(select(JobRun).where(JobRun.job == 'segment-pushes')).all()
    assert [run.outcome for run in runs] == ['failed', 'failed']  # /system shows the job failing
    failing = stored(segment.id)
    assert failing.next_push_on == MONDAY.date() and failing.last_pushed_at is None
    assert segment_pushes.error_said(failing) == 'The webhook did not accept it: could not connect'
    with i18n.use('fr'):
        assert segment_pushes.error_said(failing) == 'Le webhook ne l’a pas accepté\u00a0: connexion impossible'
    told = notifications_of(manager)
    assert len(told) == 1 and told[0].link == '/segments'
    assert (
        told[0].text
        == f'The scheduled push of segment “{HOSTILE}” failed: The webhook did not accept it: could not connect'
    )

    sent.answer = outbound.Answer(200, None)
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 1, 'failed': 0}
    fixed = stored(segment.id)
    assert segment_pushes.error_said(fixed) == '' and fixed.next_push_on == date(2026, 12, 8)


def test_a_push_met_by_the_write_lock_is_a_warning_stays_due_and_goes_at_the_next_run(
    sent: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another writer held SQLite's write lock past the busy timeout as a push began: the run failed with the lock's
    error (or, met inside the push, it was an ERROR, said failed on the segment and told to its scheduler). Now a
    WARNING says it is tried again at the next run; the push stays due, nothing is said failed, and it goes then."""
    manager = make_user('manager')
    set_webhook()
    make_customer('ann@example.com', name='Ann', consent=True)
    first, second = saved_segment(manager), saved_segment(manager, name='Second "<b>"')
    for segment in (first, second):
        schedule(manager, segment.id, 'daily', today=MONDAY.date())
    pushing, tries = segment_pushes._push_one, []
    with busy_timeout_shortened(monkeypatch), sqlite_write_lock() as holder:

        def push_behind_another_writer(*args):
            tries.append(1)
            if len(tries) == 2:  # the second segment's push, as another writer takes the lock
                holder.execute('BEGIN IMMEDIATE')
            return pushing(*args)

        monkeypatch.setattr(segment_pushes, '_push_one', push_behind_another_writer)
        assert segment_pushes.push_due(now=MONDAY) == {'sent': 1, 'failed': 0, 'waiting': 1}
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.levelname == 'WARNING' and 'tried again at the next run' in warning.getMessage()
        holder.rollback()
        waiting = stored(second.id)
        assert waiting.next_push_on == MONDAY.date() and waiting.push_error is None and waiting.last_pushed_at is None

        assert segment_pushes.push_due(now=MONDAY) == {'sent': 1, 'failed': 0}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
    assert [push['segment'] for push in sent] == [HOSTILE, 'Second "<b>"']
    assert stored(second.id).next_push_on == date(2026, 12, 8) and notifications_of(manager) == []


def test_a_push_whose_own_writes_meet_the_lock_is_not_said_failed_nor_told(
    sent: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The push's own catch-all (a bug in one segment's push must not stop the others) took "database is locked" for
    a failure of the segment: an ERROR, said on it and told to its scheduler. (Raised here by hand: on SQLite the
    push's own transaction holds the lock from its first statement, so a writer it opened itself would meet it.)"""
    manager = make_user('manager')
    set_webhook()
    segment = saved_segment(manager)
    schedule(manager, segment.id, 'daily', today=MONDAY.date())
    delivering = segments.deliver

    def locked(**kwargs):
        raise OperationalError('INSERT INTO audit_log', {}, sqlite3.OperationalError('database is locked'))

    monkeypatch.setattr(segments, 'deliver', locked)
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 0, 'failed': 0, 'waiting': 1}
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ['WARNING']
    waiting = stored(segment.id)
    assert waiting.push_error is None and waiting.next_push_on == MONDAY.date() and notifications_of(manager) == []
    monkeypatch.setattr(segments, 'deliver', delivering)
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 1, 'failed': 0}


def test_a_push_that_breaks_otherwise_is_still_an_error_said_on_the_segment(
    sent: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    manager = make_user('manager')
    set_webhook()
    segment = saved_segment(manager)
    schedule(manager, segment.id, 'daily', today=MONDAY.date())

    def broken(**kwargs):
        raise RuntimeError('broken "for real" <script>: not the lock')

    monkeypatch.setattr(segments, 'deliver', broken)
    with pytest.raises(segment_pushes.PushesFailed):
        segment_pushes.push_due(now=MONDAY)
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.exc_info is not None and stored(segment.id).push_error and len(notifications_of(manager)) == 1


def test_a_push_runs_as_its_scheduler_and_stops_when_they_may_no_longer_export(sent: Receiver) -> None:
    manager = make_user('manager')
    set_webhook()
    segment = saved_segment(manager)
    schedule(manager, segment.id, 'daily', today=MONDAY.date())
    with session_scope() as session:
        row = session.get(User, manager.id)  # as a deactivation leaves them
        row.is_active = False
        session.add(row)
        session.commit()
    with pytest.raises(segment_pushes.PushesFailed):
        segment_pushes.push_due(now=MONDAY)
    assert sent == []
    assert 'may no longer export segments' in segment_pushes.error_said(stored(segment.id))
    with i18n.use('fr'):
        assert 'ne peut plus exporter de segments' in segment_pushes.error_said(stored(segment.id))
    with session_scope() as session:  # their account gone: said without a name, read in each language
        row = session.get(Segment, segment.id)
        row.push_by, row.push_error = 987654, None
        session.add(row)
        session.commit()
    with pytest.raises(segment_pushes.PushesFailed):
        segment_pushes.push_due(now=MONDAY)
    with i18n.use('fr'):
        assert segment_pushes.error_said(stored(segment.id)).startswith('La personne qui l’a programmé ne peut plus')


def test_scheduling_is_refused_without_an_address_a_known_frequency_the_right_or_the_version_opened(
    sent: Receiver,
) -> None:
    manager, viewer = make_user('manager'), make_user('viewer')
    segment = saved_segment(manager)
    with pytest.raises(ValidationFailed) as no_address:
        schedule(manager, segment.id, 'weekly')
    assert 'an admin sets it in Settings' in no_address.value.errors['frequency']
    set_webhook()
    with pytest.raises(ValidationFailed) as unknown:
        schedule(manager, segment.id, '<script>: "hourly"')
    assert unknown.value.errors == {'frequency': 'Choose how often, or never'}
    with pytest.raises(PermissionDenied):
        schedule(viewer, segment.id, 'weekly')
    with session_scope() as session, pytest.raises(StaleRecord):
        segment_pushes.schedule(
            session=session, actor=manager, segment_id=segment.id, version=0, frequency='weekly', today=WEDNESDAY
        )
    schedule(manager, segment.id, 'weekly')
    off = schedule(manager, segment.id, None)
    assert (off.push_frequency, off.next_push_on, off.push_by) == (None, None, None)
    assert segment_pushes.said(off) == ''
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 0, 'failed': 0}


def test_the_job_runs_every_hour_and_has_a_title_on_system() -> None:
    job = next(job for job in scheduler.JOBS if job.name == 'segment-pushes')
    assert (job.trigger, job.options) == ('cron', {'minute': 13})
    assert job_titles.title('segment-pushes') == 'Push segments to the campaign tool'


def test_a_built_in_segment_is_scheduled_as_it_is_and_pushed_afresh_each_time_in_its_schedulers_language(
    sent: Receiver,
) -> None:
    manager = make_user('manager')
    set_webhook()
    with session_scope() as session:  # the scheduler reads French: the campaign tool gets the name they see
        row = session.get(User, manager.id)
        row.language = 'fr'
        session.add(row)
        session.commit()
    quiet = make_customer('quiet@example.com', name='Quiet "Q": <b>', consent=True)
    make_customer('fresh@example.com', name='Fresh', consent=True)  # signed up today: not inactive
    set_last_seen(quiet.id, datetime(2026, 10, 1, tzinfo=UTC))
    with session_scope() as session:
        scheduled = segment_pushes.schedule(
            session=session, actor=manager, built_in='inactive', version=0, frequency='daily', today=MONDAY.date()
        )
        assert scheduled.key == 'inactive' and scheduled.next_push_on == MONDAY.date()
        with i18n.use('fr'):
            assert segment_pushes.said(scheduled) == 'Envoyé au webhook chaque jour · prochain envoi le 07/12/2026'
    with read_session() as session:
        assert not segments.saved_segments(session=session)  # no copy among the saved segments
        entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert (entry.action, entry.actor_email, entry.changes['built_in']) == (
        'segments.push_scheduled',
        manager.email,
        [None, 'inactive'],
    )
    assert segment_pushes.push_due(now=MONDAY) == {'sent': 1, 'failed': 0}
    assert sent == [
        {
            'segment': 'Inactifs depuis 30 jours',
            'customers': [{'email': 'quiet@example.com', 'name': 'Quiet "Q": <b>', 'language': 'en'}],
        }
    ]
    with read_session() as session:
        after = session.get(BuiltInSegmentPush, 'inactive')
        pushed = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert after.next_push_on == date(2026, 12, 8) and after.last_pushed_at is not None
    assert (pushed.action, pushed.changes['scheduled'], pushed.changes['filters']) == (
        'segments.pushed',
        [None, True],
        [None, 'inactive'],
    )
    with session_scope() as session, pytest.raises(StaleRecord):  # someone scheduled it since the dialog opened
        segment_pushes.schedule(session=session, actor=manager, built_in='inactive', version=0, frequency='monthly')
    with session_scope() as session, pytest.raises(NotFound):
        segment_pushes.schedule(session=session, actor=manager, built_in='<script>', version=0, frequency='daily')
    with session_scope() as session:
        off = segment_pushes.schedule(
            session=session, actor=manager, built_in='inactive', version=after.version, frequency=None
        )
    assert (off.push_frequency, off.next_push_on) == (None, None)
    assert segment_pushes.push_due(now=datetime(2026, 12, 9, 12, tzinfo=UTC)) == {'sent': 0, 'failed': 0}


def test_a_weekly_push_goes_on_the_weekday_chosen_monday_unless_said(sent: Receiver) -> None:
    manager = make_user('manager')
    set_webhook()
    segment = saved_segment(manager)
    with session_scope() as session:
        version = session.get(Segment, segment.id).version
        friday = segment_pushes.schedule(
            session=session,
            actor=manager,
            segment_id=segment.id,
            version=version,
            frequency='weekly',
            weekday='4',
            today=WEDNESDAY,
        )
    assert (friday.push_weekday, friday.next_push_on) == (4, date(2026, 12, 4))
    assert segment_pushes.said(friday) == 'Pushed to the webhook every Friday · next on 2026-12-04'
    with i18n.use('fr'):
        assert segment_pushes.said(friday) == 'Envoyé au webhook chaque vendredi · prochain envoi le 04/12/2026'
    assert segment_pushes.push_due(now=datetime(2026, 12, 3, 12, tzinfo=UTC)) == {'sent': 0, 'failed': 0}
    assert segment_pushes.push_due(now=datetime(2026, 12, 4, 12, tzinfo=UTC)) == {'sent': 1, 'failed': 0}
    assert stored(segment.id).next_push_on == date(2026, 12, 11)  # the next Friday
    with session_scope() as session, pytest.raises(ValidationFailed) as bad:
        segment_pushes.schedule(
            session=session,
            actor=manager,
            segment_id=segment.id,
            version=stored(segment.id).version,
            frequency='weekly',
            weekday='<script>: "7"',
        )
    assert bad.value.errors == {'weekday': 'Choose a day of the week.'}
    monday = schedule(manager, segment.id, 'weekly')  # no day said: Monday, as before
    assert (monday.push_weekday, monday.next_push_on) == (0, date(2026, 12, 7))
    daily = schedule(manager, segment.id, 'daily')
    assert daily.push_weekday is None  # a day of the week only for a weekly push
    assert segment_pushes.next_day('weekly', date(2026, 12, 7), weekday=6) == date(2026, 12, 13)
    assert segment_pushes.next_day('weekly', date(2026, 12, 13), include=True, weekday=6) == date(2026, 12, 13)


def set_last_seen(customer_id: int, at: datetime) -> None:
    with session_scope() as session:
        row = session.get(Customer, customer_id)
        row.last_seen_at = at
        row.signed_up_at = at
        session.add(row)
        session.commit()


# --- the campaign tool taking its time: no transaction waits with the push -------------------------------------------


@contextmanager
def slow_campaign_tool(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Receiver, threading.Event]]:
    """The webhook set to a real local receiver that holds each push until the test sets the event it yields."""
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver listens on 127.0.0.1
    reload_settings()
    let_go = threading.Event()
    with webhook_receiver(hold=let_go) as tool:
        set_webhook(tool.url)
        yield tool, let_go


def test_other_writers_go_on_while_the_campaign_tool_takes_its_time_over_a_scheduled_push(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The push held SQLite's write lock while the campaign tool answered (up to 10 s): every agent saving, every API
    call, waited, and past the busy timeout failed with "database is locked". Now a colleague's save goes through
    while the tool still holds the push, which is then recorded as before."""
    manager, colleague = make_user('manager'), make_user('manager')
    make_customer('ann@example.com', name='Ann "A": <b>', consent=True)
    segment = saved_segment(manager)
    with slow_campaign_tool(monkeypatch) as (tool, let_go), ThreadPoolExecutor(1) as job:
        schedule(manager, segment.id, 'daily', today=MONDAY.date())
        run = job.submit(segment_pushes.push_due, now=MONDAY)
        assert tool.arrived.wait(10), 'the push reached the campaign tool'
        assert transactions_held_by_others() == 0, 'no transaction stays open while the tool answers'
        saved = saved_segment(colleague, name='Saved meanwhile: "<i>"')  # the other writer
        assert not tool.answered.is_set(), 'the save went through while the tool still held the push'
        assert segment_pushes.push_due(now=MONDAY) == {'sent': 0, 'failed': 0}  # another run (or process) meanwhile
        let_go.set()
        assert run.result(timeout=30) == {'sent': 1, 'failed': 0}
    [push] = tool.received  # once, though two runs found it due
    assert json.loads(push.body)['segment'] == HOSTILE
    after = stored(segment.id)
    assert after.next_push_on == date(2026, 12, 8) and after.last_pushed_at is not None and after.push_error is None
    assert stored(saved.id).name == 'Saved meanwhile: "<i>"'
    with read_session() as session:
        pushed = session.exec(select(AuditEntry).where(AuditEntry.action == 'segments.pushed')).all()
    assert [(entry.actor_email, (entry.changes or {}).get('scheduled')) for entry in pushed] == [
        (manager.email, [None, True])
    ]


def test_other_writers_go_on_while_the_campaign_tool_takes_its_time_over_a_push_pressed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager, colleague = make_user('manager'), make_user('manager')
    make_customer('ann@example.com', name='Ann', consent=True)
    with slow_campaign_tool(monkeypatch) as (tool, let_go), ThreadPoolExecutor(1) as button:

        def press_push() -> int:
            with session_scope() as session:
                return segments.push_to_webhook(
                    session=session, actor=manager, which=segments.Filters.model_validate({}), name=HOSTILE
                )

        pressed = button.submit(press_push)
        assert tool.arrived.wait(10), 'the push reached the campaign tool'
        assert transactions_held_by_others() == 0, 'no transaction stays open while the tool answers'
        saved_segment(colleague, name='Saved meanwhile: "<i>"')
        assert not tool.answered.is_set(), 'the save went through while the tool still held the push'
        let_go.set()
        assert pressed.result(timeout=30) == 1
    with read_session() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'segments.pushed')).one().actor_email == (
            manager.email
        )


def test_a_schedule_changed_while_its_push_is_in_flight_stands_as_its_person_left_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The push no longer holds the segment while the tool answers: its person may reschedule, stop or delete it
    meanwhile, and what they did stands (the push's outcome is not written over it)."""
    manager = make_user('manager')

    def every_friday(session, segment_id: int, version: int) -> None:
        segment_pushes.schedule(
            session=session,
            actor=manager,
            segment_id=segment_id,
            version=version,
            frequency='weekly',
            weekday='4',
            today=MONDAY.date(),
        )

    def never(session, segment_id: int, version: int) -> None:
        segment_pushes.schedule(session=session, actor=manager, segment_id=segment_id, version=version, frequency=None)

    def deleted(session, segment_id: int, version: int) -> None:
        segments.delete_segment(session=session, actor=manager, segment_id=segment_id)

    outcomes = []
    with slow_campaign_tool(monkeypatch) as (tool, _let_go), ThreadPoolExecutor(1) as job:
        tool.answers = [200, 503, 200]  # the push stopped meanwhile fails: its failure is not written on it
        for number, change in enumerate((every_friday, never, deleted)):
            segment = saved_segment(manager, name=f'{HOSTILE} {number}')
            schedule(manager, segment.id, 'daily', today=MONDAY.date())
            tool.arrived, tool.hold = threading.Event(), threading.Event()
            run = job.submit(segment_pushes.push_due, now=MONDAY)
            assert tool.arrived.wait(10), 'the push reached the campaign tool'
            with session_scope() as session:
                change(session, segment.id, session.get(Segment, segment.id).version)
            tool.hold.set()
            try:
                outcomes.append((segment.id, run.result(timeout=30)))
            except segment_pushes.PushesFailed as failed:
                outcomes.append((segment.id, str(failed)))
    [(friday_id, pushed), (stopped_id, failed_said), (deleted_id, gone)] = outcomes
    assert pushed == {'sent': 1, 'failed': 0} and 'HTTP 503' in failed_said and gone == {'sent': 1, 'failed': 0}
    friday = stored(friday_id)
    assert (friday.push_frequency, friday.push_weekday, friday.next_push_on) == ('weekly', 4, date(2026, 12, 11))
    assert friday.last_pushed_at is not None
    stopped = stored(stopped_id)
    assert stopped.push_frequency is None and stopped.next_push_on is None and stopped.push_error is None
    assert stored(deleted_id) is None and notifications_of(manager) == []
