"""Disk (issue #20, next round after 0041): the buyer copied into every invoice (`bill_to`: name, email, address,
company, VAT number) is stored once per distinct version in invoice_buyers and referred to by invoices.buyer_id (each
invoice keeps the buyer it was issued with); an invoice's lines packed with their keys name the keys by number
(models.base.ROW_SHAPES: {"shape": 1, "rows": [...]}) instead of spelling them in every invoice; SQLite's trigram
index of orders drops the per-row token counts it keeps for ranking (`columnsize=0`: the search never ranks); a
shipment's tracking link is stored only when it is not its carrier's template with the tracking number in place of
{tracking} (NULL: it is; models.Shipment.tracking_url makes it again).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-04
"""

import hashlib
import json
import warnings
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0042'
down_revision: str | None = '0041'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUIET = 'Skipped unsupported reflection of expression-based index'
BATCH = 5000
SHAPES = {  # as models.base.ROW_SHAPES (kept here: a migration does not follow the code)
    1: ['sku', 'name', 'quantity', 'unit_price', 'discount', 'tax_rate', 'tax_amount', 'line_total'],
}
TEMPLATE_LINK = (  # a shipment's link made from its carrier's template (models.Shipment.tracking_url)
    "SELECT replace(carriers.tracking_url_template, '{tracking}', shipments.tracking_number) FROM carriers "
    "WHERE carriers.id = shipments.carrier_id AND carriers.tracking_url_template <> ''"
)
FTS_COLUMNS = ('number', 'email')  # orders_fts, as migration 0009 made it


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


def _digest(details: dict[str, Any]) -> str:  # as services/invoice_issue.seller_digest
    canonical = json.dumps(details, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _by_shape(value: Any) -> Any:
    """{"keys": [...], "rows": ...} whose keys are a known shape → {"shape": n, "rows": ...}; anything else as it is."""
    if isinstance(value, dict) and isinstance(value.get('keys'), list) and isinstance(value.get('rows'), list):
        for number, keys in SHAPES.items():
            if value['keys'] == keys:
                return {'shape': number, 'rows': value['rows']}
    return value


def _by_keys(value: Any) -> Any:
    if isinstance(value, dict) and value.get('shape') in SHAPES and isinstance(value.get('rows'), list):
        return {'keys': SHAPES[value['shape']], 'rows': value['rows']}
    return value


def _json_cast(bind: sa.engine.Connection) -> str:
    """A parameter as JSON: PostgreSQL's json column takes text only by a cast."""
    return 'CAST({} AS JSON)' if bind.dialect.name == 'postgresql' else '{}'


def _text_of(bind: sa.engine.Connection, name: str) -> str:
    return f'CAST({name} AS TEXT)' if bind.dialect.name == 'postgresql' else name


def _batches(bind: sa.engine.Connection, columns: str) -> Any:
    last = 0
    while True:
        rows = bind.execute(
            sa.text(f'SELECT id, {columns} FROM invoices WHERE id > :last ORDER BY id LIMIT {BATCH}'), {'last': last}
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    op.create_table(
        'invoice_buyers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest'),
    )
    if postgresql:
        op.add_column('invoices', sa.Column('buyer_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_invoices_buyer_id', 'invoices', 'invoice_buyers', ['buyer_id'], ['id'])
    else:  # in place, as 0041 added seller_id (a batch copy checks every invoice against corrects_id)
        op.execute(
            'ALTER TABLE invoices ADD COLUMN buyer_id INTEGER '
            'CONSTRAINT fk_invoices_buyer_id REFERENCES invoice_buyers (id)'
        )
    cast = _json_cast(bind)
    ids: dict[str, int] = {}
    for rows in _batches(bind, f'{_text_of(bind, "bill_to")}, {_text_of(bind, "lines")}'):
        changes = []
        for id_, bill_to, lines in rows:
            details = _loaded(bill_to) or {}
            digest = _digest(details)
            if digest not in ids:
                ids[digest] = bind.execute(
                    sa.text(
                        f'INSERT INTO invoice_buyers (digest, details) VALUES (:digest, {cast.format(":details")}) '
                        'RETURNING id'
                    ),
                    {'digest': digest, 'details': _compact(details)},
                ).scalar_one()
            changes.append({'id': id_, 'buyer': ids[digest], 'lines': _compact(_by_shape(_loaded(lines)))})
        bind.execute(
            sa.text(f'UPDATE invoices SET buyer_id = :buyer, lines = {cast.format(":lines")} WHERE id = :id'), changes
        )
    op.drop_column('invoices', 'bill_to')  # SQLite (3.35+) drops it in place too
    if not postgresql:
        _orders_search_index(columnsize=False)
    _tracking_url_nullable(True)
    op.execute(
        f"UPDATE shipments SET tracking_url = NULL WHERE tracking_url <> '' AND tracking_url = ({TEMPLATE_LINK})"
    )


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    op.execute(f"UPDATE shipments SET tracking_url = COALESCE(({TEMPLATE_LINK}), '') WHERE tracking_url IS NULL")
    _tracking_url_nullable(False)
    if not postgresql:
        _orders_search_index(columnsize=True)
    op.add_column('invoices', sa.Column('bill_to', sa.JSON(), nullable=False, server_default='{}'))
    op.execute(
        'UPDATE invoices SET bill_to = (SELECT details FROM invoice_buyers WHERE invoice_buyers.id = invoices.buyer_id) '
        'WHERE buyer_id IS NOT NULL'
    )
    cast = _json_cast(bind)
    for rows in _batches(bind, _text_of(bind, 'lines')):
        bind.execute(
            sa.text(f'UPDATE invoices SET lines = {cast.format(":lines")} WHERE id = :id'),
            [{'id': id_, 'lines': _compact(_by_keys(_loaded(lines)))} for id_, lines in rows],
        )
    with warnings.catch_warnings():  # SQLite copies the table (a column in a foreign key is not dropped in place)
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('invoices', schema=None) as batch_op:
            if postgresql:  # SQLite's copy leaves out the column and its (unnamed, inline) foreign key
                batch_op.drop_constraint('fk_invoices_buyer_id', type_='foreignkey')
            batch_op.drop_column('buyer_id')
    op.drop_table('invoice_buyers')


def _tracking_url_nullable(nullable: bool) -> None:
    with warnings.catch_warnings():  # SQLite copies the table to change NOT NULL (and reflects its neighbours)
        warnings.filterwarnings('ignore', message=QUIET)
        with op.batch_alter_table('shipments', schema=None) as batch_op:
            batch_op.alter_column('tracking_url', existing_type=sa.String(length=400), nullable=nullable)


def _orders_search_index(*, columnsize: bool) -> None:
    """orders_fts made again, with (0009) or without (0042) the token count of each row, and rebuilt from orders; its
    triggers are dropped with it and made again as 0009 made them."""
    names = ', '.join(FTS_COLUMNS)
    new = ', '.join(f'new.{c}' for c in FTS_COLUMNS)
    old = ', '.join(f'old.{c}' for c in FTS_COLUMNS)
    for event in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER IF EXISTS orders_fts_after_{event}')
    op.execute('DROP TABLE IF EXISTS orders_fts')
    option = '' if columnsize else ', columnsize=0'
    op.execute(
        f"CREATE VIRTUAL TABLE orders_fts USING fts5({names}, content='orders', content_rowid='id', "
        f"tokenize='trigram'{option})"
    )
    op.execute(
        f'CREATE TRIGGER orders_fts_after_insert AFTER INSERT ON orders BEGIN '
        f'INSERT INTO orders_fts(rowid, {names}) VALUES (new.id, {new}); END'
    )
    op.execute(
        f'CREATE TRIGGER orders_fts_after_delete AFTER DELETE ON orders BEGIN '
        f"INSERT INTO orders_fts(orders_fts, rowid, {names}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f'CREATE TRIGGER orders_fts_after_update AFTER UPDATE OF {names} ON orders BEGIN '
        f"INSERT INTO orders_fts(orders_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f'INSERT INTO orders_fts(rowid, {names}) VALUES (new.id, {new}); END'
    )
    op.execute("INSERT INTO orders_fts(orders_fts) VALUES ('rebuild')")
