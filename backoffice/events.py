"""Change events as plain Python: services queue (topic, payload) with after_commit and they are published when the
transaction commits (dropped if it rolls back); subscribers fan out (the UI). Writers (`write_with`: the webhook
outbox) hear each queued event inside the transaction itself, just before it commits, so what they write commits with
the change or not at all. Every topic is a `Topic`. With several processes on one PostgreSQL, event_relay carries each
event to the other processes too (to their subscribers; writers already ran where the change was made)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


class Topic(StrEnum):
    """The one list of event topics. A resource that publishes its changes uses its topic as its key, so the list,
    the form and the webhooks of that resource hear the same name; a string not listed here is refused."""

    # resources (their declaration's key)
    carriers = 'carriers'
    categories = 'categories'
    products = 'products'
    companies = 'companies'
    customers = 'customers'
    content = 'content'
    legal_versions = 'legal-versions'
    orders = 'orders'
    payments = 'payments'  # {'id', 'action'}: a payment was recorded on an order (the order's own event goes too)
    refunds = 'refunds'  # {'id', 'action'}: a refund was booked or reversed, or its state at the gateway changed
    stock = 'stock'
    returns = 'returns'
    purchases = 'purchases'
    suppliers = 'suppliers'
    supplier_bills = 'supplier-bills'  # a bill was entered, approved, paid (in part), cancelled or sent for payment
    tickets = 'tickets'  # support requests (the storage name stays 'tickets': docs/GLOSSARY.md)
    canned_replies = 'canned-replies'
    users = 'users'
    roles = 'roles'  # {'id', 'key', 'action'}: a custom role was created, changed or deleted
    webhooks = 'webhooks'  # endpoints changed
    webhook_deliveries = 'webhook-deliveries'  # a delivery was queued, sent, failed or resent
    mailboxes = 'mailboxes'  # a support mailbox was added, changed or checked
    mailbox_mails = 'mailbox-mails'  # a mail was processed by the intake
    # not resources
    invoices = 'invoices'
    receivables = 'receivables'  # {'action', …}: a payment settled invoices, a reminder was queued or decided
    bank = 'bank'  # {'action', …}: a statement was imported, a bank line matched, set aside or undone
    notifications = 'notifications'
    goals = 'goals'  # an objective, a key result or a check-in changed
    alerts = 'alerts'  # a rule changed, fired or resolved
    automations = 'automations'  # an automation rule changed, was dry-run, or ran
    feeds = 'feeds'  # {'id', 'action'}: a spreadsheet feed was published or revoked
    sessions = 'sessions'  # {'user_id', 'epoch'?, 'keep'?, 'session_ids'?}: with an epoch, all but 'keep' end
    presence = 'presence'  # who is looking at which record, per process
    settings = 'settings'  # {'keys'}: the application settings with these keys were changed at /settings

    @classmethod
    def _missing_(cls, value: object) -> Topic | None:
        return _extension_topics.get(str(value))  # an extension's topic (add_topic), else refused


_TOPICS = {t.value for t in Topic}
_extension_topics: dict[str, Topic] = {}


def add_topic(name: str) -> Topic:
    """An extension's topic (its resource's key), a Topic like the core's from now on: `Topic(name)` finds it, lists
    and webhooks hear it. Asking again for the same name gives the same topic; a core topic's name is refused."""
    if name in _extension_topics:
        return _extension_topics[name]
    if name in _TOPICS or not re.fullmatch(r'[a-z][a-z0-9-]{1,39}', name):
        raise ValueError(f'topic {name!r} is taken or not lower-case letters, digits and dashes')
    member = str.__new__(Topic, name)
    member._name_, member._value_ = name.replace('-', '_'), name
    _extension_topics[name] = member
    _TOPICS.add(name)
    return member


def is_topic(name: str) -> bool:
    return name in _TOPICS


Subscriber = Callable[[dict[str, Any]], Any]
Writer = Callable[[Session, dict[str, Any]], None]
_subscribers: dict[Topic, dict[str, Subscriber]] = {}
_writers: dict[Topic, dict[str, Writer]] = {}
_relay: Callable[[str, dict[str, Any]], None] | None = None
_QUEUE = 'backoffice.events'  # key in Session.info: the events waiting for this session's commit
_WRITTEN = 'backoffice.events.written'  # key in Session.info: how many of them the writers have heard


def subscribe(topic: Topic, callback: Subscriber, *, key: str | None = None) -> None:
    """Register a callback; the key makes it idempotent (main.py re-wires on every start, tests start often)."""
    _subscribers.setdefault(Topic(topic), {})[key or f'{callback.__module__}.{callback.__qualname__}'] = callback


def write_with(topic: Topic, writer: Writer, *, key: str) -> None:
    """Register a writer: `writer(session, payload)` runs for each event of `topic` inside the transaction that queued
    it, just before it commits; it adds rows to that session (an outbox) and never commits. If it raises, the change
    does not commit either."""
    _writers.setdefault(Topic(topic), {})[key] = writer


def after_commit(session: Session, topic: Topic, payload: dict[str, Any]) -> None:
    """Publish this event once the session's transaction commits; a rollback (or a close without commit) drops it.
    Build the payload after a flush, so new records have their id."""
    topic = Topic(topic)
    if not session.in_transaction():
        session.begin()  # the events belong to this transaction: its rollback or close drops them
    session.info.setdefault(_QUEUE, []).append((topic, payload))


def publish(topic: Topic, payload: dict[str, Any]) -> None:
    """Publish now: for what no transaction carries (presence). Services use after_commit."""
    topic = Topic(topic)
    deliver(topic, payload)
    if _relay is not None:
        _relay(topic, payload)


def deliver(topic: Topic, payload: dict[str, Any]) -> None:
    """Hand an event to this process's subscribers (published here, or relayed from another process)."""
    if topic not in _TOPICS:  # relayed by a process that knows a topic this one does not
        log.warning('event of unknown topic %r ignored', topic)
        return
    for callback in list(_subscribers.get(Topic(topic), {}).values()):
        try:
            callback(payload)
        except Exception:
            log.exception('subscriber of %s failed', topic)


def set_relay(relay: Callable[[str, dict[str, Any]], None] | None) -> None:
    global _relay
    _relay = relay


def clear() -> None:
    _subscribers.clear()
    _writers.clear()


@sa_event.listens_for(Session, 'before_commit')
def _run_writers(session: Session) -> None:
    queued = session.info.get(_QUEUE, [])
    position = session.info.get(_WRITTEN, 0)
    while position < len(queued):  # a writer may queue events of its own: they are heard too
        topic, payload = queued[position]
        for writer in list(_writers.get(topic, {}).values()):
            writer(session, payload)
        position += 1
    session.info[_WRITTEN] = position


@sa_event.listens_for(Session, 'after_commit')
def _publish_queued(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for topic, payload in session.info.pop(_QUEUE, []):
        publish(topic, payload)


@sa_event.listens_for(Session, 'after_soft_rollback')
def _drop_queued(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_QUEUE, None)
        session.info.pop(_WRITTEN, None)


@sa_event.listens_for(Session, 'after_transaction_end')
def _drop_unpublished(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:  # closed without a commit: nothing happened
        session.info.pop(_QUEUE, None)
        session.info.pop(_WRITTEN, None)
