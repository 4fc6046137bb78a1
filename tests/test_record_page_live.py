"""A record's page follows changes made elsewhere, and is rebuilt only when what it shows changed: a change that
shows nothing new (a relayed echo, a save of the same values) leaves its buttons in place, so a click landing as it
arrives is not lost with the button it was on (CI once saw "Export personal data" pressed and nothing open)."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from backoffice import events
from backoffice.db import session_scope
from backoffice.events import Topic
from backoffice.resources import resource
from backoffice.services import crud

from .support.factories import make_customer, make_user
from .support.signin import signed_in

NAME = 'Zoë "Z" O\'Hara: <script>window.__x=1</script>'


async def test_an_echo_leaves_the_buttons_and_a_real_change_shows(user: User) -> None:
    admin = make_user('admin')
    customer = make_customer('zoe.live@example.com', name=NAME)
    await signed_in(user, admin.email, path=f'/customers/{customer.id}')
    await user.should_see(NAME)
    export = user.find(marker='export-personal-data').elements.pop()

    events.publish(Topic.customers, {'id': customer.id})  # the record changed nothing that the page shows
    await asyncio.sleep(1)  # time for a reload to run, were there one: the page must still be the same
    assert not export.is_deleted
    user.find(marker='export-personal-data').click()
    await user.should_see('Export personal data')
    await user.should_see(marker='export-link', retries=100)
    user.find(marker='close-export').click()

    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=admin,
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes={'name': NAME + ' Jr'},
        )
    await user.should_see(NAME + ' Jr', retries=40)
