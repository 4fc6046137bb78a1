"""Outbound webhooks: endpoints (admins manage them), the outbox each core event fills with one delivery per endpoint
that wants it, and the dispatcher that POSTs due deliveries signed with HMAC-SHA256, retrying with backoff.

`wire()`'s writers hear each event inside the transaction of the change (events.write_with), so a delivery commits
with its change: an acknowledged order or request always has its deliveries queued, a rolled-back one never. A
delivery's `dedup_key` (e.g. 'order.paid:42') is unique per endpoint, so an event heard twice (the same change
published twice, or a repeated payment) is sent once. The dispatcher claims a delivery (pushes its next attempt a
lease into the future) before sending it, so two runners never send the same one twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from backoffice import changes, events, formatting, outbound, secret_box, secret_hint, stored_text
from backoffice.changes import get_for_update, stamp
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import (
    Customer,
    DeliveryStatus,
    MessageKind,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    Return,
    Shipment,
    ShipmentLine,
    Ticket,
    TicketMessage,
    TicketStatus,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from backoffice.permissions import PERMISSIONS, can, require
from backoffice.services import audit
from backoffice.stored_text import Sentence, count, sentence
from backoffice.validation import name_problem

log = logging.getLogger(__name__)

PERMISSION = 'webhooks.manage'
TEST_EVENT = 'webhook.test'

EVENT_TYPES: dict[str, str] = {
    'order.created': N_('An order was placed (or a staff draft confirmed)'),
    'order.paid': N_('Payments cover an order'),
    'order.parcel_shipped': N_('A parcel of an order left the warehouse; the rest follows'),
    'order.shipped': N_('An order left the warehouse'),
    'order.tracking_changed': N_("A shipped order's carrier or tracking number was put right"),
    'order.parcel_delivered': N_('A parcel of an order was delivered; others are on their way'),
    'order.delivered': N_('An order was delivered'),
    'order.cancelled': N_('An order was cancelled'),
    'refund.created': N_('Money was refunded on an order'),
    'request.created': N_('A customer request arrived'),
    'request.replied': N_('Staff answered a request'),
    'request.solved': N_('A request was solved'),
    'return.created': N_('A return was started'),
    'return.received': N_('A returned parcel arrived'),
}

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)  # the wait after the 1st, 2nd… failed attempt
MAX_ATTEMPTS = len(BACKOFF) + 1  # then the delivery is failed (Resend starts it over)
TIMEOUT_SECONDS = 5
BATCH = 2_000  # at most this many deliveries per dispatcher run (every 10 s) ...
RUN_SECONDS = 8.0  # ... and no new one claimed after this long, so runs do not pile up
WORKERS = 8  # endpoints served at once; each endpoint's deliveries go one after the other, oldest first
LEASE = timedelta(minutes=2)  # a claimed delivery is not picked again before this (> timeout)


class EndpointIn(BaseModel):
    name: str
    url: str
    events: str = '*'
    is_active: bool = True


class EndpointChange(BaseModel):
    name: str | None = None
    url: str | None = None
    events: str | None = None
    is_active: bool | None = None


# --- endpoints (admins) ----------------------------------------------------------------------------------------------


def create_endpoint(*, session: Session, actor: User, data: dict[str, Any]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (`whsec_…`), which the caller shows once."""
    require(actor, PERMISSION)
    values = _valid(data, partial=False)
    _may_receive(actor, values['events'])
    secret = new_secret()
    endpoint = WebhookEndpoint(**values, secret=secret_box.encrypt(secret))  # stored encrypted, shown once
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        actor,
        'webhook.created',
        'webhook',
        endpoint.id,
        version=endpoint.version,
        changes=audit.diff({}, audit.snapshot(endpoint)),
        summary=sentence(
            N_('Webhook {name} to {url} for {events}'),
            name=repr(endpoint.name),
            url=endpoint.url,
            events=str(endpoint.events),
        ),
    )
    changes.commit(session, (Topic.webhooks, {'id': endpoint.id, 'action': 'created'}))
    return endpoint, secret


def update_endpoint(
    *, session: Session, actor: User, endpoint_id: int, version: int | None, changes: dict[str, Any]
) -> WebhookEndpoint:
    """The fields changed; an address typed back with its secrets masked (as the screens and the API show it) keeps
    the secrets it holds (see address_shown)."""
    require(actor, PERMISSION)
    endpoint = _locked(session, endpoint_id, version)
    if isinstance(changes.get('url'), str) and secret_hint.MASK in changes['url']:
        kept = secret_hint.credentials_kept(changes['url'].strip(), endpoint.url)
        if kept is None:
            session.rollback()
            raise ValidationFailed({'url': _(SECRET_TYPED_AGAIN)})
        changes = {**changes, 'url': kept}
    try:
        values = _valid(changes, partial=True)
    except ValidationFailed:
        session.rollback()
        raise
    if {'url', 'events', 'is_active'} & set(values):  # where the events go, or which: only for who may read them
        try:
            _may_receive(actor, values.get('events', endpoint.events))
        except ValidationFailed:
            session.rollback()
            raise
    return _save(session, actor, endpoint, values, 'updated')


SECRET_TYPED_AGAIN = N_(
    'Type the password or token again: •••••• keeps a secret of this address only for the same host, and where it '
    'stood before'
)


def address_shown(endpoint: WebhookEndpoint) -> str:
    """The address as every screen, export and API answer shows it: its user:password@ and ?token=… masked (they
    sign the receiver in; the delivery alone uses them), its host and path as typed."""
    return secret_hint.credentials_masked(endpoint.url)


def found_by_address(session: Session, term: str) -> list[int]:
    """The webhooks whose address, as shown (its secrets masked), holds the term: the list's search reads no secret,
    so a term typed letter by letter cannot tell a password by the rows it finds. (Few rows: read whole.)"""
    wanted = (term or '').strip().lower()
    if not wanted:
        return []
    rows = session.exec(select(WebhookEndpoint.id, WebhookEndpoint.url)).all()
    return [
        row_id for row_id, url in rows if row_id is not None and wanted in secret_hint.credentials_masked(url).lower()
    ]


def rotate_secret(
    *, session: Session, actor: User, endpoint_id: int, version: int | None
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret (shown once); the old one stops being used at once."""
    require(actor, PERMISSION)
    endpoint = _locked(session, endpoint_id, version)
    secret = new_secret()
    _save(
        session,
        actor,
        endpoint,
        {'secret': secret_box.encrypt(secret)},
        'secret-rotated',
        changed=True,
        summary=sentence(N_('New signing secret for webhook {name}'), name=repr(endpoint.name)),
    )
    return endpoint, secret


def send_test(*, session: Session, actor: User, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` event for this endpoint (even when it is inactive) and try it at once."""
    require(actor, PERMISSION)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise NotFound(_('This webhook no longer exists.'))
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event=TEST_EVENT,
        dedup_key=f'test:{uuid.uuid4().hex}',
        payload={'test': True, 'sent_by': actor.email},
    )
    session.add(delivery)
    session.flush()
    delivery_id = delivery.id  # read before the commit: touching the session after it would open a transaction
    audit.record(
        session,
        actor,
        'webhook.tested',
        'webhook',
        endpoint.id,
        summary=sentence(N_('Test event to {url}'), url=endpoint.url),
    )
    changes.commit(session, (Topic.webhook_deliveries, {'id': delivery_id, 'action': 'created'}))
    attempt(delivery_id, test=True)
    session.expire_all()
    return session.get(WebhookDelivery, delivery_id)


def resend(*, session: Session, actor: User, delivery_id: int, at_once: bool = True) -> WebhookDelivery:
    """Start a delivery over (failed, or delivered but lost by the receiver): pending again with a fresh count of
    attempts, and tried at once unless `at_once` is False (then the dispatcher sends it on its next run)."""
    require(actor, PERMISSION)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(_('This delivery no longer exists.'))
    if delivery.status == DeliveryStatus.pending:
        raise ValidationFailed({'': still_pending_said(delivery)})
    _restart(delivery)
    audit.record(
        session,
        actor,
        'webhook.resent',
        'webhook',
        delivery.endpoint_id,
        summary=sentence(N_('Resent delivery {id} ({event})'), id=delivery_id, event=delivery.event),
    )
    changes.commit(session, (Topic.webhook_deliveries, {'id': delivery_id, 'action': 'resent'}))
    if at_once:
        attempt(delivery_id)
        session.expire_all()
    return session.get(WebhookDelivery, delivery_id)


def still_pending_said(delivery: WebhookDelivery) -> str:
    """Why a pending delivery is not resent, and what to do: it is still being tried on its own (a resend would start
    its count over and could send it twice at once)."""
    return _(
        'Delivery {id} is still pending: it is being tried on its own, attempt {attempt} of {maximum} {when}. '
        'Resend is for a delivery that was delivered or failed for good: wait until its status says so, then resend it '
        'if it is still needed.'
    ).format(
        id=delivery.id,
        attempt=min(delivery.attempts + 1, MAX_ATTEMPTS),
        maximum=MAX_ATTEMPTS,
        when=next_attempt_said(delivery) or _('due now'),
    )


def has_failed(session: Session, endpoint_id: int) -> bool:
    """Whether any delivery of the endpoint failed for good: what "Resend failed" starts over."""
    statement = select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == DeliveryStatus.failed
    )
    return session.exec(statement.limit(1)).first() is not None


def resend_failed(*, session: Session, actor: User, endpoint_id: int) -> int:
    """Start every failed delivery of an endpoint over; returns how many."""
    require(actor, PERMISSION)
    failed = list(
        session.exec(
            select(WebhookDelivery).where(
                WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == DeliveryStatus.failed
            )
        )
    )
    for delivery in failed:
        _restart(delivery)
    if failed:
        audit.record(
            session,
            actor,
            'webhook.resent',
            'webhook',
            endpoint_id,
            summary=sentence(N_('Resent {n} failed deliveries'), n=count(len(failed))),
        )
    changes.commit(session, *([(Topic.webhook_deliveries, {'id': None, 'action': 'resent'})] if failed else []))
    return len(failed)


def new_secret() -> str:
    return 'whsec_' + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    """The X-Backoffice-Signature header: 'sha256=' + hex HMAC-SHA256 of the raw body with the endpoint's secret."""
    return 'sha256=' + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- the outbox: filled from the core events --------------------------------------------------------------------------


def wire() -> None:
    """Write the outbox from the core events (main.py calls this on every start; tests call it themselves)."""
    events.write_with(Topic.orders, _on_order, key='webhooks.orders')
    events.write_with(Topic.tickets, _on_ticket, key='webhooks.tickets')
    events.write_with(Topic.returns, _on_return, key='webhooks.returns')


def enqueue(event: str, dedup_key: str, payload: dict[str, Any]) -> int:
    """Queue an event on its own (a test message, a resend): one delivery per active endpoint that wants it."""
    with session_scope() as session:
        count = queue_in(session, event, dedup_key, payload)
        if not count:
            return 0
        try:
            session.commit()
        except IntegrityError:  # queued by another process at the same moment
            session.rollback()
            return 0
    return count


def queue_in(session: Session, event: str, dedup_key: str, payload: dict[str, Any]) -> int:
    """Inside the caller's transaction: one delivery per active endpoint that wants `event` and has not had this
    `dedup_key` yet; returns how many."""
    wanted = [e.id for e in _active_endpoints(session) if wants(e.events, event)]
    if not wanted:
        return 0
    done = set(
        session.exec(
            select(WebhookDelivery.endpoint_id).where(
                col(WebhookDelivery.endpoint_id).in_(wanted), WebhookDelivery.dedup_key == dedup_key
            )
        )
    )
    new = [
        WebhookDelivery(endpoint_id=endpoint_id, event=event, dedup_key=dedup_key, payload=payload)
        for endpoint_id in wanted
        if endpoint_id not in done
    ]
    if new:
        session.add_all(new)
        session.flush()  # a second event with the same key in this transaction sees these
        events.after_commit(session, Topic.webhook_deliveries, {'id': None, 'action': 'created'})
    return len(new)


def queue_for_endpoint(session: Session, endpoint_id: int, event: str, dedup_key: str, payload: dict[str, Any]) -> bool:
    """Inside the caller's transaction: one delivery to this endpoint (an automation's "call a webhook"), sent, signed,
    retried and logged like every other; False when the endpoint is gone or switched off, or had this key already."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None or not endpoint.is_active:
        return False
    done = session.exec(
        select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.dedup_key == dedup_key
        )
    ).first()
    if done is not None:
        return False
    session.add(WebhookDelivery(endpoint_id=endpoint_id, event=event, dedup_key=dedup_key, payload=payload))
    session.flush()
    events.after_commit(session, Topic.webhook_deliveries, {'id': None, 'action': 'created'})
    return True


def events_said(subscribed: str) -> str:
    """The events an endpoint is subscribed to as people read them: 'All events' for '*' (in the reader's language),
    else the event types as stored ('order.paid, ticket.created')."""
    chosen = [part.strip() for part in subscribed.split(',') if part.strip()]
    return _('All events') if not chosen or '*' in chosen else ', '.join(chosen)


def wants(subscribed: str, event: str) -> bool:
    chosen = {part.strip() for part in subscribed.split(',')}
    return '*' in chosen or event in chosen


_ORDER_EVENTS = {
    'created': 'order.created',
    'confirmed': 'order.created',
    'paid': 'order.paid',
    'parcel-shipped': 'order.parcel_shipped',
    'shipped': 'order.shipped',
    'tracking-corrected': 'order.tracking_changed',
    'parcel-delivered': 'order.parcel_delivered',
    'delivered': 'order.delivered',
    'cancelled': 'order.cancelled',
    'refunded': 'refund.created',
}
# they carry the parcel: the one the change was about (`shipment_id`), else the latest
_PARCEL_EVENTS = frozenset(
    {'order.parcel_shipped', 'order.shipped', 'order.tracking_changed', 'order.parcel_delivered', 'order.delivered'}
)
_EACH_PARCEL = frozenset({'order.parcel_shipped', 'order.parcel_delivered'})  # once per parcel, not per order
_RETURN_EVENTS = {'created': 'return.created', 'received': 'return.received'}


def _on_order(session: Session, payload: dict[str, Any]) -> None:
    event = _ORDER_EVENTS.get(str(payload.get('action')))
    if event is None or payload.get('id') is None or not _any_endpoint(session):
        return
    order = session.get(Order, payload['id'])
    if order is None or order.status == OrderStatus.draft:
        return
    data: dict[str, Any] = {'order': order_data(order)}
    key = f'{event}:{order.id}'
    if event in _PARCEL_EVENTS:
        named = payload.get('shipment_id')
        shipment = session.exec(
            select(Shipment)
            .where(Shipment.order_id == order.id, *([Shipment.id == named] if isinstance(named, int) else []))
            .order_by(col(Shipment.id).desc())
            .limit(1)
        ).first()
        data['shipment'] = shipment_data(shipment, parcel_items(session, shipment)) if shipment is not None else None
        if event in _EACH_PARCEL:
            if shipment is None:
                return
            key = f'{event}:{shipment.id}'
        if event == 'order.tracking_changed':  # each correction is its own event (the order's version moved)
            key = f'{event}:{order.id}:{order.version}'
    if event == 'refund.created':
        refund = session.exec(
            select(Refund).where(Refund.order_id == order.id).order_by(col(Refund.id).desc()).limit(1)
        ).first()
        if refund is None:
            return
        data['refund'] = {
            'id': refund.id,
            'amount': str(refund.amount),
            'currency': order.currency,
            'refunded_at': _iso(refund.refunded_at),
        }
        key = f'{event}:{refund.id}'
    queue_in(session, event, key, data)


def _on_ticket(session: Session, payload: dict[str, Any]) -> None:
    if payload.get('id') is None or not _any_endpoint(session):
        return
    action = str(payload.get('action'))
    ticket = session.get(Ticket, payload['id'])
    if ticket is None:
        return
    customer = session.get(Customer, ticket.customer_id)
    data = {'request': request_data(ticket, customer)}
    if action == 'created':
        queue_in(session, 'request.created', f'request.created:{ticket.id}', data)
    if action == 'replied':
        reply = session.exec(
            select(TicketMessage.id)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.kind == MessageKind.reply)
            .order_by(col(TicketMessage.id).desc())
            .limit(1)
        ).first()
        if reply is not None:
            queue_in(session, 'request.replied', f'request.replied:{reply}', data)
    if action in ('updated', 'replied') and ticket.status == TicketStatus.solved and ticket.solved_at:
        queue_in(session, 'request.solved', f'request.solved:{ticket.id}:{_iso(ticket.solved_at)}', data)


def _on_return(session: Session, payload: dict[str, Any]) -> None:
    event = _RETURN_EVENTS.get(str(payload.get('action')))
    if event is None or payload.get('id') is None or not _any_endpoint(session):
        return
    rma = session.get(Return, payload['id'])
    if rma is None:
        return
    order = session.get(Order, rma.order_id)
    data = {
        'return': {
            'number': rma.number,
            'status': rma.status.value,
            'reason': rma.reason,
            'received_at': _iso(rma.received_at),
        },
        'order': order_data(order) if order else None,
    }
    queue_in(session, event, f'{event}:{rma.id}', data)


def order_data(order: Order) -> dict[str, Any]:
    """An order's public identifiers and state, as webhooks carry them."""
    return {
        'number': order.number,
        'external_id': order.external_id,
        'status': order.status.value,
        'total': str(order.total),
        'currency': order.currency,
        'paid_total': str(order.paid_total),
        'refunded_total': str(order.refunded_total),
        'customer_email': order.email,
        'placed_at': _iso(order.placed_at),
        'updated_at': _iso(order.updated_at),
    }


def shipment_data(shipment: Shipment, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The parcel of a shipped order, as webhooks carry it: what the front office tells the customer, and what is in
    it (`lines`: sku, name, quantity)."""
    return {
        'lines': items or [],
        'carrier': shipment.carrier.name if shipment.carrier is not None else None,
        'tracking_number': shipment.tracking_number or None,
        'tracking_url': shipment.tracking_url or None,
        'shipped_at': _iso(shipment.shipped_at),
        'delivered_at': _iso(shipment.delivered_at),
    }


def parcel_items(session: Session, shipment: Shipment) -> list[dict[str, Any]]:
    """What a parcel held, for its webhook: each line's SKU, name and quantity (a parcel from before migration 0072
    held the whole order)."""
    rows = session.exec(
        select(OrderLine.sku, OrderLine.name, ShipmentLine.quantity)
        .join(OrderLine, col(OrderLine.id) == ShipmentLine.order_line_id)
        .where(ShipmentLine.shipment_id == shipment.id)
        .order_by(col(ShipmentLine.id))
    ).all()
    if not rows:
        rows = session.exec(
            select(OrderLine.sku, OrderLine.name, OrderLine.quantity)
            .where(OrderLine.order_id == shipment.order_id)
            .order_by(col(OrderLine.id))
        ).all()
    return [{'sku': sku, 'name': name, 'quantity': quantity} for sku, name, quantity in rows]


def request_data(ticket: Ticket, customer: Customer | None) -> dict[str, Any]:
    return {
        'number': ticket.number,
        'status': ticket.status.value,
        'subject': ticket.subject,
        'type': ticket.type.value,
        'priority': ticket.priority.value,
        'customer_email': customer.email if customer else None,
        'updated_at': _iso(ticket.updated_at),
    }


# --- the dispatcher (a scheduler job) ---------------------------------------------------------------------------------


def dispatch_due(
    *, limit: int = BATCH, now: datetime | None = None, workers: int = WORKERS, seconds: float = RUN_SECONDS
) -> dict[str, int]:
    """The `webhooks` job: POST up to `limit` due deliveries; returns the outcomes counted. Endpoints are served
    side by side by a bounded pool; one endpoint's deliveries go one at a time in the order they were queued, and a
    failure stops that endpoint for this run (the failed one waits its backoff; a receiver that is down is not
    hammered). The deliveries queued after one that waits its backoff (or is being sent) wait for it, so a receiver
    that failed once still gets them in order."""
    now = now or utcnow()
    with read_session() as session:
        due = session.exec(
            select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status == DeliveryStatus.pending, col(WebhookDelivery.next_attempt_at) <= now)
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
        ).all()
        waiting = dict(
            session.exec(
                select(WebhookDelivery.endpoint_id, func.min(WebhookDelivery.id))
                .where(WebhookDelivery.status == DeliveryStatus.pending, col(WebhookDelivery.next_attempt_at) > now)
                .group_by(col(WebhookDelivery.endpoint_id))
            ).all()
        )  # per endpoint, the first delivery not due yet: nothing queued after it goes before it
    queues: dict[int, list[int]] = {}
    for delivery_id, endpoint_id in due:
        if endpoint_id not in waiting or delivery_id < waiting[endpoint_id]:
            queues.setdefault(endpoint_id, []).append(delivery_id)
    for queue in queues.values():
        queue.sort()  # queued order (a retry due now goes before the deliveries queued after it)
    counts = {'delivered': 0, 'retry': 0, 'failed': 0}
    if not queues:
        return counts
    until = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(queues))), thread_name_prefix='webhooks') as pool:
        for outcomes in pool.map(lambda ids: _send_in_order(ids, now, until), queues.values()):
            for outcome in outcomes:
                counts[outcome] += 1
    return counts


def _send_in_order(delivery_ids: list[int], now: datetime, until: float) -> list[str]:
    outcomes = []
    for delivery_id in delivery_ids:
        if time.monotonic() > until:
            break
        outcome = attempt(delivery_id, now=now)
        if outcome:
            outcomes.append(outcome)
        if outcome in ('retry', 'failed'):
            break
    return outcomes


def attempt(delivery_id: int, *, now: datetime | None = None, test: bool = False) -> str | None:
    """Claim one due delivery, POST it, record the outcome: 'delivered', 'retry', 'failed' (None: not ours to send)."""
    claimed = _claim(delivery_id, now or utcnow(), test=test)
    if claimed is None:
        return None
    url, headers, body = claimed
    status_code, error = post(url, body, headers)
    return _record(delivery_id, status_code, error)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """One POST with a short timeout, to a public address only, no redirects (a 3xx is an answer like any other
    non-2xx: logged and retried, never followed): (status code, error text)."""
    answer = outbound.post(url, body, headers, timeout=TIMEOUT_SECONDS, max_redirects=0)
    return answer.status, answer.error


def _claim(delivery_id: int, now: datetime, *, test: bool) -> tuple[str, dict[str, str], bytes] | None:
    with session_scope() as session:
        claimed = session.exec(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery_id,
                WebhookDelivery.status == DeliveryStatus.pending,
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .values(next_attempt_at=now + LEASE)
        ).rowcount
        if claimed != 1:
            session.rollback()
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        try:
            secret = secret_box.decrypt(endpoint.secret)
        except secret_box.SecretUnreadable:
            secret = None
        if secret is None or endpoint.deleted_at is not None or (not endpoint.is_active and not test):
            delivery.status = DeliveryStatus.failed
            _note_error(
                delivery,
                sentence(N_('The webhook is inactive or deleted'))
                if secret
                else sentence(
                    N_('Its signing secret cannot be read (the secret key changed): make a new secret, then resend')
                ),
            )
            stamp(delivery)
            session.add(delivery)
            session.commit()
            return None
        body = json.dumps(
            {
                'id': delivery.id,
                'event': delivery.event,
                'created_at': _iso(delivery.created_at),
                'data': delivery.payload,
            },
            separators=(',', ':'),
            default=str,
        ).encode()
        headers = {
            'Content-Type': 'application/json',
            'User-Agent': 'Backoffice-Webhooks/1',
            'X-Backoffice-Event': delivery.event,
            'X-Backoffice-Delivery': str(delivery.id),
            'X-Backoffice-Timestamp': str(int(now.timestamp())),
            'X-Backoffice-Signature': sign(secret, body),
        }
        session.commit()
        return endpoint.url, headers, body


def _record(delivery_id: int, status_code: int | None, error: str | None) -> str:
    now = utcnow()
    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_status_code = status_code
        if status_code is not None and 200 <= status_code < 300:
            outcome = 'delivered'
            delivery.status, delivery.delivered_at = DeliveryStatus.delivered, now
            _note_error(delivery, None)
        elif delivery.attempts >= MAX_ATTEMPTS:
            outcome = 'failed'
            delivery.status = DeliveryStatus.failed
            _note_error(delivery, _said(error))
        else:
            outcome = 'retry'
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
            _note_error(delivery, _said(error))
        stamp(delivery)
        changes.save(session, delivery, (Topic.webhook_deliveries, {'id': delivery_id, 'action': outcome}))
    if outcome != 'delivered':
        log.warning('webhook delivery %s: %s (%s)', delivery_id, error, outcome)
    return outcome


# --- helpers ----------------------------------------------------------------------------------------------------------


def _said(error: str | None) -> str | Sentence | None:
    """An error of the dispatcher's: the app's own words ('could not connect') as their `Sentence`, read in each
    reader's language; the receiver's ('HTTP 503 Service Unavailable') as they came."""
    return sentence(error) if error in outbound.REASONS else error


def _note_error(delivery: WebhookDelivery, error: str | Sentence | None) -> None:
    text, key, params = stored_text.stored(error or '')
    delivery.last_error, delivery.last_error_key, delivery.last_error_params = text[:500] or None, key, params


def last_error(delivery: WebhookDelivery) -> str:
    """A delivery's last error in the reader's language (a row written before: as stored, or its msgid's)."""
    return stored_text.show(delivery.last_error or '', delivery.last_error_key, delivery.last_error_params)


def _active_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(
        session.exec(
            select(WebhookEndpoint).where(
                col(WebhookEndpoint.is_active).is_(True), col(WebhookEndpoint.deleted_at).is_(None)
            )
        )
    )


def _any_endpoint(session: Session) -> bool:
    """One cheap query before loading anything: most shops have no webhook, and every order event comes here."""
    return (
        session.exec(
            select(WebhookEndpoint.id)
            .where(col(WebhookEndpoint.is_active).is_(True), col(WebhookEndpoint.deleted_at).is_(None))
            .limit(1)
        ).first()
        is not None
    )


def _restart(delivery: WebhookDelivery) -> None:
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.pending, 0, utcnow()
    _note_error(delivery, None)
    stamp(delivery)


def _locked(session: Session, endpoint_id: int, version: int | None) -> WebhookEndpoint:
    endpoint = get_for_update(session, WebhookEndpoint, endpoint_id, version, entity='webhook', label=N_('webhook'))
    if endpoint.deleted_at is not None:
        raise NotFound(_('This webhook is in the trash: restore it first.'))
    return endpoint


def _save(
    session: Session,
    actor: User,
    endpoint: WebhookEndpoint,
    values: dict[str, Any],
    action: str,
    *,
    summary: str = '',
    changed: bool = False,
) -> WebhookEndpoint:
    """`changed`: save even when the audit diff is empty (a new secret, which the audit log masks)."""
    before = audit.snapshot(endpoint)
    for name, value in values.items():
        setattr(endpoint, name, value)
    diff = audit.diff(before, audit.snapshot(endpoint))
    if not diff and not changed:
        session.commit()
        return endpoint
    stamp(endpoint)
    session.add(endpoint)
    audit.record(
        session,
        actor,
        f'webhook.{action}',
        'webhook',
        endpoint.id,
        version=endpoint.version,
        changes=diff,
        summary=summary or f'Changed webhook {endpoint.name!r}: {", ".join(sorted(diff))}',
    )
    changes.commit(session, (Topic.webhooks, {'id': endpoint.id, 'action': action}))
    return endpoint


def _valid(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not partial or 'name' in data:
        name = ' '.join(str(data.get('name') or '').split())
        if not name:
            errors['name'] = _('Give the webhook a name that says who receives it')
        elif name_problem(str(data.get('name'))):  # before whitespace was folded: a tab or newline is refused
            errors['name'] = name_problem(str(data.get('name')))
        values['name'] = name
    if not partial or 'url' in data:
        url = str(data.get('url') or '').strip()
        problem = _url_problem(url)
        if (
            not problem and secret_hint.MASK in url
        ):  # a masked address copied into a new webhook: its secret is not ours
            problem = _(SECRET_TYPED_AGAIN)
        if problem:
            errors['url'] = problem
        values['url'] = url
    if not partial or 'events' in data:
        chosen = [part.strip() for part in str(data.get('events') or '*').replace(' ', ',').split(',') if part.strip()]
        unknown = [e for e in chosen if e != '*' and e not in EVENT_TYPES]
        if unknown:
            errors['events'] = _('Unknown event {event}; choose from {choices} or *').format(
                event=repr(unknown[0]), choices=', '.join(EVENT_TYPES)
            )
            chosen = []
        values['events'] = (
            '*' if '*' in chosen or not chosen else ', '.join(sorted(set(chosen), key=list(EVENT_TYPES).index))
        )
    if 'is_active' in data and data['is_active'] is not None:
        values['is_active'] = bool(data['is_active'])
    if errors:
        raise ValidationFailed(errors)
    return values


# what each event's payload carries, beside the customer's email and name (customers.read): whoever sends events to
# an address reads them there, so a role that manages webhooks but not customers or orders (a custom role) may not
# point them anywhere (as an API key's intake scope is given only by someone who may read what it reads)
EVENT_PERMISSIONS: dict[str, str] = {
    'order': 'orders.read',
    'refund': 'orders.read',
    'return': 'orders.read',
    'request': 'tickets.read',
}


# an automation's call carries its record's type, id and label (a request's subject, a customer's name)
_AUTOMATION_RECORD_PERMISSIONS: dict[str, frozenset[str]] = {
    'request': frozenset({'tickets.read', 'customers.read'}),
    'order': frozenset({'orders.read', 'customers.read'}),
    'customer': frozenset({'customers.read'}),
    'stock': frozenset({'catalog.read'}),
    'alert': frozenset({'alerts.manage'}),
}
_EVERYTHING_CARRIED = frozenset({'customers.read', 'orders.read', 'tickets.read'})  # an event not known here


def payload_needs(delivery: WebhookDelivery) -> frozenset[str]:
    """The permissions a reader of the deliveries log must hold to see this delivery's payload: the read permissions
    of what it carries (a customer's email, an order, a request). `webhooks.manage` alone shows the delivery's
    event, status, attempts and answer, not the customer data it sent."""
    if delivery.event == TEST_EVENT:
        return frozenset()  # {'test': true, 'sent_by': the admin who pressed it}
    if delivery.event == 'automation.action':
        record = (delivery.payload or {}).get('record') or {}
        return _AUTOMATION_RECORD_PERMISSIONS.get(str(record.get('type')), _EVERYTHING_CARRIED)
    resource = EVENT_PERMISSIONS.get(delivery.event.partition('.')[0])
    return frozenset({'customers.read', resource}) if resource else _EVERYTHING_CARRIED


def next_attempt(delivery: WebhookDelivery) -> datetime | None:
    """When a pending delivery is tried again; None once delivered or given up (its stored time means nothing then).
    One whose own time has come but that waits behind an earlier delivery of its endpoint (that one waits its retry:
    dispatch_due keeps each endpoint's order) goes when that one does: the log said "overdue" in red for every
    delivery queued behind a receiver that failed once, as if the dispatcher had stopped. Read only for those (a
    delivery is due for at most the 10 s between dispatcher runs otherwise), so a list asks nothing more per row."""
    if delivery.status != DeliveryStatus.pending:
        return None
    at = delivery.next_attempt_at
    if at > utcnow() or delivery.id is None:
        return at
    with read_session() as session:
        ahead = session.exec(
            select(func.max(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.endpoint_id == delivery.endpoint_id,
                WebhookDelivery.status == DeliveryStatus.pending,
                col(WebhookDelivery.id) < delivery.id,
            )
        ).one()
    return max(at, ahead) if ahead is not None else at


def next_attempt_said(delivery: WebhookDelivery, now: datetime | None = None) -> str | None:
    """How soon a pending delivery is tried again, beside the moment the form shows: 'in 4 min'; 'due now' once its
    time has come (the dispatcher runs every 10 s); None when delivered or given up."""
    at = next_attempt(delivery)
    if at is None:
        return None
    return _('due now') if formatting.is_past(at, now) else formatting.due(at, now)


def _may_receive(actor: User, events_chosen: str) -> None:
    chosen = list(EVENT_TYPES) if events_chosen.strip() == '*' else [e.strip() for e in events_chosen.split(',')]
    needed = {'customers.read'} | {EVENT_PERMISSIONS[event.partition('.')[0]] for event in chosen if event}
    missing = sorted(permission for permission in needed if not can(actor, permission))
    if missing:
        raise ValidationFailed(
            {
                'events': _(
                    'These events carry what your role may not read ({rights}): ask an admin to send them.'
                ).format(rights=', '.join(_(PERMISSIONS[name]) for name in missing))
            }
        )


def _url_problem(url: str) -> str | None:
    if not url:
        return _('Enter the address that receives the events')
    if len(url) > 500:
        return _('At most 500 characters')
    return outbound.address_problem(url)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
