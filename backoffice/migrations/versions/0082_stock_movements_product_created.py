"""A product's stock history reads its movements newest first, a page at a time (services/stock.history): an index on
`stock_movements (product_id, created_at, id)` gives a page's ids in that order from the index alone, where the one on
(product_id, id) left every movement of the product to be read and sorted for each page.

Revision ID: 0082
Revises: 0081
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0082'
down_revision: str | None = '0081'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = 'ix_stock_movements_product_created'


def upgrade() -> None:
    op.create_index(INDEX, 'stock_movements', ['product_id', 'created_at', 'id'])


def downgrade() -> None:
    op.drop_index(INDEX, table_name='stock_movements')
