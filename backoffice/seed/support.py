"""Demo support desk: canned replies and ~60 requests with threads — open, waiting, breaching, solved and rated."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from backoffice.models import (
    BugSeverity,
    BugStatus,
    CannedReply,
    Customer,
    Delivery,
    MessageKind,
    Order,
    OrderStatus,
    Role,
    Ticket,
    TicketMessage,
    TicketPriority,
    TicketSource,
    TicketStatus,
    TicketType,
    User,
    utcnow,
)
from backoffice.services import ticket_sla, tickets

TICKETS = 60
SHIPPED = (OrderStatus.shipped, OrderStatus.delivered)

CANNED = [
    (
        'Where is my order',
        'Hi {customer_first_name},\n\nthanks for your patience. Order {order_number} left our warehouse '
        'and should reach you within two working days.\n\nBest regards,\n{agent_name}',
    ),
    (
        'Return label',
        'Hi {customer_first_name},\n\nI have attached a prepaid return label for order {order_number}. Once '
        'the parcel is back with us, the refund follows within five days.\n\n{agent_name}',
    ),
    (
        'Need more details',
        'Hi {customer_first_name},\n\ncould you tell us a little more (screenshots help a lot)? Just reply '
        'to this email and quote request #{request_number}.\n\n{agent_name}',
    ),
    (
        'Bug confirmed',
        'Hi {customer_first_name},\n\nthank you for the report: we could reproduce it, and our developers are '
        'on it. We will write again when the fix is out.\n\n{agent_name}',
    ),
    (
        'Thanks for the feedback',
        'Hi {customer_first_name},\n\nthank you for taking the time to write. I have passed your '
        'feedback on to the team.\n\n{agent_name}',
    ),
    (
        'Closing — no reply',
        'Hi {customer_first_name},\n\nwe have not heard back, so I am closing request #{request_number}. '
        'Just reply if you still need help.\n\n{agent_name}',
    ),
]

SUBJECTS = {
    TicketType.question: [
        'Where is my order?',
        'Can I change my delivery address?',
        'Do you ship to Norway?',
        'Invoice with VAT number',
        'Payment declined but money taken',
    ],
    TicketType.bug: [
        'Checkout button does nothing on Safari',
        'App crashes when I upload a photo',
        'Discount code not applied',
        'Password reset email never arrives',
    ],
    TicketType.return_exchange: ['Wrong size — exchange please', 'Return a damaged item', 'Refund not received yet'],
    TicketType.feedback: ['Love the new app!', 'Packaging could be greener', 'Suggestion: dark mode'],
    TicketType.other: ['Partnership enquiry', 'Press request', 'Question about your careers page'],
}
BODIES = [
    'Hello, {subject_lower}. Could you help me? Thanks!',
    'Hi team,\n\n{subject_lower}. My order number is in the subject line.\n\nKind regards',
    '{subject_lower} — this is the second time I write about it.',
    'Good morning! {subject_lower}. I attached nothing because your form does not allow attachments.',
]
REPLIES = [
    'Thanks for reaching out! I am looking into this now.',
    'Could you send us a photo of the label?',
    'I have checked with our warehouse: it is on its way.',
    'Sorry for the trouble — this is fixed now.',
]
FOLLOW_UPS = ['Thanks, here is the photo.', 'Any news?', 'It works now, thank you!', 'Still waiting…']
NOTES = [
    'Customer has written three times this month.',
    'Checked with logistics, tracking updated.',
    'Escalated to the developers.',
]
COMMENTS = [None, 'Fast and friendly.', 'Took a while, but solved.', 'Great support!', 'Not really solved.']


def _order_named(rng: random.Random, kind: TicketType, numbers: list[str]) -> str | None:
    """A return always names one of the customer's shipped orders; questions and bugs sometimes do."""
    if not numbers or kind == TicketType.feedback or (kind != TicketType.return_exchange and rng.random() < 0.5):
        return None
    return rng.choice(numbers[-5:])


def seed_support(session: Session, rng: random.Random) -> list[str]:
    """Canned replies and demo requests, once (nothing is added when requests exist). Needs customers and agents."""
    lines = []
    if session.exec(select(CannedReply.id)).first() is None:
        session.add_all([CannedReply(title=title, body=body) for title, body in CANNED])
        session.commit()
        lines.append(f'Support: {len(CANNED)} canned replies')
    if session.exec(select(Ticket.id)).first() is not None:
        return lines
    customers = list(
        session.exec(select(Customer).where(col(Customer.deleted_at).is_(None)).order_by(col(Customer.id)).limit(200))
    )
    agents = list(
        session.exec(select(User).where(User.role == Role.agent, col(User.is_active).is_(True)).order_by(col(User.id)))
    )
    if not customers or not agents:
        return lines
    orders_of: dict[int, list[str]] = {}  # requests name real orders: shipped ones, so that a return can start
    for customer_id, number in session.exec(
        select(Order.customer_id, Order.number)
        .where(col(Order.customer_id).in_([c.id for c in customers]), col(Order.status).in_(SHIPPED))
        .order_by(col(Order.id))
    ):
        orders_of.setdefault(customer_id, []).append(number)
    now = utcnow().replace(second=0, microsecond=0)
    made = breaching = rated = 0
    for index in range(TICKETS):
        customer = rng.choice(customers)
        kind = rng.choices(list(SUBJECTS), weights=[40, 15, 25, 10, 10])[0]
        subject = rng.choice(SUBJECTS[kind])
        priority = rng.choices(list(TicketPriority), weights=[20, 55, 18, 7])[0]
        # newest last; a few very recent ones are still new and unassigned
        created = now - timedelta(hours=(TICKETS - index) * rng.uniform(4, 9))
        status = _status_for(rng, index)
        ticket = Ticket(
            number=tickets._next_number(session),
            subject=subject,
            customer_id=customer.id,
            type=kind,
            priority=priority,
            status=TicketStatus.new,
            source=TicketSource.seed,
            order_number=_order_named(rng, kind, orders_of.get(customer.id, [])),
            token=secrets.token_urlsafe(24),
            created_at=created,
            updated_at=created,
            tags=rng.sample(['vip', 'shipping', 'refund', 'mobile', 'invoice'], rng.randint(0, 2)),
        )
        first, resolution = ticket_sla.sla_targets(session=session, priority=priority)
        ticket.first_response_due, ticket.resolution_due = created + first, created + resolution
        if kind == TicketType.bug:
            ticket.severity = rng.choice(list(BugSeverity))
            ticket.steps = '1. Open the page\n2. Do the thing\n3. It breaks'
            ticket.bug_status = rng.choice(list(BugStatus))
            ticket.fixed_in_version = (
                f'2.{rng.randint(1, 9)}.{rng.randint(0, 5)}' if ticket.bug_status == BugStatus.fixed else None
            )
        session.add(ticket)
        session.flush()
        agent = rng.choice(agents)
        thread = [
            TicketMessage(
                ticket_id=ticket.id,
                kind=MessageKind.customer,
                customer_id=customer.id,
                created_at=created,
                body=rng.choice(BODIES).format(subject_lower=subject.lower()),
            )
        ]
        moment = created
        if status != TicketStatus.new:
            ticket.assignee_id = agent.id
            answered = status != TicketStatus.open or rng.random() < 0.5
            if answered:
                moment = min(now, created + first * rng.uniform(0.2, 1.4))
                ticket.first_responded_at = moment
                thread.append(
                    TicketMessage(
                        ticket_id=ticket.id,
                        kind=MessageKind.reply,
                        author_id=agent.id,
                        created_at=moment,
                        body=rng.choice(REPLIES),
                        delivery=Delivery.sent,
                        sent_at=moment,
                        attempts=1,
                    )
                )
                # the customer wrote back: only an open request (their message reopens a waiting or solved one)
                if rng.random() < 0.4 and status == TicketStatus.open:
                    moment = min(now, moment + timedelta(hours=rng.uniform(1, 20)))
                    thread.append(
                        TicketMessage(
                            ticket_id=ticket.id,
                            kind=MessageKind.customer,
                            customer_id=customer.id,
                            created_at=moment,
                            body=rng.choice(FOLLOW_UPS),
                        )
                    )
            if rng.random() < 0.3:
                thread.append(
                    TicketMessage(
                        ticket_id=ticket.id,
                        kind=MessageKind.note,
                        author_id=agent.id,
                        created_at=moment + timedelta(minutes=5),
                        body=rng.choice(NOTES),
                    )
                )
        ticket.status = status
        if status in tickets.DONE:
            ticket.solved_at = min(now, moment + timedelta(hours=rng.uniform(0.5, 30)))
            if rng.random() < 0.6:
                ticket.rating = rng.choices([1, 2, 3, 4, 5], weights=[5, 5, 15, 35, 40])[0]
                ticket.rating_comment = rng.choice(COMMENTS)
                ticket.rated_at = min(now, ticket.solved_at + timedelta(hours=rng.uniform(1, 48)))
                rated += 1
        ticket_sla.refresh_sla_due(ticket, now=max(m.created_at for m in thread))  # waiting since its last message
        if ticket.sla_due_at is not None and ticket.sla_due_at < now:
            ticket.sla_breached_at = ticket.sla_due_at + timedelta(minutes=1)
            breaching += 1
        ticket.updated_at = max(m.created_at for m in thread)
        session.add(ticket)
        session.add_all(thread)
        made += 1
    session.commit()
    lines.append(f'Support: {made} requests ({breaching} breaching their SLA, {rated} rated)')
    return lines


def _status_for(rng: random.Random, index: int) -> TicketStatus:
    if index >= TICKETS - 6:
        return TicketStatus.new
    return rng.choices(
        [TicketStatus.open, TicketStatus.waiting, TicketStatus.solved, TicketStatus.closed], weights=[25, 20, 35, 20]
    )[0]
