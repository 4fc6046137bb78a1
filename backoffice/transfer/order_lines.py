"""The lines of the orders a list shows (its search, filters and sort) as CSV or XLSX, one row per line: order, date,
customer, SKU, product, quantity, unit price, VAT rate, line total. Streamed as the list export is (`exports.py`):
orders read in keyset batches, each batch's lines in one query, one batch in memory at a time."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from backoffice.engine.declaration import Column, Resource
from backoffice.i18n import N_
from backoffice.listing import query
from backoffice.models import Customer, Order, OrderLine, User, utcnow
from backoffice.stored_text import counted, sentence
from backoffice.transfer import exports

COLUMNS = (
    Column('number', N_('Order')),
    Column('placed_at', N_('Placed'), kind='datetime'),
    Column('customer', N_('Customer')),
    Column('email', N_('Email'), kind='email'),
    Column('sku', N_('SKU')),
    Column('name', N_('Product')),
    Column('quantity', N_('Qty'), kind='number'),
    Column('unit_price', N_('Unit price'), kind='money'),
    Column('vat_rate', N_('VAT rate (%)'), kind='number'),
    Column('line_total', N_('Line total'), kind='money'),
    Column('currency', N_('Currency')),
)


def export_order_lines(
    *,
    session: Session,
    actor: User,
    resource: Resource,
    request: query.ListRequest,
    fmt: exports.Format,
    progress: exports.Progress | None = None,
    batch_size: int = 500,
) -> exports.ExportFile:
    """The lines of every order the list shows, in its order. The orders' read permission is checked now, on the
    server, as the list's own export does (a bad filter fails here too, before a download starts); one
    `order.lines-exported` audit entry once the last line is out (or the download stopped)."""
    if fmt not in exports.MEDIA_TYPES:
        raise ValueError(f'unknown export format {fmt!r}')
    total, _exact = query.count(session=session, actor=actor, resource=resource, request=request)
    rows = _LineRows(session, actor, resource, request, total, progress, batch_size)
    if fmt == 'csv':
        chunks = exports.csv_chunks(COLUMNS, rows)
    else:
        chunks = exports.xlsx_chunks(COLUMNS, rows, title='Order lines')
    return exports.ExportFile(
        file_name=f'order-lines-{utcnow():%Y-%m-%d-%H%M}.{fmt}',
        media_type=exports.MEDIA_TYPES[fmt],
        chunks=exports.audited_chunks(
            chunks,
            session=session,
            actor=actor,
            resource=resource,
            request=request,
            fmt=fmt,
            action='order.lines-exported',
            rows=lambda: rows.done,
            exported=lambda complete: sentence(
                N_('Exported the lines of {orders} to {format}')
                if complete
                else N_('Exported the lines of {orders} to {format} (stopped early)'),
                orders=counted('{n} order', '{n} orders', rows.orders),
                format=fmt.upper(),
            ),
        ),
    )


class _LineRows:
    """Batches of line rows, typed as the list export types its cells (Decimal money, naive UTC datetimes)."""

    def __init__(
        self,
        session: Session,
        actor: User,
        resource: Resource,
        request: query.ListRequest,
        total: int,
        progress: exports.Progress | None,
        batch_size: int,
    ) -> None:
        self.session, self.actor, self.resource, self.request = session, actor, resource, request
        self.total, self.progress, self.batch_size = total, progress, batch_size
        self.orders = self.done = 0
        # the batches are read at the call: the permission and the request are checked before a download starts
        self.batches = query.iterate(
            session=session, actor=actor, resource=resource, request=request, batch_size=batch_size
        )

    def __iter__(self) -> Iterator[list[list[Any]]]:
        if self.progress:
            self.progress(0, self.total)
        for batch in self.batches:
            rows = self._lines_of(batch)
            self.orders += len(batch)
            self.done += len(rows)
            if self.progress:  # counted in orders: how many lines are to come is not known
                self.progress(self.orders, max(self.total, self.orders))
            yield rows
        if self.progress:  # the last word counts the lines written
            self.progress(self.done, self.done)

    def _lines_of(self, batch: list[Any]) -> list[list[Any]]:
        orders: dict[int, Order] = {order.id: order for order in batch}
        names = dict(
            self.session.exec(
                select(Customer.id, Customer.name).where(col(Customer.id).in_({order.customer_id for order in batch}))
            ).all()
        )
        lines = self.session.exec(
            select(OrderLine).where(col(OrderLine.order_id).in_(orders)).order_by(col(OrderLine.id))
        ).all()
        by_order: dict[int, list[OrderLine]] = {}
        for line in lines:
            by_order.setdefault(line.order_id, []).append(line)
        rows = []
        for order in batch:  # the list's order; each order's lines as they were entered
            placed = exports.typed_cell(order.placed_at)
            for line in by_order.get(order.id, []):
                rows.append(
                    [
                        order.number,
                        placed,
                        names.get(order.customer_id) or '',
                        order.email,
                        line.sku,
                        line.name,
                        line.quantity,
                        line.unit_price,
                        (Decimal(line.tax_rate) * 100).quantize(Decimal('0.01')),
                        line.line_total,
                        order.currency,
                    ]
                )
        return rows
