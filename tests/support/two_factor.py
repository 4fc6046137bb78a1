"""Two-factor sign-in in tests: enrol an account through the service, and the codes its authenticator app shows."""

from __future__ import annotations

import time

from backoffice import two_factor as totp
from backoffice.db import session_scope
from backoffice.models import User
from backoffice.services import app_settings, two_factor


def enrol(account: User) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for this account as its enrolment dialog would; returns (secret, recovery codes).
    The code that confirmed it used the previous time step, so the current one is still free for a sign-in."""
    secret = totp.new_secret()
    with session_scope() as session:
        codes = two_factor.confirm_enrolment(
            session=session, actor=account, secret=secret, code=totp.code_at(secret, time.time() - 30)
        )
    return secret, codes


def code_now(secret: str, *, steps_ahead: int = 0) -> str:
    return totp.code_at(secret, time.time() + 30 * steps_ahead)


def require_for(role: str, admin: User, required: bool = True) -> None:
    """An admin requires (or no longer requires) two-factor sign-in for a role, at /settings."""
    key = f'two_factor_{role}'
    with session_scope() as session:
        loaded = app_settings.current_values(session=session)
        app_settings.save(session=session, actor=admin, changes={key: required}, loaded={key: loaded[key]})
