"""Sales by product, by category or by period, net of refunds, before VAT, in the shop's currency.

A sale counts on the day its order was paid (orders in another currency are left out, and said so); a refund counts
on the day it was made, taken from the lines it refunds: a return's refund from the returned lines (their share of
what was paid for them), a refund after "Cancel what is not shipped" from the cancelled items (up to what they cost),
any other refund (or the rest of one) from every line in proportion to the order's total — so shipping and VAT take
their part and the lines' part is before VAT, like the sales."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, select, type_coerce
from sqlmodel import Session, col

from backoffice import formatting
from backoffice.i18n import N_, _, ngettext
from backoffice.kpi.days import bounds
from backoffice.kpi.sources import HOUR_IN_MICROSECONDS
from backoffice.models import Category, Order, OrderEvent, OrderLine, Product, Refund, ReturnLine
from backoffice.reports.base import (
    Chart,
    Column,
    Params,
    Table,
    cents,
    frame,
    local_times,
    period_label,
    period_start,
    periods_between,
    span,
)

if TYPE_CHECKING:  # pandas is imported when a report is computed (reports/base.py)
    import pandas as pd

NO_CATEGORY = N_('No category')
TOP = 25  # bars in the chart by product or category; the table lists every row


def sales(session: Session, params: Params, zone: str, currency: str) -> Table:
    import pandas as pd

    start, end = span(params, zone)
    wanted = _category_and_below(session, params.category_id) if params.category_id else None
    refunded = _refunded_lines(session, start, end, currency)
    products = _products(session, set(refunded['product_id'].dropna()))
    refunded['category_id'] = refunded['product_id'].map(lambda p: products.get(p, (None, None))[1])
    if wanted is not None:
        refunded = refunded[refunded['category_id'].isin(wanted)]
    if params.group == 'period':
        rows = _by_period(session, refunded, params, zone, currency, wanted)
        chart = Chart('line', 'label', ('net',))
    else:
        # the sales are added up by the database, per product; the refunds (a few) spread over lines here
        sold = _sold_per_product(session, start, end, currency, wanted)
        products.update(_products(session, set(sold['product_id'].dropna()) - set(products)))
        sold['category_id'] = sold['product_id'].map(lambda p: products.get(p, (None, None))[1])
        sold = sold.assign(refunds=0.0)
        refunded = refunded.assign(units=0, sales=0.0, refunds=refunded['amount'])
        lines = pd.concat([sold, refunded], ignore_index=True) if len(refunded) else sold
        lines = lines.assign(net=lines['sales'] - lines['refunds'])
        if params.group == 'category':
            names = _category_names(session)
            lines['key'] = lines['category_id'].map(lambda c: None if pd.isna(c) else int(c))
            rows = _by_key(lines, lambda key: names.get(key) or _(NO_CATEGORY))
        else:
            lines['key'] = [
                int(p) if not pd.isna(p) else f'sku:{s}' for p, s in zip(lines['product_id'], lines['sku'], strict=True)
            ]
            first_names = dict(zip(lines['key'], lines['name'], strict=False))
            rows = _by_key(lines, lambda key: _product_label(key, products, first_names))
        chart = Chart('hbar', 'label', ('net',))
    total_net = sum((row['net'] for row in rows), Decimal('0.00'))
    for row in rows:
        row['share'] = float(row['net'] / total_net) if total_net else None
    totals = {
        'label': _('Total'),
        'units': sum(row['units'] for row in rows),
        'sales': sum((row['sales'] for row in rows), Decimal('0.00')),
        'refunds': sum((row['refunds'] for row in rows), Decimal('0.00')),
        'net': total_net,
        'share': 1.0 if total_net else None,
    }
    if params.group == 'period':
        first = {'day': Column('period', N_('Day'), 'day'), 'week': Column('period', N_('Week starting'), 'day')}.get(
            params.grain, Column('period', N_('Month'), 'month')
        )
        totals['period'] = totals.pop('label')
    else:
        first = Column('label', N_('Product') if params.group == 'product' else N_('Category'))
    table = Table(
        columns=(
            first,
            Column('units', N_('Units sold'), 'number'),
            Column('sales', N_('Sales excl. VAT'), 'money'),
            Column('refunds', N_('Refunds excl. VAT'), 'money'),
            Column('net', N_('Net sales excl. VAT'), 'money', phone=True),
            Column('share', N_('Share'), 'percent', phone=True),
        ),
        rows=rows,
        chart=chart,
        currency=currency,
        totals=totals,
    )
    other = _other_currencies(session, start, end, currency)
    if other:
        table.notes.append(
            ngettext(
                '{n} order paid in another currency is not counted.',
                '{n} orders paid in another currency are not counted.',
                other,
            ).format(n=formatting.number(other))
        )
    return table


def _by_key(lines: pd.DataFrame, label) -> list[dict]:
    import pandas as pd

    if lines.empty:
        return []
    grouped = lines.groupby('key', dropna=False)[['units', 'sales', 'refunds', 'net']].sum()
    grouped = grouped.sort_values('net', ascending=False)
    return [
        {
            'key': None if pd.isna(key) else key,
            'label': label(None if pd.isna(key) else key),
            'units': int(values['units']),
            'sales': cents(values['sales']),
            'refunds': cents(values['refunds']),
            'net': cents(values['sales']) - cents(values['refunds']),
        }
        for key, values in grouped.iterrows()
    ]


def _by_period(
    session: Session, refunded: pd.DataFrame, params: Params, zone: str, currency: str, wanted: set[int] | None
) -> list[dict]:
    """One row per day, week or month of the period (a quiet one too): the database adds up each one's sales."""
    import pandas as pd

    start, end = span(params, zone)
    starts = periods_between(params.first, params.last, params.grain)
    if refunded.empty:
        refunds = pd.Series(dtype=float)
    else:
        refunds = refunded.groupby(period_start(local_times(refunded['at'], zone), params.grain))['amount'].sum()
    sold = _sold_per_period(session, start, end, starts, params, zone, currency, wanted)
    rows = []
    for begins in starts:
        units, amount = sold.get(begins, (0, 0.0))
        back = float(refunds.get(begins, 0.0))
        rows.append(
            {
                'key': begins,
                'period': begins,
                'label': period_label(begins, params.grain),
                'units': int(units),
                'sales': cents(amount),
                'refunds': cents(back),
                'net': cents(amount) - cents(back),
            }
        )
    return rows


def _sold_per_period(
    session: Session,
    start: datetime,
    end: datetime,
    starts: list[date],
    params: Params,
    zone: str,
    currency: str,
    wanted: set[int] | None,
) -> dict[date, tuple[int, float]]:
    """(units, sales) per period start. In one pass when the shop's time zone is a whole number of hours from UTC over
    the period (nearly every zone): the database adds up each UTC hour, each hour falls in one local day; else one
    query per period."""
    import pandas as pd

    offsets = {ZoneInfo(zone).utcoffset(moment.replace(tzinfo=None)) for moment in (start, end)}
    if all(offset is not None and offset.total_seconds() % 3600 == 0 for offset in offsets):
        if session.get_bind().dialect.name == 'postgresql':
            hour: Any = func.date_trunc('hour', func.timezone('UTC', col(Order.paid_at)))
        else:
            # SQLite keeps an instant as microseconds since the epoch (UTCTimestamp): the hours since the epoch, in
            # integers (no instant before 1970 is paid)
            hour = type_coerce(col(Order.paid_at), Integer) // HOUR_IN_MICROSECONDS
        query = _sold_query(start, end, currency, wanted, by_product=False).add_columns(hour.label('hour'))
        hours = frame(session.execute(query.group_by(hour)).all(), ['units', 'amount', 'hour'])
        if hours.empty:
            return {}
        if not isinstance(hours['hour'].iloc[0], datetime):
            hours['hour'] = pd.to_datetime(hours['hour'].astype('int64') * 3600, unit='s', utc=True)
        hours['key'] = period_start(local_times(hours['hour'], zone), params.grain)
        hours['amount'] = hours['amount'].astype(float)
        grouped = hours.groupby('key')[['units', 'amount']].sum()
        return {key: (int(v['units']), float(v['amount'])) for key, v in grouped.iterrows()}
    sold = {}
    for index, begins in enumerate(starts):
        low = max(bounds(begins, zone)[0], start)
        high = min(bounds(starts[index + 1], zone)[0], end) if index + 1 < len(starts) else end
        units, amount = session.execute(_sold_query(low, high, currency, wanted, by_product=False)).one()
        sold[begins] = (int(units or 0), float(amount or 0))
    return sold


def _sold_query(start, end, currency: str, wanted: set[int] | None, *, by_product: bool):
    """Units and sales before VAT of the lines of the orders paid in [start, end), per product or in all. The units
    called off by "Cancel what is not shipped" (`cancelled_quantity`) never left: they are not sold. Their money
    stays in the sales until it is refunded (the refund is deducted on its day, as any refund)."""
    sold_units = col(OrderLine.quantity) - col(OrderLine.cancelled_quantity)
    columns: list[Any] = [func.sum(sold_units), func.sum(OrderLine.line_total)]
    if by_product:
        columns = [col(OrderLine.product_id), col(OrderLine.sku), func.min(OrderLine.name), *columns]
    query = (
        select(*columns)
        .select_from(Order)
        .join(OrderLine, col(OrderLine.order_id) == col(Order.id))
        .where(col(Order.paid_at) >= start, col(Order.paid_at) < end, col(Order.currency) == currency)
    )
    if wanted is not None:
        query = query.join(Product, col(Product.id) == col(OrderLine.product_id)).where(
            col(Product.category_id).in_(sorted(wanted))
        )
    return query.group_by(col(OrderLine.product_id), col(OrderLine.sku)) if by_product else query


def _sold_per_product(session: Session, start, end, currency: str, wanted: set[int] | None) -> pd.DataFrame:
    sold = frame(
        session.execute(_sold_query(start, end, currency, wanted, by_product=True)).all(),
        ['product_id', 'sku', 'name', 'units', 'sales'],
    )
    sold['sales'] = sold['sales'].astype(float)
    sold['units'] = sold['units'].astype(int)
    return sold


def _refunded_lines(session: Session, start, end, currency: str) -> pd.DataFrame:
    """Each refund of the period spread over the lines it refunds: one row per (refund, line), its amount before VAT."""
    import pandas as pd

    refunds = session.execute(
        select(
            col(Refund.id),
            col(Refund.return_id),
            col(Refund.amount),
            col(Refund.refunded_at),
            col(Order.total),
            col(Refund.order_id),
        )
        .join(Order, col(Order.id) == col(Refund.order_id))
        .where(col(Refund.refunded_at) >= start, col(Refund.refunded_at) < end, col(Order.currency) == currency)
        .order_by(col(Refund.refunded_at), col(Refund.id))
    ).all()
    columns = ['product_id', 'sku', 'name', 'amount', 'at']
    if not refunds:
        return pd.DataFrame(columns=columns)
    lines = session.execute(
        select(
            col(Refund.id),
            col(OrderLine.id),
            col(OrderLine.product_id),
            col(OrderLine.sku),
            col(OrderLine.name),
            col(OrderLine.quantity),
            col(OrderLine.line_total),
            col(OrderLine.tax_amount),
            col(OrderLine.cancelled_quantity),
        )
        .join(OrderLine, col(OrderLine.order_id) == col(Refund.order_id))
        .where(col(Refund.refunded_at) >= start, col(Refund.refunded_at) < end)
        .order_by(col(OrderLine.id))
    ).all()
    returned = session.execute(
        select(col(Refund.id), col(ReturnLine.order_line_id), func.sum(ReturnLine.quantity))
        .join(ReturnLine, col(ReturnLine.return_id) == col(Refund.return_id))
        .where(col(Refund.refunded_at) >= start, col(Refund.refunded_at) < end)
        .group_by(col(Refund.id), col(ReturnLine.order_line_id))
    ).all()
    returned_qty = {(refund_id, line_id): quantity for refund_id, line_id, quantity in returned}
    by_refund: dict[int, list] = {}
    for line in lines:
        by_refund.setdefault(line[0], []).append(line)
    rest = _RestCancelled(session, start, [(r[0], r[5]) for r in refunds if r[1] is None], by_refund)
    out: list[tuple] = []
    for refund_id, return_id, amount, at, order_total, order_id in refunds:
        own = by_refund.get(refund_id, [])
        amount = float(amount)
        weights = []
        if return_id is not None:
            for line in own:
                back = returned_qty.get((refund_id, line[1]), 0)
                gross = float(line[6]) + float(line[7])
                weights.append(back / line[5] * gross if line[5] else 0.0)
        elif rest.applies(order_id, at):  # after "Cancel what is not shipped": first the cancelled items' money
            weights = [line[8] / line[5] * (float(line[6]) + float(line[7])) if line[5] else 0.0 for line in own]
            taken = rest.take(order_id, amount)
            _spread(out, own, weights, taken, at)
            amount -= taken
            weights = []  # what is left of it (more than the cancelled items cost): as any other refund
        if sum(weights) > 0:  # a return's refund: the returned lines' share of what was paid, before VAT
            _spread(out, own, weights, amount, at)
        elif order_total and amount:  # any other refund: every line in proportion to the order's total
            for line in own:
                out.append((line[2], line[3], line[4], amount * float(line[6]) / float(order_total), at))
    return pd.DataFrame(out, columns=columns)


def _spread(out: list, own: list, weights: list[float], amount: float, at) -> None:
    """`amount` (with VAT) over the lines by their weights (what they cost with VAT), each line's part before VAT."""
    total_weight = sum(weights)
    if not amount or total_weight <= 0:
        return
    for line, weight in zip(own, weights, strict=True):
        gross = float(line[6]) + float(line[7])
        if weight:
            part = amount * weight / total_weight * (float(line[6]) / gross if gross else 1.0)
            out.append((line[2], line[3], line[4], part, at))


class _RestCancelled:
    """The orders some of whose items "Cancel what is not shipped" called off: what those items cost (with VAT), when
    (its timeline entry; none found, an older order: any time) and how much of it the refunds before already gave
    back. A refund made after it (not a return's) is for those items first, up to what is left of their cost."""

    def __init__(self, session: Session, start, refunds: list[tuple[int, int]], by_refund: dict[int, list]) -> None:
        self.left: dict[int, float] = {}  # per order: what the cancelled items cost, less what was given back for them
        self.given: dict[int, float] = {}
        for refund_id, order_id in refunds:
            cost = sum(
                line[8] / line[5] * (float(line[6]) + float(line[7]))
                for line in by_refund.get(refund_id, [])
                if line[5]
            )
            if cost > 0:
                self.left[order_id] = cost
        self.since: dict[int, Any] = {}
        if not self.left:
            return
        from backoffice.services.orders import REST_CANCELLED

        ids = sorted(self.left)
        self.since = dict(
            session.execute(
                select(col(OrderEvent.order_id), func.min(OrderEvent.created_at))
                .where(col(OrderEvent.order_id).in_(ids), col(OrderEvent.text_key).in_(REST_CANCELLED))
                .group_by(col(OrderEvent.order_id))
            ).all()
        )
        earlier = session.execute(  # given back before the period, after the cancellation: no longer to give
            select(col(Refund.order_id), col(Refund.amount), col(Refund.refunded_at))
            .where(col(Refund.order_id).in_(ids), col(Refund.return_id).is_(None), col(Refund.refunded_at) < start)
            .order_by(col(Refund.refunded_at), col(Refund.id))
        ).all()
        for order_id, amount, at in earlier:
            if self.applies(order_id, at):
                self.take(order_id, float(amount))

    def applies(self, order_id: int, at) -> bool:
        if order_id not in self.left:
            return False
        since = self.since.get(order_id)
        return since is None or at >= since

    def take(self, order_id: int, amount: float) -> float:
        """How much of a refund (a reversal: below 0) is for the cancelled items, and that much less left of them."""
        left = self.left[order_id]
        if amount >= 0:
            taken = min(amount, left)
        else:  # a refund reversed (failed at the bank): the cancelled items' money is owed again, up to what was given
            taken = -min(-amount, self.given.get(order_id, 0.0))
        self.left[order_id] = left - taken
        self.given[order_id] = self.given.get(order_id, 0.0) + taken
        return taken


def _products(session: Session, ids: set) -> dict[int, tuple[str, int | None]]:
    ids = {int(i) for i in ids}
    found: dict[int, tuple[str, int | None]] = {}
    chunk = sorted(ids)
    for at in range(0, len(chunk), 500):
        for pid, name, sku, category_id in session.execute(
            select(col(Product.id), col(Product.name), col(Product.sku), col(Product.category_id)).where(
                col(Product.id).in_(chunk[at : at + 500])
            )
        ).all():
            found[pid] = (f'{name} ({sku})', category_id)
    return found


def _product_label(key, products: dict, first_names: dict) -> str:
    if isinstance(key, int) and key in products:
        return products[key][0]
    return str(first_names.get(key) or key)


def _category_names(session: Session) -> dict[int, str]:
    return {cid: name for cid, name in session.execute(select(col(Category.id), col(Category.name))).all()}


def _category_and_below(session: Session, category_id: int) -> set[int]:
    parents = dict(session.execute(select(col(Category.id), col(Category.parent_id))).all())
    wanted = {category_id}
    grew = True
    while grew:
        below = {cid for cid, parent in parents.items() if parent in wanted and cid not in wanted}
        wanted |= below
        grew = bool(below)
    return wanted


def _other_currencies(session: Session, start, end, currency: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(Order)
        .where(col(Order.paid_at) >= start, col(Order.paid_at) < end, col(Order.currency) != currency)
    ).scalar_one()
