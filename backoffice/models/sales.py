"""Sales: orders and their lines, payments, refunds, invoices and credit notes, carriers, shipments, returns and the
order timeline. Money is Numeric(12, 2) in the order's currency; every datetime is aware UTC."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import field_serializer
from sqlalchemy import JSON, Column, Index, Numeric, String, Text, func, literal_column
from sqlmodel import Field, Relationship, SQLModel

from backoffice.models.base import EditableTable, RowsJSON, prefix_index, string_enum, utcnow

MONEY = Numeric(12, 2)
ZERO = Decimal('0.00')


class OrderStatus(StrEnum):
    draft = 'draft'  # staff are still putting it together: reserves nothing
    pending = 'pending'  # placed, waiting for payment: its lines are reserved
    paid = 'paid'
    packed = 'packed'
    shipped = 'shipped'  # the stock left the warehouse (a sale movement)
    delivered = 'delivered'
    cancelled = 'cancelled'  # released its reservation


class OrderSource(StrEnum):
    api = 'api'  # the front office, POST /api/orders
    staff = 'staff'  # a draft made in /orders
    exchange = 'exchange'  # made by a return that ends in an exchange
    seed = 'seed'


class InvoiceKind(StrEnum):
    invoice = 'invoice'
    credit_note = 'credit_note'


class ReturnStatus(StrEnum):
    requested = 'requested'  # agreed with the customer, the parcel is on its way back
    received = 'received'  # in the warehouse, restocked
    closed = 'closed'  # resolved: refunded, credited or exchanged
    cancelled = 'cancelled'


class ReturnResolution(StrEnum):
    refund = 'refund'
    credit_note = 'credit_note'
    exchange = 'exchange'


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else f'{Decimal(value):.2f}'


class Order(EditableTable, table=True):
    """One order of one customer; its totals are computed by services/orders.py from the products, never sent in."""

    __tablename__ = 'orders'
    __table_args__ = (
        # keyset orders of the list (sort column, id) and the filters that lead it; the sort by number reads the
        # unique index of number (unique, so no tie for id to break), email is not sortable (its search has its
        # own indexes), nothing reads shipped_at by range (migration 0041 dropped those three)
        Index('ix_orders_placed_id', 'placed_at', 'id'),
        Index('ix_orders_status_placed_id', 'status', 'placed_at', 'id'),
        # a customer's orders, newest first (the customer page, the list's customer filter, the foreign key), and
        # the "new customers" KPI: whether a customer ordered before a day, from the index alone on PostgreSQL
        Index('ix_orders_customer_placed_id', 'customer_id', 'placed_at', 'id', 'status'),
        Index('ix_orders_total_id', 'total', 'id'),
        Index('ix_orders_status_id', 'status', 'id'),
        prefix_index('ix_orders_email_lower', 'email'),  # the header's search by prefix
        Index('ix_orders_paid_at', 'paid_at'),  # the sales report
        # search by number or email: trigram GIN indexes on PostgreSQL; SQLite searches the FTS5 table `orders_fts`
        # (migration 0009, not part of the metadata), so these expression indexes exist only on PostgreSQL
        Index(
            'ix_orders_email_trgm',
            func.lower(literal_column('email')).label('email_lower'),
            postgresql_using='gin',
            postgresql_ops={'email_lower': 'gin_trgm_ops'},
        ),
        Index(
            'ix_orders_number_trgm',
            func.lower(literal_column('number')).label('number_lower'),
            postgresql_using='gin',
            postgresql_ops={'number_lower': 'gin_trgm_ops'},
        ),
    )

    number: str = Field(max_length=20, unique=True)  # what people quote: 100042
    external_id: str | None = Field(default=None, max_length=100, unique=True)  # the shop's own order id
    customer_id: int = Field(foreign_key='customers.id')  # indexed by ix_orders_customer_placed_id
    email: str = Field(max_length=254)  # the customer's email when ordering (searched)
    status: OrderStatus = Field(default=OrderStatus.pending, sa_type=string_enum(OrderStatus))
    source: OrderSource = Field(default=OrderSource.api, sa_type=string_enum(OrderSource))
    currency: str = Field(default='EUR', max_length=3)
    subtotal: Decimal = Field(default=ZERO, sa_type=MONEY)  # quantity × unit price, before discounts
    discount_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    tax_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    shipping_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    total: Decimal = Field(default=ZERO, sa_type=MONEY)  # subtotal − discounts + tax + shipping
    paid_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    refunded_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    placed_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    shipping_name: str = Field(default='', max_length=120)
    shipping_address: str = Field(default='', sa_type=Text)
    note: str = Field(default='', sa_type=Text)
    # why a staff draft ships free ('Customer waited 3 weeks'); '' when shipping is charged as /settings says
    shipping_waived_reason: str = Field(default='', max_length=200)

    @field_serializer(
        'subtotal', 'discount_total', 'tax_total', 'shipping_total', 'total', 'paid_total', 'refunded_total'
    )
    def _money(self, value: Decimal | None) -> str | None:
        return _money_text(value)


class OrderLine(SQLModel, table=True):
    """A product on an order, with the price, tax rate and discount it was sold at (kept when the product changes)."""

    __tablename__ = 'order_lines'
    __table_args__ = (
        Index('ix_order_lines_order', 'order_id', 'id'),
        Index('ix_order_lines_product', 'product_id', 'id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    product_id: int | None = Field(default=None, foreign_key='products.id', ondelete='SET NULL')
    sku: str = Field(max_length=40)
    name: str = Field(max_length=200)
    quantity: int
    # what of a partly shipped order was called off before it left (orders.cancel_rest): it never ships, comes back
    # or is reserved; the quantity stays as bought (the invoice's), the money goes back through a refund
    cancelled_quantity: int = Field(default=0, sa_column_kwargs={'server_default': '0'})
    unit_price: Decimal = Field(sa_type=MONEY)
    tax_rate: Decimal = Field(default=Decimal('0'), sa_type=Numeric(5, 4))  # 0.2000 = 20 %
    discount: Decimal = Field(default=ZERO, sa_type=MONEY)  # amount off this line
    line_total: Decimal = Field(sa_type=MONEY)  # quantity × unit price − discount
    tax_amount: Decimal = Field(default=ZERO, sa_type=MONEY)


class Payment(SQLModel, table=True):
    __tablename__ = 'payments'
    __table_args__ = (Index('ix_payments_order', 'order_id', 'id'), Index('ix_payments_paid_at', 'paid_at'))

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    provider: str = Field(max_length=40)  # services/payments.PROVIDERS key: 'manual'
    method: str = Field(max_length=40)  # bank_transfer, card, cash…
    reference: str = Field(default='', max_length=120)
    amount: Decimal = Field(sa_type=MONEY)
    paid_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    # the bank line whose match paid part of an order not invoiced yet (migration 0051): its undo takes this back
    bank_line_id: int | None = Field(default=None, foreign_key='bank_lines.id', ondelete='SET NULL', index=True)


class Refund(SQLModel, table=True):
    __tablename__ = 'refunds'
    __table_args__ = (Index('ix_refunds_order', 'order_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    payment_id: int | None = Field(default=None, foreign_key='payments.id', ondelete='SET NULL')
    return_id: int | None = Field(default=None, foreign_key='returns.id', ondelete='SET NULL')
    amount: Decimal = Field(sa_type=MONEY)
    reason: str = Field(default='', max_length=500)  # in English, exact; shown from reason_key when it has one
    # migration 0050: a reason the app wrote ('Return R-7') as a msgid with its values (backoffice/stored_text.py)
    reason_key: str | None = Field(default=None, max_length=500)
    reason_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reference: str = Field(default='', max_length=120)  # the provider's refund reference
    refunded_at: datetime = Field(default_factory=utcnow, index=True)
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')


class InvoiceSeller(SQLModel, table=True):
    """The seller's identity as an invoice printed it (name, address, VAT number, IBAN…, from /settings when it was
    issued), stored once per distinct version and never changed: invoices refer to it instead of each holding a copy
    (migration 0041). `digest` is the SHA-256 of its canonical JSON (services/invoice_issue.seller_snapshot)."""

    __tablename__ = 'invoice_sellers'

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class InvoiceBuyer(SQLModel, table=True):
    """The buyer as an invoice printed it (name, email, address, company and its VAT number, copied from the order
    and the customer when it was issued), stored once per distinct version and never changed: a customer's invoices
    refer to the same row until their details change (migration 0042). `digest` is the SHA-256 of its canonical JSON
    (services/invoice_issue.seller_digest, the same canonical form)."""

    __tablename__ = 'invoice_buyers'

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Invoice(SQLModel, table=True):
    """An invoice or a credit note: numbered without gaps per kind and year, and never changed once issued (the
    lines and amounts are copied in; the seller and the buyer are the snapshots taken when it was issued)."""

    __tablename__ = 'invoices'
    __table_args__ = (
        Index('ix_invoices_order', 'order_id', 'id'),
        Index('ix_invoices_issued_id', 'issued_at', 'id'),
        # /invoices' search by number (part of it: 'INV-2026-0004'): a trigram GIN index on PostgreSQL (migration
        # 0073), which `lower(number) LIKE '%…%'` reads by itself; SQLite reads the list by LIKE (40 ms at 94,000)
        Index(
            'ix_invoices_number_trgm',
            func.lower(literal_column('number')).label('number_lower'),
            postgresql_using='gin',
            postgresql_ops={'number_lower': 'gin_trgm_ops'},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)  # INV-2026-000001, CN-2026-000001
    kind: InvoiceKind = Field(default=InvoiceKind.invoice, sa_type=string_enum(InvoiceKind))
    year: int
    sequence: int
    order_id: int = Field(foreign_key='orders.id')
    refund_id: int | None = Field(default=None, foreign_key='refunds.id', ondelete='SET NULL')
    issued_at: datetime = Field(default_factory=utcnow)
    currency: str = Field(max_length=3)
    subtotal: Decimal = Field(default=ZERO, sa_type=MONEY)
    discount_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    tax_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    shipping_total: Decimal = Field(default=ZERO, sa_type=MONEY)
    total: Decimal = Field(default=ZERO, sa_type=MONEY)
    buyer_id: int | None = Field(default=None, foreign_key='invoice_buyers.id')  # who bought, as when issued
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(RowsJSON, nullable=False))
    note: str = Field(default='', max_length=500)
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    # what the law asks an invoice to say (EU VAT directive, Art. 226), copied at issue (migration 0019)
    order_number: str = Field(default='', max_length=20)
    seller_id: int | None = Field(default=None, foreign_key='invoice_sellers.id')  # who sold, as when issued
    vat_breakdown: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default='[]')
    )  # [{'rate': '0.2000', 'base': '100.00', 'tax': '20.00'}] per VAT rate, shipping included
    supplied_at: datetime | None = None  # the supply: shipped, else paid, else placed
    due_on: date | None = None  # an invoice's due date (a credit note has none)
    payment_terms_days: int | None = None  # the terms the due date came from; 0: due on receipt
    paid_at: datetime | None = None  # already paid when issued (an invoice issued on terms is paid later)
    corrects_id: int | None = Field(default=None, foreign_key='invoices.id', ondelete='SET NULL')  # a credit note's
    # loaded with the invoice (one query per batch of invoices: a handful of versions serve them all)
    seller_snapshot: InvoiceSeller | None = Relationship(sa_relationship_kwargs={'lazy': 'selectin'})
    buyer_snapshot: InvoiceBuyer | None = Relationship(sa_relationship_kwargs={'lazy': 'selectin'})

    @property
    def seller(self) -> dict[str, Any]:
        """The seller's identity as printed when it was issued ({} for none)."""
        return dict(self.seller_snapshot.details) if self.seller_snapshot is not None else {}

    @property
    def bill_to(self) -> dict[str, Any]:
        """The buyer as printed when it was issued ({} for none)."""
        return dict(self.buyer_snapshot.details) if self.buyer_snapshot is not None else {}


class Carrier(EditableTable, table=True):
    """A parcel carrier; its template turns a tracking number into a link ({tracking} is replaced)."""

    __tablename__ = 'carriers'

    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    tracking_url_template: str = Field(default='', max_length=300)
    active: bool = True


class Shipment(SQLModel, table=True):
    __tablename__ = 'shipments'
    __table_args__ = (
        Index('ix_shipments_order', 'order_id', 'id'),
        prefix_index('ix_shipments_tracking_lower', 'tracking_number'),  # an order by its parcel (migration 0055)
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    carrier_id: int | None = Field(default=None, foreign_key='carriers.id', ondelete='SET NULL')
    tracking_number: str = Field(default='', max_length=80)
    # the tracking link as made when shipped, stored only when it is not the carrier's template with the number in
    # place of {tracking} ('': no link; a number the link had to escape); None: it is, and `tracking_url` makes it
    # again (migration 0042: ~65 bytes a shipment). A template that changes first stores the links it made
    # (services/orders._keep_links), so a shipment's link never changes
    stored_tracking_url: str | None = Field(default=None, sa_column=Column('tracking_url', String(400), nullable=True))
    shipped_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    carrier: Carrier | None = Relationship(sa_relationship_kwargs={'lazy': 'selectin'})

    @property
    def tracking_url(self) -> str:
        """The link that tracks the parcel ('' for none)."""
        if self.stored_tracking_url is not None:
            return self.stored_tracking_url
        template = self.carrier.tracking_url_template if self.carrier is not None else ''
        return template.replace('{tracking}', self.tracking_number) if template else ''


class ShipmentLine(SQLModel, table=True):
    """How many of an order line went in one parcel (migration 0072). A shipment without lines is one made before
    parcels could be split: it carried the whole order (services/orders.shipped_by_line reads it so)."""

    __tablename__ = 'shipment_lines'
    __table_args__ = (
        Index('ix_shipment_lines_shipment', 'shipment_id', 'id'),
        Index('ix_shipment_lines_order_line', 'order_line_id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key='shipments.id', ondelete='CASCADE')
    order_line_id: int = Field(foreign_key='order_lines.id', ondelete='CASCADE')
    quantity: int


class Return(EditableTable, table=True):
    """A return (RMA): started from an order or a support request; receiving it restocks; it ends in a refund, a
    credit note or an exchange order."""

    __tablename__ = 'returns'
    __table_args__ = (
        Index('ix_returns_order', 'order_id', 'id'),
        Index('ix_returns_status_id', 'status', 'id'),
        Index('ix_returns_refund_state_id', 'refund_state', 'id'),
    )

    number: str = Field(max_length=20, unique=True)  # R-1001
    order_id: int = Field(foreign_key='orders.id')
    customer_id: int | None = Field(default=None, foreign_key='customers.id', index=True)  # the order's, for the list
    ticket_id: int | None = Field(default=None, foreign_key='tickets.id', ondelete='SET NULL')
    status: ReturnStatus = Field(default=ReturnStatus.requested, sa_type=string_enum(ReturnStatus))
    resolution: ReturnResolution | None = Field(default=None, sa_type=string_enum(ReturnResolution))
    reason: str = Field(default='', max_length=500)
    received_at: datetime | None = None
    closed_at: datetime | None = None
    exchange_order_id: int | None = Field(default=None, foreign_key='orders.id', ondelete='SET NULL')
    created_by: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    # migration 0044: whether the money of a return's refund went back, kept by services/return_refunds.note from the
    # refunds booked for it and the gateway's answers (so /returns lists and filters it without a query per row):
    # None (no refund), manual, sent (no answer yet), pending, refunded (at the gateway), failed; and how much
    refund_state: str | None = Field(default=None, max_length=20)
    refund_amount: Decimal | None = Field(default=None, sa_type=MONEY)
    # migration 0049: its order's currency, copied when it is started, so /returns writes the refund as money
    currency: str = Field(default='EUR', max_length=3, sa_column_kwargs={'server_default': 'EUR'})
    # migration 0056: how many of its items went back on the shelf when it was received (None until then), and that
    # said as services/returns.restocked_said says it ('Restocked: 2 of 3'), stored for each reader's language
    restocked_quantity: int | None = None
    restocked: str = Field(default='', max_length=120, sa_column_kwargs={'server_default': ''})
    restocked_key: str | None = Field(default=None, max_length=200)
    restocked_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ReturnLine(SQLModel, table=True):
    __tablename__ = 'return_lines'
    __table_args__ = (
        Index('ix_return_lines_return', 'return_id', 'id'),
        Index('ix_return_lines_order_line', 'order_line_id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key='returns.id', ondelete='CASCADE')
    order_line_id: int = Field(foreign_key='order_lines.id', ondelete='CASCADE')
    product_id: int | None = Field(default=None, foreign_key='products.id', ondelete='SET NULL')
    quantity: int
    reason: str = Field(default='', max_length=200)


class OrderEvent(SQLModel, table=True):
    """One entry of an order's timeline: placed, paid, packed, shipped, refunded, returned…"""

    __tablename__ = 'order_events'
    __table_args__ = (Index('ix_order_events_order', 'order_id', 'id'),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key='orders.id', ondelete='CASCADE')
    kind: str = Field(max_length=40)
    text: str = Field(max_length=500)  # in English, exact; shown from text_key in the reader's language
    text_key: str | None = Field(default=None, max_length=500)  # the msgid (backoffice/stored_text.py); None: older
    text_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    actor_id: int | None = Field(default=None, foreign_key='users.id', ondelete='SET NULL')
    created_at: datetime = Field(default_factory=utcnow)
