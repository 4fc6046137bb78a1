"""A live change reaches an open list as a patch of its table: only the rows that differ are sent (with the order of
all of them and the count over the list), and the table is not sent whole, so the browser redraws that table alone."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.services import tickets
from components.resource_table import ListCaption, ListTable

from .support.factories import make_user, stored_request, submit_request
from .support.lists import cards, listed, rows_show
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = '<script>window.__x=1</script> "quoted": it\'s <img src=x onerror="window.__x=2">'


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """What lists send their browsers from now on: each patch's arguments, and each whole-table update."""
    heard: dict[str, list] = {'patches': [], 'updates': []}
    run_method, update = ListTable.run_method, ListTable.update

    def recording_run_method(self: ListTable, name: str, *args: Any, **kwargs: Any):
        if name == 'patchRows':
            heard['patches'].append(args)
        return run_method(self, name, *args, **kwargs)

    def recording_update(self: ListTable) -> None:
        heard['updates'].append(self)
        update(self)

    monkeypatch.setattr(ListTable, 'run_method', recording_run_method)
    monkeypatch.setattr(ListTable, 'update', recording_update)
    return heard


def caption_text(user: User) -> str:
    return user.find(ListCaption).elements.pop().text


async def test_a_new_request_is_sent_alone_and_goes_first_with_the_count(user: User, sent: dict[str, list]) -> None:
    agent = make_user('agent')
    submit_request('Already there', email='a@example.com')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Already there', column='subject')
    assert caption_text(user) == '1 request'
    sent['patches'].clear(), sent['updates'].clear()

    new = submit_request(HOSTILE, email='h@example.com')
    await rows_show(user, HOSTILE, 'Already there', column='subject')
    assert listed(user, 'subject') == [HOSTILE, 'Already there']  # newest first, as the list is sorted
    await eventually(lambda: caption_text(user) == '2 requests')
    changed, order, pagination, texts = sent['patches'][-1]
    assert [row['subject'] for row in changed] == [HOSTILE]  # only the new row travels, its text as it was typed
    assert order == [new.id, order[1]] and len(order) == 2
    assert pagination['rowsNumber'] == 2 and pagination['label'] == '1–2 of 2'  # the footer's words travel with it
    assert list(texts.values()) == ['2 requests']
    assert not sent['updates'], 'the table was sent whole'
    # the phone's cards come from the same rows (a request's number leading its title)
    assert [card['title'] for card in cards(user)][0] == f'#{new.number} · {HOSTILE}'


async def test_a_change_sends_that_row_only_and_a_row_leaving_the_queue_the_order_and_count(
    user: User, sent: dict[str, list]
) -> None:
    agent = make_user('agent', name='Ada Agent')
    first = submit_request('Will be solved', email='w@example.com')
    submit_request('Stays open', email='o@example.com')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Will be solved', 'Stays open', column='subject')
    sent['updates'].clear()
    user.find(marker='queue-All open').click()  # its columns, then its rows: the table is sent whole twice
    await eventually(lambda: len(sent['updates']) >= 2, message='the queue was shown')
    await rows_show(user, 'Will be solved', 'Stays open', column='subject')
    sent['patches'].clear(), sent['updates'].clear()

    with session_scope() as session:
        taken = tickets.assign_to_me(session=session, actor=agent, ticket_id=first.id, version=first.version)
    await eventually(lambda: any(row['assignee_id'] == 'Ada Agent' for row in user.find(ui.table).elements.pop().rows))
    changed, order, _, texts = sent['patches'][-1]
    assert [row['subject'] for row in changed] == ['Will be solved'] and len(order) == 2
    assert texts == {}  # the count did not change: no text sent

    with session_scope() as session:  # solved: out of the open queue
        tickets.change(session=session, actor=agent, ticket_id=first.id, version=taken.version, status='solved')
    await rows_show(user, 'Stays open', absent=('Will be solved',), column='subject')
    changed, order, pagination, texts = sent['patches'][-1]
    assert changed == [] and len(order) == 1  # the row goes; nothing else travels but the order and the count
    assert pagination['rowsNumber'] == 1 and list(texts.values()) == ['1 request']
    assert not sent['updates']


async def test_two_quick_changes_end_with_the_last_state(user: User) -> None:
    agent = make_user('agent', name='Ada Agent')
    first = submit_request('Changed twice', email='t@example.com')
    await signed_in(user, agent.email, path='/requests')
    await rows_show(user, 'Changed twice', column='subject')
    with session_scope() as session:
        taken = tickets.assign_to_me(session=session, actor=agent, ticket_id=first.id, version=first.version)
        tickets.change(session=session, actor=agent, ticket_id=first.id, version=taken.version, status='waiting')
    await eventually(lambda: [(r['status'], r['assignee_id']) for r in user.find(ui.table).elements.pop().rows]
                     == [('Waiting on customer', 'Ada Agent')])  # fmt: skip
    assert stored_request(first.number).status == 'waiting'


async def test_patch_rows_sends_nothing_when_nothing_differs_and_the_order_alone_when_rows_move(user: User) -> None:
    @ui.page('/patch')
    def page() -> None:
        ListTable(rows=[{'id': 1, 'name': 'a'}, {'id': 2, 'name': 'b'}], columns=[])

    await signed_in(user, make_user('agent').email, path='/patch')
    table = user.find(ListTable).elements.pop()
    calls: list[tuple] = []
    table.run_method = lambda name, *args, **kwargs: calls.append(args)  # type: ignore[method-assign]
    table.patch_rows([{'id': 1, 'name': 'a'}, {'id': 2, 'name': 'b'}])
    assert calls == []
    table.patch_rows([{'id': 2, 'name': 'b'}, {'id': 1, 'name': 'a'}])
    assert calls == [([], [2, 1], None, {})]
    table.patch_rows([{'id': 2, 'name': 'b'}, {'id': 3, 'name': 'c'}], pagination=table.pagination)
    assert calls[-1] == ([{'id': 3, 'name': 'c'}], [2, 3], None, {})
    assert table.rows == [{'id': 2, 'name': 'b'}, {'id': 3, 'name': 'c'}]


async def test_a_browser_that_missed_a_patch_gets_every_row_again(user: User) -> None:
    @ui.page('/patch')
    def page() -> None:
        ListTable(rows=[{'id': 1, 'name': 'a'}], columns=[])

    await signed_in(user, make_user('agent').email, path='/patch')
    table = user.find(ListTable).elements.pop()
    resent: list[bool] = []
    table.update = lambda: resent.append(True)  # type: ignore[method-assign]
    user.find(ListTable).trigger('resync')
    assert resent == [True]
