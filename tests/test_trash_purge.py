"""The nightly trash purge as an operator relies on it: a trashed customer whom orders or requests still refer to is
kept with its personal data erased and the reason in words, and everything else in the trash is purged anyway."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.models import AuditEntry, Customer, Order, Ticket, utcnow
from backoffice.runtime.scheduler import purge_trash

from .support.factories import make_customer, make_product, make_user, place, submit_request

HOSTILE = 'Zoë "Z" O\'Hara: <script>alert(1)</script>'


def test_a_customer_with_orders_and_requests_is_kept_erased_and_the_rest_is_purged() -> None:
    make_product('MUG-1', stock_on_hand=5, actor=make_user('manager'))
    order = place(('MUG-1', 1), email='buyer@example.com')
    request = submit_request(HOSTILE, email='buyer@example.com', name=HOSTILE, order_number=None)
    lone = make_customer('lone@example.com', name=HOSTILE)
    buyer_id = order.customer_id
    _trash(buyer_id, lone.id)

    done = purge_trash(get_settings())

    reason = f'Customer #{buyer_id} kept, its personal data erased: 1 order and 1 request refer to it.'
    assert done['purged']['customers'] == 1
    assert done['kept'] == [reason]
    with read_session() as session:
        assert session.get(Customer, lone.id) is None
        kept = session.get(Customer, buyer_id)
        assert kept.email == f'erased-{buyer_id}@erased.invalid' and kept.name == '' and kept.deleted_at is not None
        assert session.get(Order, order.id).customer_id == buyer_id  # the accounting record is whole
        assert session.get(Ticket, request.id).customer_id == buyer_id
        said = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.purge_kept')).all()
        assert [entry.summary for entry in said] == [reason]
        assert 'buyer@example.com' not in reason

    again = purge_trash(get_settings())  # the next night: still kept, said once in the audit log
    assert again['kept'] == [reason] and again['purged']['customers'] == 0
    with read_session() as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.purge_kept')).all()) == 1


def test_an_erased_customer_email_can_be_used_again_by_a_new_customer() -> None:
    make_product('MUG-1', stock_on_hand=5, actor=make_user('manager'))
    order = place(('MUG-1', 1), email='back@example.com')
    _trash(order.customer_id)
    purge_trash(get_settings())
    again = place(('MUG-1', 1), email='back@example.com')
    assert again.customer_id != order.customer_id


def _trash(*customer_ids: int) -> None:
    with session_scope() as session:
        for customer_id in customer_ids:
            row = session.get(Customer, customer_id)
            row.deleted_at = utcnow() - timedelta(days=400)
            session.add(row)
        session.commit()
