"""Payment reminders (dunning): the daily job writes one reminder per overdue invoice and level reached (levels and
templates in the settings, never the same level twice for an invoice), in the customer's language, on the order's
timeline; with "review before sending" a person approves or cancels each on the receivables screen; the outbox job
sends them by SMTP with the invoice PDF attached."""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlmodel import Session, col, select

from backoffice import events, formatting, i18n, stored_text
from backoffice.config import Settings
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, ServiceError
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import Customer, Invoice, Order, Reminder, ReminderStatus, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, audit, documents, mail, orders, receivables
from backoffice.services.invoice_issue import language_of
from backoffice.stored_text import sentence

log = logging.getLogger(__name__)

LEVELS = (1, 2, 3)
MAX_ATTEMPTS = 5
DEFAULT_SUBJECT = N_('Payment reminder: invoice {invoice}')
DEFAULT_BODY = N_(
    'Hello,\n\nour records show that invoice {invoice}, due on {due}, is {days} days overdue: {amount} is still '
    'open. If you have paid it in the meantime, thank you and please ignore this message; otherwise we would be '
    'grateful for your payment.\n\nThe invoice is attached.'
)
PLACEHOLDER = re.compile(r'\{(invoice|amount|due|days)\}')
# what the order's timeline and the audit log say of a reminder, in each reader's language; entries written before
# (their English text only) read the same, recognised by their words (stored_text.formerly_plain)
WAITS = N_('Payment reminder {level} for invoice {invoice} waits for review')
QUEUED = N_('Payment reminder {level} for invoice {invoice} queued')
APPROVED = N_('Payment reminder {level} for {invoice} approved')
CANCELLED = N_('Payment reminder {level} for {invoice} cancelled')
SENT = N_('Payment reminder {level} sent to {email}')
NOT_SENT = N_('Payment reminder {level} could not be sent: {error}')
PAID_BEFORE = N_('Payment reminder {level} not sent: the invoice is paid')
WRITTEN = {
    ReminderStatus.review: N_('Payment reminder {level} for order {order} written: waits for review'),
    ReminderStatus.queued: N_('Payment reminder {level} for order {order} written: queued'),
}
DECIDED = {
    True: N_('Payment reminder {level} for invoice {invoice} approved'),
    False: N_('Payment reminder {level} for invoice {invoice} cancelled'),
}
for _said in (*DECIDED.values(), WAITS, QUEUED, APPROVED, CANCELLED, SENT, NOT_SENT, PAID_BEFORE):  # 'for invoice …'
    stored_text.formerly_plain(_said)  # before 'for …': the longer words first
for _status, _said in WRITTEN.items():
    stored_text.formerly_plain(_said, 'Payment reminder {level} for order {order} (' + _status.value + ')')


@dataclass(frozen=True)
class Level:
    level: int
    days: int
    subject: str  # the setting's template, '' for the built-in one
    body: str


def levels(session: Session) -> list[Level]:
    """The reminder levels set (days > 0), from the first to the last."""
    found = []
    for level in LEVELS:
        days = app_settings.value(session=session, key=f'reminder_{level}_days')
        if days:
            found.append(
                Level(
                    level,
                    int(days),
                    app_settings.value(session=session, key=f'reminder_{level}_subject') or '',
                    app_settings.value(session=session, key=f'reminder_{level}_body') or '',
                )
            )
    return sorted(found, key=lambda x: x.days)


def fill(template: str, values: dict[str, str]) -> str:
    """The template with its four placeholders filled; anything else (other braces, markup) stays as typed."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def queue_reminders(*, session: Session, today: date | None = None) -> list[int]:
    """The daily job: for every overdue invoice, the reminder of the highest level it reached unless that level (or a
    later one) was written already. One transaction; returns the reminders' ids."""
    today = today or shop_today(app_settings.time_zone())
    set_levels = levels(session)
    if not set_levels:
        return []
    review = bool(app_settings.value(session=session, key='reminder_review'))
    written: dict[int, int] = {}
    for invoice_id, level in session.exec(select(Reminder.invoice_id, Reminder.level)).all():
        written[invoice_id] = max(written.get(invoice_id, 0), level)
    made: list[Reminder] = []
    for item in receivables.open_items(session, today=today):
        reached = [lv for lv in set_levels if item.days_overdue >= lv.days]
        if not reached or written.get(item.invoice_id, 0) >= reached[-1].level:
            continue
        made.append(_write(session, item, reached[-1], ReminderStatus.review if review else ReminderStatus.queued))
    if made:
        session.flush()
        for reminder in made:
            audit.record(
                session,
                None,
                'reminder.written',
                'reminders',
                reminder.id,
                summary=sentence(WRITTEN[reminder.status], level=reminder.level, order=reminder.order_id),
            )
        events.after_commit(session, Topic.receivables, {'action': 'reminders', 'count': len(made)})
    session.commit()
    return [r.id for r in made if r.id is not None]


def _write(session: Session, item: receivables.OpenItem, level: Level, status: ReminderStatus) -> Reminder:
    customer = session.get(Customer, item.customer_id)
    with i18n.use(language_of(customer)) as language:
        subject, body = _text(item, level)
    reminder = Reminder(
        invoice_id=item.invoice_id,
        order_id=item.order_id,
        level=level.level,
        status=status,
        email=item.email,
        subject=subject[:300],
        body=body,
        language=language,
    )
    session.add(reminder)
    order = session.get(Order, item.order_id)
    if order is not None:
        said = WAITS if status == ReminderStatus.review else QUEUED
        orders.log_event(session, order, 'reminder', sentence(said, level=level.level, invoice=item.number), None)
    return reminder


def _text(item: receivables.OpenItem, level: Level) -> tuple[str, str]:
    """The subject and body of a reminder about `item`, in the current language."""
    values = {
        'invoice': item.number,
        'amount': formatting.money(item.open, item.currency),
        'due': formatting.day(item.due_on),
        'days': formatting.number(item.days_overdue),
    }
    return fill(level.subject or _(DEFAULT_SUBJECT), values)[:300], fill(level.body or _(DEFAULT_BODY), values)


def current_text(session: Session, reminder: Reminder, today: date | None = None) -> tuple[str, str]:
    """A reminder not sent yet as it reads today: written when the invoice fell overdue, it waits for a person's review
    or the outbox while the customer may pay part of it, so its amount (and days overdue) are those of today, else it
    would ask for money already received. Its stored text when the invoice is no longer open (the outbox cancels it)."""
    if reminder.status not in (ReminderStatus.review, ReminderStatus.queued):
        return reminder.subject, reminder.body
    today = today or shop_today(app_settings.time_zone())
    found = receivables.open_items(session, today=today, where=col(Invoice.id) == reminder.invoice_id)
    if not found:
        return reminder.subject, reminder.body
    level = Level(
        reminder.level,
        0,
        app_settings.value(session=session, key=f'reminder_{reminder.level}_subject') or '',
        app_settings.value(session=session, key=f'reminder_{reminder.level}_body') or '',
    )
    with i18n.use(reminder.language):
        return _text(found[0], level)


@dataclass(frozen=True)
class ReminderRow:
    id: int
    level: int
    status: str
    invoice: str
    order_number: str
    email: str
    subject: str
    body: str
    created_at: str


def reminders(*, session: Session, actor: User, status: ReminderStatus | None = None, limit: int = 200) -> list:
    """Reminders, newest first (those waiting for review when `status` says so), for the receivables screen."""
    require(actor, 'finance.read')
    query = (
        select(Reminder, Invoice.number, Order.number)
        .join(Invoice, col(Invoice.id) == Reminder.invoice_id)
        .join(Order, col(Order.id) == Reminder.order_id)
        .order_by(col(Reminder.id).desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Reminder.status == status)
    today = shop_today(app_settings.time_zone())
    rows = []
    for r, number, order_number in session.exec(query).all():
        subject, body = current_text(session, r, today)
        rows.append(
            ReminderRow(
                r.id or 0,
                r.level,
                r.status.value,
                number,
                order_number,
                r.email,
                subject,
                body,
                formatting.when(r.created_at),
            )
        )
    return rows


def decide(*, session: Session, actor: User, reminder_id: int, approve: bool) -> Reminder:
    """A person approves a reminder waiting for review (it goes to the outbox) or cancels it (never sent, and its
    level is not written again for that invoice)."""
    require(actor, 'finance.manage')
    reminder = session.exec(select(Reminder).where(Reminder.id == reminder_id).with_for_update()).first()
    if reminder is None:
        raise NotFound(_('This reminder no longer exists.'))
    if reminder.status != ReminderStatus.review:
        raise ServiceError(_('This reminder was already decided.'))
    reminder.status = ReminderStatus.queued if approve else ReminderStatus.cancelled
    reminder.decided_by, reminder.decided_at = actor.id, utcnow()
    session.add(reminder)
    invoice = session.get(Invoice, reminder.invoice_id)
    number = invoice.number if invoice is not None else ''
    said = 'approved' if approve else 'cancelled'
    order = session.get(Order, reminder.order_id)
    if order is not None:
        orders.log_event(
            session,
            order,
            'reminder',
            sentence(APPROVED if approve else CANCELLED, level=reminder.level, invoice=number),
            actor,
        )
    audit.record(
        session,
        actor,
        f'reminder.{said}',
        'reminders',
        reminder.id,
        summary=sentence(DECIDED[approve], level=reminder.level, invoice=number),
    )
    events.after_commit(session, Topic.receivables, {'action': said, 'reminder_id': reminder.id})
    session.commit()
    return reminder


def send_reminders(settings: Settings, *, limit: int = 50) -> dict[str, int]:
    """The outbox job for reminders: each queued one by SMTP with its invoice PDF attached, marked sent or failed
    (retried up to five times); one whose invoice was paid meanwhile is cancelled, not sent."""
    counts = {'sent': 0, 'failed': 0, 'retry': 0, 'cancelled': 0}
    if not settings.smtp_url:
        return counts
    with session_scope() as session:
        sender = app_settings.value(session=session, key='support_email')
        company = app_settings.value(session=session, key='company_name')
        queued = list(
            session.exec(
                select(Reminder).where(Reminder.status == ReminderStatus.queued).order_by(col(Reminder.id)).limit(limit)
            )
        )
    if not sender or not queued:
        return counts
    try:
        server = mail.connect(settings.smtp_url)
    except mail.SMTP_ERRORS as error:
        log.warning('cannot reach the mail server: %s', error)
        return counts
    with mail.hanging_up(server):
        for reminder in queued:
            with read_session() as session:
                invoice = session.get(Invoice, reminder.invoice_id)
                paid = invoice is None or receivables.amount_open(session, invoice) <= 0
                if not paid:  # what is open today, not when it was written (a part may have been paid since)
                    reminder.subject, reminder.body = current_text(session, reminder)
            if invoice is None or paid:
                counts[_mark(reminder.id, None, cancelled=True)] += 1
                continue
            pdf = documents.invoice_pdf(invoice, reminder.language)
            email = _email(reminder, invoice.number, pdf, sender, company)
            counts[_mark(reminder.id, mail.send_one(server, email), sent_text=(reminder.subject, reminder.body))] += 1
    return counts


def _email(reminder: Reminder, number: str, pdf: bytes, sender: str, company: str) -> EmailMessage:
    email = EmailMessage()
    email['From'] = formataddr((company, sender))
    email['To'] = reminder.email
    email['Subject'] = reminder.subject
    email['Message-ID'] = make_msgid(f'reminder{reminder.id}', domain=sender.rsplit('@', 1)[-1])
    email.set_content(reminder.body)
    email.add_attachment(pdf, maintype='application', subtype='pdf', filename=f'{number}.pdf')
    return email


def _mark(
    reminder_id: int | None,
    error: BaseException | None,
    *,
    cancelled: bool = False,
    sent_text: tuple[str, str] | None = None,
) -> str:
    with session_scope() as session:
        reminder = session.get(Reminder, reminder_id)
        if reminder is None or reminder.status != ReminderStatus.queued:
            return 'retry'
        if sent_text is not None and error is None:  # the reminder keeps what was sent
            reminder.subject, reminder.body = sent_text
        reminder.attempts += 0 if cancelled else 1
        if cancelled:
            outcome, reminder.status = 'cancelled', ReminderStatus.cancelled
        elif error is None:
            outcome, reminder.status, reminder.sent_at, reminder.delivery_error = (
                'sent',
                ReminderStatus.sent,
                utcnow(),
                None,
            )
        else:
            reminder.delivery_error = (str(error) or type(error).__name__)[:500]
            permanent = isinstance(error, smtplib.SMTPRecipientsRefused) or reminder.attempts >= MAX_ATTEMPTS
            outcome = 'failed' if permanent else 'retry'
            if permanent:
                reminder.status = ReminderStatus.failed
        session.add(reminder)
        order = session.get(Order, reminder.order_id)
        if order is not None and outcome != 'retry':
            text = {
                'sent': sentence(SENT, level=reminder.level, email=reminder.email),
                'failed': sentence(NOT_SENT, level=reminder.level, error=reminder.delivery_error or ''),
                'cancelled': sentence(PAID_BEFORE, level=reminder.level),
            }[outcome]
            orders.log_event(session, order, 'reminder', text, None)
        session.commit()
    return outcome
