"""First start: make sure an admin exists (from the environment, or generated and printed once) and seed demo data."""

from __future__ import annotations

from backoffice.config import Settings
from backoffice.db import ensure_schema, one_process_at_a_time, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import Role
from backoffice.services import users

DEFAULT_ADMIN_EMAIL = 'admin@example.com'


class BootstrapError(SystemExit):
    pass


def check_admin_settings(settings: Settings) -> None:
    """Refuse a bad first-admin email or password before the server starts, with one line naming the variable."""
    try:
        if settings.admin_email:
            users.normalize_email(settings.admin_email)
    except ValueError as error:
        raise BootstrapError(f'Invalid BACKOFFICE_ADMIN_EMAIL: {error}') from None
    if settings.admin_password:
        problem = users.password_problem(settings.admin_password, email=settings.admin_email or DEFAULT_ADMIN_EMAIL)
        if problem:
            raise BootstrapError(f'Invalid BACKOFFICE_ADMIN_PASSWORD: {problem}')


def first_start(settings: Settings) -> list[str]:
    """What every app process does before serving: the schema, the first admin, the demo data; safe when several
    processes start at once on an empty database (they take turns; the first does the work, the others find it done).
    Returns the lines to print."""
    ensure_schema()
    with one_process_at_a_time():
        return ensure_first_admin(settings) + seed_demo_if_empty(settings)


def ensure_first_admin(settings: Settings) -> list[str]:
    """Create the first admin on an empty database; returns the lines to print (the password only ever once)."""
    with session_scope() as session:
        if users.count_users(session=session):
            return []
        email = settings.admin_email or DEFAULT_ADMIN_EMAIL
        try:
            created = users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': email, 'name': 'Administrator', 'role': Role.admin, 'password': settings.admin_password},
            )
        except ValidationFailed as error:
            field = {'email': 'BACKOFFICE_ADMIN_EMAIL', 'password': 'BACKOFFICE_ADMIN_PASSWORD'}
            name, message = next(iter(error.errors.items()))
            raise BootstrapError(f'Invalid {field.get(name, name)}: {message}') from None
    if created.generated_password:
        return [
            f'First admin created: sign in as {created.user.email} with password {created.generated_password}',
            '(shown only this once: change it under your name → Change password)',
        ]
    return [f'First admin created: sign in as {created.user.email} with BACKOFFICE_ADMIN_PASSWORD']


def seed_demo_if_empty(settings: Settings) -> list[str]:
    if not settings.demo:
        return []
    from backoffice.seed.demo import demo_is_seeded, seed_demo

    with session_scope() as session:
        if demo_is_seeded(session=session):
            return []
        return seed_demo(session=session, seed=1)
