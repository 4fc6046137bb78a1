"""Running the automation rules for real. A change that is one of the rules' events (services/automation_fields)
writes an `AutomationTrigger` inside its own transaction (an outbox: it exists exactly when the change committed);
after the commit a worker thread of this process, or the `automations` job of any process, claims it and runs the
enabled rules in order. Each action goes through the domain's service, as the actor "Automation: <rule name>", in its
own transaction: a failure is logged in the run and never touches the triggering save. A chain of automations never
loops: an action's change does not re-fire rules for a record the chain already touched, and a chain stops at
MAX_DEPTH automations deep."""

from __future__ import annotations

import logging
import threading
import weakref
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, delete, select, update

from backoffice import events, write_failures
from backoffice.db import one_at_a_time, read_session, session_scope
from backoffice.errors import ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import (
    AlertDelivery,
    AutomationRule,
    AutomationRun,
    AutomationTrigger,
    CannedReply,
    Role,
    Ticket,
    TicketCounter,
    User,
    utcnow,
)
from backoffice.services import audit, automations, orders, staff_mail, tickets, webhooks
from backoffice.services.alerts import CHANNELS
from backoffice.services.automation_fields import EVENTS, Record, assignable, event_of, holds, load
from backoffice.services.automations import ROUND_ROBIN, describe_action
from backoffice.stored_text import sentence

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # an automation's change may set off others, at most this many deep
CLAIM_EXPIRES = timedelta(minutes=10)  # a claim older than this was left by a process that died: taken again
KEEP_RUNS = 5000
KEEP_DAYS = 90
TOPICS = (Topic.tickets, Topic.orders, Topic.stock, Topic.customers, Topic.alerts)


@dataclass(frozen=True)
class Chain:
    """The automation whose actions are running in this thread: how deep it is and the records its chain touched."""

    depth: int
    seen: tuple[str, ...]


@dataclass
class Progress:
    """How far a trigger's rules got before other writers' lock stopped them, for its next run to go on from there
    (rather than doing the actions done already a second time)."""

    of: tuple[Any, ...] = ()  # the trigger's identity (an id SQLite may give again once the trigger is removed)
    logged: set[int] = field(default_factory=set)  # rules whose run is logged
    rule_id: int | None = None  # the rule whose actions were under way
    done: list[dict[str, Any]] = field(default_factory=list)  # and those of them done
    finished: bool = False  # every rule ran: only the trigger's removal is left


_chain: ContextVar[Chain | None] = ContextVar('automation_chain', default=None)
# triggers this process claimed and left (the database busy), with their progress for the run that takes them again;
# and those whose claim it could not write away either, which its next run takes at once (another process's run takes
# them once the claim has expired, from their start)
_stopped: dict[int, Progress] = {}
_held: set[int] = set()
_stopped_lock = threading.Lock()
_wake = threading.Event()
_worker: threading.Thread | None = None


def wire(*, background: bool = False) -> None:
    """Let the core's changes write their triggers (main.py on every start; tests call it). `background`: also run
    them in this process as soon as they commit, in a worker thread."""
    for topic in TOPICS:
        events.write_with(topic, _writer(topic), key=f'automations.{topic.value}')
        if background:
            events.subscribe(topic, _kick, key=f'automations.kick.{topic.value}')
    if background:
        _start_worker()


def run_pending(*, limit: int = 200) -> int:
    """Claim and run waiting triggers, oldest first, until none is left (or `limit`); returns how many ran. Chat
    messages the actions queued are sent at the end, through the alerts' channel mechanism."""
    done, chats = 0, 0
    while done < limit:
        claimed = _claim()
        if claimed is None:
            break
        trigger, progress = claimed
        try:
            chats += _process(trigger, progress)
        except Exception as error:
            label = (trigger.event, trigger.record_type, trigger.record_id)
            if not write_failures.busy_item(log, error, 'automations of %s on %s %s', *label):
                raise
            break  # the next triggers would meet the same lock
        done += 1
    if chats:
        from backoffice.services import alert_delivery

        alert_delivery.send_due()
    return done


def run_job() -> dict[str, int]:
    """The `automations` job: what no worker ran yet (another process's, one that died), then the log kept bounded."""
    return {'ran': run_pending(limit=1000), 'pruned': prune_runs()}


def prune_runs() -> int:
    """Keep the newest KEEP_RUNS runs, none older than KEEP_DAYS."""
    with session_scope() as session:
        cut = session.exec(
            select(AutomationRun.id).order_by(col(AutomationRun.id).desc()).offset(KEEP_RUNS).limit(1)
        ).first()
        old = col(AutomationRun.at) < utcnow() - timedelta(days=KEEP_DAYS)
        condition = or_(old, col(AutomationRun.id) <= cut) if cut is not None else old
        result = session.exec(delete(AutomationRun).where(condition))
        session.commit()
        return result.rowcount or 0


def actor_for(rule: AutomationRule) -> User:
    """Who an automation acts as: "Automation: <rule name>" in the audit log, with a manager's permissions (it is
    never stored; whoever wrote or switched on the rule holds each permission its actions need:
    automations.action_permission)."""
    return User(
        id=None,
        email=f'Automation: {rule.name}'[:254],
        name=f'Automation: {rule.name}'[:120],
        role=Role.manager,
        password_hash='!',
        is_active=True,
    )


# --- triggers -------------------------------------------------------------------------------------------------------


def _writer(topic: Topic):
    def write(session: Session, payload: dict[str, Any]) -> None:
        event = event_of(topic, str(payload.get('action')))
        record_id = payload.get('id')
        if event is None or not isinstance(record_id, int):
            return
        record_type = EVENTS[event].record_type
        key = f'{record_type}:{record_id}'
        chain = _chain.get()
        if chain is not None and (key in chain.seen or chain.depth + 1 > MAX_DEPTH):
            log.info('automation chain stops at %s (%s): already touched or too deep', key, event)
            return
        if not _any_enabled(session, event):
            return
        session.add(
            AutomationTrigger(
                event=event,
                record_type=record_type,
                record_id=record_id,
                depth=chain.depth + 1 if chain else 0,
                chain=list(chain.seen) if chain else [],
            )
        )

    return write


def _any_enabled(session: Session, event: str) -> bool:
    """Whether a rule of this event is on; asked once per event and transaction (an import may queue thousands)."""
    transaction = session.get_transaction()
    known = _enabled_in.setdefault(transaction, {}) if transaction is not None else {}
    if event not in known:
        known[event] = (
            session.exec(
                select(AutomationRule.id)
                .where(
                    AutomationRule.event == event,
                    col(AutomationRule.enabled).is_(True),
                    col(AutomationRule.deleted_at).is_(None),
                )
                .limit(1)
            ).first()
            is not None
        )
    return known[event]


_enabled_in: weakref.WeakKeyDictionary[Any, dict[str, bool]] = weakref.WeakKeyDictionary()


def _kick(payload: dict[str, Any]) -> None:
    _wake.set()


def _start_worker() -> None:
    global _worker
    if _worker is not None and _worker.is_alive():
        return

    def work() -> None:
        while True:
            _wake.wait()  # a commit of this process woke it; the `automations` job sweeps up the rest
            _wake.clear()
            run_in_background()

    _worker = threading.Thread(target=work, name='automations', daemon=True)
    _worker.start()


def run_in_background() -> None:
    """The worker's turn: run what waits; a failure is logged, never raised (the worker goes on)."""
    try:
        run_pending()
    except Exception as error:
        if not write_failures.busy_item(log, error, 'automations (claiming the next trigger)'):
            log.exception('automations could not run')


def _claim() -> tuple[AutomationTrigger, Progress] | None:
    now = utcnow()
    with session_scope() as session:
        waiting = or_(
            col(AutomationTrigger.claimed_at).is_(None),
            col(AutomationTrigger.claimed_at) < now - CLAIM_EXPIRES,
            col(AutomationTrigger.id).in_(list(_held)),
        )
        statement = select(AutomationTrigger).where(waiting).order_by(col(AutomationTrigger.id)).limit(1)
        if session.get_bind().dialect.name != 'sqlite':
            statement = statement.with_for_update(skip_locked=True)
        trigger = session.exec(statement).first()
        if trigger is None:
            session.commit()
            return None
        trigger.claimed_at = now
        session.add(trigger)
        with _stopped_lock:  # before the commit: another thread of this process claims it only after, and not again
            progress, held = _stopped.pop(trigger.id or 0, None), trigger.id in _held
            _held.discard(trigger.id or 0)
        try:
            session.commit()
        except BaseException:
            with _stopped_lock:
                if progress is not None:
                    _stopped[trigger.id or 0] = progress
                if held:
                    _held.add(trigger.id or 0)
            raise
        session.refresh(trigger)
        session.expunge(trigger)
        of = _identity(trigger)
        return trigger, progress if progress is not None and progress.of == of else Progress(of)


def _process(trigger: AutomationTrigger, progress: Progress) -> int:
    """Run every enabled rule of the trigger's event on its record, in order; returns how many chat messages the
    actions queued. Other writers holding the database (lock contention) stop it where it is: the trigger is left, with
    `progress`, for the next run to go on from there."""
    try:
        return _run_rules(trigger, progress)
    except Exception as error:
        if write_failures.lock_contention(error):
            _leave(trigger.id or 0, progress)
        raise


def _leave(trigger_id: int, progress: Progress) -> None:
    with _stopped_lock:
        _stopped[trigger_id] = progress
        _held.add(trigger_id)
    try:  # its claim let go, for any process's next run
        with session_scope() as session:
            session.exec(
                update(AutomationTrigger).where(col(AutomationTrigger.id) == trigger_id).values(claimed_at=None)
            )
            session.commit()
    except Exception as error:
        if not write_failures.lock_contention(error):
            raise
        return  # still busy: this process's next run takes it anyway
    with _stopped_lock:
        _held.discard(trigger_id)


def _identity(trigger: AutomationTrigger) -> tuple[Any, ...]:
    return (trigger.id, trigger.event, trigger.record_type, trigger.record_id, trigger.created_at)


def _run_rules(trigger: AutomationTrigger, progress: Progress) -> int:
    chats = 0
    with read_session() as session:
        rules = list(
            session.exec(
                select(AutomationRule)
                .where(
                    AutomationRule.event == trigger.event,
                    col(AutomationRule.enabled).is_(True),
                    col(AutomationRule.deleted_at).is_(None),
                )
                .order_by(col(AutomationRule.position), col(AutomationRule.id))
            )
        )
        record = load(session, trigger.record_type, trigger.record_id)
        for rule in rules:
            session.expunge(rule)
    for rule in [] if progress.finished else rules:
        if record is None:
            break
        if rule.id in progress.logged:  # ran before the database's lock stopped this trigger
            continue
        if progress.rule_id == rule.id:  # its actions under way: it matched (what they changed may not match now)
            matched = True
        else:
            try:
                matched = all(holds(c, record.values, record.type) for c in rule.conditions)
            except (KeyError, TypeError, ValueError) as error:
                _log_run(rule, trigger, record, False, [], f'{type(error).__name__}: {error}')
                progress.logged.add(rule.id or 0)
                continue
            if matched:
                progress.rule_id, progress.done = rule.id, []
        done = progress.done if progress.rule_id == rule.id else []
        if matched:
            seen = (*trigger.chain, f'{record.type}:{record.id}')
            token = _chain.set(Chain(trigger.depth, seen))
            try:
                for index, action in enumerate(rule.actions[len(done) :], start=len(done)):
                    done.append(_perform(rule, action, record, trigger, index))
                    chats += action['kind'] == 'post_chat' and done[-1]['done']
            finally:
                _chain.reset(token)
        errors = '; '.join(a['error'] for a in done if a.get('error'))
        _log_run(rule, trigger, record, matched, done, errors or None)
        progress.logged.add(rule.id or 0)
        progress.rule_id, progress.done = None, []
        if matched:
            with read_session() as session:
                record = load(session, trigger.record_type, trigger.record_id)  # as the actions left it
            if rule.stop:
                break
    progress.finished = True
    with session_scope() as session:
        session.exec(delete(AutomationTrigger).where(col(AutomationTrigger.id) == trigger.id))
        session.commit()
    return chats


def _log_run(
    rule: AutomationRule,
    trigger: AutomationTrigger,
    record: Record,
    matched: bool,
    done: list[dict[str, Any]],
    error: str | None,
) -> None:
    with session_scope() as session:
        session.add(
            AutomationRun(
                rule_id=rule.id,
                rule_name=rule.name,
                event=trigger.event,
                record_type=record.type,
                record_id=record.id,
                record_label=record.label[:200],
                matched=matched,
                depth=trigger.depth,
                actions=done,
                error=error,
            )
        )
        events.after_commit(session, Topic.automations, {'id': rule.id, 'action': 'ran'})
        session.commit()


# --- actions --------------------------------------------------------------------------------------------------------


def _perform(rule: AutomationRule, action: dict[str, Any], record: Record, trigger: AutomationTrigger, index: int):
    """One action through its service, in its own transaction; what it did, or its error, for the run log."""
    actor = actor_for(rule)
    with session_scope() as session:
        detail = describe_action(session, action)
    try:
        with session_scope() as session:
            perform = _ACTIONS.get(action['kind']) or automations.EXTENSION_ACTIONS[action['kind']].perform
            perform(session, actor, rule, action, record, trigger, index)
    except ServiceError as error:
        log.warning('automation %r: %s failed on %s %s: %s', rule.name, action['kind'], record.type, record.id, error)
        said = '; '.join(error.errors.values()) if isinstance(error, ValidationFailed) else str(error)
        return {'kind': action['kind'], 'done': False, 'detail': detail, 'error': said[:500]}
    except Exception as error:
        if write_failures.lock_contention(error):
            raise  # not the action's failure: the trigger is left for the next run, which does this action then
        log.exception('automation %r: %s failed on %s %s', rule.name, action['kind'], record.type, record.id)
        return {
            'kind': action['kind'],
            'done': False,
            'detail': detail,
            'error': f'{type(error).__name__}: {error}'[:500],
        }
    return {'kind': action['kind'], 'done': True, 'detail': detail}


def _ticket(session: Session, record: Record) -> Ticket:
    ticket = session.get(Ticket, record.id)
    if ticket is None:
        raise ServiceError(_('This request no longer exists.'))
    return ticket


def _change_ticket(session: Session, actor: User, record: Record, **values: Any) -> None:
    ticket = _ticket(session, record)
    tickets.change(session=session, actor=actor, ticket_id=ticket.id or 0, version=ticket.version, **values)


def _assign(session, actor, rule, action, record, trigger, index) -> None:
    if action.get('target') != ROUND_ROBIN:
        _change_ticket(session, actor, record, assignee_id=int(action['target']))
        return
    staff = sorted(assignable(session))
    if not staff:
        raise ServiceError(_('Nobody is active who answers requests'))
    # two workers (processes) running this rule at once take turns: each hands its request to the next agent, and the
    # rule's first turn (no counter yet) is inserted once
    one_at_a_time(session, f'automation-{rule.id}')
    turn = session.get(TicketCounter, f'automation-{rule.id}') or TicketCounter(name=f'automation-{rule.id}', value=0)
    turn.value = next((user for user in staff if user > turn.value), staff[0])
    session.add(turn)  # commits with the assignment
    _change_ticket(session, actor, record, assignee_id=turn.value)


def _set_priority(session, actor, rule, action, record, trigger, index) -> None:
    _change_ticket(session, actor, record, priority=action['value'])


def _set_status(session, actor, rule, action, record, trigger, index) -> None:
    if record.type == 'request':
        _change_ticket(session, actor, record, status=action['value'])
        return
    order = orders.locked(session, record.id, None)
    orders.change_status(
        session=session, actor=actor, order_id=record.id, version=order.version, status=action['value']
    )


def _add_tag(session, actor, rule, action, record, trigger, index) -> None:
    ticket = _ticket(session, record)
    if action['value'].casefold() not in {tag.casefold() for tag in ticket.tags or []}:
        _change_ticket(session, actor, record, tags=[*(ticket.tags or []), action['value']])


def _add_note(session, actor, rule, action, record, trigger, index) -> None:
    tickets.add_note(session=session, actor=actor, ticket_id=record.id, body=_filled(action['text'], rule, record))


def _send_email(session, actor, rule, action, record, trigger, index) -> None:
    template = session.get(CannedReply, int(action['value']))
    if template is None or template.deleted_at is not None:
        raise ServiceError(_('The email template no longer exists'))
    if action.get('target') == 'customer':
        ticket = _ticket(session, record)
        body = tickets.render_canned(session=session, actor=actor, canned=template, ticket=ticket, blanks=True)
        tickets.reply(
            session=session,
            actor=actor,
            ticket_id=ticket.id or 0,
            version=ticket.version,
            body=body,
            status=ticket.status,
        )
        return
    user = session.get(User, int(action['target']))
    if user is None or not user.is_active:
        raise ServiceError(_('The member of staff to email is no longer active'))
    staff_mail.queue(session, user=user, subject=template.title, body=_filled(template.body, rule, record))
    audit.record(
        session,
        actor,
        'automation.emailed',
        'automations',
        rule.id,
        summary=sentence(N_('Emailed {email} about {record}'), email=user.email, record=record.label),
    )
    session.commit()


def _post_chat(session, actor, rule, action, record, trigger, index) -> None:
    channel = action['target']
    text = _filled(action['text'], rule, record)[:1000]
    session.add(AlertDelivery(channel=channel, target=CHANNELS[channel], text=text, extra={'automation': rule.id}))
    session.commit()


def _call_webhook(session, actor, rule, action, record, trigger, index) -> None:
    payload = {
        'automation': {'id': rule.id, 'name': rule.name},
        'event': trigger.event,
        'record': {'type': record.type, 'id': record.id, 'label': record.label, 'link': record.link},
    }
    key = f'automation:{trigger.id}:{rule.id}:{index}'
    if not webhooks.queue_for_endpoint(session, int(action['target']), 'automation.action', key, payload):
        raise ServiceError(_('The webhook is switched off or no longer exists'))
    session.commit()


_ACTIONS = {
    'assign': _assign,
    'set_priority': _set_priority,
    'set_status': _set_status,
    'add_tag': _add_tag,
    'add_note': _add_note,
    'send_email': _send_email,
    'post_chat': _post_chat,
    'call_webhook': _call_webhook,
}


def _filled(text: str, rule: AutomationRule, record: Record) -> str:
    """{record}, {link}, {event}, {rule} and the record's own fields ({subject}, {total}…) filled in; the rest kept."""
    values = {key: value for key, value in record.values.items() if isinstance(value, str | int | float)}
    values.update({'record': record.label, 'link': record.link, 'event': rule.event, 'rule': rule.name})
    return tickets.fill_placeholders(text, values)
