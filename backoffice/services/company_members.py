"""A company's members in the customer portal (B2B) and their roles: staff manage them from the company page
(`customers.write`), a company admin from the portal's Company tab. Invite (an email becomes a contact of the company
with a one-time link), change a role, remove, resend the invitation; a company always keeps one admin; audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from backoffice import changes
from backoffice.changes import get_for_update, stamp
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import (
    Company,
    CompanyMember,
    CompanyRole,
    Customer,
    CustomerStatus,
    PortalAccount,
    User,
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


def members(*, session: Session, by: Acting, company_id: int) -> list[Member]:
    """The company's members, admins first, then by name."""
    _company(session, by, company_id, write=False)
    rows = session.exec(
        select(CompanyMember, Customer, PortalAccount)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .join(PortalAccount, col(PortalAccount.customer_id) == CompanyMember.customer_id, isouter=True)
        .where(
            CompanyMember.company_id == company_id,
            Customer.company_id == company_id,
            col(Customer.deleted_at).is_(None),
        )
    ).all()
    order = {CompanyRole.admin: 0, CompanyRole.buyer: 1, CompanyRole.viewer: 2}
    found = [
        Member(
            member.id or 0,
            member.version,
            customer.id or 0,
            customer.email,
            customer.name,
            CompanyRole(member.role),
            account.invited_at if account else None,
            account.last_login_at if account else None,
            customer.status == CustomerStatus.banned,
        )
        for member, customer, account in rows
    ]
    return sorted(found, key=lambda m: (order[m.role], (m.name or m.email).lower(), m.id))


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
    """Make the person with this email a member of the company with the role, and email them a one-time link (7 days).
    A new email becomes a contact of the company. A private customer, or another company's contact, is joined only by
    staff (a company admin could otherwise read a stranger's orders): the portal says to ask the shop."""
    company = _company(session, by, company_id, write=True)
    wanted = _role(role)
    try:
        address = normalize_email(email)
    except ValueError as error:
        raise ValidationFailed({'email': str(error)}) from None
    customer = session.exec(select(Customer).where(func.lower(Customer.email) == address.lower())).first()
    if customer is not None and customer.deleted_at is not None:
        raise ValidationFailed({'email': _('This email belongs to a customer in the trash: restore them first.')})
    if customer is not None and customer.status == CustomerStatus.banned:
        raise ValidationFailed({'email': _('This customer is banned: they cannot be invited to the portal.')})
    if customer is not None and customer.company_id != company_id:
        if isinstance(by, PortalActor):
            raise ValidationFailed(
                {'email': _('This email already has its own account with us. Ask us to add it to your company.')}
            )
        if customer.company_id is not None:
            other = session.get(Company, customer.company_id)
            raise ValidationFailed(
                {
                    'email': _(
                        'This customer is a contact of {company}: change their company on their page first.'
                    ).format(company=other.name if other else '?')
                }
            )
    if customer is None:
        customer, _made = customers.find_or_create(
            session, email=address, name=' '.join((name or '').split())[:120], came_with='a company invitation'
        )
    if customer.company_id != company_id:
        before = audit.snapshot(customer)
        customer.company_id = company_id
        stamp(customer)
        session.add(customer)
        audit.record(
            session,
            _staff(by),
            'customer.updated',
            'customers',
            customer.id,
            version=customer.version,
            changes=audit.diff(before, audit.snapshot(customer)),
            summary=sentence(N_('{email} joined {company}'), email=customer.email, company=company.name),
        )
    member = session.exec(select(CompanyMember).where(CompanyMember.customer_id == customer.id)).first()
    if member is not None and member.company_id == company_id:
        raise ValidationFailed(
            {'email': _('{email} is already a member: resend their invitation from the list.').format(email=address)}
        )
    if member is None:
        member = CompanyMember(company_id=company_id, customer_id=customer.id or 0, role=wanted)
    else:  # a membership left over from a company they were moved away from
        member.company_id, member.role = company_id, wanted
        stamp(member)
    session.add(member)
    session.flush()
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
    )
    changes.commit(session, (Topic.customers, {'id': customer.id, 'action': 'updated'}))
    return _one(session, member.id or 0)


def change_role(
    *, session: Session, by: Acting, member_id: int, version: int | None, role: CompanyRole | str
) -> Member:
    """Give a member another role; the company's last admin keeps theirs until another member is admin."""
    member, company, customer = _member(session, by, member_id, version)
    wanted = _role(role)
    if member.role == wanted:
        return _one(session, member.id or 0)
    if member.role == CompanyRole.admin:
        _not_the_last_admin(session, member, company, customer, field='role')
    before = CompanyRole(member.role)
    member.role = wanted
    stamp(member)
    session.add(member)
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
    if member.role == CompanyRole.admin:
        _not_the_last_admin(session, member, company, customer, field='')
    session.delete(member)
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
    _member, company, customer = _member_checked(session, by, member_id, None)
    if customer.status == CustomerStatus.banned:
        raise ValidationFailed({'': _('This customer is banned: they cannot be invited to the portal.')})
    _send_invitation(
        session,
        by,
        company,
        customer,
        base_url,
        sentence(
            N_('{who} sent {email} the invitation to {company} again'),
            who=_who(by),
            email=customer.email,
            company=company.name,
        ),
    )
    session.commit()


def _send_invitation(
    session: Session, by: Acting, company: Company, customer: Customer, base_url: str, said: Sentence
) -> None:
    """Queue the one-time link to the company's portal and log it on the company (an invitation or a resend)."""
    portal_access.queue_invitation(
        session,
        customer,
        invited_by=by.id if isinstance(by, User) else None,
        base_url=base_url,
        company=company.name,
        inviter=by.name or by.email,
    )
    _record(session, by, 'company.member_invited', company, said)


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
    if found is None or (isinstance(by, PortalActor) and found.company_id != by.company_id):
        raise NotFound(_('This member is no longer in the company.'))
    company = _company(session, by, found.company_id, write=True)
    customer = session.get(Customer, found.customer_id)
    if customer is None or customer.company_id != found.company_id:
        raise NotFound(_('This member is no longer in the company.'))
    if lock:
        found = get_for_update(session, CompanyMember, member_id, version, entity='companies', label=N_('member'))
    return found, company, customer


def _not_the_last_admin(
    session: Session, member: CompanyMember, company: Company, customer: Customer, *, field: str
) -> None:
    admins = session.exec(
        select(func.count())
        .select_from(CompanyMember)
        .join(Customer, col(Customer.id) == CompanyMember.customer_id)
        .where(
            CompanyMember.company_id == member.company_id,
            CompanyMember.role == CompanyRole.admin,
            Customer.company_id == member.company_id,
            col(Customer.deleted_at).is_(None),
            CompanyMember.id != member.id,
        )
    ).one()
    if not admins:
        raise ValidationFailed(
            {field: _(LAST_ADMIN).format(name=customer.name or customer.email, company=company.name)}
        )


def _role(value: CompanyRole | str) -> CompanyRole:
    try:
        return CompanyRole(value)
    except ValueError:
        raise ValidationFailed({'role': _('Choose one of the listed roles')}) from None


def _one(session: Session, member_id: int) -> Member:
    member = session.get(CompanyMember, member_id)
    customer = session.get(Customer, member.customer_id) if member else None
    if member is None or customer is None:
        raise NotFound(_('This member is no longer in the company.'))
    account = session.exec(select(PortalAccount).where(PortalAccount.customer_id == customer.id)).first()
    return Member(
        member.id or 0,
        member.version,
        customer.id or 0,
        customer.email,
        customer.name,
        CompanyRole(member.role),
        account.invited_at if account else None,
        account.last_login_at if account else None,
        customer.status == CustomerStatus.banned,
    )


def _staff(by: Acting) -> User | None:
    return by if isinstance(by, User) else None


def _who(by: Acting) -> str:
    return by.email if isinstance(by, User) else f'{by.email} (portal)'


def _record(session: Session, by: Acting, action: str, company: Company, said: Sentence) -> None:
    audit.record(session, _staff(by), action, 'companies', company.id, summary=said)
