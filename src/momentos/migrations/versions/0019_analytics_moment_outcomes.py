"""analytics: moment outcomes (moved on / still here / dropped) in the aggregates (the stored digests are rebuilt)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AGGREGATES = ('analytics_pairs', 'analytics_durations', 'analytics_buckets', 'analytics_variants', 'analytics_ends',
               'analytics_moments', 'analytics_moment_customers', 'analytics_channels', 'analytics_moment_contacts',
               'analytics_contact_spread')


def _forget_aggregates() -> None:
    """Stored rows lack the moved-on counter and the open stays' entry times: drop them, the next refresh rebuilds."""
    for table in (*_AGGREGATES, 'analytics_cases', 'analytics_state'):
        op.execute(sa.text(f'DELETE FROM {table}'))  # noqa: S608 - constant names


def upgrade() -> None:
    _forget_aggregates()
    with op.batch_alter_table('analytics_moments') as batch:
        batch.add_column(sa.Column('moved_on', sa.BigInteger(), nullable=False))


def downgrade() -> None:
    _forget_aggregates()
    with op.batch_alter_table('analytics_moments') as batch:
        batch.drop_column('moved_on')
