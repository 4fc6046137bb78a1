"""The automations page as a person uses it: a manager writes a rule (hostile text in every field comes back as
text), is told to dry-run it first, dry-runs it against a request (nothing changes), switches it on, and sees the run
a new request sets off; a rule's errors show at their inputs; an agent cannot open the page."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session
from backoffice.models import AutomationRule
from backoffice.services import automation_runner

from .support.automations import make_automation
from .support.factories import make_user, stored_request, submit_request
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually

HOSTILE = 'Triage "fast": <script>alert(1)</script>'


async def test_a_manager_writes_dry_runs_and_switches_on_a_rule_then_sees_it_run(user: User) -> None:
    manager = make_user('manager')
    sample = submit_request('Refund: my parcel "broke" <b>')
    await signed_in(user, manager.email, path='/automations')
    await user.should_see('No automation rules yet.', retries=30)

    user.find(marker='new-automation').click()
    user.find(marker='automation-name').type(HOSTILE)
    user.find(marker='add-condition').click()
    await user.should_see(marker='condition-field-0')
    user.find(marker='condition-operator-0').elements.pop().set_value('contains')
    user.find(marker='condition-value-0').type('refund: <b>"x"')
    user.find(marker='action-kind-0').elements.pop().set_value('add_note')
    await user.should_see(marker='action-text-0')
    user.find(marker='action-text-0').type('Seen: <script>alert(3)</script>')
    user.find(marker='add-action').click()
    await user.should_see(marker='action-kind-1')
    user.find(marker='action-kind-1').elements.pop().set_value('add_tag')
    await user.should_see(marker='action-value-1')
    user.find(marker='action-value-1').type('a' * 41)
    user.find(marker='save-automation').click()
    await user.should_see('Keep it under 40 characters', retries=30)
    user.find(marker='action-value-1').clear().type('tag: "<i>"')
    user.find(marker='condition-value-0').clear().type('refund')
    user.find(marker='save-automation').click()
    await user.should_see('Rule saved. Dry-run it against a record to switch it on.', retries=30)
    await user.should_see(HOSTILE)
    await user.should_see('If: Subject contains “refund”')
    await user.should_see('Then: Add the internal note “Seen: <script>alert(3)</script>”; Add the tag “tag: "<i>"”')
    await user.should_see('Dry-run it against a record to switch it on.')

    rule_id = _only_rule_id()
    user.find(marker=f'switch-{rule_id}').click()
    await user.should_see('Dry-run this rule against a record before switching it on', retries=30)

    user.find(marker=f'dry-run-{rule_id}').click()
    await user.should_see('Dry run: ' + HOSTILE, retries=30)
    user.find(marker='run-dry-run').click()
    await user.should_see(f'#{sample.number} Refund: my parcel "broke" <b> matches: this is what the rule would do.')
    await user.should_see('Nothing was changed.')
    assert stored_request(sample.number).tags == []
    user.find('Close').click()

    user.find(marker=f'switch-{rule_id}').click()
    await user.should_see('Switch off', retries=30)
    new = submit_request('Refund please', email='rita@example.com')
    automation_runner.run_pending()
    await user.should_see(f'#{new.number} Refund please', retries=30)  # the run log, live
    await user.should_see('Matched')
    assert stored_request(new.number).tags == ['tag: "<i>"']


async def test_rules_are_reordered_and_a_failed_action_shows_in_the_log(user: User) -> None:
    manager = make_user('manager')
    sample = submit_request('Sample')
    make_automation(
        manager,
        name='Reopen',
        event='request.created',
        actions=[{'kind': 'set_status', 'value': 'open'}],
        enable_on=sample.id,
    )
    close = make_automation(
        manager,
        name='Close',
        event='request.created',
        actions=[{'kind': 'set_status', 'value': 'closed'}],
        enable_on=sample.id,
    )
    await signed_in(user, manager.email, path='/automations')
    await user.should_see('Close', retries=30)
    user.find(marker=f'up-{close.id}').click()

    def order() -> list[str]:  # the rules' names by the place each card shows (the elements found are a set)
        placed = {}
        for card in user.find(kind=ui.card).elements:
            labels = [e.text for e in card.descendants() if isinstance(e, ui.label)]
            if any(m.startswith('automation-') and m[11:].isdigit() for m in card._markers):
                placed[int(labels[0])] = labels[1]
        return [placed[place] for place in sorted(placed)]

    await eventually(lambda: order() == ['Close', 'Reopen'], message='moved up')
    closed = submit_request('Close me', email='s@example.com')
    automation_runner.run_pending()
    await user.should_see(f'#{closed.number} Close me', retries=30)
    await user.should_see('This request is closed, which is final', retries=30)
    await user.should_see('Errors')
    assert stored_request(closed.number).status == 'closed'


async def test_an_agent_cannot_open_automations(user: User) -> None:
    agent = make_user('agent')
    await signed_in(user, agent.email, path='/automations')
    await user.should_not_see('New rule')


def _only_rule_id() -> int:
    with read_session() as session:
        return session.exec(select(AutomationRule)).one().id


async def test_renaming_a_rule_keeps_it_on_and_changing_what_it_does_switches_it_off(user: User) -> None:
    manager = make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager,
        name='Urgent ones',
        event='request.created',
        conditions=[{'field': 'priority', 'operator': 'equals', 'value': 'urgent'}],
        actions=[{'kind': 'add_tag', 'value': 'hot'}],
        enable_on=sample.id,
    )
    await signed_in(user, manager.email, path='/automations')
    await user.should_see('If: Priority is Urgent', retries=30)
    user.find(marker=f'edit-{rule.id}').click()
    await user.should_see(marker='condition-value-0')
    assert user.find(marker='condition-value-0').elements.pop().value == 'urgent'
    user.find(marker='automation-name').clear().type('Urgent ones: <b>"first"</b>')
    user.find(marker='save-automation').click()
    await user.should_see('Urgent ones: <b>"first"</b>', retries=30)
    with read_session() as session:
        assert session.get(AutomationRule, rule.id).enabled

    user.find(marker=f'edit-{rule.id}').click()
    await user.should_see(marker='action-value-0')
    user.find(marker='action-value-0').clear().type('hotter')
    user.find(marker='save-automation').click()
    await user.should_see('Then: Add the tag “hotter”', retries=30)
    await user.should_see('Dry-run it against a record to switch it on.')
    with read_session() as session:
        assert not session.get(AutomationRule, rule.id).enabled


async def test_a_switch_off_clicked_as_a_rule_runs_still_switches_it_off(user: User) -> None:
    """The browser sends "Switch off" from the cards it shows while the server hears of a rule's run and redraws the
    page: the rule's card shows the same as before, so the click still reaches it."""
    manager = make_user('manager')
    sample = submit_request('Sample')
    rule = make_automation(
        manager,
        name=HOSTILE,
        event='request.created',
        actions=[{'kind': 'add_note', 'text': 'Seen: "this" <script>alert(2)</script>'}],
        enable_on=sample.id,
    )
    await signed_in(user, manager.email, path='/automations')
    await user.should_see(HOSTILE, retries=30)
    switch = user.find(marker=f'switch-{rule.id}').elements.pop()
    assert switch.text == 'Switch off'
    switch_off = click_as_shown(user, switch)  # as the browser shows it
    ran = submit_request('Parcel: "late" <b>', email='r@example.com')
    automation_runner.run_pending()  # the rule runs: the page hears of it
    await user.should_see(f'#{ran.number} Parcel: "late" <b>', retries=30)
    switch_off()
    await eventually(lambda: user.find(marker=f'switch-{rule.id}').elements.pop().text == 'Switch on')
    with read_session() as session:
        assert session.get(AutomationRule, rule.id).enabled is False
