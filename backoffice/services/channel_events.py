"""Event notifications on the chat channels: each channel (Slack, Teams, Mattermost, Discord) is told, as they
happen, of the events chosen for it in Settings → Alerts — a new urgent request, an SLA breach, a big order (the
"Big order from" setting), low stock, a failed scheduled job. One channel mechanism with the alerts: each message is
an `AlertDelivery` row sent by `alert_delivery.send_due` (the address per channel, the outbound guard, retries, the
delivery log). The rows are added inside the transaction of the change (an outbox: a message exists exactly when its
change committed), once their text is made: a failure before that is logged and never fails the change (a savepoint
cannot be used here: its release would run the commit's writers again). A worker thread sends them right after the
commit, and every KPI refresh sends what is left and retries."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from backoffice import events, formatting, i18n, write_failures
from backoffice.config import get_settings
from backoffice.events import Topic
from backoffice.i18n import _
from backoffice.models import AlertDelivery, Order, Product, StockLevel, Ticket
from backoffice.services import alert_delivery, app_settings
from backoffice.services.alerts import CHANNELS, SETTING_OF_CHANNEL

log = logging.getLogger(__name__)

EVENTS = app_settings.CHAT_EVENTS
SETTING_OF_EVENTS = {channel: f'{channel}_events' for channel in CHANNELS}
TOPICS = (Topic.tickets, Topic.orders, Topic.stock)
_KICK = 'backoffice.channel_events.kick'  # key in Session.info: this transaction queued chat messages
_wake = threading.Event()
_worker: threading.Thread | None = None
_background = False


def wire(*, background: bool = False) -> None:
    """Let the core's changes queue their chat messages (main.py on every start; tests call it). `background`: send
    them as soon as they commit, in a worker thread of this process."""
    global _background
    for topic in TOPICS:
        events.write_with(topic, _writer(topic), key=f'channel-events.{topic.value}')
    _background = background
    if background:
        _start_worker()


def queue(session: Session, event: str, text_of: Any) -> int:
    """Queue one message per channel that has an address and chose `event`, in this session's transaction; returns
    how many. `text_of()` says it, called in the shop's default language."""
    channels = _channels_for(session, event)
    if not channels:
        return 0
    language = i18n.supported(app_settings.value(session=session, key='default_language')) or i18n.SOURCE_LOCALE
    with i18n.use(language):
        text = str(text_of())[:1000]
    for channel in channels:
        session.add(
            AlertDelivery(channel=channel, target=CHANNELS[channel], text=text, extra={'event': event, 'kind': 'event'})
        )
    session.info[_KICK] = True
    return len(channels)


def job_failed(session: Session, job: str, error: str) -> int:
    """A scheduled job's run failed (services/job_runs, in the transaction recording the failure)."""
    try:  # never why the run's own record is lost
        return queue(
            session,
            'job_failed',
            lambda: _('Scheduled job "{job}" failed: {error}').format(job=job, error=error[:300]),
        )
    except Exception:
        log.exception('chat messages about the failed job %s could not be queued', job)
        return 0


def kick() -> None:
    """Send what is queued now (in the worker thread), if this process sends in the background."""
    if _background:
        _wake.set()


# --- what each change says -------------------------------------------------------------------------------------------


def _writer(topic: Topic):
    handler = HANDLERS[topic]

    def write(session: Session, payload: dict[str, Any]) -> None:
        """A change heard inside its transaction: its messages queued in a savepoint, never failing the change."""
        record_id = payload.get('id')
        if not isinstance(record_id, int):
            return
        try:  # reads, then rows added only once the text is made: nothing here can fail the change's commit
            handler(session, str(payload.get('action')), record_id)
        except Exception:
            log.exception('chat messages for %s %s could not be queued', topic.value, record_id)

    return write


def _tickets(session: Session, action: str, record_id: int) -> None:
    if action not in ('created', 'sla-breached'):
        return
    ticket = session.get(Ticket, record_id)
    if ticket is None:
        return
    link = _link(f'/requests/{ticket.number}')
    if action == 'created' and str(getattr(ticket.priority, 'value', ticket.priority)) == 'urgent':
        queue(
            session,
            'urgent_request',
            lambda: _('New urgent request {number}: {subject} {link}').format(
                number=ticket.number, subject=ticket.subject, link=link
            ),
        )
    elif action == 'sla-breached':
        queue(
            session,
            'sla_breach',
            lambda: _('SLA breach: request {number} ({subject}) is past its due time {link}').format(
                number=ticket.number, subject=ticket.subject, link=link
            ),
        )


def _orders(session: Session, action: str, record_id: int) -> None:
    if action != 'paid':
        return
    order = session.get(Order, record_id)
    if order is None:
        return
    threshold = app_settings.decimal_value(session=session, key='big_order_threshold')
    shop_currency = app_settings.value(session=session, key='currency')
    if order.currency != shop_currency or threshold <= 0 or Decimal(order.total) < threshold:
        return
    queue(
        session,
        'big_order',
        lambda: _('Big order {number}: {total} from {email} {link}').format(
            number=order.number,
            total=formatting.money(order.total, order.currency),
            email=order.email,
            link=_link(f'/orders/{order.number}'),
        ),
    )


def _stock(session: Session, action: str, record_id: int) -> None:
    if action != 'low':
        return
    level = session.get(StockLevel, record_id)
    if level is None:
        return
    product = session.get(Product, level.product_id)
    queue(
        session,
        'low_stock',
        lambda: _('Low stock: {sku} {name} has {available} available (minimum {minimum}) {link}').format(
            sku=level.sku,
            name=product.name if product else '',
            available=formatting.number(level.available),
            minimum=formatting.number(level.min_qty),
            link=_link('/inventory'),
        ),
    )


HANDLERS = {Topic.tickets: _tickets, Topic.orders: _orders, Topic.stock: _stock}


def _channels_for(session: Session, event: str) -> list[str]:
    chosen = []
    for channel in CHANNELS:
        wanted = app_settings.value(session=session, key=SETTING_OF_EVENTS[channel]) or []
        if event in wanted and app_settings.value(session=session, key=SETTING_OF_CHANNEL[channel]):
            chosen.append(channel)
    return chosen


def _link(path: str) -> str:
    return f'{get_settings().base_url.rstrip("/")}{path}'


# --- sending right after the commit ----------------------------------------------------------------------------------


@sa_event.listens_for(OrmSession, 'after_commit')
def _after_commit(session: OrmSession) -> None:
    if session.info.pop(_KICK, False):
        kick()


@sa_event.listens_for(OrmSession, 'after_soft_rollback')
def _after_rollback(session: OrmSession, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KICK, None)


def _start_worker() -> None:
    global _worker
    if _worker is not None and _worker.is_alive():
        return

    def work() -> None:
        while True:
            _wake.wait()
            _wake.clear()
            send_in_background()

    _worker = threading.Thread(target=work, name='channel-events', daemon=True)
    _worker.start()


def send_in_background() -> None:
    """The worker's turn: send what is queued; a failure is logged, never raised (the worker goes on)."""
    try:
        alert_delivery.send_due()
    except Exception as error:  # what is left (claims included, once expired) goes with the next sweep
        if not write_failures.busy_item(log, error, 'chat messages could not be sent'):
            log.exception('chat messages could not be sent')
