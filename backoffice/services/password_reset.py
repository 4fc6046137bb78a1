"""Forgot password: a single-use link by email that expires after an hour. The answer, and the work done, are the
same whether or not the email belongs to someone; asking is throttled per address and per email."""

from __future__ import annotations

import hashlib
import html
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from sqlmodel import Session, col, func, select

from backoffice import auth, changes, events, i18n, permissions
from backoffice.changes import stamp
from backoffice.config import get_settings
from backoffice.db import session_scope, use_up
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import PasswordReset, User, utcnow
from backoffice.password_strength import password_problem
from backoffice.services import app_settings, audit, staff_mail, staff_sessions
from backoffice.stored_text import sentence

LIFETIME = timedelta(hours=1)
ADMIN_LIFETIME = timedelta(hours=24)  # a link an admin's reset sent: its reader may be away for the day
INVITATION_LIFETIME = timedelta(hours=72)  # an invitation to a new member of staff: they may start next week
INVITED = 'invite:'  # requested_from of an invitation's link (then the inviting admin's id)
PATH = '/reset-password'
EXPIRED_INVITATION = N_('This invitation has expired or was already used. Ask your admin to send it again.')
SENT = N_('If an account uses this email, a link to choose a new password is on its way. It works once, for an hour.')


@dataclass(frozen=True)
class Asked:
    message: str
    refused: bool = False  # too many asks from this address (said whatever the email)


def request_link(*, email: str, address: str | None, base_url: str) -> Asked:
    """Email a reset link to the staff user with this email, if there is one. Everything but the sending is done
    either way: the same answer, the same reads and writes, so neither words nor timing tell which emails exist."""
    where = address or 'unknown'
    email = (email or '').strip().lower()[:254]
    address_key = f'reset-address:{where}'[:300]
    if wait := auth.seconds_locked(address_key):
        return Asked(
            _('Too many requests from this address. Try again in {duration}.').format(duration=auth.duration(wait)),
            True,
        )
    auth.count_failure(address_key)  # every ask counts: the limit is on asking, not on failing
    email_key = f'reset-email:{email}'[:300]
    silenced = auth.seconds_locked(email_key) > 0
    auth.count_failure(email_key)
    token = secrets.token_urlsafe(32)
    with session_scope() as session:
        user = session.exec(select(User).where(func.lower(User.email) == email)).first() if email else None
        known = user is not None and user.is_active and not silenced
        session.add(
            PasswordReset(
                token_hash=_hash(token),
                user_id=user.id if known and user else None,
                requested_from=where[:64],
                expires_at=utcnow() + LIFETIME,
            )
        )
        link = f'{base_url}{PATH}?{urlencode({"token": token})}'
        if known and user is not None:
            with i18n.use(user.language):
                staff_mail.queue(
                    session,
                    user=user,
                    subject=_('Choose a new password'),
                    body=_(
                        'Someone (you, we hope) asked for a new password for your Backoffice account ({email}).\n\n'
                        'Choose it here; the link works once, for an hour:\n{link}\n\n'
                        'If you did not ask, ignore this email: your password stays as it is.'
                    ).format(email=user.email, link=link),
                )
            audit.record(
                session,
                user,
                'auth.reset_requested',
                'user',
                user.id,
                summary=sentence(N_('{email}: reset link sent to the email'), email=user.email),
            )
        else:  # the same write as for a known email, so the answer takes as long
            audit.record(
                session,
                None,
                'auth.reset_requested',
                'user',
                None,
                summary=sentence(N_('reset asked for an unknown email')),
            )
        session.commit()
    return Asked(_(SENT))


def email_link_from_admin(session: Session, *, user: User, admin: User, base_url: str) -> None:
    """Inside an admin's reset (services/users.send_password_reset): a link to choose a new password, emailed to the
    person in their language. It works once, for ADMIN_LIFETIME (they may not read their mail within the hour); every
    link sent before (an invitation, a "forgot password" link) stops working."""
    retire_links(session, user)
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            token_hash=_hash(token),
            user_id=user.id,
            requested_from=f'admin:{admin.id}'[:64],
            expires_at=utcnow() + ADMIN_LIFETIME,
        )
    )
    link = f'{base_url}{PATH}?{urlencode({"token": token})}'
    with i18n.use(user.language):
        staff_mail.queue(
            session,
            user=user,
            subject=_('Your Backoffice password was reset'),
            body=_(
                '{admin} reset the password of your Backoffice account ({email}): the old one no longer works, and '
                'you were signed out everywhere.\n\n'
                'Choose a new password here; the link works once, for 24 hours:\n{link}\n\n'
                'If you did not expect this, tell {admin}.'
            ).format(admin=admin.name or admin.email, email=user.email, link=link),
        )


@dataclass(frozen=True)
class Link:
    """What the set-password page says of a link: whose it is while it works, and whether it is an invitation (its
    page reads "Choose your password", and an expired one sends the reader to their admin)."""

    user: User | None
    invitation: bool


def mail_configured(session: Session) -> bool:
    """Whether the outbox can send: a mail server in the settings and a support address to send from."""
    return bool(get_settings().smtp_url and app_settings.value(session=session, key='support_email'))


def email_invitation(session: Session, *, user: User, admin: User, base_url: str) -> None:
    """Inside the add of a member of staff (or its resend): a link to choose their password, emailed in their
    language, working once for INVITATION_LIFETIME. Any earlier link of theirs stops working. Plain text and HTML
    (the shop's and the admin's names escaped there)."""
    retire_links(session, user)
    token = secrets.token_urlsafe(32)
    expires = utcnow() + INVITATION_LIFETIME
    session.add(
        PasswordReset(
            token_hash=_hash(token), user_id=user.id, requested_from=f'{INVITED}{admin.id}'[:64], expires_at=expires
        )
    )
    user.invited_until = expires
    session.add(user)
    link = f'{base_url}{PATH}?{urlencode({"token": token})}'
    shop = _one_line(app_settings.value(session=session, key='company_name') or '') or 'Backoffice'
    inviter = _one_line(admin.name or admin.email)
    with i18n.use(user.language):
        role = permissions.role_name(user.role)
        subject = _("{admin} invited you to {shop}'s back office").format(admin=inviter, shop=shop)
        intro = _(
            "{admin} invited you to {shop}'s back office as {role}. You sign in with this email address: {email}."
        )
        choose = _('Choose your password here; the link works once, for 72 hours:')
        later = _('If it has expired, ask {admin} to send the invitation again.')
        staff_mail.queue(
            session,
            user=user,
            subject=subject,
            body=(
                f'{intro.format(admin=inviter, shop=shop, role=role, email=user.email)}\n\n{choose}\n{link}\n\n'
                f'{later.format(admin=inviter)}'
            ),
            html=(
                f'<p>{html.escape(intro.format(admin=inviter, shop=shop, role=role, email=user.email))}</p>'
                f'<p>{html.escape(choose)}<br><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
                f'<p>{html.escape(later.format(admin=inviter))}</p>'
            ),
        )


def read_link(token: str | None) -> Link:
    """The set-password page's view of a link: its user while it works; an invitation or not, even once expired."""
    with session_scope() as session:
        row = _row(session, token)
        invitation = row is not None and row.requested_from.startswith(INVITED)
        valid = _valid_row(session, token)
        user = session.get(User, valid.user_id) if valid is not None and valid.user_id else None
        return Link(user if user is not None and user.is_active else None, invitation)


def user_of_link(token: str | None) -> User | None:
    """The user a valid (unused, unexpired) link is for, else None."""
    with session_scope() as session:
        row = _valid_row(session, token)
        return session.get(User, row.user_id) if row is not None and row.user_id else None


def reset_with_link(*, token: str, new: str, confirm: str) -> User:
    """Set the new password from a link: it then stops working, and every session of the account ends."""
    with session_scope() as session:
        row = _valid_row(session, token)
        user = session.get(User, row.user_id) if row is not None and row.user_id else None
        if row is None or user is None or not user.is_active:
            if (used := _row(session, token)) is not None and used.requested_from.startswith(INVITED):
                raise ValidationFailed({'': _(EXPIRED_INVITATION)})
            raise ValidationFailed({'': _('This link has expired or was already used. Ask for a new one.')})
        errors: dict[str, str] = {}
        if problem := password_problem(new, email=user.email, name=user.name):
            errors['new'] = problem
        if new != confirm:
            errors['confirm'] = _('The two passwords differ')
        if errors:
            raise ValidationFailed(errors)
        if not use_up(session, PasswordReset, row.id, utcnow()):  # another use of the link came first
            raise ValidationFailed({'': _('This link has expired or was already used. Ask for a new one.')})
        user.password_hash = auth.hash_password(new)
        user.password_changed_at = utcnow()
        user.invited_until = None  # a password of their own: no invitation pending any more
        user.session_epoch += 1
        ended = staff_sessions.end_rows(session, user_id=user.id or 0, reason='password reset by link')
        stamp(user)
        session.add(user)
        audit.record(
            session,
            user,
            'user.password_reset_by_link',
            'user',
            user.id,
            version=user.version,
            summary=sentence(N_('{email} chose a new password from a reset link'), email=user.email),
        )
        events.after_commit(
            session,
            Topic.sessions,
            {'user_id': user.id, 'epoch': user.session_epoch, 'session_ids': ended, 'all': True},
        )
        changes.commit(session, (Topic.users, {'id': user.id, 'action': 'password_reset'}))
        session.refresh(user)
        return user


def _row(session: Session, token: str | None) -> PasswordReset | None:
    if not token or len(token) > 100:
        return None
    return session.exec(select(PasswordReset).where(PasswordReset.token_hash == _hash(token))).first()


def retire_links(session: Session, user: User) -> None:
    """Every unused link of this user stops working (a resent invitation replaces the one sent before)."""
    for row in session.exec(
        select(PasswordReset).where(PasswordReset.user_id == user.id, col(PasswordReset.used_at).is_(None))
    ):
        row.used_at = utcnow()
        session.add(row)


def _one_line(text: str) -> str:
    """A name as one line of plain text (a subject, a sentence): no line breaks or runs of spaces."""
    return ' '.join(str(text).split())[:120]


def _valid_row(session: Session, token: str | None) -> PasswordReset | None:
    row = _row(session, token)
    if row is None or row.used_at is not None or row.user_id is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
    return row if expires > utcnow() else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
