"""A product's stock history (services/stock.history, the product dialog's Stock history tab) on a long ledger: the
first, a middle and the last page of one product with `--movements` movements among other products' movements.
Before: OFFSET over the rows and their joins, ordered by time with only the (product_id, id) index; after: a page's ids
from ix_stock_movements_product_created (migration 0082), then those rows. Both are timed on the same database (the
index dropped for the first)."""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from backoffice import db  # noqa: E402
from backoffice.models import Order, Product, Purchase, Return, StockMovement, User  # noqa: E402
from backoffice.services import stock  # noqa: E402
from bench._harness import add_database_options, analyze_after_load, ensure_admin, open_database, timed  # noqa: E402

INDEX = 'ix_stock_movements_product_created'
OTHERS = 40  # other products, each with a tenth of the busy one's movements


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    add_database_options(parser, 'stock movements')
    parser.add_argument('--movements', type=int, default=100_000, help="the busy product's movements")
    args = parser.parse_args()
    engine, present = open_database(args, 'stock_movements')
    if not present:
        _seed(args.movements, random.Random(args.seed))
        analyze_after_load(engine, 'stock_movements')
    with db.session_scope() as session:
        admin = session.exec(select(User).order_by(col(User.id))).first()
        busy = session.exec(select(Product.id).order_by(col(Product.id))).first()
    with db.read_session() as session:
        pages = stock.history(session=session, actor=admin, record_id=busy, page=1).pages
    cases = (('first page', 1), ('middle page', pages // 2), ('last page', pages))
    print(f'{pages * stock.HISTORY_PAGE:,} movements of one product, {pages:,} pages; median / p90 of {args.runs} runs')
    with engine.begin() as connection:
        connection.execute(text(f'DROP INDEX IF EXISTS {INDEX}'))
    analyze_after_load(engine, 'stock_movements')
    for label, page in cases:
        median, p90, _ = timed(lambda page=page: _before(busy, page), args.runs)
        print(f'before  {label:12} {median:8.1f} ms {p90:8.1f} ms')
    with engine.begin() as connection:
        connection.execute(text(f'CREATE INDEX {INDEX} ON stock_movements (product_id, created_at, id)'))
    analyze_after_load(engine, 'stock_movements')
    for label, page in cases:

        def after(page: int = page) -> None:
            with db.read_session() as session:
                stock.history(session=session, actor=admin, record_id=busy, page=page)

        median, p90, _ = timed(after, args.runs)
        print(f'after   {label:12} {median:8.1f} ms {p90:8.1f} ms')
    return 0


def _before(product_id: int, page: int) -> None:
    """The history's statements as they were: a count, then OFFSET over the joined rows."""
    with db.read_session() as session:
        session.exec(select(text('count(*)')).select_from(StockMovement).where(StockMovement.product_id == product_id))
        session.exec(
            select(StockMovement, Order.number, Return.number, Purchase.reference, User.name)
            .join(Order, col(Order.id) == StockMovement.order_id, isouter=True)
            .join(Return, col(Return.id) == StockMovement.return_id, isouter=True)
            .join(Purchase, col(Purchase.id) == StockMovement.purchase_id, isouter=True)
            .join(User, col(User.id) == StockMovement.created_by, isouter=True)
            .where(StockMovement.product_id == product_id)
            .order_by(col(StockMovement.created_at).desc(), col(StockMovement.id).desc())
            .offset((page - 1) * stock.HISTORY_PAGE)
            .limit(stock.HISTORY_PAGE)
        ).all()


def _seed(movements: int, rng: random.Random) -> None:
    """The busy product and the others, and their movements interleaved in time as a live shop writes them."""
    with db.session_scope() as session:
        ensure_admin(session)
        session.commit()
        products = [
            Product(sku=f'BENCH-{n:03d}', name=f'Bench product {n}', price='10.00', currency='EUR')
            for n in range(OTHERS + 1)
        ]
        session.add_all(products)
        session.commit()
        ids = [product.id for product in products]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    weights = [OTHERS] + [1] * OTHERS
    total = movements * 2  # the busy product holds half
    balance = dict.fromkeys(ids, 0)
    rows = []
    with db.session_scope() as session:
        for n in range(total):
            product_id = rng.choices(ids, weights)[0]
            quantity = rng.randint(1, 20) if balance[product_id] < 5 or rng.random() < 0.2 else -1
            balance[product_id] += quantity
            rows.append(
                {
                    'product_id': product_id,
                    'kind': 'receipt' if quantity > 0 else 'adjustment',
                    'quantity': quantity,
                    'balance': balance[product_id],
                    'reason': 'bench',
                    'created_at': start + timedelta(seconds=n * 30),
                }
            )
            if len(rows) == 20_000:
                session.execute(insert(StockMovement.__table__), rows)
                rows = []
        if rows:
            session.execute(insert(StockMovement.__table__), rows)
        session.commit()


if __name__ == '__main__':
    raise SystemExit(main())
