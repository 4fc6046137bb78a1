"""Inventory: stock per product (on hand, reserved, min/max), the movements ledger that sums to it, and purchases."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric
from sqlmodel import Field, SQLModel

from backoffice.models.base import EditableTable, string_enum, utcnow


class MovementKind(StrEnum):
    receipt = 'receipt'  # a purchase arrived
    sale = 'sale'  # an order shipped (negative)
    return_ = 'return'  # a returned item went back on the shelf
    adjustment = 'adjustment'  # counted, damaged, found: always with a reason


class StockLevel(EditableTable, table=True):
    """A product's stock. `available` (on hand − reserved) and `low_stock` are kept by services/stock.py in the
    same write, so the list can sort and filter on them by index. A product without a row is not stock-tracked."""

    __tablename__ = 'stock_levels'
    __table_args__ = (
        Index('ix_stock_levels_available_id', 'available', 'id'),
        Index('ix_stock_levels_on_hand_id', 'on_hand', 'id'),
        Index('ix_stock_levels_low_id', 'low_stock', 'id'),
        Index('ix_stock_levels_sku_id', 'sku', 'id'),
    )

    product_id: int = Field(foreign_key='products.id', unique=True, ondelete='CASCADE')
    sku: str = Field(default='', max_length=40)  # copied from the product for sorting and search
    on_hand: int = 0
    reserved: int = 0  # by pending, paid and packed orders
    available: int = 0  # on_hand − reserved
    min_qty: int = 0  # 0: no alert
    max_qty: int = 0  # the reorder list fills up to this
    low_stock: bool = False  # min_qty > 0 and available <= min_qty
    low_alerted_at: datetime | None = None  # the job told staff; cleared when stock is back above the minimum


class StockMovement(SQLModel, table=True):
    """One change of a product's stock on hand; the quantities of a product's movements sum to its on_hand."""

    __tablename__ = 'stock_movements'
    __table_args__ = (
        Index('ix_stock_movements_product_id', 'product_id', 'id'),
        Index('ix_stock_movements_created_id', 'created_at', 'id'),
        Index('ix_stock_movements_kind_id', 'kind', 'id'),
        # a product's history, newest first, a page at a time (services/stock.history; migration 0082)
        Index('ix_stock_movements_product_created', 'product_id', 'created_at', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key='products.id', ondelete='CASCADE')
    kind: MovementKind = Field(sa_type=string_enum(MovementKind))
    quantity: int  # signed
    balance: int = 0  # on hand after this movement
    reason: str = Field(default='', max_length=300)  # in English, exact; shown from reason_key when it has one
    # migration 0050: the app's own reasons ('Return R-7', 'Order 1042') as a msgid with its values
    # (backoffice/stored_text.py), shown in the reader's language; a person's words (an adjustment) have none
    reason_key: str | None = Field(default=None, max_length=500)
    reason_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    order_id: int | None = Field(default=None, foreign_key='orders.id', ondelete='SET NULL')
    return_id: int | None = Field(default=None, foreign_key='returns.id', ondelete='SET NULL')
    purchase_id: int | None = Field(default=None, foreign_key='purchases.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class PurchaseStatus(StrEnum):
    ordered = 'ordered'  # ordered from the supplier, not here yet: no stock moved
    partly_received = 'partly_received'  # some of it arrived (a short delivery): the rest is still due
    received = 'received'  # arrived: each line is a receipt movement
    # closed with what arrived: the supplier will not deliver the rest, which is no longer due (migration 0056)
    closed_short = 'closed_short'
    # ordered by mistake and cancelled before anything arrived: nothing is expected from it (closed_at/by/reason say
    # when, who and why; no migration: a VARCHAR enum)
    cancelled = 'cancelled'


class Purchase(SQLModel, table=True):
    """A purchase order to a supplier; receiving it makes each line a receipt movement."""

    __tablename__ = 'purchases'
    __table_args__ = (Index('ix_purchases_status_id', 'status', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    # the supplier's name as it was when ordered: as long as a supplier's name may be (migration 0081)
    supplier: str = Field(default='', max_length=200)
    supplier_id: int | None = Field(default=None, foreign_key='suppliers.id', ondelete='SET NULL', index=True)
    reference: str = Field(default='', max_length=80)
    status: PurchaseStatus = Field(default=PurchaseStatus.received, sa_type=string_enum(PurchaseStatus))
    ordered_at: datetime = Field(default_factory=utcnow, index=True)
    received_at: datetime | None = Field(default=None, index=True)
    line_count: int = 0
    total: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))  # the lines' quantity × unit cost, if known
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    # migration 0056: closed short (services/purchases.close_short): when, by whom, and the person's reason as typed
    closed_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    close_reason: str = Field(default='', max_length=300, sa_column_kwargs={'server_default': ''})


class PurchaseLine(SQLModel, table=True):
    __tablename__ = 'purchase_lines'
    __table_args__ = (Index('ix_purchase_lines_purchase', 'purchase_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    purchase_id: int = Field(foreign_key='purchases.id', ondelete='CASCADE')
    product_id: int = Field(foreign_key='products.id', ondelete='CASCADE')
    quantity: int
    unit_cost: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    received_quantity: int = Field(default=0, sa_column_kwargs={'server_default': '0'})  # arrived so far
