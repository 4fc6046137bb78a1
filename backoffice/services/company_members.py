"""A company's members in the customer portal (B2B) and their roles: staff manage them from the company page
(`customers.write`), a company admin from the portal's Company tab. Invite, change a role, remove, resend the
invitation; a company always keeps one admin; audited.

A company admin's invitation waits for the person: signed in (the emailed link), they see who invites them to which
company and accept or decline it. Until they accept they are nothing of the company (they see none of its records,
it sees none of theirs); once they accept, the company sees what they order and ask from then on, never before, and
not after they are removed. Staff's invitations count at once: the shop vouches for them.

Asked again after being removed, a person shares nothing more while the invitation waits (the company still sees what
they did while a member, nothing later) and, once they accept (or staff add them back), from then on only: the time
in between is never the company's. Every period counts: the member's row holds the current one, and the earlier ones
are kept (`CompanyMemberPeriod`) as they join again, so what they did in each stays the company's.

A company admin's invitation answers the same for any email that is no other company's contact — a new one, a
private customer's, a banned customer's or a trashed one's — so none tells who is known to the shop; a banned or
trashed customer's waits in the list like any other, but no link is sent and they cannot sign in to accept it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, event, inspect, literal
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased, object_session
from sqlmodel import Session, and_, col, func, not_, or_, select

from backoffice import changes, events, formatting, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed, typed_at
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import (
    AuditEntry,
    Company,
    CompanyMember,
    CompanyMemberPeriod,
    CompanyRole,
    Customer,
    CustomerStatus,
    PortalAccount,
    User,
    utcnow,
)
from backoffice.permissions import require
from backoffice.services import audit, customers, portal_access
from backoffice.services import portal_scope as scope
from backoffice.services.portal_scope import PortalActor
from backoffice.stored_text import Sentence, sentence, word
from backoffice.validation import normalize_email

ROLE_NAMES = {
    CompanyRole.admin: N_('Company admin'),
    CompanyRole.buyer: N_('Buyer'),
    CompanyRole.viewer: N_('Viewer'),
}
ROLE_HELP = {
    CompanyRole.admin: N_('Invites and removes colleagues; sees all the orders, invoices and requests of the company'),
    CompanyRole.buyer: N_("Sees their own and the company's orders and requests; asks, answers and starts returns"),
    CompanyRole.viewer: N_("Reads the company's orders and requests; changes nothing"),
}
CANNOT_INVITE = N_('This email cannot be invited from here: ask us to add it to your company.')
LAST_ADMIN = N_('{name} is the last company admin of {company}: make another member company admin first.')
ONLY_ADMINS = N_('Only a company admin can manage the members of the company.')

Acting = User | PortalActor  # a member of staff, or a company admin in the portal


@dataclass(frozen=True)
class Member:
    id: int
    version: int
    customer_id: int
    email: str
    name: str
    role: CompanyRole
    invited_at: datetime | None
    last_login_at: datetime | None
    banned: bool
    pending: bool = False  # invited by a company admin, not accepted yet
    invited_by: str = ''
    # staff only, from the company's log: how this admin came to be one when no person chose it (see admin_notes)
    took_over: str = ''  # made company admin automatically: when, and why
    replaced: str = ''  # replaced automatically while banned or in the trash, yet still company admin


@dataclass(frozen=True)
class Invitation:
    """A company's invitation waiting for the signed-in customer's answer."""

    member_id: int
    version: int
    company: str
    role: CompanyRole
    invited_by: str
    invited_at: datetime | None


def members(*, session: Session, by: Acting, company_id: int) -> list[Member]:
    """The company's members, admins first, then by name."""
    _company(session, by, company_id, write=False)
    rows = session.exec(
        select(CompanyMember, Customer, PortalAccount)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .join(PortalAccount, col(PortalAccount.customer_id) == CompanyMember.customer_id, isouter=True)
        .where(
            CompanyMember.company_id == company_id,
            or_(Customer.company_id == company_id, col(CompanyMember.accepted_at).is_(None)),
            _open(),
            # a company admin's pending invitation is listed to them whatever became of the customer (see invite)
            or_(col(Customer.deleted_at).is_(None), col(CompanyMember.accepted_at).is_(None)),
        )
    ).all()
    order = {CompanyRole.admin: 0, CompanyRole.buyer: 1, CompanyRole.viewer: 2}
    found = [
        _shown(member, customer, account, told=isinstance(by, User) or member.accepted_at is not None)
        for member, customer, account in rows
    ]
    if isinstance(by, User):
        found = admin_notes(session, company_id, found)
    return sorted(found, key=lambda m: (m.pending, order[m.role], (m.name or m.email).lower(), m.id))


RESENT = N_('{who} sent {email} the invitation to {company} again')
# the log entries on a company that set a member's role (a resend names them too, and sets nothing)
ROLE_SET = ('company.admin_promoted', 'company.member_role_changed', 'company.member_invited', 'company.member_joined')


def admin_notes(session: Session, company_id: int, found: list[Member]) -> list[Member]:
    """Staff's members with what the company's log says of the admins nobody chose: one made company admin
    automatically (keep_an_admin: when, and why) and still so, and one replaced so while banned or in the trash who
    still holds the role. Since replaced admins became buyers (after_contact_change), the second is only a company
    repaired before that, whose former admin came back, or will come back, as a second company admin: whether the
    company keeps both is staff's decision (the log proves what the automation did, not what the company wants now,
    and the returned admin may have managed the company since), so it is said on their row, not undone."""
    admins = {m.email.lower(): m for m in found if m.role == CompanyRole.admin and not m.pending}
    if not admins:
        return found
    entries = session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.entity == 'companies',
            AuditEntry.entity_id == str(company_id),
            col(AuditEntry.action).in_(ROLE_SET),
        )
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    ).all()
    last: dict[str, AuditEntry] = {}  # the latest entry that set each person's role, by email
    for entry in entries:
        named = _named(entry)
        inner = (entry.summary_params or {}).get('said')
        resent = RESENT in (entry.summary_key, inner.get('key') if isinstance(inner, dict) else None)
        if named and not resent:
            last[named] = entry
    notes: dict[str, dict[str, str]] = {}
    for entry in entries:
        if entry.action != 'company.admin_promoted':
            continue
        params = entry.summary_params or {}
        why = params.get('why') if isinstance(params.get('why'), dict) else None
        promoted = _named(entry)
        if promoted in admins and last.get(promoted) is entry:
            notes.setdefault(promoted, {})['took_over'] = _('Company admin automatically since {when}: {why}').format(
                when=formatting.when(entry.at),
                why=stored_text.show('', why['key'], why.get('params')) if why and why.get('key') else _(ERASED),
            )
        if not why or why.get('key') not in (LEFT_BECAUSE['banned'], LEFT_BECAUSE['trashed']):
            continue
        left = str((why.get('params') or {}).get('email', '')).lower()
        if left in admins and promoted in admins and left != promoted and _not_after(last.get(left), entry):
            notes.setdefault(left, {})['replaced'] = _(
                '{admin} took over as company admin automatically on {when} ({why}), yet {name} kept the role: '
                'replaced before replaced admins became buyers. Make one of them a buyer unless the company keeps '
                'both.'
            ).format(
                admin=admins[promoted].name or admins[promoted].email,
                when=formatting.when(entry.at),
                why=stored_text.show('', why['key'], why.get('params')),
                name=admins[left].name or admins[left].email,
            )
    said = {email: (note.get('took_over', ''), note.get('replaced', '')) for email, note in notes.items()}
    return [
        replace(m, took_over=said[m.email.lower()][0], replaced=said[m.email.lower()][1])
        if m.email.lower() in said
        else m
        for m in found
    ]


ERASED = N_("its last admin's personal data was erased")


def replaced_admin_kept() -> ColumnElement[bool]:
    """The companies admin_notes marks `replaced` (the companies list's filter, its exports and /api/v1): an admin
    replaced automatically while banned or in the trash, before replaced admins became buyers, who still holds the
    role beside the member who took over, and whose role no entry set again since. Read by the company log's index
    (entity, entity_id), per company listed."""
    promoted_entry = aliased(AuditEntry)
    params: Any = promoted_entry.summary_params  # a JSON column: indexed by a path, read as text
    left = func.lower(params[('why', 'params', 'email')].as_string())
    promoted = func.lower(params['email'].as_string())
    company_key = cast(Company.id, String)
    later = aliased(AuditEntry)
    said: Any = later.summary_params
    named = func.lower(func.coalesce(said['email'].as_string(), said[('said', 'params', 'email')].as_string()))
    set_again = (
        select(literal(1))
        .where(
            later.entity == 'companies',
            later.entity_id == company_key,
            col(later.action).in_(ROLE_SET),
            named == left,
            func.coalesce(later.summary_key, '') != RESENT,
            func.coalesce(said[('said', 'key')].as_string(), '') != RESENT,
            or_(
                col(later.at) > col(promoted_entry.at),
                and_(col(later.at) == col(promoted_entry.at), col(later.id) > col(promoted_entry.id)),
            ),
        )
        .exists()
    )
    return (
        select(literal(1))
        .where(
            promoted_entry.entity == 'companies',
            promoted_entry.entity_id == company_key,
            promoted_entry.action == 'company.admin_promoted',
            params[('why', 'key')].as_string().in_([LEFT_BECAUSE['banned'], LEFT_BECAUSE['trashed']]),
            left != promoted,
            _listed_admin(left),
            _listed_admin(promoted),
            not_(set_again),
        )
        .exists()
    )


def _listed_admin(email: Any) -> ColumnElement[bool]:
    """The company (the list's row) has this email among the admins its members list shows (see members)."""
    return (
        select(literal(1))
        .select_from(CompanyMember)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .where(
            CompanyMember.company_id == Company.id,
            Customer.company_id == Company.id,
            CompanyMember.role == CompanyRole.admin,
            col(CompanyMember.accepted_at).is_not(None),
            col(CompanyMember.ended_at).is_(None),
            col(Customer.deleted_at).is_(None),
            func.lower(Customer.email) == email,
        )
        .exists()
    )


def _named(entry: AuditEntry) -> str:
    """Whose role a company's log entry set (its `email`; one said with "no link sent" holds it one level down)."""
    params = entry.summary_params or {}
    inner = params.get('said')
    if 'email' not in params and isinstance(inner, dict) and isinstance(inner.get('params'), dict):
        params = inner['params']
    return str(params.get('email') or '').lower()


def _not_after(entry: AuditEntry | None, than: AuditEntry) -> bool:
    """Was this entry (None: none) written before `than`?"""
    return entry is None or (entry.at, entry.id or 0) < (than.at, than.id or 0)


@dataclass(frozen=True)
class Removal:
    """The last membership that ended: whose, when, and who ended it ('' when the log does not say)."""

    email: str
    at: datetime
    by: str


def nobody_said(*, session: Session, by: Acting, company_id: int) -> str:
    """What an empty list of members says: nobody uses the portal yet, or nobody any more (the last member removed:
    who and when), never "yet" for a company whose members were all removed."""
    _company(session, by, company_id, write=False)
    removal = last_removal(session, company_id)
    if removal is None:
        return _('Nobody of this company uses the portal yet.')
    if removal.by:
        return _(
            'Nobody of this company uses the portal any more: {who} removed the last member, {email}, on {when}.'
        ).format(who=removal.by, email=removal.email, when=formatting.when(removal.at))
    return _(
        'Nobody of this company uses the portal any more: the last member, {email}, was removed on {when}.'
    ).format(email=removal.email, when=formatting.when(removal.at))


def last_removal(session: Session, company_id: int) -> Removal | None:
    """The company's last ended membership (None: none ever ended), with who removed it, from the company's log."""
    found = session.exec(
        select(CompanyMember, Customer)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .where(CompanyMember.company_id == company_id, col(CompanyMember.ended_at).is_not(None))
        .order_by(col(CompanyMember.ended_at).desc(), col(CompanyMember.id).desc())
    ).first()
    if found is None:
        return None
    member, customer = found
    ended = member.ended_at
    if ended is None:
        return None
    logged = session.exec(
        select(AuditEntry.summary_params)
        .where(
            AuditEntry.action == 'company.member_removed',
            AuditEntry.entity == 'companies',
            AuditEntry.entity_id == str(company_id),
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(20)
    ).all()
    said = next((params for params in logged if (params or {}).get('email') == customer.email), None) or {}
    return Removal(customer.email, ended, str(said.get('who', '')))


def invitations(*, session: Session, actor: PortalActor) -> list[Invitation]:
    """The invitations waiting for this customer's answer (at most one: a customer is a member of one company)."""
    rows = session.exec(
        select(CompanyMember, Company)
        .join(Company, col(Company.id) == CompanyMember.company_id)
        .where(
            CompanyMember.customer_id == actor.customer_id,
            col(CompanyMember.accepted_at).is_(None),
            col(Company.deleted_at).is_(None),
        )
        .order_by(col(CompanyMember.id))
    ).all()
    return [
        Invitation(
            member.id or 0,
            member.version,
            company.name,
            CompanyRole(member.role),
            member.invited_by,
            member.invited_at,
        )
        for member, company in rows
    ]


def accept(*, session: Session, actor: PortalActor, member_id: int, version: int | None) -> None:
    """The invited customer joins: they become the company's contact and member with the role, and the company sees
    what they order and ask from now on (what they did before stays theirs)."""
    member, company, customer = _invitation(session, actor, member_id)
    if customer.company_id not in (None, company.id):
        raise ValidationFailed(
            {'': _('Your account is part of another company with us: ask us to move it before you accept.')}
        )
    member = get_for_update(session, CompanyMember, member_id, version, entity='companies', label=N_('invitation'))
    now = utcnow()
    _keep_period(session, member)  # a removed member back: the period they shared before stays the company's
    if customer.company_id is None:  # a private customer: the company sees their records from now on only
        _join(session, None, customer, company)
        member.shared_from = now
    elif member.ended_at is not None:  # a removed member back: from now on, never the time in between
        member.shared_from = now
    member.accepted_at, member.ended_at = now, None
    stamp(member)
    session.add(member)
    _record(
        session,
        actor,
        'company.member_joined',
        company,
        sentence(
            N_('{email} accepted the invitation to {company} as {role}'),
            email=customer.email,
            company=company.name,
            role=word(ROLE_NAMES[CompanyRole(member.role)], lower=True),
        ),
    )
    changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))


def decline(*, session: Session, actor: PortalActor, member_id: int, version: int | None) -> None:
    """The invited customer says no: the invitation is gone, nothing of theirs was ever the company's (a removed
    member asked again: their earlier membership stays as it ended)."""
    member, company, customer = _invitation(session, actor, member_id)
    member = get_for_update(session, CompanyMember, member_id, version, entity='companies', label=N_('invitation'))
    _withdraw(session, member)
    _record(
        session,
        actor,
        'company.invitation_declined',
        company,
        sentence(N_('{email} declined the invitation to {company}'), email=customer.email, company=company.name),
    )
    changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))


INVITED_NAME_MAX = 120  # characters of the name a new contact is made with (Customer.name)


def invite(
    *,
    session: Session,
    by: Acting,
    company_id: int,
    email: str,
    name: str = '',
    role: CompanyRole | str = CompanyRole.buyer,
    base_url: str,
) -> Member:
    """Invite the person with this email to the company with the role, and email them a one-time link (7 days). A
    company admin's invitation waits for the person to accept it (see the module) and answers the same for any email
    but another company's contact's or invitee's (one sentence; another company's invitation waiting for an answer is
    never replaced), so none tells them who is known to the shop: a banned or trashed
    customer's is made like any other, without a link. Staff's joins at once: a new email becomes a contact of the
    company; a private customer is joined by staff only."""
    company = _company(session, by, company_id, write=True)
    wanted = _role(role)
    name = typed_at('name', name, maximum=INVITED_NAME_MAX)  # a new contact's name: refused beyond, never cut
    try:
        address = normalize_email(email)
    except ValueError as error:
        raise ValidationFailed({'email': str(error)}) from None
    # two colleagues inviting one person at once take turns: the second finds the first's member (and the contact it
    # made) instead of failing on the duplicate customer_id or email
    customers.one_email_at_a_time(session, address)
    portal = isinstance(by, PortalActor)
    leaderless = wanted == CompanyRole.admin and not portal and not _open_admins(session, company_id)
    customer = session.exec(select(Customer).where(func.lower(Customer.email) == address.lower())).first()
    if customer is not None and portal and customer.company_id not in (None, company_id):
        raise ValidationFailed({'email': _(CANNOT_INVITE)})
    if customer is not None and not portal and customer.deleted_at is not None:
        raise ValidationFailed({'email': _('This email belongs to a customer in the trash: restore them first.')})
    if customer is not None and not portal and customer.status == CustomerStatus.banned:
        raise ValidationFailed({'email': _('This customer is banned: they cannot be invited to the portal.')})
    if customer is not None and customer.company_id not in (None, company_id):
        other = session.get(Company, customer.company_id)
        raise ValidationFailed(
            {
                'email': _('This customer is a contact of {company}: change their company on their page first.').format(
                    company=other.name if other else '?'
                )
            }
        )
    if customer is None:
        customer, _made = customers.find_or_create(session, email=address, name=name, came_with='a company invitation')
    member = session.exec(select(CompanyMember).where(CompanyMember.customer_id == customer.id)).first()
    if member is not None and member.company_id != company_id and member.accepted_at is None:
        _refuse_another_company_s_invitation(session, portal, member)
    if member is not None and member.company_id == company_id and _is_open(member):
        raise ValidationFailed(
            {'email': _('{email} is already a member: resend their invitation from the list.').format(email=address)}
        )
    if not portal and customer.company_id != company_id:
        _join(session, by, customer, company)
    now = utcnow()
    removed_here = member is not None and member.company_id == company_id and member.ended_at is not None
    if member is None:
        member = CompanyMember(company_id=company_id, customer_id=customer.id or 0, role=wanted)
    else:  # a membership left over from a company they were moved away from, or one that ended
        if member.company_id != company_id:  # the other company keeps what they did while its member
            _keep_period(session, member)
        member.company_id, member.role = company_id, wanted
        stamp(member)
    member.accepted_at = None if portal else now
    if not removed_here:
        member.shared_from = member.ended_at = None
    elif not portal:  # staff add a removed member back: from now on, never the time in between (the earlier kept)
        _keep_period(session, member)
        member.shared_from, member.ended_at = now, None
    # else: a company admin asks a removed member again: their ended period stands until they accept (see accept)
    member.invited_at, member.invited_by = now, _inviter(by)
    session.add(member)
    session.flush()
    if leaderless:
        _absent_admins_replaced(session, company_id, customer)
    _send_invitation(
        session,
        by,
        company,
        customer,
        base_url,
        sentence(
            N_('{who} invited {email} to {company} as {role}'),
            who=_who(by),
            email=customer.email,
            company=company.name,
            role=word(ROLE_NAMES[wanted], lower=True),
        ),
        mailed=_reachable(customer),
    )
    changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))
    return _one(session, member.id or 0, told=not portal)


def _refuse_another_company_s_invitation(session: Session, portal: bool, member: CompanyMember) -> None:
    """Another company's invitation waits for this person's answer: it is never replaced (its row is theirs). A company
    admin hears the one sentence any other company's person gets, which tells no more; staff hear whose it is."""
    if portal:
        raise ValidationFailed({'email': _(CANNOT_INVITE)})
    other = session.get(Company, member.company_id)
    raise ValidationFailed(
        {
            'email': _(
                'This email has a pending invitation from {company}: it cannot be invited here until that one is'
                ' withdrawn or answered.'
            ).format(company=other.name if other else '?')
        }
    )


def _join(session: Session, by: Acting | None, customer: Customer, company: Company) -> None:
    """The customer becomes the company's contact (audited on the customer)."""
    before = audit.snapshot(customer)
    customer.company_id = company.id
    stamp(customer)
    session.add(customer)
    audit.record(
        session,
        _staff(by) if by is not None else None,
        'customer.updated',
        'customers',
        customer.id,
        version=customer.version,
        changes=audit.diff(before, audit.snapshot(customer)),
        summary=sentence(N_('{email} joined {company}'), email=customer.email, company=company.name),
    )


def change_role(
    *, session: Session, by: Acting, member_id: int, version: int | None, role: CompanyRole | str
) -> Member:
    """Give a member another role; the company's last admin keeps theirs until another member is admin."""
    member, company, customer = _member(session, by, member_id, version)
    wanted = _role(role)
    if member.role == wanted:
        return _one(session, member.id or 0)
    if member.role == CompanyRole.admin and member.accepted_at is not None:
        _not_the_last_admin(session, member, company, customer, field='role')
    leaderless = (
        wanted == CompanyRole.admin and member.accepted_at is not None and not _open_admins(session, company.id or 0)
    )
    before = CompanyRole(member.role)
    member.role = wanted
    stamp(member)
    session.add(member)
    if leaderless:
        _absent_admins_replaced(session, company.id or 0, customer)
    _record(
        session,
        by,
        'company.member_role_changed',
        company,
        sentence(
            N_('{who} made {email} {role} of {company} (was {before})'),
            who=_who(by),
            email=customer.email,
            role=word(ROLE_NAMES[wanted], lower=True),
            company=company.name,
            before=word(ROLE_NAMES[before], lower=True),
        ),
    )
    changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))
    return _one(session, member.id or 0)


def remove(*, session: Session, by: Acting, member_id: int, version: int | None) -> None:
    """End a membership: from their next page or action they see only their own orders and requests (they stay the
    company's contact for staff, their past orders the company's). The last admin is never removed."""
    member, company, customer = _member(session, by, member_id, version)
    if member.accepted_at is None:  # an invitation not accepted: withdrawn, nothing of theirs was shared
        _withdraw(session, member)
    else:
        if member.role == CompanyRole.admin:
            _not_the_last_admin(session, member, company, customer, field='')
        member.ended_at = utcnow()  # kept: the company still sees what they did while a member, nothing later
        stamp(member)
        session.add(member)
    _record(
        session,
        by,
        'company.member_removed',
        company,
        sentence(N_('{who} removed {email} from {company}'), who=_who(by), email=customer.email, company=company.name),
    )
    changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))


def resend(*, session: Session, by: Acting, member_id: int, base_url: str) -> None:
    """Email the member a new one-time link (7 days)."""
    member, company, customer = _member_checked(session, by, member_id, None)
    quiet = isinstance(by, PortalActor) and member.accepted_at is None  # told nothing of the customer (see invite)
    if customer.status == CustomerStatus.banned and not quiet:
        raise ValidationFailed({'': _('This customer is banned: they cannot be invited to the portal.')})
    _send_invitation(
        session,
        by,
        company,
        customer,
        base_url,
        sentence(
            RESENT,
            who=_who(by),
            email=customer.email,
            company=company.name,
        ),
        mailed=_reachable(customer),
    )
    session.commit()


def _send_invitation(
    session: Session, by: Acting, company: Company, customer: Customer, base_url: str, said: Sentence, *, mailed: bool
) -> None:
    """Queue the one-time link to the company's portal and log it on the company (an invitation or a resend); a banned
    or trashed customer (`mailed` False) gets no link, and the log says so to staff."""
    if mailed:
        portal_access.queue_invitation(
            session,
            customer,
            invited_by=by.id if isinstance(by, User) else None,
            base_url=base_url,
            company=company.name,
            inviter=by.name or by.email,
            to_accept=isinstance(by, PortalActor),
        )
    else:
        said = sentence(N_('{said} (no link sent: banned or in the trash)'), said=said)
    _record(session, by, 'company.member_invited', company, said)


def admin_of(session: Session, customer: Customer) -> int | None:
    """The company this customer is a company admin of now (a membership accepted, not ended, of their company)."""
    if customer.company_id is None:
        return None
    return session.exec(
        select(CompanyMember.company_id).where(
            CompanyMember.customer_id == customer.id,
            CompanyMember.company_id == customer.company_id,
            CompanyMember.role == CompanyRole.admin,
            col(CompanyMember.accepted_at).is_not(None),
            col(CompanyMember.ended_at).is_(None),
        )
    ).first()


# why a company's last admin stopped being one, when staff's action on the person did it (keep_an_admin): the
# company's log says it (a ban or the trash must not wait for the company's matters; see after_contact_change)
LEFT_BECAUSE = {
    'banned': N_('its last admin, {email}, was banned'),
    'trashed': N_('its last admin, {email}, was moved to the trash'),
    'moved': N_('its last admin, {email}, left the company'),
    'merged': N_('its last admin, {email}, was merged into another customer'),
}


def keep_an_admin(
    session: Session, actor: User | None, company_id: int, *, because: str = '', email: str = ''
) -> Customer | None:
    """After a company admin's personal data was erased (which ends their membership, and cannot wait), or staff banned
    them, moved them to the trash or merged them away (`because`: LEFT_BECAUSE's key, `email` theirs): if the company
    has no admin left, its longest-standing member (the earliest to have joined, still its contact, neither banned nor
    in the trash) becomes company admin, so that the company still manages its colleagues in the portal without
    waiting for the shop; audited on the company, without naming an erased person. No such member: the company is
    left without one, and the log says so for staff (a member invited later can be made admin by staff). Returns the
    customer made admin, if any. Inside the caller's transaction, after the erasure's flush."""
    company = session.get(Company, company_id)
    if company is None or _open_admins(session, company_id):
        return None
    found = _longest_standing(session, company_id)
    why = sentence(LEFT_BECAUSE[because], email=email) if because else None
    if found is None:
        audit.record(
            session,
            actor,
            'company.left_without_admin',
            'companies',
            company.id,
            summary=sentence(
                N_(
                    "{company} has no company admin left: its last admin's personal data was erased and no member "
                    'could take over; make a contact company admin'
                ),
                company=company.name,
            )
            if why is None
            else sentence(
                N_(
                    '{company} has no company admin left: {why}, and no member could take over; make a contact '
                    'company admin'
                ),
                company=company.name,
                why=why,
            ),
        )
        return None
    member, customer = found
    before = CompanyRole(member.role)
    member.role = CompanyRole.admin
    stamp(member)
    session.add(member)
    audit.record(
        session,
        actor,
        'company.admin_promoted',
        'companies',
        company.id,
        summary=sentence(
            N_(
                "Made {email} company admin of {company} (was {before}), its longest-standing member: its last admin's "
                'personal data was erased'
            ),
            email=customer.email,
            company=company.name,
            before=word(ROLE_NAMES[before], lower=True),
        )
        if why is None
        else sentence(
            N_('Made {email} company admin of {company} (was {before}), its longest-standing member: {why}'),
            email=customer.email,
            company=company.name,
            before=word(ROLE_NAMES[before], lower=True),
            why=why,
        ),
    )
    events.after_commit(session, Topic.customers, {'id': customer.id, 'action': 'updated'})
    return customer


def _longest_standing(
    session: Session, company_id: int, *, besides: int | None = None
) -> tuple[CompanyMember, Customer] | None:
    """The member keep_an_admin makes company admin: the earliest to have joined, still the company's contact, neither
    banned nor in the trash (nor `besides`, a customer id)."""
    return session.exec(
        select(CompanyMember, Customer)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .where(
            CompanyMember.company_id == company_id,
            col(CompanyMember.accepted_at).is_not(None),
            col(CompanyMember.ended_at).is_(None),
            Customer.company_id == company_id,
            *_can_sign_in(),
            col(Customer.id) != (besides or 0),
        )
        .order_by(col(CompanyMember.accepted_at), col(CompanyMember.id))
        .limit(1)
    ).first()


def after_ban(*, session: Session, actor: User, customer_id: int) -> str:
    """What banning this customer will do to their company, asked before the ban and said after it ('' when nothing):
    the company's last admin who could sign in is replaced by its longest-standing member and is a buyer from then
    on, or, nobody able to take over, the company is left without one (see after_contact_change)."""
    require(actor, 'customers.write')
    leaving = _last_admin_leaving(session, customer_id)
    if leaving is None:
        return ''
    name, company, member = leaving
    if member is None:
        return _('{company} has no company admin left: make one of its contacts company admin.').format(company=company)
    return _(
        '{member} is now company admin of {company} in their place, and {name} a buyer (unbanned, they come back as '
        'one).'
    ).format(name=name, company=company, member=member)


def before_ban(*, session: Session, actor: User, customer_id: int) -> str:
    """What banning this customer will do to their company, said in the Ban dialog before staff confirm it ('' when
    nothing): as after_ban says it once done, and before_trash before the trash."""
    require(actor, 'customers.write')
    leaving = _last_admin_leaving(session, customer_id)
    if leaving is None:
        return ''
    name, company, member = leaving
    if member is None:
        return _(
            '{name} is the last company admin of {company} and no other member can take over: the company will have '
            'no company admin until you make one of its contacts company admin.'
        ).format(name=name, company=company)
    return _(
        '{name} is the last company admin of {company}: {member}, its longest-standing member, becomes company admin '
        'in their place, and {name} a buyer (unbanned, they come back as one).'
    ).format(name=name, company=company, member=member)


def before_trash(session: Session, customer_ids: list[int]) -> list[str]:
    """What moving these customers to the trash does to their companies, said before (customers' `trash_said`): a
    company's last admin is replaced by its longest-standing member and comes back as a buyer if restored."""
    said = []
    for customer_id in customer_ids:
        leaving = _last_admin_leaving(session, customer_id)
        if leaving is None:
            continue
        name, company, member = leaving
        said.append(
            _(
                '{name} is the last company admin of {company} and no other member can take over: the company will '
                'have no company admin until you make one of its contacts company admin.'
            ).format(name=name, company=company)
            if member is None
            else _(
                '{name} is the last company admin of {company}: {member}, its longest-standing member, becomes '
                'company admin in their place, and {name} a buyer (restored from the trash, they come back as one).'
            ).format(name=name, company=company, member=member)
        )
    return said


def _last_admin_leaving(session: Session, customer_id: int) -> tuple[str, str, str | None] | None:
    """(their name, the company's name, who takes over or None) when this customer is the last company admin of their
    company who can sign in; None otherwise."""
    customer = session.get(Customer, customer_id)
    if (
        customer is None
        or customer.id is None
        or customer.company_id is None
        or customer.deleted_at is not None
        or customer.status == CustomerStatus.banned
    ):
        return None
    member = _admin_membership(session, customer.id, customer.company_id)
    company = session.get(Company, customer.company_id)
    if member is None or company is None or _other_admins(session, member):
        return None
    found = _longest_standing(session, customer.company_id, besides=customer.id)
    successor = (found[1].name or found[1].email) if found is not None else None
    return customer.name or customer.email, company.name, successor


def _open_admins(session: Session, company_id: int) -> int:
    """How many company admins of the company can act (see _admin_seat, _can_sign_in)."""
    return session.exec(
        select(func.count())
        .select_from(CompanyMember)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .where(*_admin_seat(company_id), *_can_sign_in())
    ).one()


def _admin_seat(company_id: int) -> tuple[Any, ...]:
    """A company admin's seat (CompanyMember joined to Customer): an accepted admin membership, not ended, of a
    customer still the company's contact. Who holds one can act when they can also sign in (_can_sign_in)."""
    return (
        CompanyMember.company_id == company_id,
        CompanyMember.role == CompanyRole.admin,
        col(CompanyMember.accepted_at).is_not(None),
        col(CompanyMember.ended_at).is_(None),
        Customer.company_id == company_id,
    )


def _can_sign_in() -> tuple[Any, ...]:
    """A customer who can sign in to the portal: not in the trash (gone), not banned (manages nobody)."""
    return (col(Customer.deleted_at).is_(None), Customer.status != CustomerStatus.banned)


def contact_change_allowed(customer: Customer, values: dict[str, Any]) -> dict[str, str]:
    """Staff moving a company's last admin to another company (or making them a private customer) from their form,
    the API, a bulk edit or an import is refused at the company field, as removing them from the company's members is:
    staff choose who takes over (make another member company admin first). Customers' `check_change`."""
    if 'company_id' not in values or values['company_id'] == customer.company_id or customer.id is None:
        return {}
    session = object_session(customer)
    if not isinstance(session, Session) or customer.company_id is None or customer.deleted_at is not None:
        return {}
    with session.no_autoflush:
        member = _admin_membership(session, customer.id, customer.company_id)
        if member is None or customer.status == CustomerStatus.banned or _other_admins(session, member):
            return {}
        company = session.get(Company, customer.company_id)
    name = company.name if company is not None else '?'
    return {'company_id': _(LAST_ADMIN).format(name=customer.name or customer.email, company=name)}


def after_contact_change(session: Session, customer: Customer, changed: dict[str, list[Any]]) -> None:
    """After staff banned a company's last admin, moved them to the trash, or moved them out of the company by a way
    the form's refusal does not see (a revert): its longest-standing member is made company admin (keep_an_admin),
    audited on the company. A ban or the trash protects the shop and does not wait for the company's matters; the
    person, banned or in the trash, could not sign in to manage anyone anyway; replaced so, they are a buyer from then
    on (unbanned or restored, they come back as one). Customers' `after_change`."""
    if 'company_id' in changed:
        before = changed['company_id'][0]
        company_id, because = (before, 'moved') if before is not None else (None, '')
    elif 'deleted_at' in changed and customer.deleted_at is not None:
        company_id, because = customer.company_id, 'trashed'
    elif 'status' in changed and customer.status == CustomerStatus.banned:
        company_id, because = customer.company_id, 'banned'
    else:
        return
    if company_id is None or customer.id is None:
        return
    with session.no_autoflush:  # as the company stood before this change
        if _admin_membership(session, customer.id, company_id) is None:
            return
    session.flush()
    promoted = keep_an_admin(session, None, company_id, because=because, email=customer.email)
    if promoted is not None and because in ('banned', 'trashed'):
        _replaced(session, customer, company_id, promoted)


def _replaced(session: Session, customer: Customer, company_id: int, admin: Customer) -> None:
    """A banned or trashed admin whose place another member took (keep_an_admin, or staff making a member company
    admin while the company had none who could sign in) is a buyer from then on, so that unbanned or restored they
    come back as a member and the company does not find itself with two admins nobody chose; audited on the company.
    Staff make them company admin again from the company page if they wish."""
    member = _admin_membership(session, customer.id or 0, company_id)
    company = session.get(Company, company_id)
    if member is None or company is None:
        return
    member.role = CompanyRole.buyer
    stamp(member)
    session.add(member)
    audit.record(
        session,
        None,
        'company.member_role_changed',
        'companies',
        company_id,
        summary=sentence(
            N_('{email} is now {role} of {company}: {admin} is company admin in their place'),
            email=customer.email,
            role=word(ROLE_NAMES[CompanyRole.buyer], lower=True),
            company=company.name,
            admin=admin.email,
        ),
    )
    events.after_commit(session, Topic.customers, {'id': customer.id, 'action': 'updated'})


def _absent_admins_replaced(session: Session, company_id: int, admin: Customer) -> None:
    """Staff made `admin` company admin of a company whose admins are all banned or in the trash: those take no
    second seat when they come back (see _replaced)."""
    absent = session.exec(
        select(Customer)
        .join(CompanyMember, col(CompanyMember.customer_id) == Customer.id)
        .where(*_admin_seat(company_id), Customer.id != admin.id, not_(and_(*_can_sign_in())))
        .order_by(col(Customer.id))
    ).all()
    for customer in absent:
        _replaced(session, customer, company_id, admin)


def _admin_membership(session: Session, customer_id: int, company_id: int) -> CompanyMember | None:
    return session.exec(
        select(CompanyMember).where(
            CompanyMember.customer_id == customer_id,
            CompanyMember.company_id == company_id,
            CompanyMember.role == CompanyRole.admin,
            col(CompanyMember.accepted_at).is_not(None),
            col(CompanyMember.ended_at).is_(None),
        )
    ).first()


def _withdraw(session: Session, member: CompanyMember) -> None:
    """An invitation not accepted goes; a removed member's new one leaves their ended membership as it was."""
    if member.ended_at is None:
        session.delete(member)
        return
    member.accepted_at = member.ended_at  # answered again (accepted_at is read as "answered or not" only)
    stamp(member)
    session.add(member)


@event.listens_for(OrmSession, 'before_flush')
def _moved_contacts_leave(session: OrmSession, _context: Any, _instances: Any) -> None:
    """A contact moved to another company (or made private), whichever path moves them — their form, the API, an
    import, a revert —, is a member of their former company no more: the membership ends then, so what they do from
    then on (with the other company, or back with this one) is never their former company's, and what they did as its
    member stays its. Moved back, they are its contact again, a member again only once invited again."""
    moved = []
    for record in session.dirty:
        if isinstance(record, Customer):
            before = inspect(record).attrs.company_id.history.deleted
            if before and before[0] is not None and before[0] != record.company_id:
                moved.append((record.id, before[0]))
    if not moved:
        return
    now = utcnow()
    with session.no_autoflush:
        for customer_id, company_id in moved:
            member = session.scalars(
                select(CompanyMember).where(
                    CompanyMember.customer_id == customer_id,
                    CompanyMember.company_id == company_id,
                    col(CompanyMember.accepted_at).is_not(None),
                    col(CompanyMember.ended_at).is_(None),
                )
            ).first()
            if member is not None:
                member.ended_at = now
                stamp(member)
                session.add(member)


def _keep_period(session: Session, member: CompanyMember) -> None:
    """Before an ended membership starts again: keep the period it covered, so the company still sees what the member
    did in it (portal_scope.shared_with_company reads every period)."""
    if member.ended_at is None:
        return
    session.add(
        CompanyMemberPeriod(
            company_id=member.company_id,
            customer_id=member.customer_id,
            shared_from=member.shared_from,
            ended_at=member.ended_at,
        )
    )


def _reachable(customer: Customer) -> bool:
    """May this customer be sent a sign-in link (not banned, not in the trash)?"""
    return customer.deleted_at is None and customer.status != CustomerStatus.banned


def _open() -> Any:
    """A membership or invitation still standing: not ended, or a removed member's new invitation (see invite)."""
    return or_(col(CompanyMember.ended_at).is_(None), col(CompanyMember.accepted_at).is_(None))


def _is_open(member: CompanyMember) -> bool:
    return member.ended_at is None or member.accepted_at is None


def role_name(role: CompanyRole | str) -> str:
    return _(ROLE_NAMES[CompanyRole(role)])


# --- helpers ----------------------------------------------------------------------------------------------------------


def _company(session: Session, by: Acting, company_id: int, *, write: bool) -> Company:
    """The company, if `by` may see (or, `write`, manage) its members: staff with customers.read / customers.write; in
    the portal its members (see) and its admins (manage). Anyone else's company is "not found"."""
    if isinstance(by, User):
        require(by, 'customers.write' if write else 'customers.read')
        company = session.get(Company, company_id)
        if company is None or company.deleted_at is not None:
            raise NotFound(_('This company no longer exists.'))
        return company
    if by.company_id != company_id:
        raise NotFound(_(scope.NOT_FOUND))
    company = scope.company(session, by)
    if write and not by.company_admin:
        raise scope.ReadOnly(_(ONLY_ADMINS))
    return company


def _member(
    session: Session, by: Acting, member_id: int, version: int | None
) -> tuple[CompanyMember, Company, Customer]:
    return _member_checked(session, by, member_id, version, lock=True)


def _member_checked(
    session: Session, by: Acting, member_id: int, version: int | None, *, lock: bool = False
) -> tuple[CompanyMember, Company, Customer]:
    found = session.get(CompanyMember, member_id)
    if found is None or not _is_open(found) or (isinstance(by, PortalActor) and found.company_id != by.company_id):
        raise NotFound(_('This member is no longer in the company.'))
    company = _company(session, by, found.company_id, write=True)
    customer = session.get(Customer, found.customer_id)
    pending = found.accepted_at is None
    if customer is None or (customer.company_id != found.company_id and not pending):
        raise NotFound(_('This member is no longer in the company.'))
    if lock:
        found = get_for_update(session, CompanyMember, member_id, version, entity='companies', label=N_('member'))
    return found, company, customer


def _not_the_last_admin(
    session: Session, member: CompanyMember, company: Company, customer: Customer, *, field: str
) -> None:
    if not _other_admins(session, member):
        raise ValidationFailed(
            {field: _(LAST_ADMIN).format(name=customer.name or customer.email, company=company.name)}
        )


def _other_admins(session: Session, member: CompanyMember) -> int:
    """The company's other admins who can manage it (a banned one cannot sign in; one in the trash is gone)."""
    return session.exec(
        select(func.count())
        .select_from(CompanyMember)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .where(*_admin_seat(member.company_id), *_can_sign_in(), CompanyMember.id != member.id)
    ).one()


def _role(value: CompanyRole | str) -> CompanyRole:
    try:
        return CompanyRole(value)
    except ValueError:
        raise ValidationFailed({'role': _('Choose one of the listed roles')}) from None


def _one(session: Session, member_id: int, *, told: bool = True) -> Member:
    member = session.get(CompanyMember, member_id)
    customer = session.get(Customer, member.customer_id) if member else None
    if member is None or customer is None:
        raise NotFound(_('This member is no longer in the company.'))
    account = session.exec(select(PortalAccount).where(PortalAccount.customer_id == customer.id)).first()
    return _shown(member, customer, account, told=told or member.accepted_at is not None)


def _shown(member: CompanyMember, customer: Customer, account: PortalAccount | None, *, told: bool) -> Member:
    """`told`: whether the reader may know the customer is banned (staff, or the company of a member who joined)."""
    return Member(
        member.id or 0,
        member.version,
        customer.id or 0,
        customer.email,
        customer.name,
        CompanyRole(member.role),
        member.invited_at or (account.invited_at if account else None),
        account.last_login_at if account else None,
        told and customer.status == CustomerStatus.banned,
        member.accepted_at is None,
        member.invited_by,
    )


def _invitation(session: Session, actor: PortalActor, member_id: int) -> tuple[CompanyMember, Company, Customer]:
    """An invitation waiting for this customer's answer, its company (not in the trash) and the customer; else "not
    found" (another's invitation, one already answered or withdrawn)."""
    member = session.get(CompanyMember, member_id)
    company = session.get(Company, member.company_id) if member is not None else None
    if (
        member is None
        or member.customer_id != actor.customer_id
        or member.accepted_at is not None
        or company is None
        or company.deleted_at is not None
    ):
        raise NotFound(_('This invitation is no longer open: it was withdrawn or already answered.'))
    return member, company, scope.customer(session, actor)


def _inviter(by: Acting) -> str:
    """Who invited, as the invited person reads it: "Ann Lee (ann@acme.com)", or the shop's staff member."""
    return (f'{by.name} ({by.email})' if by.name else by.email)[:300]


def _staff(by: Acting) -> User | None:
    return by if isinstance(by, User) else None


def _who(by: Acting) -> str:
    return by.email if isinstance(by, User) else f'{by.email} (portal)'


def _record(session: Session, by: Acting, action: str, company: Company, said: Sentence) -> None:
    audit.record(session, _staff(by), action, 'companies', company.id, summary=said)
