"""Reports a company, or a customer without a company, is sent (the report's subject): its choice (none, every week,
every month; which contacts), the statement-and-activity PDF of a period (customer_report_pdf), "Send now", the list of
what was sent, and the hourly `customer-reports` job that mails each complete period once (a unique
`CustomerReportSend` per subject and period) through the outbox, each contact in their own language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, false, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice import changes, db, formatting, i18n
from backoffice.errors import NotFound, StaleRecord, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.kpi import days
from backoffice.models import (
    Company,
    CompanyMember,
    Customer,
    CustomerReportChoice,
    CustomerReportSend,
    Invoice,
    InvoiceKind,
    Order,
    OrderStatus,
    Ticket,
    User,
    utcnow,
)
from backoffice.permissions import can, require
from backoffice.resources.sales import SHOWN_ORDER_STATUSES
from backoffice.resources.support import STATUSES as TICKET_STATUSES
from backoffice.services import app_settings, audit, company_members, portal_scope, receivables, staff_mail
from backoffice.services.customer_report_pdf import Activity, InvoiceLine, OrderLine, RequestLine, draw
from backoffice.services.invoice_issue import language_of, seller_identity
from backoffice.services.orders import status_shown
from backoffice.services.report_schedules import last_period
from backoffice.stored_text import sentence, word

READ = 'finance.read'  # the report shows what the company or customer owes
FREQUENCIES = {'none': N_('Not sent'), 'weekly': N_('Every week'), 'monthly': N_('Every month')}


@dataclass(frozen=True)
class Sent:
    when: Any
    first: date
    last: date
    recipients: list[str]
    by: str  # who pressed "Send now"; '' for the schedule


@dataclass(frozen=True)
class Shown:
    frequency: str
    recipients: list[int]
    version: int
    contacts: dict[int, str]  # the company's contacts (or the customer): id → "Name <email>"
    sent: list[Sent]
    nobody: str = ''  # a company without a contact to send it to: why (none yet, all removed, in the trash)


@dataclass(frozen=True)
class Subject:
    """Whom a report is about: a company (its contacts receive it) or a customer without a company (they receive it)."""

    name: str
    company_id: int | None
    customer_id: int | None

    @property
    def entity(self) -> str:
        return 'companies' if self.company_id else 'customers'

    @property
    def key(self) -> int:
        return self.company_id or self.customer_id or 0

    def of(self, column_company: Any, column_customer: Any) -> Any:
        """The where-clause picking this subject's rows of a table with both columns."""
        return column_company == self.company_id if self.company_id else column_customer == self.customer_id


def may_manage(actor: User) -> bool:
    return can(actor, 'customers.write') and can(actor, READ)


def shown(*, session: Session, actor: User, company_id: int | None = None, customer_id: int | None = None) -> Shown:
    """The company's (or customer's) choice, its contacts and what was sent, newest first."""
    require(actor, READ)
    subject = _subject(session, company_id, customer_id)
    row = _choice(session, subject)
    sends = session.exec(
        select(CustomerReportSend)
        .where(subject.of(CustomerReportSend.company_id, CustomerReportSend.customer_id))
        .order_by(col(CustomerReportSend.id).desc())
        .limit(24)
    ).all()
    names = dict(session.exec(select(User.id, User.name)).all())
    contacts = _contacts(session, subject)
    return Shown(
        row.frequency if row else 'none',
        # chosen before they were removed (or trashed): no longer theirs, so neither shown nor saved again
        [r for r in row.recipients if r in contacts] if row else [c for c in [subject.customer_id] if c],
        row.version if row else 0,
        contacts,
        [Sent(s.sent_at, s.first_day, s.last_day, list(s.recipients), names.get(s.sent_by or 0, '')) for s in sends],
        '' if contacts or not subject.company_id else _nobody_left(session, subject.company_id),
    )


def company_of(*, session: Session, actor: User, customer_id: int) -> int | None:
    """The company a customer's reports go with (None: the customer has their own report)."""
    require(actor, READ)
    customer = session.get(Customer, customer_id)
    return customer.company_id if customer is not None else None


def save(
    *,
    session: Session,
    actor: User,
    company_id: int | None = None,
    customer_id: int | None = None,
    frequency: Any,
    recipients: Any,
    version: int,
) -> CustomerReportChoice:
    require(actor, 'customers.write')
    require(actor, READ)
    subject = _subject(session, company_id, customer_id)
    errors: dict[str, str] = {}
    if frequency not in FREQUENCIES:
        errors['frequency'] = _('Choose not sent, every week or every month.')
    contacts = _contacts(session, subject)
    try:
        ids = sorted({int(r) for r in recipients or []})
    except (TypeError, ValueError):
        ids = [-1]
    if any(i not in contacts for i in ids):
        errors['recipients'] = _not_among(subject)
    elif frequency in ('weekly', 'monthly') and not ids:
        errors['recipients'] = _nobody(subject)
    if errors:
        raise ValidationFailed(errors)
    # no row to lock before the first choice: two saves at once take turns, the second refused naming the first
    db.one_at_a_time(session, f'customer_report_choice:{subject.entity}:{subject.key}')
    row = session.exec(
        select(CustomerReportChoice)
        .where(subject.of(CustomerReportChoice.company_id, CustomerReportChoice.customer_id))
        .with_for_update()
    ).first()
    current = row.version if row else 0
    if current != version:
        saver = session.get(User, row.updated_by) if row and row.updated_by else None
        raise StaleRecord(
            N_('report choice'),
            (saver.name or saver.email) if saver else None,
            row.updated_at if row else None,
            current,
        )
    row = row or CustomerReportChoice(company_id=subject.company_id, customer_id=subject.customer_id, version=0)
    before = {'frequency': row.frequency, 'recipients': list(row.recipients or [])}
    row.frequency, row.recipients = frequency, ids
    row.version, row.updated_at, row.updated_by = current + 1, utcnow(), actor.id
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        'customer_report.updated',
        subject.entity,
        subject.key,
        changes={k: [before[k], v] for k, v in {'frequency': frequency, 'recipients': ids}.items() if before[k] != v},
        summary=sentence(
            N_('Reports to {company}: {frequency}'), company=subject.name, frequency=word(FREQUENCIES[frequency])
        ),
    )
    changes.commit(session)
    return row


def period_for(frequency: str, today: date) -> tuple[date, date]:
    """The last complete week (Monday to Sunday) or month; "not sent" previews the last month."""
    return last_period('weekly' if frequency == 'weekly' else 'monthly', today)


def preview_pdf(
    *,
    session: Session,
    actor: User,
    company_id: int | None = None,
    customer_id: int | None = None,
    today: date | None = None,
) -> tuple[bytes, str]:
    """The PDF the company (or customer) would get now for its last complete period, in its language, and its file
    name."""
    require(actor, READ)
    subject = _subject(session, company_id, customer_id)
    row = _choice(session, subject)
    today = today or days.today(app_settings.time_zone())
    first, last = period_for(row.frequency if row else 'monthly', today)
    language = language_of(_first_contact(session, subject))
    with i18n.use(language):
        pdf = _pdf(session, actor, subject, first, last, today)
    kind = 'company' if subject.company_id else 'customer'
    return pdf, f'report-{kind}-{subject.key}-{last.year:04d}{last.month:02d}{last.day:02d}.pdf'


def send_now(
    *,
    session: Session,
    actor: User,
    company_id: int | None = None,
    customer_id: int | None = None,
    today: date | None = None,
) -> CustomerReportSend:
    """Mail the last complete period's report to the chosen contacts now (whatever the schedule)."""
    require(actor, 'customers.write')
    require(actor, READ)
    subject = _subject(session, company_id, customer_id)
    row = _choice(session, subject)
    if row is None or not row.recipients:
        raise ValidationFailed({'recipients': _nobody(subject)})
    today = today or days.today(app_settings.time_zone())
    first, last = period_for(row.frequency, today)
    record = _mail(session, actor, subject, row, first, last, today, period_key=None)
    audit.record(
        session,
        actor,
        'customer_report.sent',
        subject.entity,
        subject.key,
        summary=sentence(N_('Report sent to {company}: {period}'), company=subject.name, period=f'{first} – {last}'),
    )
    changes.commit(session)
    return record


def send_due(*, today: date | None = None) -> int:
    """The `customer-reports` job: for each company or customer whose last complete week or month was not sent, mail
    it (once: the period's row is written first, unique per company or customer)."""
    from backoffice.db import session_scope

    with session_scope() as session:
        today = today or days.today(app_settings.time_zone())
        ids = list(
            session.exec(
                select(CustomerReportChoice.id).where(col(CustomerReportChoice.frequency).in_(('weekly', 'monthly')))
            ).all()
        )
    sent = 0
    for choice_id in ids:
        with session_scope() as session:
            row = session.get(CustomerReportChoice, choice_id)
            if row is None or not row.recipients:
                continue
            try:
                subject = _subject(session, row.company_id, row.customer_id)
            except (NotFound, ValidationFailed):  # deleted, or a customer who has joined a company since
                continue
            first, last = period_for(row.frequency, today)
            key = period_key(row.frequency, last)
            done = session.exec(
                select(CustomerReportSend.id).where(
                    subject.of(CustomerReportSend.company_id, CustomerReportSend.customer_id),
                    CustomerReportSend.period_key == key,
                )
            ).first()
            if done is not None:
                continue
            try:
                _mail(session, None, subject, row, first, last, today, period_key=key)
            except IntegrityError:  # another runner sent this period a moment ago
                session.rollback()
                continue
            session.commit()
            sent += 1
    return sent


# --- helpers ---------------------------------------------------------------------------------------------------------


def period_key(frequency: str, last: date) -> str:
    """The stored key of a scheduled period: 'monthly:2026-11-30' (machine text, not for a person)."""
    return f'{frequency}:{last.isoformat()}'


def _mail(
    session: Session,
    actor: User | None,
    subject: Subject,
    row: CustomerReportChoice,
    first: date,
    last: date,
    today: date,
    *,
    period_key: str | None,
) -> CustomerReportSend:
    contacts = session.exec(
        select(Customer).where(
            col(Customer.id).in_(row.recipients),
            _members(subject),
            col(Customer.deleted_at).is_(None),
            ~_removed(subject),
        )
    ).all()
    record = CustomerReportSend(
        company_id=subject.company_id,
        customer_id=subject.customer_id,
        period_key=period_key,
        first_day=first,
        last_day=last,
        recipients=[c.email for c in contacts],
        sent_by=actor.id if actor else None,
    )
    session.add(record)
    session.flush()  # the period's row first: a second runner stops here (unique), before any mail is written
    reader = actor or _system_reader()
    shop = app_settings.value(session=session, key='company_name') or ''
    for contact in contacts:
        with i18n.use(language_of(contact) or app_settings.default_language()):
            pdf = _pdf(session, reader, subject, first, last, today)
            period = formatting.days(first, last)
            title = _('{shop}: statement and activity of {company}, {period}').format(
                shop=shop, company=subject.name, period=period
            )
            body = '\n'.join(
                [
                    _('Hello {name},').format(name=contact.name or contact.email),
                    '',
                    _('Please find attached the statement and activity report of {company} for {period}.').format(
                        company=subject.name, period=period
                    ),
                    _('It lists your orders, invoices, what is open today and your requests with how long they took.'),
                    '',
                    _('Kind regards,'),
                    shop,
                ]
            )
            name = f'report-{last.year:04d}{last.month:02d}{last.day:02d}.pdf'
            staff_mail.queue_to(
                session,
                address=contact.email,
                subject=title,
                body=body,
                parts=[staff_mail.part(name, 'application/pdf', pdf)],
            )
    return record


def _system_reader() -> User:
    """The scheduled job reads as the system: an unsaved admin that only lends its permissions to the read."""
    return User(id=None, email='system@localhost', name='System', role='admin', password_hash='!')


def _pdf(session: Session, actor: User, subject: Subject, first: date, last: date, today: date) -> bytes:
    zone = app_settings.time_zone()
    start, _end = days.bounds(first, zone)
    _start, end = days.bounds(last, zone)
    placed = func.coalesce(Order.placed_at, Order.created_at)
    orders = session.exec(
        select(Order)
        .where(
            _shared(subject, Order.customer_id, placed),
            col(Order.placed_at) >= start,
            col(Order.placed_at) < end,
            Order.status != OrderStatus.draft,
        )
        .order_by(col(Order.placed_at))
    ).all()
    invoices = session.exec(
        select(Invoice)
        .join(Order, col(Order.id) == Invoice.order_id)
        .where(
            _shared(subject, Order.customer_id, placed), col(Invoice.issued_at) >= start, col(Invoice.issued_at) < end
        )
        .order_by(col(Invoice.issued_at))
    ).all()
    tickets = session.exec(
        select(Ticket)
        .where(
            _shared(subject, Ticket.customer_id, Ticket.created_at),
            col(Ticket.created_at) >= start,
            col(Ticket.created_at) < end,
        )
        .order_by(col(Ticket.created_at))
    ).all()
    merged = _merged_into(session, subject, tickets)
    activity = Activity(
        subject.name,
        first,
        last,
        [
            OrderLine(
                o.number, o.placed_at, formatting.label(status_shown(o), SHOWN_ORDER_STATUSES), o.total, o.currency
            )
            for o in orders
        ],
        [
            InvoiceLine(
                i.number,
                _('Credit note') if i.kind == InvoiceKind.credit_note else _('Invoice'),
                i.issued_at,
                -i.total if i.kind == InvoiceKind.credit_note else i.total,
                i.currency,
            )
            for i in invoices
        ],
        receivables.report(
            session=session,
            actor=actor,
            today=today,
            company_id=subject.company_id,
            customer_id=subject.customer_id,
            where=_shared(subject, Order.customer_id, placed) if subject.company_id else None,
        ),
        [
            RequestLine(
                t.number,
                t.subject,
                t.created_at,
                merged.get(t.id or 0) or _(TICKET_STATUSES[t.status]),
                (t.solved_at - t.created_at).total_seconds() / 3600 if t.solved_at and not t.merged_into_id else None,
            )
            for t in tickets
        ],
        app_settings.cached('currency') or 'EUR',
    )
    return draw(activity, seller_identity(session))


def _merged_into(session: Session, subject: Subject, tickets: Sequence[Ticket]) -> dict[int, str]:
    """What became of the requests merged into another (by id): carried on in that conversation, said so ('Merged into
    #12') and never as resolved at the merge, which closed them; a request of someone the report is not about is not
    named (as the portal tells a customer nothing of it)."""
    into = {t.merged_into_id for t in tickets if t.merged_into_id}
    if not into:
        return {}
    shown = dict(
        session.exec(
            select(Ticket.id, Ticket.number)
            .join(Customer, col(Customer.id) == col(Ticket.customer_id))
            .where(col(Ticket.id).in_(into), _members(subject))
        ).all()
    )
    return {
        t.id or 0: _('Merged into #{number}').format(number=shown[t.merged_into_id])
        if t.merged_into_id in shown
        else _('Merged into another request')
        for t in tickets
        if t.merged_into_id
    }


def _subject(session: Session, company_id: int | None, customer_id: int | None) -> Subject:
    """The company, or the customer without a company, a report is about (exactly one of the two ids)."""
    if company_id:
        company = session.get(Company, company_id)
        if company is None or company.deleted_at is not None:
            raise NotFound(_('This company does not exist.'))
        return Subject(company.name, company.id, None)
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None or customer.deleted_at is not None:
        raise NotFound(_('This customer does not exist.'))
    if customer.company_id is not None:
        raise ValidationFailed({'recipients': _('This customer’s reports go with their company’s.')})
    return Subject(customer.name or customer.email, None, customer.id)


def _members(subject: Subject) -> Any:
    """The customers whose orders, invoices and requests the report covers (and who may receive it)."""
    if subject.company_id:
        return Customer.company_id == subject.company_id
    return Customer.id == subject.customer_id


def _shared(subject: Subject, column: Any, at: Any) -> Any:
    """The records (by their customer column, made at `at`) the report covers: a company's, what the company may see
    of its contacts (each member's within their membership, as the portal shows it); a customer's, their own."""
    if subject.company_id:
        return portal_scope.shared_with_company(subject.company_id, column, at)
    return column == subject.customer_id


def _removed(subject: Subject) -> Any:
    """Contacts the company removed from its members: its report is theirs no more (they stay contacts for staff)."""
    if not subject.company_id:
        return false()
    return exists().where(
        col(CompanyMember.customer_id) == Customer.id,
        col(CompanyMember.company_id) == subject.company_id,
        col(CompanyMember.ended_at).is_not(None),
    )


def _not_among(subject: Subject) -> str:
    if subject.company_id:
        return _('Choose among the company’s contacts.')
    return _('Only this customer can receive their report.')


def _nobody(subject: Subject) -> str:
    if subject.company_id:
        return _('Choose who receives it among the company’s contacts.')
    return _('Choose the customer as recipient.')


def _nobody_left(session: Session, company_id: int) -> str:
    """Why a company has no contact to send its report to: the company's members were all removed (the last: whom,
    by whom, when), its contacts are in the trash, or it never had one."""
    removal = company_members.last_removal(session, company_id)
    if removal is not None and removal.by:
        return _(
            'No contact left to send it to: every member was removed from the company, the last, {email}, by {who} on'
            ' {when}.'
        ).format(email=removal.email, who=removal.by, when=formatting.when(removal.at))
    if removal is not None:
        return _(
            'No contact left to send it to: every member was removed from the company, the last, {email}, on {when}.'
        ).format(email=removal.email, when=formatting.when(removal.at))
    trashed = session.exec(select(func.count()).select_from(Customer).where(Customer.company_id == company_id)).one()
    if trashed:  # contacts, none of them out of the trash (the list shows only those)
        return _('No contact left to send it to: this company’s contacts are in the trash.')
    return _('This company has no contact yet: add a customer to it first.')


def _choice(session: Session, subject: Subject) -> CustomerReportChoice | None:
    return session.exec(
        select(CustomerReportChoice).where(
            subject.of(CustomerReportChoice.company_id, CustomerReportChoice.customer_id)
        )
    ).first()


def _contacts(session: Session, subject: Subject) -> dict[int, str]:
    """Who may be chosen to receive the report: the contacts it is mailed to (not one the company removed)."""
    rows = session.exec(
        select(Customer)
        .where(_members(subject), col(Customer.deleted_at).is_(None), ~_removed(subject))
        .order_by(col(Customer.name), col(Customer.id))
    ).all()
    return {c.id or 0: f'{c.name} <{c.email}>' if c.name else c.email for c in rows}


def _first_contact(session: Session, subject: Subject) -> Customer | None:
    return session.exec(select(Customer).where(_members(subject)).order_by(col(Customer.id))).first()
