"""Migration 0044: each return already refunded gets its refund's state from the refunds booked before it — the latest
gateway refund for it (a failed one paid back again: the new one), else its refunds made by hand — and the downgrade
drops the two columns."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from .support.migrations import migrate_to

pytestmark = pytest.mark.filterwarnings('ignore:Skipped unsupported reflection')


def test_the_refunds_already_booked_fill_each_returns_refund_state(tmp_path: Path) -> None:
    engine = create_engine(f'sqlite:///{tmp_path / "m.db"}')
    migrate_to(engine, '0043')
    gateway = {  # return id → its gateway refunds' statuses, oldest first
        2: ['succeeded'],
        3: ['pending'],
        4: ['requested'],
        5: ['failed'],
        6: ['failed', 'succeeded'],  # paid back again
        7: ['succeeded', 'canceled'],  # the latest says where the money is
    }
    with engine.begin() as connection:
        for id_ in range(1, 9):
            connection.execute(
                text(
                    'INSERT INTO returns (id, number, order_id, status, reason, created_at, updated_at, version) '
                    "VALUES (:id, :number, 1, 'closed', '', 0, 0, 1)"
                ),
                {'id': id_, 'number': f'R-{1000 + id_}'},
            )
        for return_id, statuses in gateway.items():
            for status in statuses:
                connection.execute(
                    text(
                        'INSERT INTO gateway_refunds (order_id, provider, intent_reference, amount, reason, status, '
                        "message, return_id, created_at, updated_at) VALUES (1, 'stripe', 'pi_1', :amount, '', "
                        ":status, '', :return_id, 0, 0)"
                    ),
                    {'amount': 10 * return_id, 'status': status, 'return_id': return_id},
                )
        for amount in ('12.50', '2.50'):  # return 8: refunded by hand, in two goes
            connection.execute(
                text(
                    'INSERT INTO refunds (order_id, return_id, amount, reason, reference, refunded_at) '
                    "VALUES (1, 8, :amount, '', '', 0)"
                ),
                {'amount': amount},
            )
    migrate_to(engine, '0044')
    with engine.connect() as connection:
        rows = connection.execute(text('SELECT id, refund_state, refund_amount FROM returns ORDER BY id')).all()
    states = {id_: (state, Decimal(str(amount)) if amount is not None else None) for id_, state, amount in rows}
    assert states == {
        1: (None, None),
        2: ('refunded', Decimal('20')),
        3: ('pending', Decimal('30')),
        4: ('sent', Decimal('40')),
        5: ('failed', Decimal('50')),
        6: ('refunded', Decimal('60')),
        7: ('failed', Decimal('70')),
        8: ('manual', Decimal('15')),
    }
    migrate_to(engine, '0043', down=True)
    assert not {'refund_state', 'refund_amount'} & {c['name'] for c in inspect(engine).get_columns('returns')}
    migrate_to(engine, '0044')  # and up again
