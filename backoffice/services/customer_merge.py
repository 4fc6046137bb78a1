"""Two customers who are one person (signed up twice, a phone order made a second record) merged into one: everything
that points at the duplicate follows to the customer kept, found by reflection so a table added later is not forgotten;
explicit rules only where a unique constraint or a rule needs one. A merge never opts anyone in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table, delete, func, select, update
from sqlmodel import Session, SQLModel, col

from backoffice.changes import commit, get_for_update, stamp
from backoffice.engine import declaration
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.listing import search
from backoffice.models import Customer, CustomerStatus, User
from backoffice.models.base import utcnow
from backoffice.models.portal import CompanyMember, CompanyMemberPeriod, CompanyRole, PortalAccount
from backoffice.permissions import can, require
from backoffice.services import audit, company_members
from backoffice.stored_text import sentence

PERMISSION = 'customers.write'

# fields filled from the duplicate where the kept customer has none; the kept customer's own values win
FILLED = {
    'name': N_('Name'),
    'phone': N_('Phone'),
    'company_id': N_('Company'),
    'language': N_('Language'),
    'payment_terms_days': N_('Payment terms'),
}

# what each referring table holds, as the preview counts it (a table without a word here is named by its table name;
# tests/test_customer_merge.py fails on such a table, so a new one gets its word)
MOVED: dict[str, str] = {
    'orders': N_('orders'),
    'tickets': N_('requests'),
    'ticket_messages': N_('request messages'),
    'returns': N_('returns'),
    'receipts': N_('payments'),
    'customer_addresses': N_('addresses'),
    'legal_acceptances': N_('legal acceptances'),
    'usage_events': N_('usage events'),
    'company_members': N_('company membership'),
    'company_member_periods': N_('earlier company memberships'),
    'bank_rules': N_('bank matching rules'),
    'customer_report_choices': N_('report choice'),
    'customer_report_sends': N_('reports sent'),
    'portal_accounts': N_('portal sign-in'),
    'portal_sessions': N_('portal sessions'),
    'portal_links': N_('portal sign-in links'),
    'loyalty_entries': N_('loyalty points entries'),  # the loyalty extension's ledger: the balance follows
}

# tables with a rule of their own (a unique constraint, or the portal's sign-in); every other one moves as it is
RULED = frozenset(
    {
        'company_members',
        'customer_report_choices',
        'customer_report_sends',
        'legal_acceptances',
        'portal_accounts',
        'portal_sessions',
        'portal_links',
    }
)

# who may count the rows of a table the merge moves: a table a resource lists, its readers (orders: `orders.read`);
# these, the readers of what they belong to; the rest (the customer's own: addresses, memberships) every merger.
# Another reader is told the kind moves, not how many: see `merge_preview`
READ_WITH: dict[str, str] = {
    'ticket_messages': 'tickets.read',
    'receipts': 'finance.read',
    'bank_rules': 'finance.read',
    'customer_report_choices': 'finance.read',
    'customer_report_sends': 'finance.read',
}

ENDING = frozenset({'portal_accounts', 'portal_sessions', 'portal_links'})  # the duplicate's, deleted, not moved

ROLE_RANK = {CompanyRole.viewer: 0, CompanyRole.buyer: 1, CompanyRole.admin: 2}


def references() -> list[tuple[Table, Column]]:
    """Every column of every table with a foreign key to the customers table (read from the metadata)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == Customer.__tablename__ for fk in column.foreign_keys):
                found.append((table, column))
    return found


@dataclass
class MergePreview:
    """What a merge of `other` into `keep` will do, for the dialog: the counts by kind, the fields filled, the
    consent of the result, and why it cannot be done (`refused`), if so."""

    keep_id: int
    keep_version: int
    keep_title: str
    other_id: int
    other_version: int
    other_title: str
    other_email: str
    moving: list[tuple[str, int]] = field(default_factory=list)  # (kind in the reader's language, how many)
    filled: list[tuple[str, str]] = field(default_factory=list)  # (field, value from the duplicate)
    consent: bool = False
    consent_withdrawn: bool = False  # the kept customer agreed, the duplicate said no: the result says no
    stays_banned: bool = False
    portal_ends: bool = False  # the duplicate had a portal sign-in: it ends
    refused: str = ''
    # the kinds the reader may not read (orders without `orders.read`): they move too, uncounted, named whether or not
    # the duplicate has any (a count, or naming only the kinds it has, would tell what the reader may not read)
    unseen: list[str] = field(default_factory=list)


def merge_preview(*, session: Session, actor: User, keep_id: int, other_id: int) -> MergePreview:
    require(actor, PERMISSION)
    keep, other = _pair(session, keep_id, other_id)
    moving: list[tuple[str, int]] = []
    unseen: list[str] = []  # table names
    for table, column in references():
        if table.name in ENDING:
            continue  # said once as "the duplicate's portal sign-in ends"
        kind = _(MOVED[table.name]) if table.name in MOVED else table.name
        if not can(actor, read_permission(table.name)):
            unseen.append(table.name)
            continue
        count = session.execute(
            select(func.count()).select_from(table).where(column == other.id, *_staying(table, keep))
        ).scalar_one()
        if count:
            moving.append((kind, int(count)))
    filled = [(_(FILLED[name]), str(value)) for name, value in _filled(keep, other).items()]
    return MergePreview(
        keep_id=keep.id or 0,
        keep_version=keep.version,
        keep_title=_title(keep),
        other_id=other.id or 0,
        other_version=other.version,
        other_title=_title(other),
        other_email=other.email,
        moving=moving,
        filled=filled,
        consent=keep.marketing_consent and other.marketing_consent,
        consent_withdrawn=keep.marketing_consent and not other.marketing_consent,
        stays_banned=keep.status == CustomerStatus.banned,
        portal_ends=session.execute(
            select(col(PortalAccount.id)).where(col(PortalAccount.customer_id) == other.id)
        ).first()
        is not None,
        refused=_refusal(keep, other),
        unseen=[_(MOVED[name]) if name in MOVED else name for name in sorted(set(unseen), key=_in_moved_order)],
    )


def _in_moved_order(table_name: str) -> tuple[int, str]:
    """MOVED's order (orders, requests, … first), then a table without a word by its name."""
    return (list(MOVED).index(table_name), '') if table_name in MOVED else (len(MOVED), table_name)


def read_permission(table_name: str) -> str:
    """The permission that lets a merger count what the merge moves in this table (see READ_WITH)."""
    if table_name in READ_WITH:
        return READ_WITH[table_name]
    listed = [r.read_permission for r in declaration.RESOURCES.values() if r.model.__tablename__ == table_name]
    return listed[0] if listed else PERMISSION


def merge_customers(
    *, session: Session, actor: User, keep_id: int, keep_version: int, other_id: int, other_version: int
) -> Customer:
    """Merge `other` into `keep` in one transaction, both at the versions the operator was shown (else StaleRecord).
    The kept customer's values win, its empty fields are filled from the other; the marketing consent is a yes only
    if both said yes; the other ends as status 'merged', pointing at the kept one, in the trash with its history."""
    require(actor, PERMISSION)
    if keep_id == other_id:
        raise ValidationFailed({'': _('A customer cannot be merged into itself')})
    # lock in id order, so two merges of the same pair in opposite directions do not deadlock on PostgreSQL
    locked = {}
    for record_id, version in sorted(((keep_id, keep_version), (other_id, other_version))):
        locked[record_id] = get_for_update(
            session, Customer, record_id, version, entity='customers', label=N_('customer')
        )
    keep, other = locked[keep_id], locked[other_id]
    if refusal := _refusal(keep, other):
        raise ValidationFailed({'': refusal})
    led = company_members.admin_of(session, other)  # the company the duplicate was admin of, if any
    _apply_rules(session, keep, other)
    for table, column in references():
        if table.name not in RULED:
            session.execute(update(table).where(column == other.id).values({column.name: keep.id}))

    summary = sentence(
        N_('Merged customer #{other} ({email}) into #{keep}'), other=other.id, email=other.email, keep=keep.id
    )
    before = audit.snapshot(keep)
    for name, value in _filled(keep, other).items():
        setattr(keep, name, value)
    keep.marketing_consent = keep.marketing_consent and other.marketing_consent  # a merge never opts anyone in
    keep.signed_up_at = min(keep.signed_up_at, other.signed_up_at)
    if other.last_seen_at and (keep.last_seen_at is None or other.last_seen_at > keep.last_seen_at):
        keep.last_seen_at = other.last_seen_at
    stamp(keep)
    session.add(keep)
    changes = audit.diff(before, audit.snapshot(keep))
    audit.record(
        session, actor, 'customer.merged', 'customers', keep.id, version=keep.version, changes=changes, summary=summary
    )

    before = audit.snapshot(other)
    other.status = CustomerStatus.merged
    other.merged_into_id = keep.id
    other.marketing_consent = False
    other.deleted_at = utcnow()
    stamp(other)
    session.add(other)
    audit.record(
        session,
        actor,
        'customer.merged',
        'customers',
        other.id,
        version=other.version,
        changes=audit.diff(before, audit.snapshot(other)),
        summary=summary,
    )
    if led is not None:  # its membership ended (another company's kept) or moved: the company keeps an admin
        session.flush()
        company_members.keep_an_admin(session, actor, led, because='merged', email=other.email)
    commit(
        session,
        (Topic.customers, {'id': keep.id, 'action': 'merged'}),
        (Topic.customers, {'id': other.id, 'action': 'merged'}),
    )
    return keep


def candidates(*, session: Session, actor: User, customer_id: int, text: str = '', limit: int = 20) -> dict[int, str]:
    """The customers the typed text finds by name, email or phone (however it is typed), other than this one and
    those merged or in the trash: id → "Name <email>"."""
    require(actor, PERMISSION)
    statement = select(col(Customer.id), col(Customer.name), col(Customer.email)).where(
        col(Customer.id) != customer_id,
        col(Customer.deleted_at).is_(None),
    )

    def named(found: Any = None) -> dict[int, str]:
        narrowed = statement if found is None else statement.where(found)
        rows = session.execute(narrowed.order_by(Customer.email).limit(limit)).all()
        return {row.id: f'{row.name} <{row.email}>' if row.name else row.email for row in rows}

    typed = text.strip()
    if not typed:
        return named()
    # the customer type-ahead's search: without accents ('lopez' finds 'López'), by phone however typed, several
    # words in any order when nobody holds them as typed ('Smith Anna' finds 'Anna Smith')
    return search.type_ahead(session, declaration.resource('customers'), typed, named) or {}


def merged_into(*, session: Session, actor: User, customer_id: int) -> int | None:
    """The customer this one was merged into, if it was (its page says so)."""
    require(actor, 'customers.read')
    return session.execute(
        select(col(Customer.merged_into_id)).where(col(Customer.id) == customer_id)
    ).scalar_one_or_none()


def _staying(table: Table, keep: Customer) -> tuple:
    """The conditions that leave out, from the preview's count, the rows a rule keeps where they are or drops because
    the kept customer has its own (as `_apply_rules` does)."""
    c = table.c
    if table.name == 'legal_acceptances':
        return (c.version_id.not_in(select(c.version_id).where(c.customer_id == keep.id)),)
    if table.name == 'customer_report_sends':
        return (c.period_key.not_in(select(c.period_key).where(c.customer_id == keep.id)),)
    if table.name == 'customer_report_choices':
        return (~select(c.id).where(c.customer_id == keep.id).exists(),)
    return ()


def _pair(session: Session, keep_id: int, other_id: int) -> tuple[Customer, Customer]:
    keep, other = session.get(Customer, keep_id), session.get(Customer, other_id)
    if keep is None or other is None:
        raise NotFound(_('This {label} no longer exists.').format(label=_('customer')))
    return keep, other


def _refusal(keep: Customer, other: Customer) -> str:
    if keep.id == other.id:
        return _('A customer cannot be merged into itself')
    if CustomerStatus.merged in (keep.status, other.status):
        return _('One of these customers was already merged into another')
    if keep.deleted_at is not None:
        return _('The customer kept is in the trash: restore it first')
    if other.status == CustomerStatus.banned and keep.status != CustomerStatus.banned:
        # merging would lift the ban silently, or ban the kept customer silently: the operator decides first
        return _('{other} is banned and {keep} is not: unban {other} first, or keep {other} instead').format(
            other=_title(other), keep=_title(keep)
        )
    return ''


def _filled(keep: Customer, other: Customer) -> dict[str, Any]:
    return {
        name: getattr(other, name)
        for name in FILLED
        if getattr(keep, name) in (None, '') and getattr(other, name) not in (None, '')
    }


def _title(customer: Customer) -> str:
    return f'{customer.name or customer.email} #{customer.id}'


def _apply_rules(session: Session, keep: Customer, other: Customer) -> None:
    """The tables a plain move would break (a unique constraint) or where a rule decides."""
    # company: one membership per customer; the same company twice keeps the higher role, another company's
    # membership of the duplicate ends (its span kept as an earlier period, so the company still sees what it saw)
    kept_member = session.execute(
        select(CompanyMember).where(col(CompanyMember.customer_id) == keep.id)
    ).scalar_one_or_none()
    other_member = session.execute(
        select(CompanyMember).where(col(CompanyMember.customer_id) == other.id)
    ).scalar_one_or_none()
    if other_member is not None:
        if kept_member is None:
            other_member.customer_id = keep.id or 0
            session.add(other_member)
        else:
            if kept_member.company_id == other_member.company_id:
                if ROLE_RANK[other_member.role] > ROLE_RANK[kept_member.role]:
                    kept_member.role = other_member.role
                    stamp(kept_member)
                    session.add(kept_member)
            elif other_member.accepted_at is not None or other_member.shared_from is None:
                session.add(
                    CompanyMemberPeriod(
                        company_id=other_member.company_id,
                        customer_id=keep.id or 0,
                        shared_from=other_member.shared_from,
                        ended_at=other_member.ended_at or utcnow(),
                    )
                )
            session.delete(other_member)
        session.flush()

    tables = SQLModel.metadata.tables
    # the report a customer chose: the kept customer's own choice stays
    choices = tables['customer_report_choices']
    if session.execute(select(choices.c.id).where(choices.c.customer_id == keep.id)).first() is not None:
        session.execute(delete(choices).where(choices.c.customer_id == other.id))
    session.execute(update(choices).where(choices.c.customer_id == other.id).values(customer_id=keep.id))
    # reports sent: one per customer and period; a period both were sent stays the kept customer's
    sends = tables['customer_report_sends']
    kept_periods = select(sends.c.period_key).where(sends.c.customer_id == keep.id)
    session.execute(
        update(sends)
        .where(sends.c.customer_id == other.id, sends.c.period_key.not_in(kept_periods))
        .values(customer_id=keep.id)
    )
    session.execute(delete(sends).where(sends.c.customer_id == other.id))
    # legal acceptances are append-only (never deleted): a version both accepted stays on the duplicate's record as
    # its history, the others move (a core UPDATE: the model's guard is against edits, not against a merge)
    accepted = tables['legal_acceptances']
    kept_versions = select(accepted.c.version_id).where(accepted.c.customer_id == keep.id)
    session.execute(
        update(accepted)
        .where(accepted.c.customer_id == other.id, accepted.c.version_id.not_in(kept_versions))
        .values(customer_id=keep.id)
    )
    # the portal: the kept customer's email stays how they sign in; the duplicate's sign-in, browsers and links end
    for name in ('portal_sessions', 'portal_links', 'portal_accounts'):
        table = tables[name]
        session.execute(delete(table).where(table.c.customer_id == other.id))
