"""Automation rules: a rule switched on after a dry run acts on the records of its event through the services, as
"Automation: <rule>"; rules run in order and may stop the chain; a rule never sets itself off in a loop; every run,
its actions and their errors are logged; and the triggering save stands whatever the automations do."""

from __future__ import annotations

import json
import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from backoffice.config import get_settings, reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import (
    AlertDelivery,
    AuditEntry,
    AutomationRule,
    AutomationTrigger,
    JobRun,
    MessageKind,
    StaffMail,
    StockLevel,
    Ticket,
    TicketMessage,
    TicketPriority,
    WebhookDelivery,
)
from backoffice.permissions import PermissionDenied
from backoffice.runtime.scheduler import Job, JobRunner
from backoffice.services import (
    alert_checks,
    app_settings,
    automation_runner,
    automations,
    job_runs,
    stock,
    ticket_snooze,
    tickets,
    users,
    webhooks,
)

from .support.at_once import first_saves_at_once
from .support.automations import make_automation, make_template, runs_of
from .support.factories import make_product, make_role, make_user, pay, place, stored_request, submit_request
from .support.goals import make_rule, put_daily
from .support.waiting import eventually
from .support.webhook_receiver import webhook_receiver
from .support.write_lock import busy_timeout_shortened, sqlite_write_lock

HOSTILE = 'Refund "now": <script>alert(1)</script>'


@pytest.fixture(autouse=True)
def wired(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receivers listen on 127.0.0.1
    reload_settings()
    app_settings.forget_cached()
    automation_runner.wire()
    webhooks.wire()


def thread_of(ticket_id: int) -> list[TicketMessage]:
    with read_session() as session:
        return list(session.exec(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by('id')))


def change_request(actor, number: int, **values) -> Ticket:
    ticket = stored_request(number)
    with session_scope() as session:
        return tickets.change(session=session, actor=actor, ticket_id=ticket.id, version=ticket.version, **values)


def test_a_rule_switched_on_acts_on_matching_requests_through_the_services_as_the_automation() -> None:
    manager, agent = make_user('manager'), make_user('agent', name='Ana Agent')
    sample = submit_request('Refund for my order')
    rule = make_automation(
        manager,
        name=HOSTILE,
        event='request.created',
        conditions=[{'field': 'subject', 'operator': 'contains', 'value': 'REFUND'}],
        actions=[
            {'kind': 'assign', 'target': str(agent.id)},
            {'kind': 'set_priority', 'value': 'high'},
            {'kind': 'add_tag', 'value': 'refund: <b>'},
            {'kind': 'add_note', 'text': 'Check {record} — <script>alert(2)</script>'},
        ],
        enable_on=sample.id,
    )

    refund = submit_request('Refund please', email='rita@example.com')
    other = submit_request('Where is my parcel?', email='paul@example.com')
    assert automation_runner.run_pending() == 2

    done = stored_request(refund.number)
    assert (done.assignee_id, done.priority, done.tags) == (agent.id, TicketPriority.high, ['refund: <b>'])
    note = [m for m in thread_of(refund.id) if m.kind == MessageKind.note]
    assert [m.body for m in note] == [f'Check #{refund.number} Refund please — <script>alert(2)</script>']
    untouched = stored_request(other.number)
    assert (untouched.assignee_id, untouched.priority, untouched.tags) == (None, TicketPriority.normal, [])
    with read_session() as session:
        actors = set(session.exec(select(AuditEntry.actor_email).where(AuditEntry.entity_id == str(refund.id))))
    assert f'Automation: {HOSTILE}' in actors
    logged = runs_of(rule.id)
    assert [(r.record_id, r.matched) for r in logged] == [(refund.id, True), (other.id, False)]
    assert [a['done'] for a in logged[0].actions] == [True, True, True, True] and logged[0].error is None
    assert logged[0].rule_name == HOSTILE
    with read_session() as session:
        assert session.exec(select(AutomationTrigger)).all() == []  # each trigger ran once and is gone


def test_a_rule_is_switched_on_only_after_a_dry_run_that_changes_nothing() -> None:
    manager = make_user('manager')
    request = submit_request('Urgent: broken item')
    rule = make_automation(
        manager,
        event='request.created',
        conditions=[{'field': 'subject', 'operator': 'starts_with', 'value': 'urgent'}],
        actions=[{'kind': 'set_priority', 'value': 'urgent'}, {'kind': 'add_tag', 'value': 'vip'}],
    )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        automations.set_enabled(session=session, actor=manager, rule_id=rule.id, enabled=True)
    assert 'enabled' in refused.value.errors

    with session_scope() as session:
        result = automations.dry_run(session=session, actor=manager, rule_id=rule.id, record_id=request.id)
    assert result.matched and result.conditions == [('Subject starts with “urgent”', True)]
    assert result.actions == ['Set priority to Urgent', 'Add the tag “vip”']
    after = stored_request(request.number)
    assert (after.priority, after.tags, after.version) == (TicketPriority.normal, [], request.version)
    assert [r.matched for r in runs_of(rule.id, dry=True)] == [True]
    with session_scope() as session:
        on = automations.set_enabled(session=session, actor=manager, rule_id=rule.id, enabled=True)
    assert on.enabled

    with session_scope() as session:  # what it does changed: off again until dry-run again
        changed = automations.update_rule(
            session=session,
            actor=manager,
            rule_id=rule.id,
            version=on.version,
            data={'name': 'Rule', 'event': 'request.created', 'actions': [{'kind': 'add_tag', 'value': 'x'}]},
        )
    assert not changed.enabled


def test_rules_run_in_order_and_one_that_stops_ends_the_chain() -> None:
    manager = make_user('manager')
    sample = submit_request('Sample')
    urgent = make_automation(
        manager,
        name='Urgent first',
        event='request.created',
        stop=True,
        actions=[{'kind': 'set_priority', 'value': 'urgent'}],
        enable_on=sample.id,
    )
    tagger = make_automation(
        manager,
        name='Tag',
        event='request.created',
        actions=[{'kind': 'add_tag', 'value': 'seen'}],
        enable_on=sample.id,
    )
    first = submit_request('One', email='one@example.com')
    automation_runner.run_pending()
    assert (stored_request(first.number).priority, stored_request(first.number).tags) == ('urgent', [])
    assert runs_of(tagger.id) == []  # the chain stopped before it

    with session_scope() as session:
        order = automations.move(session=session, actor=manager, rule_id=tagger.id, by=-1)
    assert [r.name for r in order] == ['Tag', 'Urgent first']
    second = submit_request('Two', email='two@example.com')
    automation_runner.run_pending()
    assert (stored_request(second.number).priority, stored_request(second.number).tags) == ('urgent', ['seen'])
    assert [r.rule_id for r in runs_of() if r.record_id == second.id] == [tagger.id, urgent.id]


def test_a_rule_never_sets_itself_off_in_a_loop() -> None:
    manager, agent = make_user('manager'), make_user('agent')
    request = submit_request('Loop?')
    rule = make_automation(  # its own note is a change of the request, the very event it listens to
        manager,
        event='request.updated',
        actions=[{'kind': 'add_note', 'text': 'Seen by the automation'}],
        enable_on=request.id,
    )
    change_request(agent, request.number, priority='high')
    for _round in range(5):
        automation_runner.run_pending()

    notes = [m for m in thread_of(request.id) if m.kind == MessageKind.note]
    assert [m.body for m in notes] == ['Seen by the automation']
    assert len(runs_of(rule.id)) == 1
    with read_session() as session:
        assert session.exec(select(AutomationTrigger)).all() == []


def test_a_chain_of_automations_stops_at_its_depth_limit() -> None:
    manager, agent = make_user('manager'), make_user('agent')
    request = submit_request('Deep')
    make_automation(manager, event='request.updated', actions=[{'kind': 'add_tag', 'value': 'x'}], enable_on=request.id)
    token = automation_runner._chain.set(automation_runner.Chain(automation_runner.MAX_DEPTH, ()))
    try:  # as if this change were made by an automation already MAX_DEPTH deep, on another record
        change_request(agent, request.number, priority='low')
    finally:
        automation_runner._chain.reset(token)
    with read_session() as session:
        assert session.exec(select(AutomationTrigger)).all() == []
    change_request(agent, request.number, priority='high')  # a person's change sets it off as usual
    with read_session() as session:
        assert len(session.exec(select(AutomationTrigger)).all()) == 1


def test_round_robin_assigns_in_turn_among_those_who_answer_requests() -> None:
    manager, first, second = make_user('manager'), make_user('agent'), make_user('agent')
    make_user('viewer')  # reads requests, never answers them
    sample = submit_request('Sample')
    make_automation(
        manager, event='request.created', actions=[{'kind': 'assign', 'target': 'round_robin'}], enable_on=sample.id
    )
    made = [submit_request(f'Request {n}', email=f'c{n}@example.com') for n in range(4)]
    automation_runner.run_pending()
    assignees = [stored_request(t.number).assignee_id for t in made]
    assert len(set(assignees)) == 3 and None not in assignees  # manager, first and second in turn
    assert assignees[0] != assignees[1] != assignees[2] and assignees[3] == assignees[0]
    assert {first.id, second.id} <= set(assignees)


def test_two_workers_handing_out_requests_round_robin_at_once_take_turns(monkeypatch) -> None:
    """Two processes' workers each run a new request's rule at the same moment: the first is held after reading the
    rule's turn until the second has read it too, or for 3 s. Each request goes to the next agent in turn: on the
    rule's first turn (no counter yet) one used to fail on the counter's duplicate key and stay unassigned; on the
    next, both went to the same agent."""
    manager, agent = make_user('manager'), make_user('agent')
    sample = submit_request('Sample')
    make_automation(
        manager, event='request.created', actions=[{'kind': 'assign', 'target': 'round_robin'}], enable_on=sample.id
    )
    for turn in ('first turn', 'next turn'):
        made = [submit_request(f'{turn} {n} {HOSTILE}', email=f'rr{n}@example.com') for n in range(2)]
        first_saves_at_once(
            monkeypatch,
            automation_runner,
            automation_runner.run_pending,
            automation_runner.run_pending,
            held_at='_change_ticket',
        )
        assignees = {stored_request(t.number).assignee_id for t in made}
        assert assignees == {manager.id, agent.id}, (turn, [r.actions for r in runs_of()])


def test_a_rule_may_leave_a_snoozed_request_alone_when_the_snooze_sets_it_off() -> None:
    """Snoozing is a change ('Request updated'): a rule handing out unassigned requests would give away the one an agent
    just put aside for Monday (its wake-up then tells someone else). The Snoozed condition lets the rule leave it."""
    manager, agent = make_user('manager'), make_user('agent')
    sample = submit_request('Sample')
    make_automation(
        manager,
        event='request.updated',
        conditions=[
            {'field': 'assigned', 'operator': 'false'},
            {'field': 'snoozed', 'operator': 'false'},
        ],
        actions=[{'kind': 'assign', 'target': 'round_robin'}],
        enable_on=sample.id,
    )
    put_aside, changed = submit_request(HOSTILE), submit_request('Typo in "subject"', email='dan@example.com')
    with session_scope() as session:
        ticket_snooze.snooze(
            session=session,
            actor=agent,
            ticket_id=put_aside.id,
            version=put_aside.version,
            until=ticket_snooze.choice('tomorrow'),
        )
    change_request(agent, changed.number, priority='high')
    automation_runner.run_pending()
    assert stored_request(put_aside.number).assignee_id is None  # still the snoozer's to take back on Monday
    assert stored_request(changed.number).assignee_id is not None


def test_a_failed_action_is_logged_the_others_run_and_the_triggering_save_stands() -> None:
    admin, manager, agent = make_user('admin'), make_user('manager'), make_user('agent')
    sample = submit_request('Sample')
    rule = make_automation(
        manager,
        event='request.created',
        actions=[{'kind': 'assign', 'target': str(agent.id)}, {'kind': 'add_tag', 'value': 'triaged'}],
        enable_on=sample.id,
    )
    with session_scope() as session:  # the agent leaves after the rule was written
        users.set_active(session=session, actor=admin, user_id=agent.id, version=agent.version, active=False)
    request = submit_request('After', email='after@example.com')
    automation_runner.run_pending()

    stored = stored_request(request.number)
    assert (stored.assignee_id, stored.tags) == (None, ['triaged'])
    run = runs_of(rule.id)[-1]
    assert [a['done'] for a in run.actions] == [False, True]
    assert 'Choose an active member of staff' in run.error


def test_an_order_paid_posts_to_chat_and_calls_a_webhook_through_the_shared_machinery() -> None:
    admin = make_user('admin')
    make_product('SKU-1', '30.00', stock_on_hand=5, actor=admin)
    with webhook_receiver() as slack, webhook_receiver() as hook:
        with session_scope() as session:
            loaded = app_settings.current_values(session=session)
            app_settings.save(session=session, actor=admin, changes={'slack_webhook_url': slack.url}, loaded=loaded)
        with session_scope() as session:
            endpoint, _secret = webhooks.create_endpoint(
                session=session, actor=admin, data={'name': 'ERP', 'url': hook.url, 'events': 'order.created'}
            )
        sample = place(('SKU-1', 1))
        rule = make_automation(
            admin,
            name='Big orders',
            event='order.paid',
            conditions=[{'field': 'total', 'operator': 'ge', 'value': '50'}],
            actions=[
                {'kind': 'post_chat', 'target': 'slack', 'text': 'Order {record} paid: {total} <b>'},
                {'kind': 'call_webhook', 'target': str(endpoint.id)},
            ],
            enable_on=sample.id,
        )
        small, big = place(('SKU-1', 1), email='s@example.com'), place(('SKU-1', 2), email='b@example.com')
        pay(admin, small)
        pay(admin, big)
        automation_runner.run_pending()
        webhooks.dispatch_due()

        # Slack's control characters escaped as it documents: Slack shows "<b>" as typed, never as markup or a mention
        assert [json.loads(r.body)['text'] for r in slack.received] == [
            f'Order {big.number} paid: {big.total} &lt;b&gt;'
        ]
        bodies = [json.loads(r.body) for r in hook.received]  # its own events too (order.created)
        called = [b['data']['record']['label'] for b in bodies if b['event'] == 'automation.action']
        assert called == [big.number]
    assert [r.matched for r in runs_of(rule.id)] == [False, True]
    with read_session() as session:
        chat = session.exec(select(AlertDelivery)).one()
        assert (chat.status, chat.extra) == ('sent', {'automation': rule.id})
        assert session.exec(select(WebhookDelivery).where(WebhookDelivery.event == 'automation.action')).one()


def test_email_templates_go_through_the_outboxes_to_the_customer_or_to_staff() -> None:
    manager = make_user('manager', name='Max Manager')
    template = make_template('Thanks', 'Hello {customer_name}, about #{request_number}: "quoted" <b>')
    staff_note = make_template('New sign-up', 'A new customer: {email}')
    sample = submit_request('Sample')
    make_automation(
        manager,
        event='request.created',
        actions=[{'kind': 'send_email', 'value': str(template.id), 'target': 'customer'}],
        enable_on=sample.id,
    )
    customer_rule = make_automation(
        manager,
        event='customer.signed_up',
        actions=[{'kind': 'send_email', 'value': str(staff_note.id), 'target': str(manager.id)}],
        enable_on=sample.customer_id,
    )
    request = submit_request('Hello', email='newbie@example.com', name='Nina New')
    automation_runner.run_pending()

    replies = [m for m in thread_of(request.id) if m.kind == MessageKind.reply]
    assert [(m.body, m.delivery) for m in replies] == [
        (f'Hello Nina New, about #{request.number}: "quoted" <b>', 'queued')
    ]
    assert stored_request(request.number).status == 'new'  # an automatic email does not put it on hold
    with read_session() as session:
        mails = session.exec(select(StaffMail)).all()
    assert [(m.to_address, m.subject, m.body) for m in mails] == [
        (manager.email, 'New sign-up', 'A new customer: newbie@example.com')
    ]
    assert runs_of(customer_rule.id)[0].matched


def test_an_automatic_email_to_a_customer_without_a_name_or_an_order_still_goes() -> None:
    """An agent's reply still holding a canned reply's placeholder is refused (the agent fills it in); an automation's
    email has nobody to do that: what the request has no value for is left out and the email goes, as before."""
    manager = make_user('manager')
    template = make_template('Got it: "x" <b>', 'Hi {customer_first_name}, order {order_number}: #{request_number}')
    sample = submit_request('Sample')
    rule = make_automation(
        manager,
        event='request.created',
        actions=[{'kind': 'send_email', 'value': str(template.id), 'target': 'customer'}],
        enable_on=sample.id,
    )
    request = submit_request(
        'No name: "nor" <script>x</script>', email='anon.auto@example.com', name='', order_number=None
    )
    automation_runner.run_pending()

    replies = [m for m in thread_of(request.id) if m.kind == MessageKind.reply]
    assert [(m.body, m.delivery) for m in replies] == [(f'Hi , order : #{request.number}', 'queued')]
    assert [run.matched for run in runs_of(rule.id)][-1]


def test_a_customer_who_first_arrives_with_an_order_signs_up_as_one_who_writes_first() -> None:
    """The front office's first order of a new email makes the customer: 'customer signed up' fires for it as for a
    first request (it did not: the orders' path dropped the 'created' flag), and only for a new one."""
    manager = make_user('manager')
    staff_note = make_template('New sign-up', 'A new customer: {email}')
    make_product('MUG-1', stock_on_hand=10, actor=make_user('admin'))
    sample = submit_request('Sample')
    rule = make_automation(
        manager,
        event='customer.signed_up',
        actions=[{'kind': 'send_email', 'value': str(staff_note.id), 'target': str(manager.id)}],
        enable_on=sample.customer_id,
    )
    place(('MUG-1', 1), email='first.order@example.com', name='Olga "O\'Neil" <script>')
    place(('MUG-1', 1), email='first.order@example.com')  # the same customer again: no second sign-up
    automation_runner.run_pending()

    with read_session() as session:
        mails = session.exec(select(StaffMail)).all()
    assert [(m.to_address, m.body) for m in mails] == [(manager.email, 'A new customer: first.order@example.com')]
    assert len(runs_of(rule.id)) == 1


def test_stock_below_minimum_and_a_fired_kpi_alert_are_events_too() -> None:
    admin = make_user('admin')
    product = make_product('LOW-1', stock_on_hand=10, actor=admin)
    with read_session() as session:
        level = session.exec(select(StockLevel).where(StockLevel.product_id == product.id)).one()
    rule = make_automation(
        admin,
        event='stock.low',
        conditions=[{'field': 'sku', 'operator': 'starts_with', 'value': 'low-'}],
        actions=[{'kind': 'post_chat', 'target': 'discord', 'text': '{record} is low: {available} left'}],
        enable_on=level.id,
    )
    with session_scope() as session:
        stock.set_limits(session=session, actor=admin, product_id=product.id, min_qty=12, max_qty=40)
    with session_scope() as session:
        stock.alert_low_stock(session=session)
    automation_runner.run_pending()
    with read_session() as session:
        chat = session.exec(select(AlertDelivery)).one()
    assert (chat.channel, chat.text, chat.status) == ('discord', 'LOW-1 is low: 10 left', 'failed')  # no address set
    assert runs_of(rule.id)[0].matched


def test_rules_are_checked_typed_and_only_managers_and_admins_write_them() -> None:
    manager, agent = make_user('manager'), make_user('agent')
    bad = {
        'name': '',
        'event': 'order.paid',
        'conditions': [
            {'field': 'total', 'operator': 'gt', 'value': 'lots'},
            {'field': 'status', 'operator': 'equals', 'value': 'sold'},
            {'field': 'nope', 'operator': 'equals', 'value': 'x'},
        ],
        'actions': [{'kind': 'set_priority', 'value': 'high'}, {'kind': 'post_chat', 'target': 'irc', 'text': 'x'}],
    }
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        automations.create_rule(session=session, actor=manager, data=bad)
    assert refused.value.errors == {
        'name': 'This field is required',
        'conditions.0.value': 'Enter a number',
        'conditions.1.value': 'Choose a value from the list',
        'conditions.2.field': 'Choose a field from the list',
        'actions.0.kind': 'This action applies to requests only',
        'actions.1.target': 'Choose channels from the list',
    }
    with session_scope() as session, pytest.raises(PermissionDenied):
        automations.create_rule(session=session, actor=agent, data={'name': 'x', 'event': 'order.paid', 'actions': []})


def test_a_rule_may_do_only_what_its_writer_may_do_themselves() -> None:
    """A rule acts with a manager's rights, so a custom role holding automations.manage but not tickets.write may not
    write a rule that notes on requests, nor switch on a manager's rule that does: the action says which right it
    needs. Given tickets.write, the same person may."""
    writer = make_user(make_role('automations.manage', 'tickets.read').key)
    manager = make_user('manager')
    request = submit_request('Where is my parcel?')
    data = {'name': HOSTILE, 'event': 'request.created', 'actions': [{'kind': 'add_note', 'text': HOSTILE}]}
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        automations.create_rule(session=session, actor=writer, data=data)
    assert refused.value.errors == {
        'actions.0.kind': 'Your role may not do this itself (Answer, assign and change customer requests), so your '
        'rules may not either'
    }
    rule = make_automation(manager, **data)
    with session_scope() as session:
        automations.dry_run(session=session, actor=writer, rule_id=rule.id, record_id=request.id)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        automations.set_enabled(session=session, actor=writer, rule_id=rule.id, enabled=True)
    assert refused.value.errors['enabled'].startswith('Your role may not do this itself')
    with read_session() as session:
        assert not session.get(AutomationRule, rule.id).enabled
    helper = make_user(make_role('automations.manage', 'tickets.read', 'tickets.write').key)
    with session_scope() as session:
        assert automations.set_enabled(session=session, actor=helper, rule_id=rule.id, enabled=True).enabled


def test_the_run_log_is_kept_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager, event='request.updated', actions=[{'kind': 'add_tag', 'value': 'x'}], enable_on=sample.id
    )
    for priority in ('low', 'high', 'urgent', 'normal'):
        change_request(manager, sample.number, priority=priority)
        automation_runner.run_pending()
    assert len(runs_of(rule.id)) == 4
    monkeypatch.setattr(automation_runner, 'KEEP_RUNS', 2)
    assert automation_runner.run_job()['pruned'] >= 2
    with read_session() as session:
        assert len(automations.runs(session=session, actor=manager)) == 2


def test_a_kpi_alert_that_fires_sets_off_the_rules_of_that_event() -> None:
    manager = make_user('manager')
    rule_of_alert = make_rule(manager, name='Sales low', kpi='turnover', kind='below', threshold=100)
    automation = make_automation(
        manager,
        event='alert.fired',
        conditions=[{'field': 'kpi', 'operator': 'equals', 'value': 'turnover'}],
        actions=[{'kind': 'post_chat', 'target': 'teams', 'text': 'Alert: {record} at {last_value}'}],
        enable_on=rule_of_alert.id,
    )
    put_daily('turnover', {1: 40.0})  # yesterday's total
    alert_checks.evaluate()
    automation_runner.run_pending()
    [run] = runs_of(automation.id)
    assert (run.matched, run.record_label) == (True, 'Sales low')
    with read_session() as session:
        texts = [d.text for d in session.exec(select(AlertDelivery).where(AlertDelivery.channel == 'teams'))]
    assert texts == ['Alert: Sales low at 40.0']


def test_an_action_that_meets_the_write_lock_is_a_warning_and_the_rule_goes_on_from_it_at_the_next_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Another writer (a CLI, a second app) held SQLite's write lock past the busy timeout as an action ran: it used to
    be an ERROR with its traceback and the action logged failed for good ("database is locked", seen on /automations).
    Now a WARNING says the request is tried again at the next run, which does the actions not done yet, once."""
    manager = make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager,
        name=HOSTILE,
        event='request.created',
        actions=[{'kind': 'set_priority', 'value': 'urgent'}, {'kind': 'add_tag', 'value': 'tag: "<b>"'}],
        enable_on=sample.id,
    )
    request = submit_request('Locked out', email='locked@example.com')
    tagging, prioritising = automation_runner._ACTIONS['add_tag'], automation_runner._ACTIONS['set_priority']
    tagged: list[int] = []
    prioritised: list[int] = []
    monkeypatch.setitem(
        automation_runner._ACTIONS, 'set_priority', lambda *args: prioritised.append(1) or prioritising(*args)
    )
    with busy_timeout_shortened(monkeypatch), sqlite_write_lock() as holder:

        def add_tag_behind_another_writer(*args) -> None:
            tagged.append(1)
            if len(tagged) == 1:
                holder.execute('BEGIN IMMEDIATE')  # as the action's transaction is about to begin
            tagging(*args)

        monkeypatch.setitem(automation_runner._ACTIONS, 'add_tag', add_tag_behind_another_writer)
        assert automation_runner.run_pending() == 0
        assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ['WARNING']
        assert 'tried again at the next run' in caplog.records[-1].getMessage()
        assert runs_of(rule.id) == [] and stored_request(request.number).tags == []
        holder.rollback()  # the other writer is done

        assert automation_runner.run_pending() == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
    done = stored_request(request.number)
    assert (done.priority, done.tags) == (TicketPriority.urgent, ['tag: "<b>"'])
    [run] = runs_of(rule.id)
    assert [(a['kind'], a['done']) for a in run.actions] == [('set_priority', True), ('add_tag', True)]
    assert run.error is None and (len(prioritised), len(tagged)) == (1, 2), 'what was done is not done again'
    with read_session() as session:
        assert session.exec(select(AutomationTrigger)).all() == []


def test_the_worker_meeting_the_write_lock_as_it_claims_warns_and_runs_the_trigger_at_its_next_turn(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    manager = make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager, event='request.created', actions=[{'kind': 'add_tag', 'value': 'seen'}], enable_on=sample.id
    )
    request = submit_request('Claimed later', email='later@example.com')
    with busy_timeout_shortened(monkeypatch), sqlite_write_lock() as holder:
        holder.execute('BEGIN IMMEDIATE')
        automation_runner.run_in_background()
        holder.rollback()
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.levelname == 'WARNING' and 'tried again at the next run' in warning.getMessage()
        assert runs_of(rule.id) == []

        automation_runner.run_in_background()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], 'nothing logged as an error'
    assert stored_request(request.number).tags == ['seen'] and len(runs_of(rule.id)) == 1


def test_an_action_that_breaks_otherwise_is_still_an_error_logged_failed_in_its_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    manager = make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager, event='request.created', actions=[{'kind': 'add_tag', 'value': 'x'}], enable_on=sample.id
    )

    def broken(*args) -> None:
        raise RuntimeError('broken "for real" <script>: not the lock')

    monkeypatch.setitem(automation_runner._ACTIONS, 'add_tag', broken)
    submit_request('Broken', email='broken@example.com')
    assert automation_runner.run_pending() == 1
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.exc_info is not None
    [run] = runs_of(rule.id)
    assert [a['done'] for a in run.actions] == [False] and run.error.startswith('RuntimeError: broken')


def test_a_job_runs_when_a_busy_database_keeps_its_history_row_out(monkeypatch, caplog) -> None:
    def busy():
        raise OperationalError('INSERT INTO job_runs', {}, sqlite3.OperationalError('database is locked'))

    monkeypatch.setattr(job_runs, 'session_scope', busy)
    with caplog.at_level(logging.WARNING, logger=job_runs.__name__):
        assert job_runs.record('tidy', lambda: 7) == 7
    assert [r.levelname for r in caplog.records] == ['WARNING']
    assert 'database was busy' in caplog.records[0].getMessage()


def test_every_scheduled_job_keeps_a_bounded_run_history_failures_first(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user('admin')
    job_runs.record('tidy', lambda: {'sent': 3, 'failed': [1, 2]})

    def broken() -> None:
        raise RuntimeError('disk on fire')

    with pytest.raises(RuntimeError):
        job_runs.record('broken', broken)
    monkeypatch.setattr(job_runs, 'KEEP_PER_JOB', 3)
    for _n in range(5):
        job_runs.record('often', lambda: 1)
    with read_session() as session:
        history = job_runs.overview(session=session, actor=admin, jobs=['tidy', 'often', 'never-ran', 'broken'])
    assert [h.job for h in history] == ['broken', 'never-ran', 'often', 'tidy']
    broken_run = history[0].last
    assert (broken_run.outcome, broken_run.error) == ('failed', 'RuntimeError: disk on fire')
    assert broken_run.duration_ms is not None and broken_run.duration_ms >= 0
    assert (history[3].last.outcome, history[3].last.result) == ('ok', 'sent: 3, failed: 2')
    assert len(history[2].runs) == 3  # pruned to the newest
    assert history[1].last is None
    with read_session() as session, pytest.raises(PermissionDenied):
        job_runs.overview(session=session, actor=make_user('manager'), jobs=[])


async def test_the_scheduler_records_each_run_of_its_jobs() -> None:
    settings = get_settings()

    def fails(settings) -> None:
        raise ValueError('no luck')

    runner = JobRunner(
        settings, jobs=[Job('tick', lambda s: 7, 'interval', {'seconds': 0.05}), Job('oops', fails, 'date', {})]
    )
    await runner.start()
    try:

        def recorded() -> set[tuple[str, str]]:
            with read_session() as session:
                return {(r.job, r.outcome) for r in session.exec(select(JobRun))}

        await eventually(lambda: {('tick', 'ok'), ('oops', 'failed')} <= recorded(), message='both runs recorded')
    finally:
        await runner.stop()
