"""Signing in to the customer portal: staff invite a customer, a customer asks for a one-time link or uses the password
they set; throttled, argon2id and session rows as for staff (auth.py, staff_sessions.py); banned customers stay out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from backoffice import auth, i18n
from backoffice.db import one_at_a_time, read_session, session_scope, use_up
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import Customer, CustomerStatus, PortalAccount, PortalLink, PortalSession, User, utcnow
from backoffice.password_strength import password_problem
from backoffice.permissions import require
from backoffice.services import app_settings, audit, portal_scope, staff_mail, staff_sessions
from backoffice.services.portal_scope import PortalActor
from backoffice.stored_text import sentence

INVITATION_LIFETIME = timedelta(days=7)
LINK_LIFETIME = timedelta(minutes=30)
LINK_PATH = '/portal/link'
SENT = N_('If this email has an account with us, a sign-in link is on its way. It works once, for 30 minutes.')
BAD_LINK = N_('This sign-in link does not work any more. Ask for a new one below.')


@dataclass(frozen=True)
class Entry:
    """A customer let in: whose browser session to start, at which epoch."""

    customer_id: int
    epoch: int


@dataclass(frozen=True)
class Answer:
    message: str
    entry: Entry | None = None
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.entry is not None


# --- staff: invitations -----------------------------------------------------------------------------------------------


def invite(*, session: Session, actor: User, customer_id: int, base_url: str) -> PortalAccount:
    """Invite a customer to the portal, or send the invitation again: a link that works once, for 7 days, by email in
    their language. A banned customer, or one in the trash, is refused."""
    require(actor, 'customers.write')
    customer = session.get(Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        raise NotFound(_('This customer no longer exists.'))
    if customer.status == CustomerStatus.banned:
        raise ValidationFailed({'': _('This customer is banned: they cannot be invited to the portal.')})
    again = queue_invitation(session, customer, invited_by=actor.id, base_url=base_url)
    said = N_('Invited {email} to the customer portal again') if again else N_('Invited {email} to the customer portal')
    audit.record(
        session, actor, 'portal.invited', 'customers', customer.id, summary=sentence(said, email=customer.email)
    )
    session.commit()
    return account_of(session, customer.id or 0)


def queue_invitation(
    session: Session,
    customer: Customer,
    *,
    invited_by: int | None,
    base_url: str,
    company: str = '',
    inviter: str = '',
    to_accept: bool = False,
) -> bool:
    """Inside the caller's transaction: a one-time link for 7 days, emailed in the customer's language (a company's
    invitation says who invites them to which company). Returns whether they had been invited before."""
    account = account_of(session, customer.id or 0)
    again = account.invited_at is not None
    account.invited_at, account.invited_by = utcnow(), invited_by
    session.add(account)
    token = _new_link(session, customer, 'invitation', INVITATION_LIFETIME, '')
    shop = app_settings.value(session=session, key='company_name')
    with i18n.use(customer.language):
        if company:
            opening = _(
                '{inviter} invites you to the account of {company} at {shop}: its orders, invoices and requests '
                'in one place.'
            ).format(inviter=inviter or shop, company=company, shop=shop)
            if to_accept:  # a company admin's invitation: nothing is shared until they say yes
                opening += '\n\n' + _(
                    'Once signed in, you accept or decline it. If you accept, the company sees the orders and requests '
                    'you make from then on; those you made before stay yours.'
                )
        else:
            opening = _(
                '{shop} invites you to your customer account: your orders, invoices and requests in one place.'
            ).format(shop=shop)
        staff_mail.queue_to(
            session,
            address=customer.email,
            subject=_('Your account at {shop}').format(shop=shop),
            body=_(
                'Hello {name},\n\n{opening}\n\nOpen it with this link (it works once, for 7 days):\n{link}\n\n'
                'Later, sign in at {portal} with a link sent to this email, or with a password you choose.'
            ).format(
                name=customer.name or customer.email,
                opening=opening,
                link=link_url(base_url, token),
                portal=f'{base_url}/portal',
            ),
        )
    return again


def invitation_of(*, session: Session, actor: User, customer_id: int) -> PortalAccount | None:
    """The customer's portal account, if they were invited or signed in (the customer page shows when)."""
    require(actor, 'customers.read')
    return session.exec(select(PortalAccount).where(PortalAccount.customer_id == customer_id)).first()


def not_invitable(*, session: Session, actor: User, customer_id: int) -> str:
    """Why this customer cannot be invited to the portal now ('' when they can): the refusal `invite` would give, said
    on their page in place of the button."""
    require(actor, 'customers.read')
    customer = session.get(Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        return _('This customer no longer exists.')
    if customer.status == CustomerStatus.banned:
        return _('This customer is banned: they cannot be invited to the portal.')
    return ''


# --- customers: signing in --------------------------------------------------------------------------------------------


def request_link(*, email: str, address: str | None, base_url: str) -> Answer:
    """Email a one-time sign-in link to the customer with this email, if there is one (not banned, not in the trash).
    The answer and the work are the same either way; asking is throttled per address and per email."""
    where = address or 'unknown'
    email = (email or '').strip().lower()[:254]
    address_key = f'reset-address:portal {where}'[:300]
    if wait := auth.seconds_locked(address_key):
        return Answer(
            _('Too many requests from this address. Try again in {duration}.').format(duration=auth.duration(wait)),
            refused=True,
        )
    auth.count_failure(address_key)  # every ask counts: the limit is on asking
    email_key = f'reset-email:portal {email}'[:300]
    silenced = auth.seconds_locked(email_key) > 0
    auth.count_failure(email_key)
    with session_scope() as session:
        customer = _customer_by_email(session, email)
        if customer is not None and not silenced and _may_enter(customer):
            token = _new_link(session, customer, 'sign-in', LINK_LIFETIME, where)
            shop = app_settings.value(session=session, key='company_name')
            with i18n.use(customer.language):
                staff_mail.queue_to(
                    session,
                    address=customer.email,
                    subject=_('Your sign-in link for {shop}').format(shop=shop),
                    body=_(
                        'Here is your link to sign in to your account at {shop} (it works once, for 30 minutes):\n'
                        '{link}\n\nIf you did not ask for it, ignore this email.'
                    ).format(shop=shop, link=link_url(base_url, token)),
                )
        session.commit()
    return Answer(_(SENT))


def link_language(*, token: str) -> str | None:
    """The language of the customer a one-time link was made for, without using it up: the page it opens speaks it
    (the invitation was in their language; the browser's may be another). None for a link that is not one."""
    if not token or len(token) > 100:
        return None
    with read_session() as session:
        found = session.exec(
            select(Customer.language)
            .join(PortalLink, col(PortalLink.customer_id) == Customer.id)
            .where(PortalLink.token_hash == _hash(token))
        ).first()
    return found or None


def open_link(*, token: str) -> Answer:
    """The customer a one-time link lets in (it is used up), or the reason it does not."""
    refused = Answer(_(BAD_LINK))
    if not token or len(token) > 100:
        return refused
    with session_scope() as session:
        link = session.exec(select(PortalLink).where(PortalLink.token_hash == _hash(token))).first()
        if link is None or link.used_at is not None or _aware(link.expires_at) < utcnow():
            return refused
        if not use_up(session, PortalLink, link.id, utcnow()):  # another use of it came first
            return refused
        customer = session.get(Customer, link.customer_id)
        if customer is None or not _may_enter(customer):
            session.commit()
            return Answer(_(BANNED) if customer is not None and _banned(customer) else _(BAD_LINK))
        entry = _entered(session, customer, N_('{email} signed in to the portal with a one-time link'))
        session.commit()
        return Answer('', entry)


BANNED = N_('This account is closed. Contact us if you think this is a mistake.')


def sign_in(*, email: str, password: str, address: str | None) -> Answer:
    """Email and password, throttled as the staff's sign-in is (the same keys' limits and doubling locks); an unknown
    email costs the same argon2 work. Blocking: pages call it through `run.io_bound`."""
    email = (email or '').strip().lower()[:254]
    where = address or 'unknown'
    keys = [f'pair:{where} portal {email}'[:300], f'address:{where}']
    if wait := max(auth.seconds_locked(key) for key in keys):
        return Answer(_('Too many failed sign-ins. Try again in {duration}.').format(duration=auth.duration(wait)))
    with session_scope() as session:
        customer = _customer_by_email(session, email) if email else None
        account = _account(session, customer.id or 0) if customer is not None else None
        if account is None or not account.password_hash:
            auth._burn_time_like_a_verify(password)  # noqa: SLF001  (the same work as a known email)
        elif auth.verify_password(account.password_hash, password) and customer is not None:
            if not _may_enter(customer):
                return Answer(_(BANNED))
            if auth.needs_rehash(account.password_hash):
                account.password_hash = auth.hash_password(password)
            entry = _entered(session, customer, N_('{email} signed in to the portal with their password'))
            session.commit()
            auth.forget_failures(keys[0])
            return Answer('', entry)
    for key in keys:
        auth.count_failure(key)
    if wait := max(auth.seconds_locked(key) for key in keys):
        message = _('Email or password is incorrect. Too many failed sign-ins: try again in {duration}.')
        return Answer(message.format(duration=auth.duration(wait)))
    return Answer(_(auth.WRONG_CREDENTIALS))


def has_password(*, session: Session, customer_id: int) -> bool:
    """Whether the customer chose a password (their account page says so, and that a new one replaces it)."""
    account = _account(session, customer_id)
    return account is not None and bool(account.password_hash)


def set_password(*, session: Session, customer_id: int, password: str, keep_session_id: int | None) -> None:
    """The customer chooses (or changes) their password; every other browser signed in as them is signed out."""
    customer = session.get(Customer, customer_id)
    if customer is None or not _may_enter(customer):
        raise NotFound(_(BANNED))
    if problem := password_problem(password, email=customer.email, name=customer.name):
        raise ValidationFailed({'password': problem})
    account = account_of(session, customer_id)
    account.password_hash = auth.hash_password(password)
    session.add(account)
    _end_rows(session, customer_id, 'password changed', keep=keep_session_id)
    audit.record(
        session,
        None,
        'portal.password_set',
        'customers',
        customer_id,
        summary=sentence(N_('{email} set a portal password'), email=customer.email),
    )
    session.commit()


# --- sessions ---------------------------------------------------------------------------------------------------------


def start_session(session: Session, *, customer_id: int, user_agent: str, address: str) -> staff_sessions.Started:
    """A row for this signed-in browser (its key's sha256 only), committed here."""
    key = secrets.token_urlsafe(32)
    row = PortalSession(
        key=staff_sessions.hash_key(key),
        customer_id=customer_id,
        device=staff_sessions.device_of(user_agent),
        address=(address or '')[:64],
    )
    session.add(row)
    session.commit()
    return staff_sessions.Started(key, row.id or 0)


def signed_in_customer(customer_id: int | None, epoch: int | None, key: str | None) -> Customer | None:
    """The customer a browser's portal session belongs to, or None once it ended: signed out, banned, in the trash,
    their epoch moved on, or its session row ended."""
    if not customer_id or not key:
        return None
    with read_session() as session:
        customer = session.get(Customer, customer_id)
        account = _account(session, customer_id)
        if customer is None or account is None or account.session_epoch != epoch or not _may_enter(customer):
            return None
        row = session.exec(select(PortalSession).where(PortalSession.key == staff_sessions.hash_key(key))).first()
        if row is None or row.customer_id != customer_id or row.ended_at is not None:
            return None
        session.expunge(customer)
        return customer


def signed_in_actor(customer_id: int | None, epoch: int | None, key: str | None) -> PortalActor | None:
    """`signed_in_customer` as the portal's actor, with their company and role as they stand now (a member removed or
    demoted a moment ago acts without them at their very next page or action)."""
    customer = signed_in_customer(customer_id, epoch, key)
    if customer is None:
        return None
    with read_session() as session:
        return portal_scope.actor_of(session, customer)


def touch(session_id: int) -> None:
    """The session's "last seen", at most once a minute, and the customer's with it (the segments' "Not seen for"
    counts portal visits)."""
    with session_scope() as session:
        row = session.get(PortalSession, session_id)
        if row is not None and row.ended_at is None and utcnow() - _aware(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = utcnow()
            session.add(row)
            _seen(session, row.customer_id)
            session.commit()


def _seen(session: Session, customer_id: int) -> None:
    """The customer's "last seen" is now: one narrow UPDATE (their record's version untouched: nobody edited it)."""
    session.execute(update(Customer).where(col(Customer.id) == customer_id).values(last_seen_at=utcnow()))


TOUCH_EVERY = staff_sessions.TOUCH_EVERY


def sign_out(*, customer_id: int, key: str | None) -> None:
    """End this browser's portal session."""
    if not key:
        return
    with session_scope() as session:
        row = session.exec(select(PortalSession).where(PortalSession.key == staff_sessions.hash_key(key))).first()
        if row is not None and row.customer_id == customer_id and row.ended_at is None:
            row.ended_at, row.ended_reason = utcnow(), 'signed out'
            session.add(row)
        session.commit()


def account_of(session: Session, customer_id: int) -> PortalAccount:
    """The customer's portal account, made on first need (inside the caller's transaction)."""
    account = _account(session, customer_id)
    if account is None:  # two first needs at once (two invitations, a link asked twice) take turns: one is made
        one_at_a_time(session, f'portal_account:{customer_id}')
        account = _account(session, customer_id)
    if account is None:
        account = PortalAccount(customer_id=customer_id)
        session.add(account)
        session.flush()
    return account


def link_url(base_url: str, token: str) -> str:
    return f'{base_url}{LINK_PATH}?{urlencode({"token": token})}'


# --- helpers ----------------------------------------------------------------------------------------------------------


def _account(session: Session, customer_id: int) -> PortalAccount | None:
    return session.exec(select(PortalAccount).where(PortalAccount.customer_id == customer_id)).first()


def _customer_by_email(session: Session, email: str) -> Customer | None:
    return session.exec(select(Customer).where(func.lower(Customer.email) == email)).first() if email else None


def _banned(customer: Customer) -> bool:
    return customer.status == CustomerStatus.banned


def _may_enter(customer: Customer) -> bool:
    return not _banned(customer) and customer.deleted_at is None


def _entered(session: Session, customer: Customer, said: str) -> Entry:
    account = account_of(session, customer.id or 0)
    account.last_login_at = utcnow()
    session.add(account)
    _seen(session, customer.id or 0)  # signing in to the portal is a visit: "Not seen for" ignored it
    audit.record(
        session, None, 'portal.signed_in', 'customers', customer.id, summary=sentence(said, email=customer.email)
    )
    return Entry(customer.id or 0, account.session_epoch)


def _new_link(session: Session, customer: Customer, purpose: str, lifetime: timedelta, where: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        PortalLink(
            token_hash=_hash(token),
            customer_id=customer.id or 0,
            purpose=purpose,
            requested_from=where[:64],
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def _end_rows(session: Session, customer_id: int, reason: str, *, keep: int | None = None) -> None:
    statement = select(PortalSession).where(
        PortalSession.customer_id == customer_id, col(PortalSession.ended_at).is_(None)
    )
    if keep is not None:
        statement = statement.where(PortalSession.id != keep)
    for row in session.exec(statement):
        row.ended_at, row.ended_reason = utcnow(), reason
        session.add(row)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
