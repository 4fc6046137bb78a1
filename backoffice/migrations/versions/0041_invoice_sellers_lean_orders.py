"""Disk (issue #20): the seller's identity, copied into every invoice, is stored once per distinct version in
invoice_sellers and referred to by invoices.seller_id (the data moved, each invoice keeps the identity it was issued
with); an invoice's lines are stored with their keys once (models.base.RowsJSON) and its JSON without spaces; the
orders' indexes no query reads are dropped: (number, id) — the unique index of number serves its sort —, (email, id),
shipped_at, customer_id alone, and (customer_id, placed_at, status) merged into (customer_id, placed_at, id, status).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04
"""

import hashlib
import json
import warnings
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0041'
down_revision: str | None = '0040'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUIET = 'Skipped unsupported reflection of expression-based index'
BATCH = 5000
DROPPED = (  # index, its columns (as they were made, for the downgrade)
    ('ix_orders_number_id', ['number', 'id']),
    ('ix_orders_email_id', ['email', 'id']),
    ('ix_orders_shipped_at', ['shipped_at']),
    ('ix_orders_customer_id', ['customer_id']),
    ('ix_orders_customer_placed_status', ['customer_id', 'placed_at', 'status']),
)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


def _digest(details: dict[str, Any]) -> str:  # as services/invoice_issue.seller_digest
    canonical = json.dumps(details, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _packed(value: Any) -> Any:  # as models.base.packed_rows (kept here: a migration does not follow the code)
    if not isinstance(value, list) or not value or not all(isinstance(row, dict) for row in value):
        return value
    keys = list(value[0])
    if any(list(row) != keys for row in value):
        return value
    return {'keys': keys, 'rows': [list(row.values()) for row in value]}


def _unpacked(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get('keys'), list) and isinstance(value.get('rows'), list):
        return [dict(zip(value['keys'], row, strict=True)) for row in value['rows']]
    return value


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _json_cast(bind: sa.engine.Connection) -> str:
    """A parameter as JSON: PostgreSQL's json column takes text only by a cast."""
    return 'CAST({} AS JSON)' if bind.dialect.name == 'postgresql' else '{}'


def _rewrite(bind: sa.engine.Connection, change: Any) -> None:
    """Each invoice's JSON columns rewritten by `change(lines) -> lines`, compact, in batches by id."""
    text_of = 'CAST({} AS TEXT)' if bind.dialect.name == 'postgresql' else '{}'
    cast = _json_cast(bind)
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                f'SELECT id, {text_of.format("lines")}, {text_of.format("bill_to")}, '
                f'{text_of.format("vat_breakdown")} FROM invoices WHERE id > :last ORDER BY id LIMIT {BATCH}'
            ),
            {'last': last},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(
                f'UPDATE invoices SET lines = {cast.format(":lines")}, bill_to = {cast.format(":bill_to")}, '
                f'vat_breakdown = {cast.format(":vat")} WHERE id = :id'
            ),
            [
                {
                    'id': id_,
                    'lines': _compact(change(_loaded(lines))),
                    'bill_to': _compact(_loaded(bill_to)),
                    'vat': _compact(_loaded(vat)),
                }
                for id_, lines, bill_to, vat in rows
            ],
        )
        last = rows[-1][0]


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    op.create_table(
        'invoice_sellers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    if postgresql:
        op.add_column('invoices', sa.Column('seller_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_invoices_seller_id', 'invoices', 'invoice_sellers', ['seller_id'], ['id'])
    else:  # in place: a batch copy of the table would check every invoice against the others (corrects_id)
        op.execute(
            'ALTER TABLE invoices ADD COLUMN seller_id INTEGER '
            'CONSTRAINT fk_invoices_seller_id REFERENCES invoice_sellers (id)'
        )
    # each distinct copy once (by its text: PostgreSQL's json has no equality), then the invoices that hold it
    seller_text = 'CAST(seller AS TEXT)' if postgresql else 'seller'
    cast = _json_cast(bind)
    ids: dict[str, int] = {}
    for (copied,) in bind.execute(sa.text(f'SELECT DISTINCT {seller_text} FROM invoices')).all():
        details = _loaded(copied) or {}
        digest = _digest(details)
        if digest not in ids:
            bind.execute(
                sa.text(f'INSERT INTO invoice_sellers (digest, details) VALUES (:digest, {cast.format(":details")})'),
                {'digest': digest, 'details': _compact(details)},
            )
            ids[digest] = bind.execute(
                sa.text('SELECT id FROM invoice_sellers WHERE digest = :digest'), {'digest': digest}
            ).scalar_one()
        bind.execute(
            sa.text(f'UPDATE invoices SET seller_id = :id WHERE {seller_text} = :copied'),
            {'id': ids[digest], 'copied': copied},
        )
    _rewrite(bind, _packed)
    op.drop_column('invoices', 'seller')  # SQLite (3.35+) drops it in place too
    for name, _ in DROPPED:
        op.drop_index(name, table_name='orders')
    op.drop_index('ix_orders_customer_placed_id', table_name='orders')
    op.create_index('ix_orders_customer_placed_id', 'orders', ['customer_id', 'placed_at', 'id', 'status'])


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    op.drop_index('ix_orders_customer_placed_id', table_name='orders')
    op.create_index('ix_orders_customer_placed_id', 'orders', ['customer_id', 'placed_at', 'id'])
    for name, columns in DROPPED:
        op.create_index(name, 'orders', columns)
    op.add_column('invoices', sa.Column('seller', sa.JSON(), nullable=False, server_default='{}'))
    cast = _json_cast(bind)
    details_text = 'CAST(details AS TEXT)' if postgresql else 'details'
    for id_, details in bind.execute(sa.text(f'SELECT id, {details_text} FROM invoice_sellers')).all():
        bind.execute(
            sa.text(f'UPDATE invoices SET seller = {cast.format(":details")} WHERE seller_id = :id'),
            {'id': id_, 'details': json.dumps(_loaded(details))},
        )
    _rewrite(bind, _unpacked)
    with warnings.catch_warnings():  # SQLite copies the table (a column in a foreign key is not dropped in place)
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('invoices', schema=None) as batch_op:
            if postgresql:  # SQLite's copy leaves out the column and its (unnamed, inline) foreign key
                batch_op.drop_constraint('fk_invoices_seller_id', type_='foreignkey')
            batch_op.drop_column('seller_id')
    op.drop_table('invoice_sellers')
