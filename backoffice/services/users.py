"""Staff users: add, change role, deactivate and reactivate, reset and change passwords, preferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ValidationError, field_validator
from sqlmodel import Session, col, func, or_, select

from backoffice import auth, changes, i18n, permissions
from backoffice.changes import get_for_update, stamp
from backoffice.errors import ValidationFailed, field_errors
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import OPEN_STATUSES, Role, Ticket, User, utcnow
from backoffice.password_strength import password_problem
from backoffice.permissions import require
from backoffice.services import audit, password_reset, roles, staff_sessions
from backoffice.stored_text import Sentence, sentence
from backoffice.validation import clean_name, name_problem, normalize_email, normalize_staff_email


class UserCreate(BaseModel):
    email: str
    name: str
    role: str = Role.agent.value  # a built-in role or a custom role's key (checked against the roles table)
    password: str | None = None  # None: one is generated and shown once (or, with `invite`, none is made)
    # no password given: email them an invitation to choose their own instead of generating one (the /users form
    # asks it; over the API it is off unless sent, so a create still answers the generated password as `secret`)
    invite: bool = False

    @field_validator('email')
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_staff_email(value)  # intranet domains are fine for staff (someone@corp.local)

    @field_validator('name')
    @classmethod
    def _name(cls, value: str) -> str:
        value = (value or '').strip()
        if not value:
            raise ValueError(_('Enter a name'))
        return clean_name(value, maximum=120)


@dataclass(frozen=True)
class CreatedUser:
    user: User
    generated_password: str | None  # shown once to the admin, never stored in clear
    invited: bool = False  # emailed an invitation to choose their password (no password made known to anyone)
    no_mail: bool = False  # an invitation was asked but outbound mail is not set up: the password is shown instead


INVITATION_STATES = {'invited': N_('Invited, not signed in yet'), 'expired': N_('Invitation expired')}


def invitation_can_be_sent(session: Session, user: User) -> bool:
    """Whether "Send the invitation again" can succeed: an active account with an invitation pending (or expired) and
    outbound mail set up (what `resend_invitation` refuses otherwise, beside who may)."""
    return user.is_active and invitation_state(user) is not None and password_reset.mail_configured(session)


def invitation_state(user: User) -> str | None:
    """'invited' while their invitation link works, 'expired' once it no longer does, None when none is pending
    (they chose a password)."""
    if user.invited_until is None:
        return None
    until = user.invited_until if user.invited_until.tzinfo else user.invited_until.replace(tzinfo=utcnow().tzinfo)
    return 'invited' if until > utcnow() else 'expired'


def invitation_sent_at(user: User) -> datetime | None:
    """When their pending (or expired) invitation was last sent: its link's lifetime before it ends."""
    return user.invited_until - password_reset.INVITATION_LIFETIME if user.invited_until is not None else None


def list_users(*, session: Session, actor: User, search: str = '', active: bool | None = None) -> list[User]:
    require(actor, 'users.manage')
    statement = select(User).order_by(col(User.is_active).desc(), func.lower(User.name))
    if search.strip():
        pattern = f'%{search.strip().lower()}%'
        statement = statement.where(or_(func.lower(User.email).like(pattern), func.lower(User.name).like(pattern)))
    if active is not None:
        statement = statement.where(User.is_active == active)
    return list(session.exec(statement))


def create_user(
    *, session: Session, actor: User | None, data: dict, system: bool = False, base_url: str = ''
) -> CreatedUser:
    """Add a member of staff. `system=True` is for the first admin and the command line, which have no actor. With
    `invite` and no password, they are emailed a link to choose theirs (`base_url` the site's address); without
    outbound mail a password is generated and returned to show once, as without `invite`."""
    if not system:
        require(actor, 'users.manage')
    try:
        values = UserCreate.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(field_errors(error)) from None
    errors: dict[str, str] = {}
    if _email_taken(session, values.email):
        errors['email'] = _('A user with this email already exists')
    values.role = roles.resolve(session, values.role) or values.role
    if not roles.lock_role(session, values.role):
        errors['role'] = _('Choose one of the listed roles')
    elif not system and permissions.beyond(actor, permissions.permissions_of(values.role)):
        errors['role'] = _role_beyond_you()
    generated = None
    password = values.password
    invite = bool(values.invite and not password and actor is not None)
    no_mail = invite and not password_reset.mail_configured(session)
    invite = invite and not no_mail
    if invite:
        password = auth.generate_password()  # known to nobody: the invitation's link sets theirs
    elif not password:
        password = generated = auth.generate_password()
    elif problem := password_problem(password, email=values.email, name=values.name):
        errors['password'] = problem
    elif values.invite:  # both asked: which one was meant is not ours to guess
        errors['password'] = _('Leave it empty to email the invitation, or turn the invitation off')
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=values.email,
        name=values.name,
        role=values.role,
        password_hash=auth.hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    if invite and actor is not None:
        password_reset.email_invitation(session, user=user, admin=actor, base_url=base_url)
    audit.record(
        session,
        actor,
        'user.created',
        'user',
        user.id,
        version=user.version,
        changes=audit.diff({}, audit.snapshot(user)),
        summary=sentence(N_('Added {email} as {role}'), email=user.email, role=_role_in_log(user.role)),
    )
    changes.commit(session, (Topic.users, {'id': user.id, 'action': 'created'}))
    return CreatedUser(user, generated, invited=invite, no_mail=no_mail)


def resend_invitation(*, session: Session, actor: User, user_id: int, version: int, base_url: str) -> User:
    """Email a pending (or expired) invitation again: a new link for INVITATION_LIFETIME; the one sent before stops
    working."""
    require(actor, 'users.manage')
    user = get_for_update(session, User, user_id, version, entity='user')
    _within_reach(session, actor, user)
    if invitation_state(user) is None:
        session.rollback()
        raise ValidationFailed(
            {'': _('{email} already chose a password: there is no invitation to send again').format(email=user.email)}
        )
    if not password_reset.mail_configured(session):
        session.rollback()
        raise ValidationFailed({'': _(NO_MAIL)})
    before = audit.snapshot(user)
    password_reset.email_invitation(session, user=user, admin=actor, base_url=base_url)
    return _save(session, actor, user, before, 'user.invitation_sent')


# refused on one's own account (reset_password, send_password_reset): it signed this very browser out before the new
# password was shown (locked out, save for the command line), and it let whoever holds an admin's open session set a
# password without knowing the current one
OWN_PASSWORD = N_('To change your own password, use "Change password" in your user menu (it asks the current one).')
NO_MAIL_RESET = N_(
    'Outbound mail is not set up (a mail server and a support email address in the settings), so no link can be '
    'emailed.'
)
NO_MAIL = N_(
    'Outbound mail is not set up (a mail server and a support email address in the settings), so no invitation can '
    'be emailed.'
)


def update_user(
    *,
    session: Session,
    actor: User,
    user_id: int,
    version: int,
    name: str | None = None,
    role: Role | str | None = None,
) -> User:
    require(actor, 'users.manage')
    if role is not None:
        _lock_active_admins(session)
    user = get_for_update(session, User, user_id, version, entity='user')
    _within_reach(session, actor, user)
    before = audit.snapshot(user)
    errors: dict[str, str] = {}
    if name is not None:
        if not name.strip():
            errors['name'] = _('Enter a name')
        elif name_problem(name, maximum=120):
            errors['name'] = name_problem(name, maximum=120)
        else:
            user.name = name.strip()
    if role is not None:
        new_role = str(role)
        if not roles.lock_role(session, new_role):
            errors['role'] = _('Choose one of the listed roles')
        elif new_role != user.role and permissions.beyond(actor, permissions.permissions_of(new_role)):
            errors['role'] = _role_beyond_you()
        else:
            if user.role == Role.admin and new_role != Role.admin and _is_last_active_admin(session, user):
                errors['role'] = _('This is the last active admin; make someone else admin first')
            user.role = new_role
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    return _save(session, actor, user, before, 'user.updated')


def within_their_reach(user: User, actor: User) -> bool:
    """(record, actor), for the users resource's `changeable_by` and its actions' `for_actor`: a staff member whose role
    holds rights the actor's does not is refused to them (`_within_reach`), so their record opens read-only and nothing
    is offered on them (not Reactivate, not Send the invitation again)."""
    return within_reach(actor, user)


def on_someone_else(user: User, actor: User) -> bool:
    """Whether `user` is someone else within the actor's reach: deactivating or resetting the password of one's own
    account is refused (below), and so is anything on a role beyond the actor's, so it is offered only then."""
    return user.id != actor.id and within_reach(actor, user)


def set_active(*, session: Session, actor: User, user_id: int, version: int, active: bool) -> User:
    """Deactivating signs the user out everywhere and stops them signing in; reactivating lets them back in."""
    require(actor, 'users.manage')
    if not active:
        _lock_active_admins(session)
    user = get_for_update(session, User, user_id, version, entity='user')
    _within_reach(session, actor, user)
    if not active:
        if user.id == actor.id:
            raise ValidationFailed({'': _('You cannot deactivate your own account')})
        if user.role == Role.admin and _is_last_active_admin(session, user):
            raise ValidationFailed({'': _('This is the last active admin; make someone else admin first')})
    before = audit.snapshot(user)
    user.is_active = active
    handed_back: list[changes.Event] = []
    if not active:
        user.session_epoch += 1
        rows = staff_sessions.end_rows(session, user_id=user.id or 0, reason='deactivated')
        handed_back = _hand_back_open_requests(session, actor, user)
    ended = [] if active else [(Topic.sessions, {'user_id': user.id, 'epoch': user.session_epoch, 'session_ids': rows})]
    return _save(
        session, actor, user, before, 'user.reactivated' if active else 'user.deactivated', *ended, *handed_back
    )


def open_requests_of(*, session: Session, actor: User, user_id: int) -> int:
    """How many requests still to be answered (new, open, waiting) are assigned to this member of staff: what a
    deactivation hands back to the unassigned queue."""
    require(actor, 'users.manage')
    return session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.assignee_id == user_id, col(Ticket.status).in_(OPEN_STATUSES))
    ).one()


def _hand_back_open_requests(session: Session, actor: User, user: User) -> list[changes.Event]:
    """A deactivated agent's requests still to be answered go back to the unassigned queue, each audited: they stayed
    assigned to someone who could no longer sign in, out of every colleague's "mine" and "unassigned" views, while
    their SLA ran out. Solved and closed ones keep who answered them."""
    tickets = session.exec(
        select(Ticket)
        .where(Ticket.assignee_id == user.id, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.id))
        .with_for_update()
    ).all()
    events: list[changes.Event] = []
    for ticket in tickets:
        before = audit.snapshot(ticket)
        ticket.assignee_id = None
        stamp(ticket)
        session.add(ticket)
        audit.record(
            session,
            actor,
            'ticket.updated',
            'tickets',
            ticket.id,
            version=ticket.version,
            changes=audit.diff(before, audit.snapshot(ticket)),
            summary=sentence(
                N_('#{number} back to the unassigned queue: {email} was deactivated'),
                number=ticket.number,
                email=user.email,
            ),
        )
        events.append((Topic.tickets, {'id': ticket.id, 'action': 'updated'}))
    return events


def reset_password(
    *, session: Session, actor: User, user_id: int, version: int, new_password: str | None = None
) -> str:
    """Set a new password (or generate one, returned to show once) and sign the user out everywhere."""
    require(actor, 'users.manage')
    user = get_for_update(session, User, user_id, version, entity='user')
    _within_reach(session, actor, user)
    _not_own_password(session, actor, user)
    password = new_password or auth.generate_password()
    if new_password and (problem := password_problem(new_password, email=user.email, name=user.name)):
        raise ValidationFailed({'password': problem})
    before = audit.snapshot(user)
    user.password_hash = auth.hash_password(password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1
    user.invited_until = None  # a password given: no invitation pending any more
    rows = staff_sessions.end_rows(session, user_id=user.id or 0, reason='password reset')
    _save(
        session,
        actor,
        user,
        before,
        'user.password_reset',
        (Topic.sessions, {'user_id': user.id, 'epoch': user.session_epoch, 'session_ids': rows}),
    )
    return password


def send_password_reset(
    *, session: Session, actor: User, user_id: int, version: int, base_url: str
) -> tuple[User, str | None]:
    """An admin's reset from /users: the old password stops working, every session of the person ends, and they are
    emailed a link to choose a new one (once, within 24 hours). No password is shown to the admin, nor sent by mail.
    Without outbound mail (nothing would be sent: the link would wait in the outbox) a generated password is returned
    instead, to show the admin once, as adding a member of staff does; (the user, that password or None)."""
    require(actor, 'users.manage')
    user = get_for_update(session, User, user_id, version, entity='user')
    _within_reach(session, actor, user)
    _not_own_password(session, actor, user)
    before = audit.snapshot(user)
    mailed = password_reset.mail_configured(session)
    password = auth.generate_password()  # mailed: nobody knows it, the link sets the next one
    user.password_hash = auth.hash_password(password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1
    rows = staff_sessions.end_rows(session, user_id=user.id or 0, reason='password reset')
    if mailed:  # every link sent before stops working
        password_reset.email_link_from_admin(session, user=user, admin=actor, base_url=base_url)
    else:
        password_reset.retire_links(session, user)
    user.invited_until = None  # its link no longer works: no invitation pending (nor one to send again) any more
    saved = _save(
        session,
        actor,
        user,
        before,
        'user.password_reset',
        (Topic.sessions, {'user_id': user.id, 'epoch': user.session_epoch, 'session_ids': rows}),
    )
    return saved, None if mailed else password


def change_own_password(
    *,
    session: Session,
    actor: User,
    current: str,
    new: str,
    confirm: str,
    keep_session: str | None = None,
    keep_session_id: int | None = None,
) -> User:
    """The signed-in user changes their password; every other session ends, the one named `keep_session` (this
    browser's id; `keep_session_id`, its staff session) stays.

    Wrong current passwords are throttled like sign-ins, so an unattended session cannot be used to guess it."""
    throttle = f'password-check:{actor.id}'
    if wait := auth.too_many_wrong_passwords(throttle):  # checked before this session takes SQLite's write lock
        raise ValidationFailed({'current': wait})
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise ValidationFailed({'': _('Your account is no longer active')})
    errors: dict[str, str] = {}
    if not auth.verify_password(user.password_hash, current or ''):
        session.rollback()  # the count is written in its own transaction, which must not wait behind this one
        auth.count_failure(throttle)
        errors['current'] = auth.too_many_wrong_passwords(throttle) or _('This is not your current password')
    if problem := password_problem(new, email=user.email, name=user.name):
        errors['new'] = problem
    elif new == current:
        errors['new'] = _('Choose a password different from the current one')
    if new != confirm:
        errors['confirm'] = _('The two passwords differ')
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(user)
    user.password_hash = auth.hash_password(new)
    user.password_changed_at = utcnow()
    user.session_epoch += 1
    staff_sessions.end_rows(session, user_id=user.id or 0, reason='password changed', keep=keep_session_id)
    saved = _save(
        session,
        user,
        user,
        before,
        'user.password_changed',
        (Topic.sessions, {'user_id': user.id, 'epoch': user.session_epoch, 'keep': keep_session}),
    )
    auth.forget_failures(throttle)
    return saved


def set_dark_mode(*, session: Session, actor: User, dark: bool) -> None:
    """A personal preference: no version check, no audit entry."""
    user = session.get(User, actor.id)
    if user is not None:
        user.dark_mode = dark
        session.add(user)
        session.commit()


def set_language(*, session: Session, actor: User, language: str | None) -> User:
    """A personal preference like dark mode (no version check, no audit entry): the language of this user's screens;
    None follows the settings' default language."""
    code = i18n.supported(language) if language else None
    if language and code is None:
        raise ValidationFailed({'language': _('Choose one of the listed languages')})
    user = session.get(User, actor.id)
    if user is None:
        raise ValidationFailed({'': _('Your account is no longer active')})
    user.language = code
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def count_users(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def get_user(*, session: Session, actor: User, user_id: int) -> User | None:
    require(actor, 'users.manage')
    return session.get(User, user_id)


def _save(session: Session, actor: User, user: User, before: dict, action: str, *also: changes.Event) -> User:
    stamp(user)
    session.add(user)
    diff = audit.diff(before, audit.snapshot(user))
    audit.record(
        session,
        actor,
        action,
        'user',
        user.id,
        changes=diff,
        version=user.version,
        summary=_summary(action, user.email),
    )
    changes.commit(session, (Topic.users, {'id': user.id, 'action': action.split('.')[1]}), *also)
    return user


def _role_beyond_you() -> str:
    return _('Your own role does not hold every right of this role: ask someone who does (an admin)')


def within_reach(actor: User, user: User) -> bool:
    """Whether the actor holds every right of this staff member's role (and so may change, deactivate or reset them)."""
    return not permissions.beyond(actor, permissions.permissions_of(user.role))


def _within_reach(session: Session, actor: User, user: User) -> None:
    if not within_reach(actor, user):
        session.rollback()
        raise ValidationFailed({'': _beyond_reach_message(user)})


def _not_own_password(session: Session, actor: User, user: User) -> None:
    if user.id == actor.id:
        session.rollback()
        raise ValidationFailed({'': _(OWN_PASSWORD)})


def _beyond_reach_message(user: User) -> str:
    return _("{email}'s role holds rights your own role does not: ask an admin").format(email=user.email)


def _role_in_log(role: str) -> str:
    """A built-in role by its key, as the log always said it ('admin'); a custom role by its name."""
    return role if permissions.is_built_in(role) else permissions.role_name(role)


def _email_taken(session: Session, email: str) -> bool:
    return session.exec(select(User.id).where(func.lower(User.email) == email)).first() is not None


def _lock_active_admins(session: Session) -> None:
    """Lock every active admin, always in id order, before a change that may remove one: two admins deactivating
    each other then run one after the other (the second is told it would remove the last admin) instead of
    deadlocking on PostgreSQL. SQLite's BEGIN IMMEDIATE already serialises writers."""
    if session.bind.dialect.name == 'sqlite':
        return
    admins = select(User.id).where(User.role == Role.admin, col(User.is_active).is_(True)).order_by(User.id)
    session.exec(admins.with_for_update()).all()


def _is_last_active_admin(session: Session, user: User) -> bool:
    others = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, col(User.is_active).is_(True), User.id != user.id)
    )
    return session.exec(others).one() == 0


__all__ = [
    'CreatedUser',
    'UserCreate',
    'change_own_password',
    'count_users',
    'create_user',
    'list_users',
    'normalize_email',
    'password_problem',
    'reset_password',
    'set_active',
    'set_dark_mode',
    'set_language',
    'update_user',
]


USER_SUMMARIES = {
    'user.updated': N_('Updated: {email}'),
    'user.reactivated': N_('Reactivated: {email}'),
    'user.deactivated': N_('Deactivated: {email}'),
    'user.password_reset': N_('Password reset: {email}'),
    'user.password_changed': N_('Password changed: {email}'),
    'user.invitation_sent': N_('Invitation sent again: {email}'),
}


def _summary(action: str, email: str) -> Sentence | str:
    """'Deactivated: jo@example.com', to be read in each reader's language."""
    if action in USER_SUMMARIES:
        return sentence(USER_SUMMARIES[action], email=email)
    return f'{action.split(".")[1].replace("_", " ").capitalize()}: {email}'
