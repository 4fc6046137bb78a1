"""The Customers list finds a customer the ways a person looks one up: by name, by email, and by phone however it is
typed (spaced or not, with the country code or the national 0)."""

from __future__ import annotations

from nicegui.testing import User

from backoffice.db import read_session, session_scope
from backoffice.listing import query
from backoffice.models import User as Staff
from backoffice.resources import resource
from backoffice.services import crud

from .support.factories import make_customer, make_user
from .support.lists import rows_show
from .support.signin import signed_in

NAME = 'Zoë "Q" O\'Hara: <script>alert(1)</script>'


def emails(actor: Staff, term: str) -> list[str]:
    with read_session() as session:
        page = query.list_page(
            session=session, actor=actor, resource=resource('customers'), request=query.ListRequest(search=term)
        )
    return sorted(row.email for row in page.rows)


def test_a_customer_is_found_by_phone_however_it_is_typed() -> None:
    manager = make_user('manager')
    zoe = make_customer('zoe.phone@example.com', name=NAME)
    make_customer('other.phone@example.com', name='Other Person')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=zoe.id,
            version=zoe.version,
            changes={'phone': '+33 6 12 34 56 78'},
        )
    for typed in ('+33 6 12 34 56 78', '+33612345678', '06 12 34 56 78', '0612345678', '0033 6 12 34 56 78', '56 78'):
        assert emails(manager, typed) == ['zoe.phone@example.com'], typed
    assert emails(manager, "O'Hara: <script>") == ['zoe.phone@example.com']  # the name still finds her
    assert emails(manager, '+44 6 12 34 56 78') == []  # another country's number is not hers
    assert emails(manager, '78') == []  # two digits are no phone number


async def test_found_by_phone_typed_with_spaces_the_customer_page_shows_the_number(user: User) -> None:
    manager = make_user('manager')
    zoe = make_customer('zoe.page@example.com', name=NAME)
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=resource('customers'),
            record_id=zoe.id,
            version=zoe.version,
            changes={'phone': '+33 6 98 76 54 32'},
        )
    await signed_in(user, manager.email, path='/customers')
    user.find(marker='search').type('06 98 76 54 32')
    await rows_show(user, 'zoe.page@example.com')
    await user.open(f'/customers/{zoe.id}')
    await user.should_see(marker='fact-phone', retries=40)
    await user.should_see('+33 6 98 76 54 32')
    await user.should_see(NAME)
