"""Saved segments can be edited: a version (a stale edit is refused) and the time of the last edit; their names are
unique whatever the case ("Lapsed" and "lapsed" could both exist, and two saves at the same instant met the exact-text
constraint as a database error). Names already equal but for case are told apart first ("lapsed (2)").

Revision ID: 0075
Revises: 0074
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0075'
down_revision: str | None = '0074'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

segments = sa.table('segments', sa.column('id', sa.Integer), sa.column('name', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('segments') as batch:
        batch.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    connection = op.get_bind()
    taken: set[str] = set()
    for segment_id, name in connection.execute(sa.select(segments.c.id, segments.c.name).order_by(segments.c.id)):
        unique, n = name, 1
        while unique.lower() in taken:
            n += 1
            suffix = f' ({n})'
            unique = name[: 80 - len(suffix)] + suffix
        taken.add(unique.lower())
        if unique != name:
            connection.execute(sa.update(segments).where(segments.c.id == segment_id).values(name=unique))
    op.create_index('ix_segments_name_lower', 'segments', [sa.text('lower(name)')], unique=True)


def downgrade() -> None:
    op.drop_index('ix_segments_name_lower', table_name='segments')
    with op.batch_alter_table('segments') as batch:
        batch.drop_column('version')
        batch.drop_column('updated_at')
