"""/system lists the emails the outbox gave up on and sends them again: one by one or all at once, audited, for those
who manage the system only (the service checks it too)."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, StaffMail
from backoffice.permissions import PermissionDenied
from backoffice.services import staff_mail

from .support.factories import make_role, make_user
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Zoë "Z" O\'Hara: <script>alert(1)</script> <img src=x onerror=alert(2)>'


def failed_mail(address: str, subject: str, error: str = '550 5.1.1 <x@example.com>: "no such user"') -> int:
    with session_scope() as session:
        row = staff_mail.queue_to(session, address=address, subject=subject, body='Your sign-in link')
        row.status, row.attempts, row.error = 'failed', 5, error
        session.add(row)
        session.commit()
        return row.id or 0


def statuses(*ids: int) -> list[tuple[str, int, str]]:
    with read_session() as session:
        rows = session.exec(select(StaffMail).where(col(StaffMail.id).in_(ids)).order_by(col(StaffMail.id))).all()
        return [(row.status, row.attempts, row.error) for row in rows]


def retried_entries() -> list[tuple[str | None, str]]:
    with read_session() as session:
        return [
            (entry.entity_id, entry.summary)
            for entry in session.exec(
                select(AuditEntry).where(AuditEntry.action == 'system.mail_retried').order_by(col(AuditEntry.id))
            )
        ]


async def test_an_admin_sends_a_failed_email_again_then_all_the_others(user: User) -> None:
    admin = make_user('admin')
    first = failed_mail('cora+"q"@example.com', f'Sign-in link {HOSTILE}')
    second = failed_mail('dan@example.com', 'Your report: "weekly"')
    third = failed_mail('eve@example.com', 'Password reset <b>now</b>')
    await signed_in(user, admin.email, path='/system')
    await user.should_see('Failed emails')
    await user.should_see(f'Sign-in link {HOSTILE}')  # as text
    await user.should_see('cora+"q"@example.com')
    await user.should_see('550 5.1.1 <x@example.com>: "no such user"')
    user.find(marker=f'retry-mail-{first}').click()
    await user.should_see('The email will be sent again with the next outbox run')
    await eventually(lambda: statuses(first) == [('queued', 0, '')])
    assert statuses(second, third) == [('failed', 5, '550 5.1.1 <x@example.com>: "no such user"')] * 2
    await user.should_not_see(f'Sign-in link {HOSTILE}')  # no longer listed as failed
    assert retried_entries() == [(str(first), f'Email #{first} queued again')]  # no address, no subject

    user.find(marker='retry-all-mails').click()
    await user.should_see('2 emails will be sent again with the next outbox run')
    await eventually(lambda: statuses(second, third) == [('queued', 0, '')] * 2)
    assert retried_entries()[-1] == (None, 'Failed emails queued again: 2')
    await user.should_see('No email failed to send.')


def test_someone_who_does_not_manage_the_system_cannot_list_or_send_again_failed_emails() -> None:
    failed = failed_mail('cora@example.com', HOSTILE)
    for person in (make_user('manager'), make_user(make_role('audit.read', 'customers.read', name='Auditor').key)):
        with read_session() as session, pytest.raises(PermissionDenied):
            staff_mail.failed_mails(session=session, actor=person)
        with session_scope() as session, pytest.raises(PermissionDenied):
            staff_mail.retry(session=session, actor=person, mail_id=failed)
        with session_scope() as session, pytest.raises(PermissionDenied):
            staff_mail.retry_all_failed(session=session, actor=person)
    assert statuses(failed) == [('failed', 5, '550 5.1.1 <x@example.com>: "no such user"')]
    assert retried_entries() == []


def test_only_a_failed_email_is_sent_again() -> None:
    admin = make_user('admin')
    with session_scope() as session:
        waiting = staff_mail.queue_to(session, address='cora@example.com', subject=HOSTILE, body='link')
        session.commit()
        waiting_id = waiting.id or 0
    with session_scope() as session, pytest.raises(ValidationFailed):
        staff_mail.retry(session=session, actor=admin, mail_id=waiting_id)
    with session_scope() as session:
        assert staff_mail.retry_all_failed(session=session, actor=admin) == 0
    assert retried_entries() == []
