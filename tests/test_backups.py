"""Backups as an operator relies on them: taken while the app runs (failing none of its writers), verified, pruned, and
restored by the command line into a database that then holds exactly what was backed up."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from backoffice import db, i18n
from backoffice.__main__ import main as cli_main
from backoffice.config import Settings, reload_settings
from backoffice.db import read_session
from backoffice.models import AuditEntry, User
from backoffice.runtime import scheduler
from backoffice.services import backups

from .support.app_process import app_environment, start_app
from .support.cli import backoffice_command
from .support.databases import fresh_database
from .support.factories import make_user
from .support.newer_backup import FUTURE_REVISION, backup_from_a_newer_version, schema_revisions
from .support.shop_writers import Writers, consistency_problems, read_held, seed_shop

NBSP, NNBSP = '\u00a0', '\u202f'  # before a colon, between thousands (CLDR's French)


def test_a_backup_is_a_verified_copy_and_old_ones_are_pruned(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = reload_settings()
    make_user('agent', email='kept@example.com')
    admin = make_user('admin')
    taken = []
    first_second = backups.utcnow().replace(microsecond=0)
    for attempt in range(3):
        # backups are named by the second they were taken: each a second after the one before (the clock moved on
        # here instead of 1.05 s slept between them; the names, their order and the pruning are the same)
        monkeypatch.setattr(backups, 'utcnow', lambda attempt=attempt: first_second + timedelta(seconds=attempt))
        with db.session_scope() as session:
            taken.append(backups.take_backup(session=session, actor=admin, settings=settings, keep=2))
    kept = backups.list_backups(settings)
    assert len(kept) == 2 and {b.name for b in kept} == {b.name for b in taken[1:]}
    assert backups.verify(kept[0].path) == 'ok'
    assert not list(backups.folder(settings).glob('*.part'))
    with read_session() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'system.backup')).all()


def test_someone_without_system_rights_cannot_take_or_download_a_backup() -> None:
    settings = reload_settings()
    manager = make_user('manager')
    with pytest.raises(Exception, match='not allowed'), db.session_scope() as session:
        backups.take_backup(session=session, actor=manager, settings=settings)
    with pytest.raises(Exception, match='not allowed'):
        backups.backup_path(actor=manager, settings=settings, name='backoffice-20260101-000000.db')


def test_a_download_is_only_ever_a_listed_backup() -> None:
    settings = reload_settings()
    admin = make_user('admin')
    with pytest.raises(backups.BackupFailed):
        backups.backup_path(actor=admin, settings=settings, name='../backoffice.db')


def test_a_damaged_file_is_refused_before_anything_is_touched(
    tmp_path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / (
        'backoffice-20260101-000000.db' if database_url.startswith('sqlite') else 'backoffice-20260101-000000.dump'
    )
    bad.write_bytes(b'this is not a database')
    make_user('agent', email='still-here@example.com')
    # in-process (the command itself, on this worker's database): test_backup_and_restore_from_the_command_line runs
    # `restore` in a process of its own
    assert cli_main(['restore', str(bad), '--yes']) == 1
    assert 'cannot be restored' in capsys.readouterr().err
    with read_session() as session:
        assert session.exec(select(User).where(User.email == 'still-here@example.com')).first() is not None


def test_a_backup_from_a_newer_version_is_refused_before_the_database_is_replaced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It used to replace the database, then fail to migrate it with a traceback (alembic: "No such revision"), leaving
    a database this version cannot run."""
    settings = reload_settings()
    admin = make_user('admin')
    newer = backup_from_a_newer_version(admin, settings)
    make_user('agent', email='made-after@example.com')
    assert cli_main(['restore', str(newer.path), '--yes']) == 1
    said = capsys.readouterr().err
    assert 'taken by a newer version of Backoffice' in said and FUTURE_REVISION in said
    assert 'Nothing was changed.' in said and 'Traceback' not in said
    with read_session() as session:
        assert session.exec(select(User).where(User.email == 'made-after@example.com')).first() is not None
    assert FUTURE_REVISION not in schema_revisions()


def test_backup_and_restore_from_the_command_line(tmp_path, database_url: str, restore_target: str) -> None:
    make_user('agent', email='before@example.com')
    data_dir = tmp_path / 'cli-data'
    os.environ['BACKOFFICE_DATA_DIR'] = str(data_dir)
    try:
        result = backoffice_command('backup', database_url=database_url)
        assert result.returncode == 0, result.stderr
        [backup] = backups.list_backups(Settings(database_url=database_url, data_dir=data_dir))
        assert backups.verify(backup.path) == 'ok'

        result = backoffice_command('restore', str(backup.path), '--yes', database_url=restore_target)
        assert result.returncode == 0, result.stderr
        assert 'Restored' in result.stdout
        engine = db.create_database_engine(restore_target)
        with engine.connect() as connection:
            emails = {row[0] for row in connection.exec_driver_sql('SELECT email FROM users')}
            restored = connection.exec_driver_sql(
                "SELECT actor_email, summary FROM audit_log WHERE action = 'system.restore'"
            ).all()
        engine.dispose()
        assert 'before@example.com' in emails
        # the audit log says why the data went back in time, as after a restore from /system
        assert [tuple(row) for row in restored] == [('system', f'Restored backup {backup.name} with the command line')]
    finally:
        del os.environ['BACKOFFICE_DATA_DIR']


def test_a_restore_with_the_command_line_keeps_the_current_state_first(capsys: pytest.CaptureFixture[str]) -> None:
    """As a restore from /system does: restoring the wrong file (last month's instead of last night's) had no way
    back but the nightly backup, and what was written since it was lost."""
    settings = reload_settings()
    admin = make_user('admin')
    with db.session_scope() as session:
        earlier = backups.take_backup(session=session, actor=admin, settings=settings)
    make_user('agent', email='since-the-backup@example.com', name='Zoë "Z": <script>alert(1)</script>')

    assert cli_main(['restore', str(earlier.path), '--yes']) == 0
    said = capsys.readouterr().out
    assert 'Kept the current state first, the way back: ' in said
    [kept] = [b for b in backups.list_backups(settings) if b.name != earlier.name]
    assert str(kept.path) in said and kept.verified
    with read_session() as session:  # restored: the later member of staff is gone, and kept in the safety backup
        assert session.exec(select(User).where(User.email == 'since-the-backup@example.com')).first() is None
    assert cli_main(['restore', str(kept.path), '--yes']) == 0
    with read_session() as session:
        back = session.exec(select(User).where(User.email == 'since-the-backup@example.com')).one()
    assert back.name == 'Zoë "Z": <script>alert(1)</script>'


@pytest.fixture
def restore_target(database_url: str, tmp_path) -> Iterator[str]:
    """An empty database to restore into (PostgreSQL: `<db>_restore`, dropped afterwards)."""
    if database_url.startswith('sqlite'):
        yield f'sqlite:///{tmp_path / "restored.db"}'
        return
    url = make_url(database_url)
    name = f'{url.database}_restore'
    server = url.set(drivername='postgresql', database='postgres').render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')
        connection.execute(f'CREATE DATABASE {name}')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def test_each_backup_is_verified_when_taken_against_the_rows_the_database_held(database_url: str) -> None:
    settings = reload_settings()
    admin = make_user('admin')
    make_user('agent', email='counted@example.com')
    with db.session_scope() as session:
        taken = backups.take_backup(session=session, actor=admin, settings=settings)
    [listed] = backups.list_backups(settings)
    assert taken.verified and listed.verified and listed.check.startswith('Verified: ')
    verified, check = backups.compare(taken.path, {'users': 3})
    assert not verified and check.english == 'Not verified: rows differ (users: 2 in the backup, 3 in the database).'
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'system.backup')).one()
    assert entry.summary.endswith(', verified')


def test_a_backup_whose_audit_entry_meets_busy_writers_waits_for_them_instead_of_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The nightly backup under writers (a CI run under load): the file was written and verified, then its audit
    entry's commit met 'database is locked' after the 5-s busy timeout and the command failed. It tries again."""
    settings = reload_settings()
    admin = make_user('admin')
    refusals = iter([OperationalError('COMMIT', {}, Exception('database is locked'))] * 2)
    with db.session_scope() as session:
        real_commit = session.commit

        def busy_then_free() -> None:
            refusal = next(refusals, None)
            if refusal is not None:
                raise refusal
            real_commit()

        monkeypatch.setattr(session, 'commit', busy_then_free)
        taken = backups.take_backup(session=session, actor=admin, settings=settings)
    assert taken.verified
    with read_session() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == 'system.backup')).all()
    assert len(entries) == 1 and entries[0].summary.endswith(', verified')


def test_a_backup_that_fails_its_check_fails_the_command_and_the_nightly_job_and_removes_no_older_backup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to count as done: the command line said "Backup written" and exited 0 (the systemd unit succeeded), the
    nightly job's run read "done", and the failed file pruned a good one (14 failing nights: no good backup left)."""
    settings = reload_settings()
    admin = make_user('admin')
    first_second = backups.utcnow().replace(microsecond=0)
    monkeypatch.setattr(backups, 'utcnow', lambda: first_second)
    with db.session_scope() as session:
        good = backups.take_backup(session=session, actor=admin, settings=settings, keep=1)
    real_compare = backups.compare
    # the database moved on under the copy: one more user than the backup holds
    monkeypatch.setattr(backups, 'compare', lambda path, live: real_compare(path, {**live, 'users': live['users'] + 1}))
    monkeypatch.setattr(backups, 'utcnow', lambda: first_second + timedelta(seconds=1))
    with pytest.raises(backups.BackupUnverified, match='failed its check') as refused, db.session_scope() as session:
        backups.take_backup(session=session, actor=admin, settings=settings, keep=1)
    assert 'users: 1 in the backup, 2 in the database' in str(refused.value)
    assert 'Older backups were all kept.' in str(refused.value)

    assert cli_main(['backup']) == 1
    said = capsys.readouterr()
    assert 'failed its check' in said.err and 'Backup written' not in said.out
    with pytest.raises(backups.BackupFailed, match='failed its check'):
        scheduler.nightly_backup(settings)

    listed = backups.list_backups(settings)
    assert good.name in {b.name for b in listed} and good.path.exists()  # the good one is never pruned by them
    assert [b.verified for b in listed if b.name != good.name] == [False] * 3  # kept, listed as failing


def test_a_backups_check_reads_in_french_for_a_french_reader_and_an_older_check_file_as_written() -> None:
    settings = reload_settings()
    admin = make_user('admin')
    with db.session_scope() as session:
        taken = backups.take_backup(session=session, actor=admin, settings=settings)
    with i18n.use('fr'):
        [listed] = backups.list_backups(settings)
        assert listed.check.startswith('Verified: ')  # what is stored stays English
        assert listed.check_text().startswith(f'Vérifiée{NBSP}: ') and 'lignes' in listed.check_text()
        verified, check = backups.compare(taken.path, {'users': 1234})
        assert check.shown() == (
            f'Non vérifiée{NBSP}: les lignes diffèrent (users{NBSP}: 1 dans la sauvegarde, 1{NNBSP}234 dans la base de '
            'données).'
        )
    # a check file written before checks kept their msgid: shown as written
    check_file = taken.path.with_name(taken.path.name + '.check.json')
    check_file.write_text(json.dumps({'verified': True, 'check': 'Verified: 9 tables, 1,234 rows, as before.'}))
    with i18n.use('fr'):
        [listed] = backups.list_backups(settings)
        assert listed.check_text() == 'Verified: 9 tables, 1,234 rows, as before.'
    check_file.unlink()  # no check file at all: "not verified", in French
    with i18n.use('fr'):
        [listed] = backups.list_backups(settings)
        assert listed.check_text().startswith(f'Non vérifiée{NBSP}: prise avant')


def test_a_damaged_backup_is_listed_as_failing_its_check(tmp_path) -> None:
    bad = tmp_path / 'backoffice-20260101-000000.db'
    bad.write_bytes(b'this is not a database')
    verified, check = backups.compare(bad, {'users': 1})
    assert not verified and check.english.startswith('Not verified: not a readable SQLite database')


def test_two_backups_in_the_same_second_are_both_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A restore's safety backup can follow the backup it restores within a second: it must never replace it."""
    settings = reload_settings()
    admin = make_user('admin')
    same_second = backups.utcnow()
    monkeypatch.setattr(backups, 'utcnow', lambda: same_second)
    with db.session_scope() as session:
        first = backups.take_backup(session=session, actor=admin, settings=settings)
    with db.session_scope() as session:
        second = backups.take_backup(session=session, actor=admin, settings=settings)
    assert first.name != second.name and first.path.exists() and second.path.exists()
    assert [b.name for b in backups.list_backups(settings)] == [second.name, first.name]  # the newest first


def test_a_backup_taken_while_clients_write_fails_none_of_them_and_is_a_consistent_copy(
    tmp_path, database_url: str
) -> None:
    """Issue 20: "taking a backup under that load produced 23 answers 500". `python -m backoffice backup` (run here,
    in this process) while six clients send orders and requests to a real app process: no call fails, everything
    acknowledged is in the database, and the backup is a verified, intact copy that agrees with itself (each order's
    stock and deliveries are in it with the order, and nothing of an order that is not)."""
    shop = seed_shop()  # on this worker's database, which the app process then serves
    env = app_environment(database_url, tmp_path, BACKOFFICE_SCHEDULER='0')
    url, process = start_app(env, tmp_path / 'server.log')
    writers = Writers(url, shop.secret, requests=True)
    try:
        writers.start()
        deadline = time.monotonic() + 60
        while len(writers.answers) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        assert cli_main(['backup']) == 0  # what the nightly timer runs
        ended = time.monotonic()
        after = len(writers.answers) + 10
        while len(writers.answers) < after and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        writers.finish()
        process.terminate()
        process.wait(timeout=20)

    assert writers.answered_during(started, ended), 'no call was on its way while the backup ran: nothing was proven'
    failed = {
        key: (answer.status_code, answer.text) for key, answer in writers.answers.items() if answer.status_code != 201
    }
    assert not failed, 'a writer failed while the backup ran'
    held = read_held(database_url)
    assert [held.made(call) for call in writers.acknowledged()] == [
        writers.answers[call.key].json()['number'] for call in writers.acknowledged()
    ]
    assert consistency_problems(held) == []

    [backup] = backups.list_backups(reload_settings())
    assert backups.verify(backup.path) == 'ok' and backup.verified, backup.check
    copy_url, drop = _opened(backup.path, tmp_path)
    try:
        copy = read_held(copy_url)
    finally:
        drop()
    assert consistency_problems(copy) == []
    assert set(copy.orders) <= set(held.orders) and set(copy.requests) <= set(held.requests)
    assert copy.orders and len(copy.orders) + len(copy.requests) < len(held.orders) + len(held.requests)


def _opened(backup: Path, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """A database to read the backup in: the SQLite file itself, or a PostgreSQL database it was restored into."""
    if backup.suffix == '.db':
        return f'sqlite:///{backup}', lambda: None
    url, drop = fresh_database(tmp_path, 'backup_copy')
    backups.restore(backup, Settings(database_url=url, data_dir=tmp_path / 'copy'))
    return url, drop


def test_restore_asked_with_nobody_to_answer_says_how_instead_of_a_traceback(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`restore FILE` from a script or cron (no terminal, stdin closed) crashed with EOFError at the question."""
    some_file = tmp_path / 'backoffice-20260101-000000.db'
    some_file.write_bytes(b'anything')
    monkeypatch.setattr('sys.stdin', io.StringIO(''))
    assert cli_main(['restore', str(some_file)]) == 1
    said = capsys.readouterr().err
    assert 'Nothing changed' in said and '--yes' in said
