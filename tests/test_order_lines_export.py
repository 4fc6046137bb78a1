"""The lines of the orders a list shows, exported from /orders as CSV or XLSX: one row per line (order, date,
customer, SKU, product, quantity, unit price, VAT rate, line total), for the list's current filter, in its order;
the permission is the server's to check, and big lists are read in batches."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session
from backoffice.errors import PermissionDenied
from backoffice.listing import query
from backoffice.models import AuditEntry
from backoffice.resources import resource
from backoffice.transfer.order_lines import export_order_lines

from .support.factories import make_customer, make_product, make_role, make_user, pay, place
from .support.lists import rows_show
from .support.signin import signed_in

HOSTILE = '=HYPERLINK("x") "Mug": <script>alert(1)</script> é'


def shop(manager):
    make_product('MUG', '10.00', name=HOSTILE, stock_on_hand=50, actor=manager)
    make_product('TEA', '4.50', name='Thé vert', stock_on_hand=50, actor=manager)
    make_customer('ann@example.com', name='Ann "A": <b>')
    first = place(('MUG', 2), ('TEA', 1, '10'), email='ann@example.com')
    second = place(('TEA', 3), email='bob@example.com')
    third = place(('MUG', 1), email='cleo@example.com')
    pay(manager, third)
    return first, second, third


def lines_of(made) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b''.join(made.chunks).decode('utf-8-sig'))))


def test_the_lines_of_the_listed_orders_in_their_order_batch_by_batch() -> None:
    manager = make_user('manager')
    first, second, third = shop(manager)
    pending = query.ListRequest(sort='number', descending=False, filters={'status': ['pending']})
    with read_session() as session:
        rows = lines_of(
            export_order_lines(
                session=session, actor=manager, resource=resource('orders'), request=pending, fmt='csv', batch_size=1
            )
        )
    assert rows[0] == [
        'Order', 'Placed', 'Customer', 'Email', 'SKU', 'Product', 'Qty', 'Unit price', 'VAT rate (%)', 'Line total',
        'Currency',
    ]  # fmt: skip
    assert [row[:1] + row[2:] for row in rows[1:]] == [
        [first.number, 'Ann "A": <b>', 'ann@example.com', 'MUG', "'" + HOSTILE, '2', '10.00', '20.00', '20.00', 'EUR'],
        [first.number, 'Ann "A": <b>', 'ann@example.com', 'TEA', 'Thé vert', '1', '4.50', '20.00', '4.05', 'EUR'],
        [second.number, '', 'bob@example.com', 'TEA', 'Thé vert', '3', '4.50', '20.00', '13.50', 'EUR'],
    ]  # the paid order is not in the list, so not in the file; a formula-like name is text
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'order.lines-exported')).one()
    assert entry.changes['rows'] == [None, 3] and entry.changes['complete'] == [None, True]


def test_a_lines_export_stopped_early_is_audited_as_the_lists_export_is() -> None:
    """The lines' export records through the list export's audit (written once): stopped early, it says so."""
    manager = make_user('manager')
    shop(manager)
    with read_session() as session:
        chunks = export_order_lines(
            session=session,
            actor=manager,
            resource=resource('orders'),
            request=query.ListRequest(sort='number', descending=False, search=HOSTILE),
            fmt='csv',
            batch_size=1,
        ).chunks
        next(chunks)
        chunks.close()  # the browser went away
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'order.lines-exported')).one()
    assert entry.changes['complete'] == [None, False] and entry.changes['format'] == [None, 'csv']
    assert entry.changes['filters'][1]['search'] == HOSTILE
    assert entry.summary.startswith('Exported the lines of 0 orders to CSV (stopped early): search')


def test_the_lines_export_as_a_workbook_and_need_the_orders_read_permission() -> None:
    from openpyxl import load_workbook

    manager = make_user('manager')
    shop(manager)
    everything = query.ListRequest(sort='number', descending=False)
    with read_session() as session:
        made = export_order_lines(
            session=session, actor=manager, resource=resource('orders'), request=everything, fmt='xlsx'
        )
        sheet = load_workbook(io.BytesIO(b''.join(made.chunks))).active
    values = list(sheet.iter_rows(values_only=True))
    assert sheet.title == 'Order lines' and len(values) == 5
    assert values[1][4:] == ('MUG', HOSTILE, 2, Decimal('10.00'), Decimal('20.00'), Decimal('20.00'), 'EUR')
    outsider = make_user(make_role('tickets.read').key)  # reads requests, not orders
    with read_session() as session, pytest.raises(PermissionDenied):
        export_order_lines(session=session, actor=outsider, resource=resource('orders'), request=everything, fmt='csv')


async def test_a_manager_downloads_the_lines_of_the_orders_list(user: User) -> None:
    manager = make_user('manager')
    first, second, third = shop(manager)
    await signed_in(user, manager.email, path='/orders')
    await rows_show(user, first.number, second.number, third.number, column='number')
    user.find(marker='export').click()
    user.find(marker='export-order-lines-csv').click()
    response = await user.download.next(timeout=20)
    assert response.status_code == 200
    text = response.content.decode('utf-8-sig')
    assert text.count('\n') == 5 and 'Thé vert' in text and 'cleo@example.com' in text
    await user.should_see('Exported 4 rows', retries=40)
