"""Settings: one typed object read from `BACKOFFICE_*` environment variables, loud about bad values."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from backoffice.private_files import private_file, private_folder


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='BACKOFFICE_', extra='ignore')

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments and the environment only: no `.env` file or secrets folder is configured (the deployment's
        environment file is read by systemd or the shell), yet their sources walked every field's type at each read,
        half of its cost (0.5 of ~1.2 ms; the tests read the settings again for every test)."""
        return (init_settings, env_settings)

    database_url: str = Field(
        'sqlite:///data/backoffice.db',
        description='SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db',
    )
    db_pool_size: int = Field(
        16,
        ge=1,
        le=500,
        description='Database connections each process keeps (and as many more in a burst): on PostgreSQL, '
        'processes × 2 × this must stay under its max_connections (100 by default: 3 processes at 16)',
    )
    host: str = Field('127.0.0.1', description='Address the web server listens on')
    port: int = Field(8080, ge=1, le=65535, description='Port the web server listens on')
    storage_secret: str | None = Field(
        None, min_length=16, description='Signs session cookies; generated and kept in data/ when unset'
    )
    secret_key: str | None = Field(
        None,
        min_length=32,
        description='Encrypts secrets stored in the database (webhook signing secrets); '
        'derived from the storage secret when unset. Keep it: changing it '
        'makes the stored secrets unreadable',
    )
    admin_email: str | None = Field(None, description='Email of the first admin, created on first start')
    admin_password: str | None = Field(None, description='Password of the first admin; generated and printed if unset')
    demo: bool = Field(False, description='Seed a realistic demo shop into an empty database (1/0)')
    session_idle_minutes: int = Field(
        60, ge=1, le=60 * 24 * 30, description='Sign a session out after this many minutes without activity'
    )
    api_calls_per_minute: int = Field(
        600,
        ge=1,
        le=100_000,
        description='Calls a minute each API key may make to the intake and /api/v1 routes (a burst of this many, '
        'refilled evenly); over it: 429 with Retry-After. The event intake has its own, larger limit',
    )
    data_dir: Path = Field(Path('data'), description='Folder for runtime data: SQLite file, secret, uploads')
    scheduler: bool = Field(True, description='Run scheduled jobs in this process (one process wins a lock) (1/0)')
    smtp_url: str | None = Field(None, description='Mail server for replies (smtp://user:pass@host:587, smtps://…)')
    public_url: str | None = Field(
        None,
        description='The address customers reach this app at (https://support.myshop.com); links in emails to '
        'customers (rating a solved request) start with it. Default: http://HOST:PORT',
    )
    allow_private_webhooks: bool = Field(
        False,
        description='Development only: let webhooks and the segment push '
        'reach this machine and private networks, over plain http too (1/0)',
    )
    allow_private_mailboxes: bool = Field(
        False,
        description="Let support mailboxes (IMAP) be on this machine or a private network, e.g. the company's own "
        'mail server on the LAN; off: public addresses only (1/0)',
    )
    mailbox_ca_file: Path | None = Field(
        None,
        description="A PEM file of certificate authorities trusted for support mailboxes besides the system's "
        '(an internal mail server with its own CA)',
    )
    forwarded_allow_ips: str = Field(
        '127.0.0.1,::1',
        description='Proxies whose X-Forwarded-Proto/-For are believed (comma-separated '
        'addresses or networks, * for any); HTTPS behind them gets HSTS and '
        'Secure cookies',
    )
    redis_url: str | None = Field(
        None,
        description='Redis shared by several app processes for rate limits '
        '(redis://127.0.0.1:6379/0); sessions: set NICEGUI_REDIS_URL',
    )
    max_upload_mb: int = Field(
        20,
        ge=1,
        le=1024,
        description='Largest file a person may upload (an import), in MB; '
        'a bigger upload is refused with 413 while it streams',
    )
    max_import_rows: int = Field(
        50_000, ge=1, le=1_000_000, description='Most data rows one import file may have (checked while reading)'
    )

    stripe_api_base: str | None = Field(
        None,
        description="Where the Stripe SDK sends its API calls; default Stripe's own (https://api.stripe.com). "
        "The tests point it at a local server following Stripe's API",
    )

    @field_validator('database_url')
    @classmethod
    def _known_database(cls, url: str) -> str:
        url = usable_database_url(url)
        if not url.startswith(('sqlite://', 'postgresql')):
            raise ValueError('must start with sqlite:/// or postgresql+psycopg://')
        return url

    @field_validator('public_url')
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        if url and not url.startswith(('https://', 'http://')):
            raise ValueError('must start with https:// (or http://)')
        return url.rstrip('/') if url else None

    @property
    def base_url(self) -> str:
        """Where links to this app point: the public address, else the address it listens on."""
        return self.public_url or f'http://{self.host}:{self.port}'

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith('sqlite')

    def resolved_storage_secret(self) -> str:
        """The configured secret, or one generated once and kept in the data folder (never a fixed string)."""
        if self.storage_secret:
            return self.storage_secret
        path = self.data_dir / 'storage_secret'
        if not path.exists():
            private_folder(path.parent)
            private_file(path).write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()


class ConfigError(SystemExit):
    """Start-up stops with one clear line naming the variable and the reason."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = 'BACKOFFICE_' + str(first['loc'][0]).upper() if first['loc'] else 'BACKOFFICE_*'
        raise ConfigError(f'Invalid {name}: {first["msg"]}') from None


@lru_cache(maxsize=1)
def _cached() -> Settings:
    return load_settings()


def get_settings() -> Settings:
    """The settings of this process; `reload_settings()` rereads the environment (main.py does, tests do)."""
    return _cached()


def reload_settings() -> Settings:
    _cached.cache_clear()
    return _cached()


def help_text() -> str:
    lines = ['Backoffice reads its configuration from environment variables:', '']
    for name, field in Settings.model_fields.items():
        default = field.default if field.default is not None else '(unset)'
        lines.append(f'  BACKOFFICE_{name.upper():<22} {field.description}. Default: {default}')
    return '\n'.join(lines)


def usable_database_url(url: str) -> str:
    """A PostgreSQL address as hosts hand it out (postgres://, postgresql://, postgresql+psycopg2://) made the one
    driver installed here reads: psycopg 3. Other addresses are returned as given."""
    scheme, sep, rest = url.partition('://')
    if sep and scheme in ('postgres', 'postgresql', 'postgresql+psycopg2'):
        return f'postgresql+psycopg://{rest}'
    return url
