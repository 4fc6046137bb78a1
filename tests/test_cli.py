"""The admin command line as an operator uses it: migrate, add a member of staff. (Seeding the demo team: test_seed.py,
with the demo's contents.)"""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys

import pytest
from sqlmodel import select

from backoffice import auth, db
from backoffice.__main__ import main, run
from backoffice.db import read_session
from backoffice.models import Role, User
from backoffice.password_strength import TOO_COMMON
from backoffice.services import api_keys

from .support.cli import ROOT, backoffice_command
from .support.factories import make_role, make_user

GOOD_PASSWORD = 'Plum-orchard-42'


# The first three run `python -m backoffice` for real, as an operator would; the rest call it in-process (faster).


def test_help_answers_without_importing_the_database_layer(capsys: pytest.CaptureFixture[str]) -> None:
    """`--help` (and a mistyped argument) imports what argparse needs, not SQLAlchemy, the models or the services:
    0.05 s of CPU instead of 1.3 s. create-user's help still lists the roles (it imports the models to print them)."""
    script = (
        'import sys\n'
        'from backoffice.__main__ import run\n'
        'try:\n'
        '    run(sys.argv[1:])\n'
        'except SystemExit:\n'
        '    pass\n'
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'alembic', 'nicegui')"
        " or m.startswith('backoffice.') and m != 'backoffice.__main__'))\n"
    )
    loaded = subprocess.run([sys.executable, '-c', script, '--help'], cwd=ROOT, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert 'create-user' in loaded.stdout and loaded.stdout.strip().endswith('[]')

    with pytest.raises(SystemExit) as done:
        main(['create-user', '--help'])
    assert done.value.code == 0
    roles = ', '.join(role.value for role in Role)
    assert f"{roles}, or a custom role's key" in ' '.join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(['create-api-key', '--help'])
    said = ''.join(capsys.readouterr().out.split())
    assert all(scope in said for scope in api_keys.SCOPES)  # every intake scope a front office may need is named


def test_migrate_brings_the_database_up_to_date(database_url: str) -> None:
    result = backoffice_command('migrate', database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert 'Database schema is up to date' in result.stdout


def test_create_user_with_a_password_from_stdin(database_url: str) -> None:
    result = backoffice_command(
        'create-user',
        '--email',
        'Sam.Okafor@Example.com',
        '--role',
        'agent',
        '--password-stdin',
        stdin=f'{GOOD_PASSWORD}\n',
        database_url=database_url,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'Created sam.okafor@example.com (agent).'
    assert GOOD_PASSWORD not in result.stdout
    signed_in = auth.sign_in(email='sam.okafor@example.com', password=GOOD_PASSWORD, address=None)
    assert signed_in.ok and signed_in.user.role == Role.agent and signed_in.user.name == 'Sam.Okafor'


def test_create_user_refuses_a_weak_password_and_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # in-process, as the refusals below (the password read from stdin is the subprocess test above)
    monkeypatch.setattr(sys, 'stdin', io.StringIO('password123\n'))

    exit_code = main(['create-user', '--email', 'sam@example.com', '--role', 'agent', '--password-stdin'])

    assert exit_code == 1
    assert capsys.readouterr().err.strip() == f'password: {TOO_COMMON}'
    assert stored('sam@example.com') is None


def test_create_user_without_a_password_prints_a_generated_one(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = main(['create-user', '--email', 'lea@example.com', '--name', 'Lea Schmidt', '--role', 'manager'])

    assert exit_code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == 'Created lea@example.com (manager).'
    password = lines[1].removeprefix('Password (shown once): ')
    assert password != lines[1]
    signed_in = auth.sign_in(email='lea@example.com', password=password, address=None)
    assert signed_in.ok and signed_in.user.name == 'Lea Schmidt'


def test_create_user_refuses_an_email_already_taken(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user('agent', email='sam@example.com', name='Sam First')
    monkeypatch.setattr(sys, 'stdin', io.StringIO(f'{GOOD_PASSWORD}\n'))

    exit_code = main(['create-user', '--email', 'SAM@example.com', '--role', 'admin', '--password-stdin'])

    assert exit_code == 1
    assert capsys.readouterr().err.strip() == 'email: A user with this email already exists'
    assert stored('sam@example.com').role == Role.agent


def test_create_user_refuses_an_unknown_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['create-user', '--email', 'sam@example.com', '--role', 'owner']) == 1

    assert capsys.readouterr().err.strip() == 'role: Choose one of the listed roles'
    assert stored('sam@example.com') is None


def test_create_user_takes_a_custom_role_by_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    role = make_role('tickets.read', name='Night shift')

    assert main(['create-user', '--email', 'sam@example.com', '--role', 'night shift']) == 0

    assert stored('sam@example.com').role == role.key
    assert f'Created sam@example.com ({role.key}).' in capsys.readouterr().out


def stored(email: str) -> User | None:
    with read_session() as session:
        return session.exec(select(User).where(User.email == email)).first()


def test_a_command_that_finds_the_database_busy_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two commands at once on SQLite: the one that cannot write in time says what happened and exits 75, no
    traceback."""
    engine = db.get_engine()
    if engine.dialect.name != 'sqlite':
        pytest.skip('SQLite only: PostgreSQL writers wait at the rows they change')
    monkeypatch.setattr(db, 'BUSY_TIMEOUT_MS', 100)
    engine.dispose()  # new connections take the short wait
    other = sqlite3.connect(engine.url.database, isolation_level=None)  # another process writing
    other.execute('BEGIN IMMEDIATE')
    try:
        code = run(['unlock-sign-in', '--email', 'sam@example.com'])
    finally:
        other.execute('ROLLBACK')
        other.close()
        engine.dispose()
    assert code == 75
    error = capsys.readouterr().err
    assert error.startswith('The database is busy') and 'Traceback' not in error
