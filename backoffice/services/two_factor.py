"""Two-factor sign-in for staff: enrolment (a secret confirmed by a code), ten one-time recovery codes, the second
step of a sign-in (throttled, never the same code twice), the roles that require it, and an admin's reset."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from backoffice import auth, changes, i18n, permissions, secret_box
from backoffice import two_factor as totp
from backoffice.changes import stamp
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import RecoveryCode, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, audit, notifications, staff_mail
from backoffice.stored_text import Sentence, sentence
from backoffice.validation import too_long

APP_CODE_MAX = totp.APP_CODE_MAX  # the fields that ask the app's code (enrolment, new recovery codes, turning off)
SIGN_IN_CODE_MAX = totp.SIGN_IN_CODE_MAX  # the sign-in's code field: the app's code or a recovery code


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment dialog shows: the QR code and the key to type by hand. The secret stays on the server
    (the dialog's own state) until a code confirms it."""

    secret: str
    uri: str
    qr_svg: str
    key: str


@dataclass(frozen=True)
class SecondStep:
    ok: bool
    message: str = ''
    used_recovery_code: bool = False
    retype: bool = True  # the code field is emptied for the next try; a code too long stays, its count in sight


def setting_key(user: User) -> str:
    return f'two_factor_{user.role}'  # a built-in role's setting (a custom role has its own flag: required())


def required(user: User) -> bool:
    """Whether this user's role must sign in with a second factor (the settings, read at most every few seconds)."""
    if not permissions.is_built_in(user.role):  # a custom role says it itself (the roles screen)
        return permissions.custom_role_requires_two_factor(user.role)
    key = setting_key(user)
    return key in app_settings.BY_KEY and bool(app_settings.cached(key))


def enrolled(user: User) -> bool:
    return bool(user.totp_secret and user.totp_enabled_at)


def must_enrol(user: User) -> bool:
    """A user whose role requires two-factor sign-in and who has not set it up: they see no page but the set-up."""
    return required(user) and not enrolled(user)


def begin_enrolment(*, actor: User) -> Enrolment:
    """A fresh secret to scan; nothing is stored until `confirm_enrolment`."""
    secret = totp.new_secret()
    company = app_settings.cached('company_name') or totp.ISSUER
    uri = totp.provisioning_uri(secret, actor.email, issuer=f'{company} Backoffice')
    return Enrolment(secret, uri, totp.qr_svg(uri), totp.grouped(secret))


def confirm_enrolment(*, session: Session, actor: User, secret: str, code: str) -> list[str]:
    """Turn two-factor sign-in on once a code from the app proves it holds the secret; returns the ten recovery codes,
    shown once (only their hashes are kept)."""
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise ValidationFailed({'': _('Your account is no longer active')})
    _within(code, APP_CODE_MAX)
    step = totp.matching_step(secret, code)
    if step is None:
        raise ValidationFailed({'code': _('This code does not match. Enter the 6 digits your app shows now.')})
    user.totp_secret = secret_box.encrypt(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    _save(
        session,
        user,
        user,
        'user.two_factor_enabled',
        sentence(N_('{email} turned on two-factor sign-in'), email=user.email),
    )
    return codes


def new_recovery_codes(*, session: Session, actor: User, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working), after a code from the app."""
    user = _enrolled_self(session, actor)
    _check_code_or_fail(session, user, code)
    codes = _replace_recovery_codes(session, user)
    _save(
        session,
        user,
        user,
        'user.recovery_codes_renewed',
        sentence(N_('{email} made new recovery codes'), email=user.email),
    )
    return codes


def turn_off(*, session: Session, actor: User, code: str) -> User:
    """Turn one's own two-factor sign-in off (not where the role requires it), after a code from the app."""
    user = _enrolled_self(session, actor)
    if required(user):
        raise ValidationFailed({'': _('Your role requires two-factor sign-in: it cannot be turned off.')})
    _check_code_or_fail(session, user, code)
    _clear(session, user)
    return _save(
        session,
        user,
        user,
        'user.two_factor_disabled',
        sentence(N_('{email} turned off two-factor sign-in'), email=user.email),
    )


def reset(*, session: Session, actor: User, user_id: int) -> User:
    """An admin removes a user's two-factor set-up (a lost phone): they sign in with their password alone, or set it
    up again at their next sign-in if their role requires it. Audited; the user is told by email and in the app."""
    require(actor, 'users.manage')
    user = session.get(User, user_id)
    if user is None:
        raise ValidationFailed({'': _('This user does not exist')})
    if permissions.beyond(actor, permissions.permissions_of(user.role)):
        raise ValidationFailed(
            {'': _("{email}'s role holds rights your own role does not: ask an admin").format(email=user.email)}
        )
    if not enrolled(user):
        raise ValidationFailed({'': _('This user has no two-factor sign-in to reset')})
    if user.id == actor.id:  # turning one's own off asks a code (turn_off): a borrowed open session must not skip it
        raise ValidationFailed(
            {'': _('To turn off your own two-factor sign-in, use "Security and sessions" in your user menu.')}
        )
    _clear(session, user)
    with i18n.use(user.language):
        notifications.notify(
            session,
            user_id=user.id or 0,
            text=_('{name} reset your two-factor sign-in. Set it up again from your user menu.').format(
                name=actor.name
            ),
            link='/account/security',
        )
        staff_mail.queue(
            session,
            user=user,
            subject=_('Your two-factor sign-in was reset'),
            body=_(
                '{name} ({email}) reset the two-factor sign-in of your Backoffice account. Your authenticator app '
                'and your recovery codes no longer work for it; set it up again under "Security and sessions" in '
                'your user menu.\n\nIf you did not ask for this, tell your administrator at once.'
            ).format(name=actor.name, email=actor.email),
        )
    return _save(
        session,
        actor,
        user,
        'user.two_factor_reset',
        sentence(N_('Two-factor sign-in of {email} reset'), email=user.email),
    )


def check_second_step(*, user_id: int, code: str) -> SecondStep:
    """The second step of a sign-in: a code from the app (a time step already used is refused) or an unused recovery
    code. Failures are throttled per account like passwords. Blocking (argon2): pages call it through run.io_bound."""
    throttle = f'totp:{user_id}'
    if wait := auth.seconds_locked(throttle):
        return SecondStep(False, auth.too_many_codes(wait))
    if len(code or '') > SIGN_IN_CODE_MAX:  # no code is that long: refused with its length, not counted as a guess
        return SecondStep(False, too_long(SIGN_IN_CODE_MAX, len(code)), retype=False)
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active or not enrolled(user):
            return SecondStep(False, _('This code does not match.'))
        used_recovery = False
        if totp.looks_like_recovery_code(code):
            used_recovery = _use_recovery_code(session, user, code)
            matched = used_recovery
        else:
            matched = _accept_code(user, code)
        if matched:
            audit.record(
                session,
                user,
                'auth.second_step',
                'user',
                user.id,
                summary=sentence(
                    N_('{email} passed the second step with a recovery code')
                    if used_recovery
                    else N_('{email} passed the second step'),
                    email=user.email,
                ),
            )
            session.add(user)
            session.commit()
    if matched:
        auth.forget_failures(throttle)
        return SecondStep(True, used_recovery_code=used_recovery)
    auth.count_failure(throttle)
    if wait := auth.seconds_locked(throttle):
        return SecondStep(False, auth.too_many_codes(wait))
    return SecondStep(False, _('This code does not match.'))


def unused_recovery_codes(user_id: int) -> int:
    with read_session() as session:
        return len(
            session.exec(
                select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None))
            ).all()
        )


# --- helpers ---------------------------------------------------------------------------------------------------------


def _accept_code(user: User, code: str) -> bool:
    step = totp.matching_step(secret_box.decrypt(user.totp_secret or ''), code, after_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    typed = totp.normalized_recovery_code(code)
    unused = session.exec(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None))
    ).all()
    for row in unused:
        if auth.verify_code(row.code_hash, typed):
            row.used_at = utcnow()
            session.add(row)
            return True
    return False


def _check_code_or_fail(session: Session, user: User, code: str) -> None:
    throttle = f'totp:{user.id}'
    if wait := auth.seconds_locked(throttle):
        raise ValidationFailed({'code': auth.too_many_codes(wait)})
    _within(code, APP_CODE_MAX)
    if not _accept_code(user, code):
        session.rollback()
        auth.count_failure(throttle)
        raise ValidationFailed({'code': _('This code does not match. Enter the 6 digits your app shows now.')})


def _within(code: str, maximum: int) -> None:
    """A code longer than its field takes is refused at the field with both figures, as the field counts them (the
    raw length: spaces too), never cut to fit nor counted as a wrong guess."""
    if len(code or '') > maximum:
        raise ValidationFailed({'code': too_long(maximum, len(code))})


def _enrolled_self(session: Session, actor: User) -> User:
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise ValidationFailed({'': _('Your account is no longer active')})
    if not enrolled(user):
        raise ValidationFailed({'': _('Two-factor sign-in is not turned on')})
    return user


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = totp.new_recovery_codes()
    for code in codes:
        session.add(RecoveryCode(user_id=user.id or 0, code_hash=auth.hash_code(totp.normalized_recovery_code(code))))
    return codes


def _clear(session: Session, user: User) -> None:
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)


def _save(session: Session, actor: User, user: User, action: str, summary: Sentence) -> User:
    stamp(user)
    session.add(user)
    audit.record(session, actor, action, 'user', user.id, version=user.version, summary=summary)
    changes.commit(session, (Topic.users, {'id': user.id, 'action': action.split('.')[1]}))
    return user
