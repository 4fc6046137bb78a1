"""Staff invitations: outbound mail set up (a mail server and a support address), the mails written to someone, and
the one-time link in one."""

import re

import pytest
from sqlmodel import col, select

from backoffice.config import get_settings
from backoffice.db import session_scope
from backoffice.models import StaffMail, User
from backoffice.services import app_settings, password_reset

HOSTILE_SHOP = 'Shop "<script>alert(1)</script>" & Ünïcode: l\'Été'


def mail_set_up(monkeypatch: pytest.MonkeyPatch, admin: User, *, shop: str = HOSTILE_SHOP) -> None:
    """The settings an invitation needs: a mail server (never reached: the outbox job is not run) and a support email;
    the shop's name hostile unless given."""
    settings = get_settings().model_copy(update={'smtp_url': 'smtp://mail.invalid:25'})
    monkeypatch.setattr(password_reset, 'get_settings', lambda: settings)
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=session.get(User, admin.id),
            loaded=app_settings.current_values(session=session),
            changes={'support_email': 'staff@shop.example', 'company_name': shop},
        )


def mails_to(email: str) -> list[StaffMail]:
    with session_scope() as session:
        return list(session.exec(select(StaffMail).where(StaffMail.to_address == email).order_by(col(StaffMail.id))))


def token_in(mail: StaffMail) -> str:
    return re.search(r'/reset-password\?token=([\w%-]+)', mail.body).group(1)
