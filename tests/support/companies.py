"""B2B companies in tests: a company with portal members in roles, added by staff as the company page does."""

from __future__ import annotations

from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.models import AuditEntry, Company, CompanyMember, CompanyRole, Customer
from backoffice.services import company_members
from backoffice.services.company_members import Member
from backoffice.services.customers import ban_customer
from backoffice.services.portal_scope import PortalActor, actor_of

from .factories import make_company, make_user

BASE_URL = 'http://shop.test'


def company_with(name: str, members: dict[str, str] | None = None) -> Company:
    """A company and its members, {email: role (admin, buyer, viewer)}, invited by a manager."""
    company = make_company(name)
    for email, role in (members or {}).items():
        add_member(company.id, email, role)
    return company


def add_member(company_id: int, email: str, role: str | CompanyRole) -> Member:
    manager = make_user('manager')
    with session_scope() as session:
        return company_members.invite(
            session=session, by=manager, company_id=company_id, email=email, role=role, base_url=BASE_URL
        )


def actor(email: str) -> PortalActor:
    """The portal's actor for this customer as it stands now (company and role read afresh)."""
    with read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
        return actor_of(session, customer)


def member_id(email: str) -> int:
    with read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
        found = company_members.members(session=session, by=make_user('manager'), company_id=customer.company_id)
    return next(m.id for m in found if m.email == email)


def roles_in(company_id: int) -> dict[str, str]:
    """The company's members and their roles, as staff read them: {email: role}."""
    with read_session() as session:
        members = company_members.members(session=session, by=make_user('manager'), company_id=company_id)
    return {m.email: m.role for m in members}


def admin_changes(company_id: int) -> list[tuple[str, str]]:
    """What the audit log says of the company's admin changing hands: (action, summary), oldest first."""
    with read_session() as session:
        entries = session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == 'companies', AuditEntry.entity_id == str(company_id))
            .where(col(AuditEntry.action).in_(['company.admin_promoted', 'company.left_without_admin']))
            .order_by(col(AuditEntry.id))
        ).all()
    return [(e.action, e.summary) for e in entries]


def ban_replaced_as_before_the_fix(email: str) -> None:
    """Ban this company's last admin as the app did before replaced admins became buyers: its longest-standing member
    takes over (company.admin_promoted), and the banned admin keeps the admin role (no role change logged)."""
    with read_session() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
    with session_scope() as session:
        ban_customer(
            session=session, actor=make_user('manager'), record_id=customer.id, version=customer.version, reason='x'
        )
    with session_scope() as session:
        member = session.exec(select(CompanyMember).where(CompanyMember.customer_id == customer.id)).one()
        member.role = CompanyRole.admin
        session.add(member)
        for entry in session.exec(
            select(AuditEntry).where(
                AuditEntry.entity == 'companies',
                AuditEntry.action == 'company.member_role_changed',
                AuditEntry.entity_id == str(member.company_id),
            )
        ).all():
            if (entry.summary_params or {}).get('email') == email:
                session.delete(entry)
        session.commit()
