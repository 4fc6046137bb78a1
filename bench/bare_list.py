"""The floor for bench/list_browser.py: a bare NiceGUI app whose /orders and /customers show the same first page of
rows as Backoffice's lists (same database, same order, 25 rows) in a plain ui.table, rows in the served page.

Not Backoffice: no shell, no sign-in, no resource engine; one SQLite read per page. Started by list_browser.py as
`python bench/bare_list.py` with BARE_DATABASE (a SQLite file) and BARE_PORT in its environment.
"""

from __future__ import annotations

import os
import sqlite3

from nicegui import ui

DATABASE = os.environ.get('BARE_DATABASE', '')

QUERIES = {
    'orders': (
        ['number', 'placed_at', 'email', 'status', 'total', 'currency', 'paid_total', 'shipped_at'],
        'SELECT id, number, placed_at, email, status, total, currency, paid_total, shipped_at FROM orders '
        'ORDER BY placed_at DESC, id DESC LIMIT 25',
    ),
    'customers': (
        ['email', 'name', 'status', 'company', 'marketing_consent', 'signed_up_at', 'last_seen_at'],
        'SELECT c.id, c.email, c.name, c.status, co.name, c.marketing_consent, c.signed_up_at, c.last_seen_at '
        'FROM customers c LEFT JOIN companies co ON co.id = c.company_id WHERE c.deleted_at IS NULL '
        'ORDER BY c.signed_up_at DESC, c.id DESC LIMIT 25',
    ),
}


def first_page(kind: str) -> tuple[list[dict], list[dict]]:
    names, sql = QUERIES[kind]
    with sqlite3.connect(f'file:{DATABASE}?mode=ro', uri=True) as connection:
        records = connection.execute(sql).fetchall()
    columns = [{'name': n, 'label': n.replace('_', ' ').capitalize(), 'field': n, 'align': 'left'} for n in names]
    rows = [
        {'id': r[0], **{n: '' if v is None else str(v) for n, v in zip(names, r[1:], strict=True)}} for r in records
    ]
    return columns, rows


@ui.page('/orders')
def orders() -> None:
    columns, rows = first_page('orders')
    ui.table(columns=columns, rows=rows, row_key='id').classes('w-full')


@ui.page('/customers')
def customers() -> None:
    columns, rows = first_page('customers')
    ui.table(columns=columns, rows=rows, row_key='id').classes('w-full')


@ui.page('/healthz')
def healthz() -> None:
    ui.label('ok')


if __name__ in {'__main__', '__mp_main__'}:
    ui.run(port=int(os.environ.get('BARE_PORT', '8090')), show=False, reload=False, title='bare list')
