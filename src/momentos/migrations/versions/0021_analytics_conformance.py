"""analytics: conformance of processes to their service's designed journey, in the aggregates

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AGGREGATES = ('analytics_pairs', 'analytics_durations', 'analytics_buckets', 'analytics_variants', 'analytics_ends',
               'analytics_moments', 'analytics_moment_customers', 'analytics_channels', 'analytics_moment_contacts',
               'analytics_contact_spread')


def _forget_aggregates() -> None:
    """The stored digests were folded without conformance: drop them, the next refresh rebuilds."""
    for table in (*_AGGREGATES, 'analytics_cases', 'analytics_state'):
        op.execute(sa.text(f'DELETE FROM {table}'))  # noqa: S608 - constant names


def upgrade() -> None:
    op.create_table('analytics_conformance',
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.BigInteger(), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('cases', sa.BigInteger(), nullable=False),
    sa.Column('deviations', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_analytics_conformance_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'scope', 'moment', 'kind', 'channel', name=op.f('pk_analytics_conformance')),
    sqlite_with_rowid=False
    )
    _forget_aggregates()


def downgrade() -> None:
    _forget_aggregates()
    op.drop_table('analytics_conformance')
