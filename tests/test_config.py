"""Configuration as an operator meets it: sensible defaults, one clear line for a bad value, a secret kept safe."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice.config import ConfigError, Settings, load_settings, reload_settings
from backoffice.db import create_database_engine

ROOT = Path(__file__).resolve().parents[1]
VARIABLES = [f'BACKOFFICE_{name.upper()}' for name in Settings.model_fields]


@pytest.fixture
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment with no BACKOFFICE_* variable at all (the test fixture sets a few)."""
    for name in list(os.environ):
        if name.startswith('BACKOFFICE_'):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures('unconfigured')
def test_without_configuration_the_app_runs_locally_on_sqlite() -> None:
    settings = load_settings()

    assert settings.database_url == 'sqlite:///data/backoffice.db' and settings.is_sqlite
    assert (settings.host, settings.port) == ('127.0.0.1', 8080)
    assert settings.storage_secret is None
    assert settings.admin_email is None and settings.admin_password is None
    assert settings.demo is False
    assert settings.session_idle_minutes == 60
    assert settings.data_dir == Path('data')


@pytest.mark.usefixtures('unconfigured')
def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_PORT', '9000')
    monkeypatch.setenv('BACKOFFICE_DEMO', '1')
    monkeypatch.setenv('BACKOFFICE_SESSION_IDLE_MINUTES', '15')

    settings = load_settings()

    assert (settings.port, settings.demo, settings.session_idle_minutes) == (9000, True, 15)


@pytest.mark.parametrize(
    ('name', 'value'),
    [
        ('BACKOFFICE_PORT', 'abc'),
        ('BACKOFFICE_PORT', '70000'),
        ('BACKOFFICE_DATABASE_URL', 'mysql://root@localhost/shop'),
        ('BACKOFFICE_STORAGE_SECRET', 'short'),
        ('BACKOFFICE_SESSION_IDLE_MINUTES', '0'),
        ('BACKOFFICE_DB_POOL_SIZE', '0'),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError) as stopped:
        load_settings()

    message = str(stopped.value.code)
    assert message.startswith(f'Invalid {name}: ')
    assert '\n' not in message


def test_each_process_keeps_as_many_database_connections_as_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Three processes at the default 16 (+16 in a burst) fit PostgreSQL's default 100 connections; a fourth
    needs a smaller pool (or a larger max_connections), which an operator sets here."""
    assert Settings.model_fields['db_pool_size'].default == 16
    monkeypatch.setenv('BACKOFFICE_DB_POOL_SIZE', '5')
    reload_settings()
    try:
        engine = create_database_engine(f'sqlite:///{tmp_path / "pool.db"}')
        assert (engine.pool.size(), engine.pool._max_overflow) == (5, 5)  # type: ignore[attr-defined]
        engine.dispose()
    finally:
        monkeypatch.delenv('BACKOFFICE_DB_POOL_SIZE')
        reload_settings()


def test_a_plain_postgresql_url_uses_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """As hosts hand the address out, Heroku-style postgres:// included (it was refused: 'must start with…')."""
    for url in (
        'postgresql://shop:secret@db.internal/shop',
        'postgresql+psycopg2://shop:secret@db.internal/shop',
        'postgres://shop:secret@db.internal/shop',
    ):
        monkeypatch.setenv('BACKOFFICE_DATABASE_URL', url)
        settings = load_settings()
        assert settings.database_url == 'postgresql+psycopg://shop:secret@db.internal/shop'
        assert not settings.is_sqlite


def test_the_storage_secret_is_generated_once_kept_private_and_reused(tmp_path: Path) -> None:
    first = Settings(storage_secret=None, data_dir=tmp_path / 'data').resolved_storage_secret()
    again = Settings(storage_secret=None, data_dir=tmp_path / 'data').resolved_storage_secret()
    elsewhere = Settings(storage_secret=None, data_dir=tmp_path / 'other').resolved_storage_secret()

    assert len(first) >= 32
    assert again == first
    assert elsewhere != first
    assert stat.S_IMODE((tmp_path / 'data' / 'storage_secret').stat().st_mode) == 0o600


def test_a_configured_storage_secret_is_used_as_it_is(tmp_path: Path) -> None:
    settings = Settings(storage_secret='a-secret-of-the-operator', data_dir=tmp_path)

    assert settings.resolved_storage_secret() == 'a-secret-of-the-operator'
    assert not (tmp_path / 'storage_secret').exists()


def test_help_lists_every_setting() -> None:
    result = run_main('--help')

    assert result.returncode == 0
    for variable in VARIABLES:
        assert variable in result.stdout


def test_starting_with_a_bad_value_prints_one_line_and_fails() -> None:
    result = run_main(BACKOFFICE_PORT='abc')

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        'Invalid BACKOFFICE_PORT: Input should be a valid integer, unable to parse string as an integer'
    ]


def run_main(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name != 'PYTEST_CURRENT_TEST' and not name.startswith('NICEGUI_')
    }
    return subprocess.run(
        [sys.executable, 'main.py', *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
