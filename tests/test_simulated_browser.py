"""The simulated browser (tests/support/strict_user.py) behaves as a real one where tests met the difference."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from backoffice import events
from backoffice.events import Topic

from .support.factories import make_user
from .support.payables import approved_bill, due_in, make_supplier
from .support.signin import signed_in


async def test_a_page_the_browser_has_left_no_longer_moves_it(user: User) -> None:
    """Signed in afresh on a second bill, the browser has left the first bill's page (a real browser unloads it). That
    page lives on in the simulation: its live update, finding its session renewed, sends to the sign-in page, which
    must not take the browser away from the second bill (a CI run's 'This bill no longer exists.')."""
    admin, manager = make_user('admin'), make_user('manager')
    first = approved_bill(manager, admin, make_supplier('Faïencerie "A": <script>x</script>').id, 'F-1', **due_in(10))
    await signed_in(user, manager.email, path=f'/finance/bills/{first.id}')
    await user.should_see('Bill F-1', retries=40)
    second = approved_bill(manager, admin, make_supplier('Faïencerie "B": {n}').id, 'F-2', **due_in(10))
    await signed_in(user, manager.email, path=f'/finance/bills/{second.id}')
    await user.should_see('Bill F-2', retries=40)
    events.publish(Topic.supplier_bills, {'id': first.id})  # heard by the first bill's page, left behind
    for _ in range(20):  # its reload and a sign-in page it would open run as tasks of their own
        await asyncio.sleep(0.05)
    await user.should_see('Bill F-2')
    assert user.client.request.url.path == f'/finance/bills/{second.id}'
