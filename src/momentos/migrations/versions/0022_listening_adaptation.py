"""listening: the adapter's cross-validated score against the default's, the rating scale per source, a refit flag

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('listening_settings') as batch:
        batch.add_column(sa.Column('adapter_f1', sa.Float(), nullable=True))
        batch.add_column(sa.Column('default_f1', sa.Float(), nullable=True))
        batch.add_column(sa.Column('adapter_stale', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('rating_scales', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                           'postgresql'),
                                   server_default=sa.text("'{}'"), nullable=False))
    # adapters fitted before were switched on without a comparison: decide again at the next watch
    op.execute(sa.text('UPDATE listening_settings SET adapter_stale = true WHERE adapter IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('listening_settings') as batch:
        batch.drop_column('rating_scales')
        batch.drop_column('adapter_stale')
        batch.drop_column('default_f1')
        batch.drop_column('adapter_f1')
