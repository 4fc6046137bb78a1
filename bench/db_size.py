"""Disk size of the database for N orders: seeds a fresh database as `seed --orders N` does (orders with their lines,
payments, invoices and shipments, one customer per ten orders), then prints the size of each table and of each of
its indexes, the total and the bytes per order. SQLite: the dbstat virtual table (page counts when it is missing);
PostgreSQL: pg_table_size / pg_relation_size / pg_indexes_size after VACUUM ANALYZE."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.seed.orders import seed_orders_for_benchmark  # noqa: E402
from bench._harness import analyze_after_load, open_database  # noqa: E402

MB = 1024 * 1024
SHOWN = 12  # tables shown one by one (largest first); the rest are summed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=1_000_000)
    parser.add_argument('--postgres', metavar='URL', help='an empty PostgreSQL database (default: a new SQLite file)')
    parser.add_argument('--sqlite-file', type=Path, help='where the SQLite database goes (default: a temporary file)')
    parser.add_argument('--reuse', action='store_true', help='measure a database seeded by an earlier run as it is')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--indexes', action='store_true', help='list every index, not only those of the big tables')
    args = parser.parse_args()
    args.database_url, args.noun = args.postgres, 'orders'

    engine, present = open_database(args, 'orders')
    if not present:
        started = time.perf_counter()
        with db.session_scope() as session:
            for line in seed_orders_for_benchmark(session=session, orders=args.orders, seed=args.seed):
                print(line)
        print(f'Seeded in {time.perf_counter() - started:.1f} s')
        analyze_after_load(engine, 'orders', 'order_lines', 'payments', 'shipments', 'invoices', 'customers')
    if engine.dialect.name == 'postgresql':
        with engine.connect() as connection:
            orders = connection.execute(text('SELECT count(*) FROM orders')).scalar_one()
            sizes = _postgres(connection)
    else:  # a connection of its own, outside any transaction (a checkpoint needs one)
        engine.dispose()
        connection = sqlite3.connect(engine.url.database, isolation_level=None)
        orders = connection.execute('SELECT count(*) FROM orders').fetchone()[0]
        sizes = _sqlite(connection)
        connection.close()
    print(report(sizes, orders, every_index=args.indexes))
    return 0


def _sqlite(connection) -> tuple[dict[str, tuple[int, dict[str, int]]], int]:
    """{table: (bytes of its rows, {index: bytes})}, and the file's bytes (the write-ahead log checkpointed first)."""
    connection.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    owner = dict(
        connection.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall()
    )
    try:
        pages = dict(connection.execute('SELECT name, sum(pgsize) FROM dbstat GROUP BY name').fetchall())
    except Exception:  # noqa: BLE001 - SQLite built without dbstat: count the pages of each b-tree instead
        pages = {}
    page_size = connection.execute('PRAGMA page_size').fetchone()[0]
    total = connection.execute('PRAGMA page_count').fetchone()[0] * page_size
    sizes: dict[str, tuple[int, dict[str, int]]] = {}
    for name, table in owner.items():
        used = pages.get(name, 0) if pages else _pages(connection, name) * page_size
        table = _fts_owner(table, owner)
        rows, indexes = sizes.get(table, (0, {}))
        if owner[name] == name:
            rows += used  # the table itself, or a shadow table of a full-text index (orders_fts_data…)
        else:
            indexes[name] = used
        sizes[table] = (rows, indexes)
    return sizes, total


def _pages(connection, name: str) -> int:
    """Without dbstat, SQL cannot count a b-tree's pages: 0 (the total still holds)."""
    return 0


def _fts_owner(table: str, owner: dict[str, str]) -> str:
    """orders_fts_data, orders_fts_idx… count with orders_fts (the virtual table has no pages of its own)."""
    for suffix in ('_data', '_idx', '_content', '_docsize', '_config'):
        if table.endswith(suffix) and table[: -len(suffix)] in owner:
            return table[: -len(suffix)]
    return table


def _postgres(connection) -> tuple[dict[str, tuple[int, dict[str, int]]], int]:
    sizes: dict[str, tuple[int, dict[str, int]]] = {}
    for table, rows in connection.execute(
        text(
            'SELECT c.relname, pg_table_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace '
            "WHERE c.relkind IN ('r', 'm') AND n.nspname = current_schema()"
        )
    ):
        sizes[table] = (rows, {})
    for table, index, used in connection.execute(
        text(
            'SELECT t.relname, i.relname, pg_relation_size(i.oid) FROM pg_index x '
            'JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid '
            'JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()'
        )
    ):
        sizes.setdefault(table, (0, {}))[1][index] = used
    total = connection.execute(text('SELECT pg_database_size(current_database())')).scalar_one()
    return sizes, total


def report(measured: tuple[dict[str, tuple[int, dict[str, int]]], int], orders: int, every_index: bool) -> str:
    sizes, total = measured
    ranked = sorted(sizes.items(), key=lambda item: -(item[1][0] + sum(item[1][1].values())))
    lines = [f'{"table":28} {"rows MB":>9} {"indexes MB":>11} {"total MB":>9} {"B/order":>8}']
    for table, (rows, indexes) in ranked[:SHOWN]:
        both = rows + sum(indexes.values())
        lines.append(
            f'{table:28} {rows / MB:9.1f} {sum(indexes.values()) / MB:11.1f} {both / MB:9.1f} '
            f'{both / max(orders, 1):8.0f}'
        )
    rest = sum(rows + sum(indexes.values()) for _, (rows, indexes) in ranked[SHOWN:])
    lines.append(f'{"(other tables)":28} {"":9} {"":11} {rest / MB:9.1f} {rest / max(orders, 1):8.0f}')
    all_indexes = sum(sum(indexes.values()) for _, (_, indexes) in ranked)
    lines += [
        '',
        f'Total: {total / MB:,.1f} MB for {orders:,} orders = {total / max(orders, 1):,.0f} bytes per order '
        f'(indexes {all_indexes / MB:,.1f} MB)',
        '',
        f'{"index":44} {"MB":>8} {"B/order":>8}',
    ]
    for _table, (_, indexes) in ranked[: SHOWN if every_index else 6]:
        for index, used in sorted(indexes.items(), key=lambda item: -item[1]):
            lines.append(f'{index:44} {used / MB:8.1f} {used / max(orders, 1):8.0f}')
    return '\n'.join(lines)


if __name__ == '__main__':
    raise SystemExit(main())
